/**
 * Supervisor and Lifecycle with real short-lived programs (docs/protocol.md §1.5, §2.7,
 * §7.25, §7.37, §7.46). Tests that need this process's own stdout/stderr or
 * signal handling run a fixture script (test/unit/fixtures/) in a child Node.
 * No child process is faked anywhere in this file.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supervisor } from '../../../src/proc/supervisor';
import { isProcessAlive, Lifecycle } from '../../../src/proc/lifecycle';
import { SstError } from '../../../src/errors';
import { childrenWithChildren, processTable } from '../../../src/proc/process-table';
import { literal } from '../../helpers/regex';

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, …]. */
function stat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (an orphaned zombie waits for PID 1 to reap it). */
function running(pid: number): boolean {
  const f = stat(pid);
  return f !== undefined && f[0] !== 'Z';
}

function liveGroupMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      const f = stat(pid);
      return f !== undefined && Number(f[2]) === pgid && f[0] !== 'Z';
    });
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

interface FixtureRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture script in a child Node and collects its stdio separately. */
function runFixture(
  file: string,
  kind: string,
  args: string[],
  onStdoutLine?: (line: string, child: ChildProcess) => void,
): Promise<FixtureRun> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', file), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SST_UNIT_FIXTURE: kind },
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (c: string) => {
    stdout += c;
    pending += c;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      onStdoutLine?.(line, child);
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const LOG_LINE = (level: string, text: string): RegExp =>
  new RegExp(`^WSREP_SST: \\[${level}\\] ${literal(text)} \\(\\d{8} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\)$`, 'm');

describe('Supervisor.spawn', () => {
  test('each child leads its own process group (pgid == pid), apart from ours', async () => {
    const sup = new Supervisor();
    const child = sup.spawn({ name: 'sleeper', command: 'sleep', args: ['30'] });
    try {
      assert.ok(child.pid > 0);
      const f = stat(child.pid);
      assert.ok(f);
      assert.equal(Number(f[2]), child.pid, 'pgrp');
      assert.notEqual(Number(f[2]), Number(stat(process.pid)?.[2]));
      assert.equal(child.running(), true);
      assert.equal(child.name, 'sleeper');
    } finally {
      await sup.stopAll();
    }
    const exit = await child.exited;
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
    assert.equal(child.running(), false);
  });

  test('a program that does not exist: exited gives 127, the tail says why, nothing to stop', async () => {
    const sup = new Supervisor();
    const child = sup.spawn({ name: 'ghost', command: '/nonexistent/wsrep-sst-ghost', args: [] });
    assert.equal(child.pid, -1);
    assert.deepEqual(await child.exited, { code: 127, signal: null });
    assert.equal(child.running(), false);
    assert.match(child.stderrTail().join('\n'), /ghost: .*ENOENT/);
    const t = Date.now();
    await sup.stopAll();
    assert.ok(Date.now() - t < 2000, 'nothing to stop, so no wait');
  });

  test(
    "stdout: 'pipe' and the line handlers: a real program's \\r-separated progress and its stderr reach the " +
      'caller, not the log',
    async () => {
      const sup = new Supervisor();
      const out: string[] = [];
      const err: string[] = [];
      const child = sup.spawn({
        name: 'meter',
        command: 'sh',
        args: ['-c', 'printf " 10%%\\r 55%%\\r100%%\\n" ; printf "oops\\n" >&2; printf "done"'],
        stdout: 'pipe',
        onStdoutLine: (l) => out.push(l),
        onStderrLine: (l) => err.push(l),
      });
      assert.deepEqual(await child.exited, { code: 0, signal: null });
      await Promise.all([child.stdoutDone, child.stderrDone]);
      assert.deepEqual(out, [' 10%', ' 55%', '100%', 'done']);
      assert.deepEqual(err, ['oops']);
      assert.deepEqual(child.stderrTail(), ['oops']);
      await sup.stopAll();
    },
  );

  test('the exit code of a normal exit', async () => {
    const sup = new Supervisor();
    const child = sup.spawn({ name: 'seven', command: 'sh', args: ['-c', 'exit 7'] });
    assert.deepEqual(await child.exited, { code: 7, signal: null });
    await sup.stopAll();
  });
});

describe('Supervisor stdio (fixture process)', () => {
  test(
    'a child’s stdout never reaches our stdout; ' + 'stderr lines are logged as [INFO] <name>: <line> and kept',
    async () => {
      const r = await runFixture('supervisor-fixture.js', 'supervisor', ['stdio']);
      assert.equal(r.code, 0, r.stderr);
      // Only the fixture's own JSON line is on stdout.
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `stdout: ${JSON.stringify(r.stdout)}`);
      const result = JSON.parse(lines[0] ?? '') as { exit: { code: number }; tail: string[] };
      assert.equal(result.exit.code, 0);
      // The child's stdout went to stderr, raw.
      assert.match(r.stderr, /^to-stdout$/m);
      // Its stderr was logged line by line with our prefix; env and cwd were applied.
      assert.match(r.stderr, LOG_LINE('INFO', 'chatty: to-stderr cwd=/tmp foo=bar baz'));
      // A last line without newline is still logged; blank lines are not.
      assert.match(r.stderr, LOG_LINE('INFO', 'chatty: partial-no-newline'));
      assert.equal(/\[INFO\] chatty: {2}\(/.test(r.stderr), false);
      assert.deepEqual(result.tail, ['to-stderr cwd=/tmp foo=bar baz', 'partial-no-newline']);
    },
  );

  test('expected lines (the quiet classifier) are counted for one summary, kept in the tail, not logged', async () => {
    const r = await runFixture('supervisor-fixture.js', 'supervisor', ['quiet']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { tail: string[]; summary: string; again: string | null };
    assert.doesNotMatch(r.stderr, /harmless/);
    assert.match(r.stderr, LOG_LINE('INFO', 'noisy: x E real'));
    assert.deepEqual(result.tail, ['x W harmless', 'x W harmless', 'x E real']);
    assert.equal(result.summary, '2 expected warnings not logged one by one (harmless ×2)');
    assert.equal(result.again, null);
  });

  test('the stderr tail keeps the last 200 lines', async () => {
    const r = await runFixture('supervisor-fixture.js', 'supervisor', ['tail']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { tail: string[] };
    assert.equal(result.tail.length, 200);
    assert.equal(result.tail[0], 'line 51');
    assert.equal(result.tail[199], 'line 250');
    // Every line was logged, not only the kept ones.
    assert.match(r.stderr, LOG_LINE('INFO', 'many: line 1'));
  });

  // rsync-runner classifies a failure from stderrTail() right when `exited` resolves.
  // Node does not promise that stdio is drained at 'exit'; in practice (Node 20/22 on
  // Linux) the data written before exit is read first. If this ever flakes, `exited`
  // should wait for the stderr 'close' (bounded) before resolving.
  test('after a burst of stderr (> a pipe buffer), the last line is in the tail when `exited` resolves', async () => {
    const r = await runFixture('supervisor-fixture.js', 'supervisor', ['burst']);
    assert.equal(r.code, 0, r.stderr.slice(-500));
    const result = JSON.parse(r.stdout) as { exit: { code: number }; lastAtExit: string | null };
    assert.equal(result.exit.code, 3);
    assert.equal(result.lastAtExit, 'the-last-line');
  });
});

describe('Supervisor.stop / stopAll', () => {
  test('stopAll ends the whole group, grandchild included', async () => {
    const sup = new Supervisor();
    const child = sup.spawn({ name: 'family', command: 'sh', args: ['-c', 'sleep 30 & sleep 30'] });
    assert.ok(await until(() => liveGroupMembers(child.pid).length >= 2, 3000), 'grandchild did not start');
    const members = liveGroupMembers(child.pid);
    const grandchildren = childrenWithChildren(processTable(), child.pid).map((c) => c.pid);
    assert.ok(grandchildren.length >= 1);
    const started = Date.now();
    await sup.stopAll();
    const elapsed = Date.now() - started;
    for (const pid of members) assert.equal(running(pid), false, `pid ${pid} survived`);
    assert.deepEqual(liveGroupMembers(child.pid), []);
    assert.ok(elapsed < 9000, `stopAll took ${elapsed} ms: SIGTERM should have been enough`);
    assert.equal((await child.exited).signal, 'SIGTERM');
  });

  test(
    'a SIGSTOPped group (what the rate limiter does to rsync) ' + 'still acts on SIGTERM: stop sends SIGCONT after it',
    async () => {
      const sup = new Supervisor();
      const child = sup.spawn({ name: 'paused', command: 'sh', args: ['-c', 'trap "exit 5" TERM; sleep 30 & wait'] });
      try {
        assert.ok(await until(() => liveGroupMembers(child.pid).length >= 2, 30_000), 'sleep did not start');
        process.kill(-child.pid, 'SIGSTOP');
        assert.ok(
          await until(() => stat(child.pid)?.[0] === 'T', 10_000),
          `sh was not stopped: ${JSON.stringify(stat(child.pid)?.slice(0, 3))}, group ` +
            `${JSON.stringify(liveGroupMembers(child.pid).map((p) => stat(p)?.[0]))}`,
        );
        await sup.stop(child);
        // The shell's trap ran: TERM was acted on, not left pending until the SIGKILL 5 s later (which
        // would end it by signal). The exit says so whatever the machine's speed; a duration would not.
        assert.deepEqual(await child.exited, { code: 5, signal: null });
      } finally {
        await sup.stopAll();
      }
    },
  );

  test('stop(child) ends only that child’s group', async () => {
    const sup = new Supervisor();
    const a = sup.spawn({ name: 'a', command: 'sleep', args: ['30'] });
    const b = sup.spawn({ name: 'b', command: 'sleep', args: ['30'] });
    try {
      await sup.stop(a);
      await a.exited;
      assert.equal(running(a.pid), false);
      assert.equal(running(b.pid), true);
    } finally {
      await sup.stopAll();
    }
    assert.equal(running(b.pid), false);
  });

  test('stopping a child that already exited returns at once', async () => {
    const sup = new Supervisor();
    const child = sup.spawn({ name: 'quick', command: 'true', args: [] });
    await child.exited;
    const t = Date.now();
    await sup.stop(child);
    await sup.stopAll();
    assert.ok(Date.now() - t < 3000);
  });

  test('killAllNow SIGKILLs every group synchronously', async () => {
    const sup = new Supervisor();
    const child = sup.spawn({ name: 'k', command: 'sh', args: ['-c', 'trap "" TERM; sleep 30 & wait'] });
    assert.ok(await until(() => liveGroupMembers(child.pid).length >= 2, 3000));
    const members = liveGroupMembers(child.pid);
    sup.killAllNow();
    assert.equal((await child.exited).signal, 'SIGKILL');
    assert.ok(await until(() => members.every((p) => !running(p)), 3000));
  });

  test('a group ignoring SIGTERM gets SIGKILL after the 5 s grace (fixture; slow by design)', {
    timeout: 30_000,
  }, async () => {
    const r = await runFixture('supervisor-fixture.js', 'supervisor', ['term-ignored']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      elapsedMs: number;
      liveMembers: number[];
      exit: { signal: string | null };
    };
    assert.deepEqual(result.liveMembers, []);
    assert.equal(result.exit.signal, 'SIGKILL');
    assert.ok(result.elapsedMs >= 4_900, `SIGKILL came after ${result.elapsedMs} ms`);
    assert.ok(result.elapsedMs < 11_000, `stopAll took ${result.elapsedMs} ms`);
    assert.match(r.stderr, /WSREP_SST: \[WARNING\] process group \d+ ignored SIGTERM for 5 s; sending SIGKILL/);
  });
});

/** Lifecycle hooks this process's signals and exit; its disposer removes them after each test. */
async function withLifecycle(fn: (life: Lifecycle) => Promise<void>): Promise<void> {
  const life = new Lifecycle();
  try {
    await fn(life);
  } finally {
    await life.shutdown();
    life.dispose();
  }
}

describe('Lifecycle', () => {
  test('race resolves with the promise’s value when nothing aborts', async () => {
    await withLifecycle(async (life) => {
      assert.equal(await life.race(Promise.resolve(42)), 42);
    });
  });

  test('race passes the promise’s own rejection through', async () => {
    await withLifecycle(async (life) => {
      await assert.rejects(life.race(Promise.reject(new Error('own'))), /own/);
    });
  });

  test('race rejects with the abort error while the promise is pending', async () => {
    await withLifecycle(async (life) => {
      const pending = life.race(new Promise<never>(() => undefined));
      setTimeout(() => life.abort(new SstError(32, 'stop now')), 20);
      await assert.rejects(pending, (e: unknown) => e instanceof SstError && e.code === 32 && e.message === 'stop now');
      assert.equal(life.aborted?.code, 32);
    });
  });

  test('race after an abort rejects at once; the first abort wins', async () => {
    await withLifecycle(async (life) => {
      life.abort(new SstError(3, 'first'));
      life.abort(new SstError(32, 'second'));
      await assert.rejects(
        life.race(Promise.resolve(1)),
        (e: unknown) => e instanceof SstError && e.message === 'first',
      );
    });
  });

  test('sleep waits, and rejects when aborted', async () => {
    await withLifecycle(async (life) => {
      const t = Date.now();
      await life.sleep(50);
      assert.ok(Date.now() - t >= 45);
      const long = life.sleep(60_000);
      setTimeout(() => life.abort(new SstError(3, 'signal')), 20);
      await assert.rejects(long, (e: unknown) => e instanceof SstError && e.code === 3);
    });
  });

  test(
    'shutdown stops children first, then runs cleanups newest first; ' + 'a failing cleanup does not stop the rest',
    async () => {
      const order: string[] = [];
      let childAliveDuringCleanup: boolean | undefined;
      await withLifecycle(async (life) => {
        const child = life.supervisor.spawn({ name: 's', command: 'sleep', args: ['30'] });
        life.onCleanup(() => {
          order.push('first registered');
        });
        life.onCleanup(() => {
          order.push('failing');
          throw new Error('cleanup boom');
        });
        life.onCleanup(async () => {
          childAliveDuringCleanup = running(child.pid);
          await new Promise((r) => setTimeout(r, 10));
          order.push('last registered');
        });
        await life.shutdown();
      });
      assert.deepEqual(order, ['last registered', 'failing', 'first registered']);
      assert.equal(childAliveDuringCleanup, false);
    },
  );

  test('isProcessAlive: us yes, PID 1 yes, a reaped child no', async () => {
    assert.equal(isProcessAlive(process.pid), true);
    assert.equal(isProcessAlive(1), true);
    const child = spawn('true');
    await new Promise<void>((r) => child.once('exit', () => r()));
    assert.ok(child.pid);
    assert.equal(isProcessAlive(child.pid), false);
  });

  test(
    'watchParent notices a dead parent PID (a real sleep standing in for mariadbd) within 1 s and aborts with ' +
      '32 and the upstream message',
    async () => {
      await withLifecycle(async (life) => {
        const standInParent = spawn('sleep', ['30'], { stdio: 'ignore' });
        const pid = standInParent.pid;
        assert.ok(pid);
        life.watchParent(pid);
        const keepAlive = setTimeout(() => undefined, 10_000); // the watch timer is unref'd
        const waiting = life.race(new Promise<never>(() => undefined));
        await new Promise((r) => setTimeout(r, 600));
        assert.equal(life.aborted, undefined, 'aborted while the parent was alive');
        standInParent.kill('SIGKILL');
        await new Promise<void>((r) => standInParent.once('exit', () => r()));
        const died = Date.now();
        await assert.rejects(waiting, (e: unknown) => {
          assert.ok(e instanceof SstError);
          assert.equal(e.code, 32);
          assert.equal(e.message, `Parent mysqld process (PID: ${pid}) terminated unexpectedly.`);
          return true;
        });
        const detectedAfter = Date.now() - died;
        clearTimeout(keepAlive);
        assert.ok(detectedAfter <= 1000, `detected after ${detectedAfter} ms`);
      });
    },
  );
});

describe('signals to a process using Lifecycle (fixture process)', () => {
  const cases: [NodeJS.Signals, number][] = [
    ['SIGTERM', 3],
    ['SIGINT', 3],
    ['SIGQUIT', 3],
    ['SIGHUP', 32],
    ['SIGPIPE', 32],
  ];
  for (const [signal, code] of cases) {
    test(`${signal} → abort with ${code}, children stopped, cleanups run`, async () => {
      let sleeper = 0;
      const r = await runFixture('lifecycle-fixture.js', 'lifecycle', [], (line, child) => {
        const msg = JSON.parse(line) as { ready?: boolean; sleeper?: number };
        if (msg.ready) {
          sleeper = msg.sleeper ?? 0;
          child.kill(signal);
        }
      });
      assert.equal(r.code, code, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      const result = JSON.parse(lines[1] ?? '') as {
        code: number;
        message: string;
        sleeperAlive: boolean;
        cleanupRan: boolean;
      };
      assert.equal(result.code, code);
      assert.equal(result.message, `Received ${signal}: aborting the SST.`);
      assert.equal(result.sleeperAlive, false);
      assert.equal(result.cleanupRan, true);
      assert.ok(sleeper > 0);
      assert.equal(running(sleeper), false);
    });
  }

  test(
    'parent death (watchParent in the fixture; ' + 'a real sleep stands in for mariadbd) → exit 32, sleeper stopped',
    async () => {
      const standInParent = spawn('sleep', ['30'], { stdio: 'ignore' });
      assert.ok(standInParent.pid);
      const r = await runFixture('lifecycle-fixture.js', 'lifecycle', [String(standInParent.pid)], (line) => {
        const msg = JSON.parse(line) as { ready?: boolean };
        if (msg.ready) standInParent.kill('SIGKILL');
      });
      assert.equal(r.code, 32, r.stderr);
      const result = JSON.parse(r.stdout.trim().split('\n')[1] ?? '') as { message: string; sleeperAlive: boolean };
      assert.equal(result.message, `Parent mysqld process (PID: ${standInParent.pid}) terminated unexpectedly.`);
      assert.equal(result.sleeperAlive, false);
    },
  );
});
