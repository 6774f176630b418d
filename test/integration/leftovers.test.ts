/**
 * No leftover can block the next SST: a joiner SIGKILLed together with its guard leaves its socat
 * listener running (still accepting the old secret) and its private directory with that secret.
 * The next SST on the node stops that orphan and goes on, whether it finds it by its pid file or,
 * with the datadir wiped, as the holder of the SST port. Real program, socat and rsync.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { joinerArgv, runSst, startRole, STATE_UUID, type NodeSide } from '../helpers/driver';
import { createCa, issueCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, listenersOf, taggedProcesses, waitNoTagged } from '../helpers/procs';

const JOINER_IP = '127.0.0.2';
let root: string;
let pki: Pki;
let tag = '';

before(() => {
  root = mkdtempSync(join(tmpdir(), 'sst-leftovers-'));
  pki = createCa(join(root, 'pki'));
});
after(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => killTagged(tag));

function side(dir: string, cn: string): NodeSide {
  mkdirSync(dir, { recursive: true });
  const cert = issueCert(pki, { cn, ips: [cn], name: `${tag}-${cn}` });
  const cnf = join(dir, 'my.cnf');
  writeFileSync(cnf, `[mysqld]\n\n[sst]\ntca=${pki.caCert}\ntcert=${cert.bundle}\n`);
  return { datadir: join(dir, 'data'), cnf, env: { SST_TEST_TAG: tag } };
}

const privateDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('wsrep_sst_rsync_tunnel.')).sort();

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
  if (wipe) rmSync(joiner.datadir, { recursive: true, force: true });
  const t0 = Date.now();
  const r = await runSst({ joiner, donor, address });
  const detail = `joiner:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}`;
  assert.equal(r.joinerCode, 0, detail);
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
  assert.ok(Date.now() - t0 < 25_000, `took ${Date.now() - t0} ms: no 30 s wait for an orphan`);
  assert.match(r.joiner.stderr(), new RegExp(`\\[WARNING\\] stopped the socat listener \\(PID: ${orphan.pid}\\) of an SST whose program is gone, and removed /`), detail);
  for (const dir of orphan.dirs) assert.equal(existsSync(join(tmpdir(), dir)), false, `${dir} removed`);
  const copied = (rel: string): boolean => !STAYS_HOME.test(rel);
  assert.deepEqual(treeDigest(joiner.datadir, copied), treeDigest(donor.datadir, copied));
  assert.deepEqual(await waitNoTagged(tag, 15_000), []);
}

describe('an orphan listener of a killed SST', () => {
  test('found by its pid file: stopped, its secret removed, the next SST goes on at once', () => goodSstAfterOrphan(false));
  test('with the datadir wiped, found as the holder of the SST port: stopped, the next SST goes on', () => goodSstAfterOrphan(true));
});
