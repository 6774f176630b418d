/**
 * Whoever holds the per-SST secret (a compromised donor, or anyone who read Galera's channel)
 * writes database files and nothing more: the joiner's rsync daemon lets no file content out,
 * takes no device file, setuid/setgid bit or other-write permission, and does not keep root
 * when the datadir has another owner. The attacker here is real rsync through the real tunnel
 * with a CA-signed certificate and the secret from the joiner's `ready` line, between `ready`
 * and the real donor.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { CONNECT_PROG, tunnelEnv } from '../../src/sst/rsync-runner';
import { connectAddress } from '../../src/tunnel/socat-address';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { runSst, type NodeSide } from '../helpers/driver';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, waitNoTagged } from '../helpers/procs';

const JOINER_IP = '127.0.0.2';
const asRoot = process.geteuid?.() === 0;
const skip = !asRoot && 'needs root: the daemon user and device files are what is tested';

let root: string;
let pki: Pki;
let joinerCert: NodeCert;
let donorCert: NodeCert;
let tag = '';
let nobody = { uid: 65534, gid: 65534 };

before(() => {
  root = mkdtempSync(join(tmpdir(), 'sst-holder-'));
  chmodSync(root, 0o755);
  pki = createCa(join(root, 'pki'));
  joinerCert = issueCert(pki, { cn: JOINER_IP, ips: [JOINER_IP], name: 'joiner' });
  donorCert = issueCert(pki, { cn: '127.0.0.3', ips: ['127.0.0.3'], name: 'donor' });
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  nobody = { uid: id('-u'), gid: id('-g') };
});
after(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => killTagged(tag));

function side(dir: string, cert: NodeCert): NodeSide {
  mkdirSync(dir, { recursive: true });
  const cnf = join(dir, 'my.cnf');
  writeFileSync(cnf, `[mysqld]\n\n[sst]\ntca=${pki.caCert}\ntcert=${cert.bundle}\n`);
  return { datadir: join(dir, 'data'), cnf, env: { SST_TEST_TAG: tag } };
}

/** What a secret holder sends: a device, a setuid file, world-writable modes. */
function hostileTree(dir: string): void {
  mkdirSync(join(dir, 'evil_db'), { recursive: true });
  assert.equal(spawnSync('mknod', [join(dir, 'evil_db', 'kmem'), 'c', '1', '2']).status, 0);
  assert.equal(spawnSync('mknod', [join(dir, 'sda'), 'b', '8', '0']).status, 0);
  writeFileSync(join(dir, 'evil_db', 'suid'), '#!/bin/sh\n');
  chmodSync(join(dir, 'evil_db', 'suid'), 0o6777);
  chmodSync(join(dir, 'evil_db'), 0o777);
  chmodSync(dir, 0o777);
}

/** rsync through the tunnel as a CA-signed peer holding the secret. */
function attacker(address: string, secret: string, args: string[]): { status: number | null; stderr: string } {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1).split('/')[0])];
  const tls = { cert: donorCert.bundle, caFile: pki.caCert, verify: true };
  const env = tunnelEnv(process.env, 'socat', connectAddress({ host, port, ipv6: false, tls, sockopt: [] }));
  const passwordFile = join(root, `${tag}.password`);
  writeFileSync(passwordFile, `${secret}\n`, { mode: 0o600 });
  const r = spawnSync('rsync', [`--password-file=${passwordFile}`, ...args.map((a) => a.replace('TARGET', `rsync://sst@${host}:${port}`))], {
    encoding: 'utf8',
    env: { ...env, RSYNC_CONNECT_PROG: CONNECT_PROG, SST_TEST_TAG: tag },
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr };
}

interface Attack {
  pushed: { status: number | null; stderr: string };
  read: { status: number | null; stderr: string };
}

/** Pushes the hostile tree and tries to read a file back, between `ready` and the donor. */
async function sstUnderAttack(owner: { uid: number; gid: number }): Promise<{ attack: Attack; r: Awaited<ReturnType<typeof runSst>>; joiner: NodeSide; donor: NodeSide }> {
  tag = `holder-${randomBytes(4).toString('hex')}`;
  const base = join(root, tag);
  const joiner = side(join(base, 'joiner'), joinerCert);
  const donor = side(join(base, 'donor'), donorCert);
  makeDatadir(donor.datadir);
  mkdirSync(joiner.datadir, { recursive: true });
  writeFileSync(join(joiner.datadir, 'private.key'), 'KEEP-ME-SECRET\n');
  chownSync(joiner.datadir, owner.uid, owner.gid);
  const src = join(base, 'hostile');
  hostileTree(src);
  const out = join(base, 'stolen');
  const port = await freePort(JOINER_IP);
  let attack: Attack | undefined;
  const r = await runSst({
    joiner,
    donor,
    address: `${JOINER_IP}:${port}`,
    onReady: async (address, auth) => {
      const secret = (auth ?? '').slice((auth ?? '').indexOf(':') + 1);
      attack = {
        pushed: attacker(address, secret, ['--recursive', '--perms', '--devices', '--specials', '--owner', '--group', `${src}/`, 'TARGET/rsync_tunnel_sst/']),
        read: attacker(address, secret, ['--recursive', 'TARGET/rsync_tunnel_sst/private.key', `${out}/`]),
      };
      assert.equal(existsSync(join(out, 'private.key')), false, 'a file was read back through the daemon');
    },
  });
  assert.ok(attack);
  return { attack, r, joiner, donor };
}

function devicesBelow(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    const st = lstatSync(file);
    if (st.isBlockDevice() || st.isCharacterDevice()) found.push(file);
    else if (st.isDirectory()) found.push(...devicesBelow(file));
  }
  return found;
}

describe('a secret holder writes database files and nothing more', { skip }, () => {
  test('datadir owned by another user: the daemon runs as that user; no device, setuid bit or world-write arrives, nothing is read', async () => {
    const { attack, r, joiner, donor } = await sstUnderAttack(nobody);
    const detail = `joiner:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}\nattack:\n${attack.pushed.stderr}\n${attack.read.stderr}`;
    assert.notEqual(attack.read.status, 0, detail);
    assert.match(r.joiner.stderr(), /socat listener: ERROR: module is write only/, detail);
    // The real donor's SST still completes; the hostile push left no device and no special bit.
    assert.equal(r.donorCode, 0, detail);
    assert.equal(r.joinerCode, 0, detail);
    assert.match(r.joiner.stderr(), /rsync daemon runs as the datadir's owner \(uid 65534/, detail);
    assert.deepEqual(devicesBelow(joiner.datadir), [], detail);
    const suid = join(joiner.datadir, 'evil_db', 'suid');
    if (existsSync(suid)) assert.equal(statSync(suid).mode & 0o6002, 0, 'setuid/setgid/other-write stripped');
    assert.equal(statSync(joiner.datadir).mode & 0o002, 0, 'the datadir is not world-writable');
    assert.equal(statSync(join(joiner.datadir, 'shop', 'orders.ibd')).uid, nobody.uid, 'files belong to the datadir owner');
    const copied = (rel: string): boolean => !STAYS_HOME.test(rel) && rel !== 'private.key' && rel !== 'sda' && !rel.startsWith('evil_db');
    assert.deepEqual(treeDigest(joiner.datadir, copied), treeDigest(donor.datadir, copied));
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
  });

  test('datadir owned by root: root is kept with a WARNING, and a pushed device file fails the SST (32) and is removed', async () => {
    const { attack, r, joiner } = await sstUnderAttack({ uid: 0, gid: 0 });
    const detail = `joiner:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}\nattack:\n${attack.pushed.stderr}`;
    assert.notEqual(attack.read.status, 0, detail);
    assert.match(r.joiner.stderr(), /socat listener: ERROR: module is write only/, detail);
    assert.match(r.joiner.stderr(), /\[WARNING\] the datadir .* is owned by root: the SST's rsync daemon keeps root/, detail);
    assert.equal(r.joinerCode, 32, detail);
    assert.equal(r.joinerFinal, undefined, 'the joiner must not report a state');
    assert.match(r.joiner.stderr(), /\[ERROR\] the donor pushed device files \(removed\): .*(kmem|sda)/, detail);
    assert.deepEqual(devicesBelow(joiner.datadir), [], detail);
    const suid = join(joiner.datadir, 'evil_db', 'suid');
    if (existsSync(suid)) assert.equal(statSync(suid).mode & 0o6002, 0, 'setuid/setgid/other-write stripped');
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
  });
});
