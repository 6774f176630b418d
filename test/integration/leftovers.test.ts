/**
 * No leftover can block the next SST: a joiner SIGKILLed together with its guard leaves its socat
 * listener running (still accepting the old secret) and its private directory with that secret.
 * The next SST on the node stops that orphan and goes on, whether it finds it by its pid file or,
 * with the datadir wiped, as the holder of the SST port. And nothing that only looks like a
 * leftover makes it stop, remove or wait: not another local user's process carrying our owner
 * tag and naming a running SST's private directory, not a pid file naming PID 1. Real program,
 * socat and rsync; each test's SSTs share a TMPDIR of their own, so their private directories
 * can be counted while other tests run.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { OWNER_ENV, startTimeOf } from '../../src/proc/identity';
import { findOnPath } from '../helpers/binary';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { joinerArgv, runSst, startRole, STATE_UUID, type NodeSide } from '../helpers/driver';
import { otherLocalUser } from '../helpers/local-user';
import { createCa, issueCert, type Pki } from '../helpers/pki';
import { toolSkip } from '../helpers/tool-skip';
import { freePort, killTagged, listenersOf, taggedProcesses, waitNoTagged } from '../helpers/procs';
import { sstTls, writeOptionFile } from '../helpers/option-file';

const JOINER_IP = '127.0.0.2';
let root: string;
let pki: Pki;
let tag = '';

before(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'sst-leftovers-'));
  pki = createCa(join(root, 'pki'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => killTagged(tag));

/** The TMPDIR of this test's SSTs. */
const testTmp = (): string => join(root, tag, 'tmp');

function side(dir: string, cn: string): NodeSide {
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(testTmp(), { recursive: true });
  const cert = issueCert(pki, { cn, ips: [cn], name: `${tag}-${cn}` });
  const cnf = writeOptionFile(dir, sstTls(pki, cert));
  return { datadir: join(dir, 'data'), cnf, env: { SST_TEST_TAG: tag, TMPDIR: testTmp() } };
}

const privateDirs = (): string[] =>
  fs
    .readdirSync(testTmp())
    .filter((n) => n.startsWith('wsrep_sst_rsync_tunnel.'))
    .sort();

/** A joiner that says ready, then dies with its guard by SIGKILL: its listener is left behind. */
async function orphanListener(joiner: NodeSide, address: string): Promise<{ pid: number; dirs: string[] }> {
  const before = privateDirs();
  const j = startRole(joinerArgv(joiner, address, process.pid), joiner.env);
  assert.match((await j.nextLine()) ?? '', /^ready /, j.stderr());
  const guard = taggedProcesses(tag).find((p) => p.cmdline.includes('__guard'));
  assert.ok(guard, `no guard among ${JSON.stringify(taggedProcesses(tag))}`);
  process.kill(guard.pid, 'SIGKILL');
  j.child.kill('SIGKILL');
  await j.exit;
  const listener = listenersOf(tag).find((l) => /socat/.test(l.exe));
  assert.ok(listener, 'the listener outlived its program');
  return { pid: listener.pid, dirs: privateDirs().filter((d) => !before.includes(d)) };
}

async function goodSstAfterOrphan(wipe: boolean): Promise<void> {
  tag = `leftover-${randomBytes(4).toString('hex')}`;
  const base = join(root, tag);
  const joiner = side(join(base, 'joiner'), JOINER_IP);
  const donor = side(join(base, 'donor'), '127.0.0.3');
  makeDatadir(donor.datadir);
  const port = await freePort(JOINER_IP);
  const address = `${JOINER_IP}:${port}`;
  const orphan = await orphanListener(joiner, address);
  assert.equal(orphan.dirs.length, 1, 'the orphan kept its private directory (with the secret)');
  if (wipe) fs.rmSync(joiner.datadir, { recursive: true, force: true });
  const t0 = Date.now();
  const r = await runSst({ joiner, donor, address });
  const detail = `joiner:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}`;
  assert.equal(r.joinerCode, 0, detail);
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
  assert.ok(Date.now() - t0 < 25_000, `took ${Date.now() - t0} ms: no 30 s wait for an orphan`);
  assert.match(
    r.joiner.stderr(),
    new RegExp(
      `\\[WARNING\\] stopped the socat listener \\(PID: ` +
        `${orphan.pid}\\) of an SST whose program is gone, and removed /`,
    ),
    detail,
  );
  for (const dir of orphan.dirs) assert.equal(fs.existsSync(join(testTmp(), dir)), false, `${dir} removed`);
  const copied = (rel: string): boolean => !STAYS_HOME.test(rel);
  assert.deepEqual(treeDigest(joiner.datadir, copied), treeDigest(donor.datadir, copied));
  assert.deepEqual(await waitNoTagged(tag, 15_000), []);
}

describe('an orphan listener of a killed SST', () => {
  test('found by its pid file: stopped, its secret removed, the next SST goes on at once', () =>
    goodSstAfterOrphan(false));
  test('with the datadir wiped, found as the holder of the SST port: stopped, the next SST goes on', () =>
    goodSstAfterOrphan(true));
});

const OTHER = otherLocalUser();
const SOCAT = findOnPath('socat');
const LOOK_ALIKE = "another local user's look-alike listener";
if (typeof OTHER === 'string') console.log(`SKIP ${LOOK_ALIKE}: ${OTHER}`);
const SKIP_OTHER = typeof OTHER === 'string' ? OTHER : toolSkip(LOOK_ALIKE, SOCAT === undefined && 'no socat on PATH');

/**
 * What a local user can start: the real socat, as that user, with our joiners' exact argv (its
 * own certificate, readable by it) naming `victimDir` for its rsync daemon, and our owner tag
 * naming a program that is not running, as an orphan's would.
 */
function lookAlikeListener(port: number, victimDir: string): ChildProcess {
  if (typeof OTHER === 'string' || SOCAT === undefined) throw new Error('skipped');
  const own = fs.mkdtempSync(join(tmpdir(), 'sst-other-'));
  fs.chmodSync(own, 0o755);
  const cert = join(own, 'cert.pem');
  fs.copyFileSync(issueCert(pki, { cn: 'other', name: `${tag}-other` }).bundle, cert);
  fs.chmodSync(cert, 0o644);
  const args = [
    '-b',
    '1048576',
    `OPENSSL-LISTEN:${port},bind=${JOINER_IP},reuseaddr,fork,cert=${cert},verify=0`,
    `EXEC:/usr/bin/rsync\\ --server\\ --daemon\\ --config=${victimDir}/rsyncd.conf\\ .`,
  ];
  const child = spawn(SOCAT, args, {
    uid: OTHER.uid,
    gid: OTHER.gid,
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH, SST_TEST_TAG: tag, [OWNER_ENV]: `${process.pid} 1` },
  });
  child.once('exit', () => fs.rmSync(own, { recursive: true, force: true }));
  return child;
}

async function listening(pid: number | undefined, port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!listenersOf(tag).some((l) => l.pid === pid && l.port === port)) {
    if (Date.now() > deadline) assert.fail(`the look-alike listener (PID ${pid}) did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * A root joiner A is ready (its secret in its private directory); another user's look-alike
 * listener names A's directory; a second root joiner B meets it, through `meet`. B must neither
 * stop the look-alike nor remove A's directory, and A's SST must still complete.
 */
async function lookAlikeSpared(
  meet: (lookAlike: ChildProcess, port: number, b: NodeSide) => Promise<void>,
): Promise<void> {
  tag = `lookalike-${randomBytes(4).toString('hex')}`;
  const base = join(root, tag);
  const a = side(join(base, 'a'), JOINER_IP);
  const b = side(join(base, 'b'), JOINER_IP);
  const donor = side(join(base, 'donor'), '127.0.0.3');
  makeDatadir(donor.datadir);
  const address = `${JOINER_IP}:${await freePort(JOINER_IP)}`;
  let lookAlike: ChildProcess | undefined;
  const r = await runSst({
    joiner: a,
    donor,
    address,
    onReady: async () => {
      const dirs = privateDirs();
      assert.equal(dirs.length, 1, `A's private directory: ${dirs.join(', ')}`);
      const victim = join(testTmp(), dirs[0] ?? '');
      const port = await freePort(JOINER_IP);
      lookAlike = lookAlikeListener(port, victim);
      await listening(lookAlike.pid, port);
      await meet(lookAlike, port, b);
      assert.ok(alive(lookAlike), "B stopped another user's process");
      assert.ok(fs.existsSync(join(victim, 'rsyncd.secrets')), "B removed A's private directory");
    },
  });
  if (lookAlike?.pid !== undefined && alive(lookAlike)) process.kill(lookAlike.pid, 'SIGKILL');
  const detail = `A:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}`;
  assert.equal(r.joinerCode, 0, detail);
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
}

describe("another local user's process that looks like an orphan listener of ours", { skip: SKIP_OTHER }, () => {
  test(
    'holding the SST port: the root joiner leaves it alone ' +
      'and exits 16; the SST whose directory it names completes',
    () =>
      lookAlikeSpared(async (lookAlike, port, b) => {
        const j = startRole(joinerArgv(b, `${JOINER_IP}:${port}`, process.pid), b.env);
        const line = await j.nextLine(60_000);
        if (line !== undefined) j.child.kill('SIGTERM');
        const code = await j.exit;
        assert.equal(line, undefined, j.stderr());
        assert.equal(code, 16, j.stderr());
        assert.match(
          j.stderr(),
          new RegExp(`socat daemon port '${port}' has been taken by another program \\(PID: ${lookAlike.pid}`),
          j.stderr(),
        );
      }),
  );

  test("named by the datadir's listener pid file: the root joiner warns, leaves it alone and goes on", () =>
    lookAlikeSpared(async (lookAlike, _port, b) => {
      fs.mkdirSync(b.datadir, { recursive: true });
      fs.writeFileSync(join(b.datadir, 'rsync_tunnel_sst-socat.pid'), `${lookAlike.pid}\n`);
      const j = startRole(joinerArgv(b, `${JOINER_IP}:${await freePort(JOINER_IP)}`, process.pid), b.env);
      const line = await j.nextLine(60_000);
      j.child.kill('SIGTERM');
      await j.exit;
      assert.match(line ?? '', /^ready /, j.stderr());
      assert.match(
        j.stderr(),
        new RegExp(
          `\\[WARNING\\] \\S+rsync_tunnel_sst-socat\\.pid names PID ${lookAlike.pid}, which is not a socat ` +
            `listener of ours: ignored`,
        ),
        j.stderr(),
      );
    }));
});

describe('a wsrep_sst.pid that names somebody else', () => {
  test('PID 1 with its real start time: a WARNING, no wait, the joiner goes on', async () => {
    tag = `pid1-${randomBytes(4).toString('hex')}`;
    const joiner = side(join(root, tag, 'joiner'), JOINER_IP);
    fs.mkdirSync(joiner.datadir, { recursive: true });
    const start = startTimeOf(fs.readFileSync('/proc/1/stat', 'latin1'));
    assert.ok(start !== undefined, 'the start time of PID 1');
    fs.writeFileSync(join(joiner.datadir, 'wsrep_sst.pid'), `1 ${start}\n`);
    const j = startRole(joinerArgv(joiner, `${JOINER_IP}:${await freePort(JOINER_IP)}`, process.pid), joiner.env);
    const line = await j.nextLine(60_000);
    j.child.kill('SIGTERM');
    const code = await j.exit;
    assert.match(line ?? '', /^ready /, `exit ${code}:\n${j.stderr()}`);
    assert.match(
      j.stderr(),
      /\[WARNING\] \S+wsrep_sst\.pid names PID 1, which is not an SST program of ours/,
      j.stderr(),
    );
    assert.doesNotMatch(j.stderr(), /waiting up to/, j.stderr());
  });
});
