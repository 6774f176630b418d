/**
 * The donor's work queue with a fake runner standing in for rsync (fake children: each pass is
 * a promise the test settles), and the monitor with a fake clock and fake byte counters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pass } from '../../../src/rsync/plan';
import {
  formatDuration,
  HANDSHAKE_READ_BYTES,
  type Actions,
  type MonitorOptions,
  TransferMonitor,
} from '../../../src/sst/transfer-monitor';
import { runQueue, TransferState, type PassRunner } from '../../../src/sst/transfer-queue';

const pass = (name: string, bytes: number): Pass => ({ name, bytes, first: false, args: [] });

/** A runner whose passes end when the test says so; pids count up from 100. */
function fakeRunner(): { runner: PassRunner; started: string[]; finish(name: string, error?: Error): void } {
  const pending = new Map<string, { resolve(): void; reject(e: Error): void }>();
  const started: string[] = [];
  let pid = 100;
  return {
    started,
    runner: {
      run(p, onStart): Promise<void> {
        started.push(p.name);
        onStart(pid++);
        return new Promise<void>((resolve, reject) => pending.set(p.name, { resolve, reject }));
      },
    },
    finish(name, error): void {
      const p = pending.get(name);
      assert.ok(p, `${name} is not running`);
      pending.delete(name);
      if (error) p.reject(error);
      else p.resolve();
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('runQueue (fake children)', () => {
  test('N streams take the next pass as each ends; bytes of finished passes add up', async () => {
    const f = fakeRunner();
    const state = new TransferState();
    const passes = [pass('big', 100), pass('b', 30), pass('c', 20), pass('d', 10)];
    const done = runQueue(passes, 2, f.runner, state, async () => undefined);
    await tick();
    assert.deepEqual(f.started, ['big', 'b']);
    assert.deepEqual([...state.running.values()], [100, 101]);
    f.finish('b');
    await tick();
    assert.deepEqual(f.started, ['big', 'b', 'c'], 'the big one keeps its stream while the other stream goes on');
    assert.equal(state.done, 30);
    f.finish('c');
    await tick();
    f.finish('d');
    await tick();
    assert.equal(state.running.size, 1);
    f.finish('big');
    await done;
    assert.equal(state.done, 160);
    assert.equal(state.running.size, 0);
  });

  test('one stream: strictly in order', async () => {
    const f = fakeRunner();
    const done = runQueue(
      [pass('a', 3), pass('b', 2), pass('c', 1)],
      1,
      f.runner,
      new TransferState(),
      async () => undefined,
    );
    for (const name of ['a', 'b', 'c']) {
      await tick();
      assert.equal(f.started.at(-1), name);
      f.finish(name);
    }
    await done;
  });

  test('the first failure stops the others once and starts nothing new; it is what the queue throws', async () => {
    const f = fakeRunner();
    let stops = 0;
    const state = new TransferState();
    const done = runQueue([pass('a', 3), pass('b', 2), pass('c', 1), pass('d', 1)], 2, f.runner, state, async () => {
      stops++;
      f.finish('b', new Error('killed'));
    });
    await tick();
    f.finish('a', new Error('rsync code 23'));
    await assert.rejects(done, /rsync code 23/);
    assert.equal(stops, 1);
    assert.deepEqual(f.started, ['a', 'b']);
    assert.equal(state.running.size, 0);
    assert.equal(state.done, 0);
  });

  test(
    'once its rsync has exited a pass leaves `running` (its ' +
      'pid is no longer ours to signal), before the runner is done',
    async () => {
      const state = new TransferState();
      let release: () => void = () => undefined;
      let exit: (ok: boolean) => void = () => undefined;
      const runner: PassRunner = {
        run(_p, started, exited): Promise<void> {
          started(42);
          exit = exited;
          return new Promise<void>((r) => {
            release = r;
          });
        },
      };
      const done = runQueue([pass('a', 7)], 1, runner, state, async () => undefined);
      await tick();
      assert.deepEqual([...state.running.values()], [42]);
      exit(true);
      assert.equal(state.running.size, 0);
      assert.equal(state.done, 7);
      release();
      await done;
      assert.equal(state.done, 7, 'counted once');
    },
  );

  test('more streams than passes: one worker per pass; no passes: nothing runs', async () => {
    const f = fakeRunner();
    const done = runQueue([pass('only', 1)], 8, f.runner, new TransferState(), async () => undefined);
    await tick();
    f.finish('only');
    await done;
    assert.deepEqual(f.started, ['only']);
    await runQueue([], 4, f.runner, new TransferState(), async () => undefined);
  });
});

describe('TransferMonitor (fake clock and counters)', () => {
  const MiB = 1024 * 1024;
  const running = (entries: [Pass, number][], done = 0): TransferState => {
    const s = new TransferState();
    s.done = done;
    for (const [p, pid] of entries) s.running.set(p, pid);
    return s;
  };
  /** A monitor from 0 ms that logs nothing and never times out unless the test says otherwise. */
  const monitor = (o: Partial<MonitorOptions> & { total: number }): TransferMonitor =>
    new TransferMonitor({ startedAt: 0, logEveryMs: 0, protocolEveryMs: 0, idleTimeoutMs: 0, ...o });
  /** One look at streams a (pid 1) and b (pid 2), whose byte counters are in io. */
  const tickBoth = (m: TransferMonitor, at: number, a: Pass, b: Pass, io: Map<number, number>): Actions =>
    m.tick(
      at,
      running([
        [a, 1],
        [b, 2],
      ]),
      (pid) => io.get(pid),
    );

  test('progress: finished passes plus what each running rsync read, capped at its pass; a line every interval', () => {
    const m = monitor({ total: 400 * MiB, logEveryMs: 10_000 });
    const big = pass('big', 300 * MiB);
    const small = pass('small', 10 * MiB);
    const io = new Map([
      [1, 50 * MiB],
      [2, 12 * MiB],
    ]);
    let a = m.tick(
      5_000,
      running([
        [big, 1],
        [small, 2],
      ]),
      (pid) => io.get(pid),
    );
    assert.equal(m.bytesSent, 60 * MiB);
    assert.equal(a.log, undefined);
    io.set(1, 140 * MiB);
    a = m.tick(10_000, running([[big, 1]], 10 * MiB), (pid) => io.get(pid));
    assert.equal(a.log, 'sent 150 MiB of 400 MiB (37%), 15 MiB/s, about 17 s left');
    assert.equal(a.protocol, undefined, '--progress 0: no lines for mariadbd');
  });

  test('a precopy round names itself in its progress lines, and counts its own bytes', () => {
    const m = monitor({
      total: 100 * MiB,
      logEveryMs: 1000,
      protocolEveryMs: 1000,
      offset: 400 * MiB,
      label: 'precopy round 2',
    });
    const a = m.tick(1000, running([], 25 * MiB), () => undefined);
    assert.equal(a.log, 'precopy round 2: sent 25 MiB of 100 MiB (25%), 25 MiB/s, about 3 s left');
    assert.equal(a.protocol, `complete ${425 * MiB}`, 'mariadbd counts on from the earlier rounds');
  });

  test('protocol lines: complete N at their own interval', () => {
    const m = monitor({ total: 100, protocolEveryMs: 1000 });
    assert.equal(m.tick(500, running([], 40), () => undefined).protocol, undefined);
    assert.equal(m.tick(1000, running([], 60), () => undefined).protocol, 'complete 60');
    assert.equal(m.tick(1500, running([], 70), () => undefined).protocol, undefined);
    assert.equal(m.tick(2600, running([], 100), () => undefined).protocol, 'complete 100');
  });

  test('rate limit: all running streams pause while ahead of limit × elapsed, and resume when not', () => {
    const m = monitor({ total: 1000 * MiB, rateLimit: 10 * MiB });
    const a = pass('a', 500 * MiB);
    const b = pass('b', 500 * MiB);
    const io = new Map([
      [1, 5 * MiB],
      [2, 5 * MiB],
    ]);
    // 1 s in: 10 MiB allowed (+2 MiB credit), 10 sent.
    let act = tickBoth(m, 1000, a, b, io);
    assert.deepEqual([act.pause, act.resume], [[], []]);
    io.set(1, 9 * MiB);
    io.set(2, 9 * MiB);
    act = tickBoth(m, 1100, a, b, io);
    assert.deepEqual(act.pause, [1, 2]);
    act = tickBoth(m, 1200, a, b, io);
    assert.deepEqual([act.pause, act.resume], [[], []], 'already paused');
    act = tickBoth(m, 1700, a, b, io);
    assert.deepEqual(act.resume, [1, 2]);
  });

  test(
    'rate limit: a stream that ends while paused is forgotten; ' +
      'a new one is paused too; takePaused hands back the rest',
    () => {
      const m = monitor({ total: 100 * MiB, rateLimit: MiB });
      const a = pass('a', 50 * MiB);
      const b = pass('b', 50 * MiB);
      let act = m.tick(100, running([[a, 1]]), () => 10 * MiB);
      assert.deepEqual(act.pause, [1]);
      act = m.tick(200, running([[b, 2]], 0), () => 10 * MiB);
      assert.deepEqual(act.pause, [2]);
      assert.deepEqual(m.takePaused(), [2]);
    },
  );

  test(
    'rate limit: a stream still at its handshake (little read) is not paused, so the joiner sees it ' +
      'authenticate; it is once past it',
    () => {
      const m = monitor({ total: 100 * MiB, rateLimit: MiB });
      const a = pass('a', 50 * MiB);
      const b = pass('b', 50 * MiB);
      const io = new Map([
        [1, 10 * MiB],
        [2, 7 * 1024],
      ]);
      let act = tickBoth(m, 100, a, b, io);
      assert.deepEqual(act.pause, [1]);
      io.set(2, HANDSHAKE_READ_BYTES - 1);
      act = tickBoth(m, 200, a, b, io);
      assert.deepEqual(act.pause, []);
      io.set(2, HANDSHAKE_READ_BYTES);
      act = tickBoth(m, 300, a, b, io);
      assert.deepEqual(act.pause, [2]);
      // A stream whose counters cannot be read is paused as before.
      act = m.tick(
        400,
        running([
          [a, 1],
          [b, 2],
          [pass('c', MiB), 3],
        ]),
        (pid) => io.get(pid),
      );
      assert.deepEqual(act.pause, [3]);
    },
  );

  test('the limit is kept over the whole copy: pausing by the rule gives limit × time within the credit', () => {
    const limit = 50 * MiB;
    const m = monitor({ total: 10_000 * MiB, rateLimit: limit });
    // A stream that could go at 400 MiB/s when not paused, looked at every 100 ms for 20 s.
    const p = pass('one', 10_000 * MiB);
    let read = 0;
    let paused = false;
    for (let t = 100; t <= 20_000; t += 100) {
      if (!paused) read += 40 * MiB;
      const act = m.tick(t, running([[p, 7]]), () => read);
      if (act.pause.length > 0) paused = true;
      if (act.resume.length > 0) paused = false;
    }
    const rate = read / 20;
    assert.ok(Math.abs(rate - limit) / limit < 0.1, `achieved ${(rate / MiB).toFixed(1)} MiB/s for a limit of 50`);
  });

  test('idle timeout: no byte for the whole time while a pass runs; not while nothing runs or we paused it', () => {
    const m = monitor({ total: 100, idleTimeoutMs: 5000 });
    const a = pass('a', 100);
    assert.equal(m.tick(1000, running([[a, 1]]), () => 10).idleFor, undefined);
    assert.equal(m.tick(5999, running([[a, 1]]), () => 10).idleFor, undefined);
    assert.equal(m.tick(6000, running([[a, 1]]), () => 10).idleFor, 5000);
    const idleBetween = monitor({ total: 100, idleTimeoutMs: 1000 });
    assert.equal(idleBetween.tick(5000, running([], 0), () => undefined).idleFor, undefined);
  });

  test('durations: seconds, minutes, hours', () => {
    assert.equal(formatDuration(12.4), '12 s');
    assert.equal(formatDuration(119), '119 s');
    assert.equal(formatDuration(600), '10 min');
    assert.equal(formatDuration(3 * 3600 + 300), '3 h 5 min');
    assert.equal(formatDuration(-3), '0 s');
  });
});
