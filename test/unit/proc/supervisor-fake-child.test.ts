/**
 * Supervisor and Lifecycle driven in-process through their `spawn` and `groups` options, with fake
 * children (test/unit/fixtures/fake-child.ts): what they do with a child's pipes, signals and
 * exit, independent of any real program. supervisor.test.ts covers the same with real processes.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Supervisor } from '../../../src/proc/supervisor';
import { Lifecycle } from '../../../src/proc/lifecycle';
import { OWNER_ENV } from '../../../src/proc/identity';
import { SstError } from '../../../src/errors';
import { FakeProcesses, type FakeChild } from '../fixtures/fake-child';
import { FakeHost } from '../fixtures/fake-host';

function fakeSupervisor(quiet?: (line: string) => string | undefined): { fake: FakeProcesses; sup: Supervisor } {
  const fake = new FakeProcesses();
  return { fake, sup: new Supervisor({ spawn: fake.spawn, groups: fake.groups, quiet }) };
}

function only(fake: FakeProcesses): FakeChild {
  assert.equal(fake.children.length, 1);
  const child = fake.children[0];
  assert.ok(child);
  return child;
}

describe('Supervisor.spawn (fake child)', () => {
  test(
    'by default: own process group, stdin ignored, stdout to our stderr, stderr piped; the owner tag in the ' +
      'environment (fake child)',
    async () => {
      const { fake, sup } = fakeSupervisor();
      const tagged = new Supervisor({ spawn: fake.spawn, groups: fake.groups, ownerTag: 'tag-1' });
      const child = tagged.spawn({ name: 'c', command: '/bin/c', args: ['-x'], env: { A: '1' }, cwd: '/tmp' });
      const f = only(fake);
      assert.equal(child.pid, f.pid);
      assert.equal(f.command, '/bin/c');
      assert.deepEqual(f.args, ['-x']);
      assert.equal(f.options.detached, true);
      assert.deepEqual(f.options.stdio, ['ignore', 2, 'pipe']);
      assert.equal(f.options.cwd, '/tmp');
      assert.deepEqual(f.options.env, { A: '1', [OWNER_ENV]: 'tag-1' });
      assert.equal(child.running(), true);
      f.finish(0);
      assert.deepEqual(await child.exited, { code: 0, signal: null });
      assert.equal(child.running(), false);
      await child.stdoutDone;
      await child.stderrDone;
      await sup.stopAll();
    },
  );

  test(
    'stdout lines go to onStdoutLine, split on \\n, \\r and \\r\\n, across chunks; blank ones dropped; the ' +
      'last line without an end delivered at EOF (fake child)',
    async () => {
      const { fake, sup } = fakeSupervisor();
      const lines: string[] = [];
      const child = sup.spawn({
        name: 'rsync',
        command: 'rsync',
        args: [],
        stdout: 'pipe',
        onStdoutLine: (l) => lines.push(l),
      });
      const f = only(fake);
      assert.deepEqual(f.options.stdio, ['ignore', 'pipe', 'pipe']);
      f.stdout?.write('  1,000  10%\r  5,0');
      f.stdout?.write('00  50%\r 10,000 100%\r\nfile2\n\n   \nsecond ha');
      f.stdout?.write('lf\r');
      f.stdout?.write('\nno end');
      f.finish(0);
      await child.stdoutDone;
      assert.deepEqual(lines, ['  1,000  10%', '  5,000  50%', ' 10,000 100%', 'file2', 'second half', 'no end']);
      assert.deepEqual(child.stderrTail(), [], 'stdout lines are not stderr');
    },
  );

  test(
    'stderr lines go to onStderrLine in place of the quiet classifier and the log, and are kept in the tail; ' +
      '\\r does not split them (fake child)',
    async () => {
      const classified: string[] = [];
      const { fake, sup } = fakeSupervisor((line) => {
        classified.push(line);
        return 'expected';
      });
      const lines: string[] = [];
      const child = sup.spawn({ name: 'socat', command: 'socat', args: [], onStderrLine: (l) => lines.push(l) });
      const f = only(fake);
      f.stderr?.write('E one\nE t');
      f.stderr?.write('wo\r still two\n\n');
      f.stderr?.write('E partial');
      f.finish(1);
      await child.stderrDone;
      assert.deepEqual(lines, ['E one', 'E two\r still two', 'E partial']);
      assert.deepEqual(child.stderrTail(), lines);
      assert.deepEqual(classified, [], 'the caller decides what to log');
      assert.equal(sup.takeQuietedSummary(), undefined);
    },
  );

  test(
    'without onStderrLine, each stderr line goes through the ' +
      'quiet classifier (counted lines: one summary) (fake child)',
    async () => {
      const { fake, sup } = fakeSupervisor((line) => (line.includes('harmless') ? 'harmless' : undefined));
      const child = sup.spawn({ name: 'noisy', command: 'socat', args: [] });
      const f = only(fake);
      f.stderr?.write('W harmless\nW harmless\n');
      f.finish(0);
      await child.stderrDone;
      assert.deepEqual(child.stderrTail(), ['W harmless', 'W harmless']);
      assert.equal(sup.takeQuietedSummary(), '2 expected warnings not logged one by one (harmless ×2)');
    },
  );

  test(
    "stdin: 'pipe' stays open and unwritten while the child " + 'runs, and is closed once it exits (fake child)',
    async () => {
      const { fake, sup } = fakeSupervisor();
      const child = sup.spawn({ name: 'peer', command: 'socat', args: ['-'], stdin: 'pipe' });
      const f = only(fake);
      assert.equal((f.options.stdio as unknown[])[0], 'pipe');
      const stdin = f.stdin;
      assert.ok(stdin);
      let got = '';
      stdin.on('data', (b: Buffer) => (got += b.toString()));
      await delay(20);
      assert.equal(stdin.destroyed, false);
      assert.equal(stdin.writableEnded, false);
      f.finish(0);
      await child.exited;
      assert.equal(stdin.destroyed, true);
      assert.equal(got, '');
    },
  );

  test(
    'a program that cannot start: exited gives 127, the tail ' +
      'says why, both pipes done, nothing to stop (fake child)',
    async () => {
      const { fake, sup } = fakeSupervisor();
      fake.missing.add('/nope');
      const child = sup.spawn({
        name: 'ghost',
        command: '/nope',
        args: [],
        stdout: 'pipe',
        onStdoutLine: () => undefined,
      });
      assert.equal(child.pid, -1);
      assert.deepEqual(await child.exited, { code: 127, signal: null });
      await Promise.all([child.stderrDone, child.stdoutDone]);
      assert.match(child.stderrTail().join('\n'), /ghost: spawn \/nope ENOENT/);
      await sup.stopAll();
      assert.deepEqual(fake.signals, []);
    },
  );
});

describe('Supervisor.stop / kill (fake child)', () => {
  test('stop sends SIGTERM, then SIGCONT: a SIGSTOPped child acts on the TERM at once (fake child)', async () => {
    const { fake, sup } = fakeSupervisor();
    const child = sup.spawn({ name: 'rsync', command: 'rsync', args: [] });
    const f = only(fake);
    assert.ok(fake.groups.signal(child.pid, 'SIGSTOP'));
    assert.equal(f.stopped, true);
    const started = Date.now();
    await sup.stop(child);
    assert.ok(Date.now() - started < 1000, `stop took ${Date.now() - started} ms`);
    assert.deepEqual(await child.exited, { code: null, signal: 'SIGTERM' });
    assert.deepEqual(fake.signalsTo(child.pid), ['SIGSTOP', 'SIGTERM', 'SIGCONT']);
  });

  test('a running child: SIGTERM and SIGCONT, no SIGKILL; stopping it again sends nothing (fake child)', async () => {
    const { fake, sup } = fakeSupervisor();
    const child = sup.spawn({ name: 'socat', command: 'socat', args: [] });
    await sup.stop(child);
    await sup.stop(child);
    await sup.stopAll();
    assert.deepEqual(fake.signalsTo(child.pid), ['SIGTERM', 'SIGCONT']);
  });

  test('a child that exited by itself gets no signal (fake child)', async () => {
    const { fake, sup } = fakeSupervisor();
    const child = sup.spawn({ name: 'quick', command: 'true', args: [] });
    only(fake).finish(0);
    await child.exited;
    await sup.stopAll();
    assert.deepEqual(fake.signals, []);
  });

  test('kill sends SIGKILL alone, even to a child ignoring SIGTERM (fake child)', async () => {
    const { fake, sup } = fakeSupervisor();
    const child = sup.spawn({ name: 'socat', command: 'socat', args: [] });
    only(fake).ignoresTerm = true;
    await sup.kill(child);
    assert.deepEqual(await child.exited, { code: null, signal: 'SIGKILL' });
    await sup.stopAll();
    assert.deepEqual(fake.signalsTo(child.pid), ['SIGKILL']);
  });

  test('killAllNow SIGKILLs every group synchronously (fake child)', () => {
    const { fake, sup } = fakeSupervisor();
    const a = sup.spawn({ name: 'a', command: 'a', args: [] });
    const b = sup.spawn({ name: 'b', command: 'b', args: [] });
    sup.killAllNow();
    assert.deepEqual(fake.signals, [
      { pgid: a.pid, signal: 'SIGKILL' },
      { pgid: b.pid, signal: 'SIGKILL' },
    ]);
  });
});

/** A Lifecycle over fake children whose process hooks go to a fake process (fake-child.ts). */
async function withFakeLifecycle(
  fn: (life: Lifecycle, fake: FakeProcesses, host: FakeHost) => Promise<void>,
  quiet?: (line: string) => string | undefined,
): Promise<void> {
  const fake = new FakeProcesses();
  const host = new FakeHost();
  const life = new Lifecycle({ spawn: fake.spawn, groups: fake.groups, quiet, process: host });
  try {
    await fn(life, fake, host);
  } finally {
    await life.shutdown();
    life.dispose();
  }
}

describe('Lifecycle options (fake child)', () => {
  test(
    'the quiet classifier is the one the caller passes (proc/ knows no socat lines); without one, nothing is ' +
      'quieted (fake child)',
    async () => {
      const harmless = (line: string): string | undefined => (line.includes('harmless') ? 'harmless' : undefined);
      for (const [quiet, summary] of [
        [harmless, '1 expected warnings not logged one by one (harmless ×1)'],
        [undefined, undefined],
      ] as const) {
        await withFakeLifecycle(async (life, fake) => {
          const child = life.supervisor.spawn({ name: 'noisy', command: 'socat', args: [] });
          const f = only(fake);
          f.stderr?.write('W harmless\n');
          f.finish(0);
          await child.stderrDone;
          assert.equal(life.supervisor.takeQuietedSummary(), summary);
        }, quiet);
      }
    },
  );
});

describe('Lifecycle abort through its AbortSignal (fake child)', () => {
  test(
    'abort: the signal is aborted with the SstError, race and sleep reject with it, the child is stopped at ' +
      'shutdown (fake child)',
    async () => {
      await withFakeLifecycle(async (life, fake) => {
        const child = life.supervisor.spawn({ name: 'rsync pass 1', command: 'rsync', args: [] });
        const waiting = life.race(child.exited);
        const sleeping = life.sleep(60_000);
        assert.equal(life.signal.aborted, false);
        const error = new SstError(3, 'Received SIGTERM: aborting the SST.');
        setTimeout(() => life.abort(error), 10);
        await assert.rejects(waiting, (e: unknown) => e === error);
        await assert.rejects(sleeping, (e: unknown) => e === error);
        assert.equal(life.signal.aborted, true);
        assert.equal(life.signal.reason, error);
        assert.equal(life.aborted, error);
        assert.equal(child.running(), true, 'an abort alone does not stop children');
        await life.shutdown();
        assert.deepEqual(await child.exited, { code: null, signal: 'SIGTERM' });
        assert.deepEqual(fake.signalsTo(child.pid), ['SIGTERM', 'SIGCONT']);
      });
    },
  );

  test(
    'APIs that take an AbortSignal stop with the run: timers/promises rejects with an AbortError whose cause ' +
      'is the SstError (fake child)',
    async () => {
      await withFakeLifecycle(async (life) => {
        const timer = delay(60_000, undefined, { signal: life.signal });
        life.abort(new SstError(32, 'Parent mysqld process (PID: 1) terminated unexpectedly.'));
        await assert.rejects(
          timer,
          (e: unknown) => e instanceof Error && e.name === 'AbortError' && (e.cause as SstError).code === 32,
        );
      });
    },
  );

  test(
    'after an abort, race and sleep reject at once, ' + 'waiting for a child too; the first abort wins (fake child)',
    async () => {
      await withFakeLifecycle(async (life) => {
        life.abort(new SstError(3, 'first'));
        life.abort(new SstError(32, 'second'));
        const child = life.supervisor.spawn({ name: 'c', command: 'c', args: [] });
        await assert.rejects(life.race(Promise.resolve(1)), /first/);
        await assert.rejects(life.sleep(0), /first/);
        await assert.rejects(life.race(child.exited), /first/);
      });
    },
  );
});

describe('Lifecycle process hooks through its process option (fake child)', () => {
  test(
    'a signal the process receives aborts the run with its exit code; ' + 'dispose removes every hook (fake child)',
    async () => {
      await withFakeLifecycle(async (life, _fake, host) => {
        assert.equal(host.hookCount(), 6, 'SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE and exit');
        host.emit('SIGHUP');
        assert.equal(life.aborted?.code, 32);
        assert.equal(life.aborted?.message, 'Received SIGHUP: aborting the SST.');
        host.emit('SIGTERM');
        assert.equal(life.aborted?.code, 32, 'the first abort wins');
        life.dispose();
        assert.equal(host.hookCount(), 0);
      });
    },
  );

  test('exit: every child is SIGKILLed at once (fake child)', async () => {
    await withFakeLifecycle(async (life, fake, host) => {
      const child = life.supervisor.spawn({ name: 'socat listener', command: 'socat', args: [] });
      host.emit('exit');
      assert.deepEqual(fake.signalsTo(child.pid), ['SIGKILL']);
    });
  });

  test(
    'watchParent: a parent that kill(2) no longer finds aborts the ' +
      'run with 32; kill goes through the process given (fake child)',
    async () => {
      await withFakeLifecycle(async (life, _fake, host) => {
        life.watchParent(4242, 10);
        await delay(30);
        assert.equal(life.aborted, undefined, 'alive while kill(2) finds it');
        host.gone.add(4242);
        const parentGone = (e: unknown): boolean =>
          e instanceof SstError &&
          e.code === 32 &&
          e.message === 'Parent mysqld process (PID: 4242) terminated unexpectedly.';
        await assert.rejects(life.sleep(60_000), parentGone);
        life.kill(4242, 'SIGKILL');
        assert.deepEqual(host.kills, [{ pid: 4242, signal: 'SIGKILL' }], 'a pid already gone is not an error');
      });
    },
  );
});
