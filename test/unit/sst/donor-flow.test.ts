/**
 * The donor's whole flow (sst/donor.ts) run in-process: every rsync is a fake child, its signals,
 * kill(2) and clock are fakes (test/unit/fixtures/fake-host.ts), and the test plays mariadbd by
 * writing tables_flushed when told `flush tables` (docs/protocol.md §3.1). The real thing, with
 * socat and rsync, is test/integration/sst.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { SstError } from '../../../src/errors';
import { parseDonorAddress } from '../../../src/net/address';
import { FILES, MARKER, MODULE } from '../../../src/rsync/modules';
import { runDonor, type DonorRun } from '../../../src/sst/donor';
import type { FakeChild } from '../fixtures/fake-child';
import { preparedFor, RoleScene, sstArgs, STATE, until, type ChildScript } from '../fixtures/role-run';

const PARENT = 4242;
const SECRET = '0123456789abcdef0123456789abcdef';
const scenes: RoleScene[] = [];
afterEach(async () => {
  for (const scene of scenes.splice(0)) await scene.end();
});

/** Pass 1 sends no content (`--max-size=0`); the queue's passes do. */
const isStructure = (child: FakeChild): boolean => child.args.includes('--max-size=0');
const succeed: ChildScript = (child) => child.finish(0);

/**
 * A donor over a datadir with one database; mariadbd answers `flush tables` unless `flushes` is
 * false. `script` plays each rsync.
 */
function donor(
  script: ChildScript,
  options: { flushes?: boolean; idleTimeout?: number; precopy?: 'on' } = {},
): { scene: RoleScene; run: DonorRun } {
  const scene = new RoleScene(script);
  scenes.push(scene);
  mkdirSync(join(scene.datadir, 'shop'));
  writeFileSync(join(scene.datadir, 'shop', 'orders.ibd'), 'x'.repeat(4096));
  const args = sstArgs('donor', `127.0.0.1:4444/${MODULE}`, scene.datadir);
  const run: DonorRun = {
    args,
    target: parseDonorAddress(args.address),
    prepared: {
      ...preparedFor(scene.datadir, { initial: 0, idle: options.idleTimeout ?? 0 }),
      precopy: { mode: options.precopy ?? 'off', rounds: 2 },
    },
    parent: PARENT,
    life: scene.life,
    work: scene.work,
    protocol: (line) => {
      scene.lines.push(line);
      if (line === 'flush tables' && options.flushes !== false)
        writeFileSync(join(scene.datadir, FILES.tablesFlushed), `${STATE}\n`);
    },
    stdinAuth: Promise.resolve(new Map()),
    env: { PATH: '/usr/bin:/bin', WSREP_SST_OPT_REMOTE_AUTH: `joiner:${SECRET}` },
  };
  return { scene, run };
}

const failsWith = (code: number, message: RegExp) => (e: unknown) =>
  e instanceof SstError && e.code === code && message.test(e.message);

describe('donor flow in-process (fake child)', () => {
  test('happy path: flush tables, pass 1, the queue, continue, the marker pass, done (fake child)', async () => {
    const { scene, run } = donor(succeed);
    await runDonor(run);
    assert.deepEqual(scene.lines, ['flush tables', 'continue', `done ${STATE}`]);
    const rsyncs = scene.fake.children;
    assert.ok(rsyncs.length >= 3, `pass 1, at least one queued pass and the marker (${rsyncs.length})`);
    for (const child of rsyncs) {
      assert.equal(child.command, '/usr/bin/rsync');
      assert.equal(child.args[0], `--password-file=${join(scene.work, 'rsync.password')}`);
      assert.equal(child.options.cwd, scene.datadir);
      assert.ok(child.options.env?.RSYNC_CONNECT_PROG?.includes('WSREP_SST_TUNNEL_SOCAT'));
      assert.equal(child.options.env?.WSREP_SST_OPT_REMOTE_AUTH, undefined, "mariadbd's secret stays with us");
    }
    assert.ok(isStructure(rsyncs[0] as FakeChild), 'pass 1 first');
    assert.ok((rsyncs.at(-1) as FakeChild).args.includes(join(scene.work, MARKER)), 'the marker last');
    assert.equal(readFileSync(join(scene.work, MARKER), 'utf8'), `${STATE}\nsecret ${SECRET}\n`);
    assert.equal(readFileSync(join(scene.work, 'rsync.password'), 'utf8'), `${SECRET}\n`);
    assert.equal(existsSync(join(scene.datadir, FILES.tablesFlushed)), false, 'tables_flushed consumed');
  });

  test(
    "a failed pass: the error names it with rsync's code, the " +
      'tables are never released, no marker sent (fake child)',
    async () => {
      const { scene, run } = donor((child) => {
        if (isStructure(child)) return child.finish(0);
        child.stderr?.write('rsync: [sender] read errors mapping "/data/shop/orders.ibd": Input/output error (5)\n');
        child.finish(23);
      });
      await assert.rejects(
        runDonor(run),
        failsWith(255, / failed, rsync returned code 23: rsync: \[sender\] read errors mapping/),
      );
      assert.deepEqual(scene.lines, ['flush tables']);
      assert.equal(existsSync(join(scene.work, MARKER)), false);
    },
  );

  test('parent death: mariadbd gone while the donor waits for the flush: 32 (fake child)', async () => {
    const { scene, run } = donor(succeed, { flushes: false });
    const done = runDonor(run);
    done.catch(() => undefined);
    await until(() => scene.lines.length === 1, 'flush tables');
    scene.host.gone.add(PARENT);
    await assert.rejects(done, failsWith(32, /^Parent mysqld process \(PID: 4242\) terminated unexpectedly\.$/));
    assert.deepEqual(scene.lines, ['flush tables']);
    assert.equal(scene.fake.children.length, 0, 'no rsync started');
  });

  test(
    'timeout: no byte sent for sst-idle-timeout on the clock given: ' + '110, the streams stopped (fake child)',
    async () => {
      const { scene, run } = donor(
        (child) => {
          if (isStructure(child)) child.finish(0);
        },
        { idleTimeout: 5 },
      );
      const done = runDonor(run);
      done.catch(() => undefined);
      await until(() => scene.fake.children.some((c) => !isStructure(c)), 'a queued pass');
      scene.clock.advance(5_000);
      await assert.rejects(done, failsWith(110, /^no data sent to the joiner for 5 s \(sst-idle-timeout=5\)/));
      assert.deepEqual(scene.lines, ['flush tables']);
      const queued = scene.fake.children.filter((c) => !isStructure(c));
      for (const child of queued)
        assert.deepEqual(scene.fake.signalsTo(child.pid as number).slice(0, 1), ['SIGTERM'], 'each stream stopped');
    },
  );
});

describe('donor flow in-process with precopy, the default (fake child)', () => {
  test('round 1 before flush tables, the catch-up under the lock, continue, marker, done (fake child)', async () => {
    const linesAtSpawn: number[] = [];
    const { scene, run } = donor(
      (child) => {
        linesAtSpawn.push(scene.lines.length);
        child.finish(0);
      },
      { precopy: 'on' },
    );
    await runDonor(run);
    assert.deepEqual(scene.lines, ['flush tables', 'continue', `done ${STATE}`]);
    const online = linesAtSpawn.filter((n) => n === 0).length;
    const locked = linesAtSpawn.filter((n) => n === 1).length;
    assert.ok(online >= 2, `round 1's structure pass and a queued pass before the lock (${linesAtSpawn.join(' ')})`);
    assert.ok(locked >= 2, `the catch-up's structure pass and engine files under the lock (${linesAtSpawn.join(' ')})`);
    assert.deepEqual(linesAtSpawn.slice(-1), [2], 'the marker after continue');
    assert.ok((scene.fake.children.at(-1) as FakeChild).args.includes(join(scene.work, MARKER)), 'the marker last');
  });

  test("rsync's 24 (a file vanished) in an online round is normal there (fake child)", async () => {
    const { scene, run } = donor((child) => child.finish(scene.lines.length === 0 ? 24 : 0), { precopy: 'on' });
    await runDonor(run);
    assert.deepEqual(scene.lines, ['flush tables', 'continue', `done ${STATE}`]);
  });

  test("rsync's 24 under the lock fails the SST: no continue, no marker (fake child)", async () => {
    const { scene, run } = donor((child) => child.finish(scene.lines.length === 1 && !isStructure(child) ? 24 : 0), {
      precopy: 'on',
    });
    await assert.rejects(runDonor(run), failsWith(255, /rsync returned code 24/));
    assert.deepEqual(scene.lines, ['flush tables']);
    assert.equal(existsSync(join(scene.work, MARKER)), false);
  });
});
