/** The donor's rsync runner and work queue driven in-process with fake children (no rsync runs). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SstError } from '../../../src/errors';
import { Lifecycle } from '../../../src/proc/lifecycle';
import type { Pass } from '../../../src/rsync/plan';
import { rsyncRunner } from '../../../src/sst/rsync-runner';
import { runQueue, TransferState } from '../../../src/sst/transfer-queue';
import { FakeProcesses, type FakeChild } from '../fixtures/fake-child';

const dir = mkdtempSync(join(tmpdir(), 'sst-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(): { fake: FakeProcesses; runner: ReturnType<typeof rsyncRunner>; life: Lifecycle } {
  const fake = new FakeProcesses();
  const life = new Lifecycle({ spawn: fake.spawn, groups: fake.groups });
  return {
    fake,
    life,
    runner: rsyncRunner(life, '/usr/bin/rsync', { PATH: '/usr/bin' }, '/data', '/work/rsync.password'),
  };
}

const batch = (n: number, entries: string[]): Pass => ({
  name: `files ${n}/3 (${entries.length} files, 0.0 MiB)`,
  first: false,
  bytes: 10 * n,
  list: { file: join(dir, `files.${n}`), entries },
  args: ['--quiet', `--files-from=${join(dir, `files.${n}`)}`, '--from0', '/data/', 'rsync://sst@joiner:4444/m/'],
});

describe('rsync runner (fake children)', () => {
  test(
    'one pass: its list written NUL-separated, ' + 'rsync started with the password file, the pid handed out',
    async () => {
      const { fake, runner } = setup();
      const pids: number[] = [];
      const done = runner.run(batch(1, ['shop/orders.ibd', 'with space/t 1.ibd', '-dash/x']), (pid) => pids.push(pid));
      await tick();
      const [child] = fake.children as [FakeChild];
      assert.equal(child.command, '/usr/bin/rsync');
      assert.deepEqual(child.args.slice(0, 2), ['--password-file=/work/rsync.password', '--quiet']);
      assert.equal(child.options.cwd, '/data');
      assert.deepEqual(pids, [child.pid]);
      assert.equal(readFileSync(join(dir, 'files.1'), 'utf8'), 'shop/orders.ibd\0with space/t 1.ibd\0-dash/x\0');
      child.finish(0);
      await done;
    },
  );

  test("a failed pass: the error names it, with rsync's code and its last stderr line", async () => {
    const { fake, runner } = setup();
    const done = runner.run(batch(2, ['a']));
    await tick();
    const [child] = fake.children as [FakeChild];
    child.stderr?.write('rsync: [receiver] mkstemp "a" failed: Permission denied (13)\n');
    child.finish(23);
    await assert.rejects(
      done,
      (e: unknown) =>
        e instanceof SstError &&
        e.code === 255 &&
        /^files 2\/3 .* failed, rsync returned code 23: rsync: \[receiver\] mkstemp/.test(e.message),
    );
  });

  test(
    'the queue over the runner: two streams, ' + 'the third pass starts when one ends, a failure stops the other',
    async () => {
      const { fake, runner, life } = setup();
      const state = new TransferState();
      const done = runQueue([batch(3, ['c']), batch(2, ['b']), batch(1, ['a'])], 2, runner, state, () =>
        life.supervisor.stopAll(),
      );
      await tick();
      assert.equal(fake.children.length, 2);
      const [first, second] = fake.children as [FakeChild, FakeChild];
      second.finish(0);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(fake.children.length, 3, 'the next pass took the free stream');
      const third = fake.children[2] as FakeChild;
      third.finish(12);
      await assert.rejects(done, /files 1\/3 .* failed, rsync returned code 12/);
      assert.deepEqual(fake.signalsTo(first.pid as number).slice(0, 1), ['SIGTERM'], 'the other stream was stopped');
      assert.equal(state.running.size, 0);
    },
  );
});
