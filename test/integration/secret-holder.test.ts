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
import * as fs from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { authSecret, runSst, type NodeSide, type SstResult } from '../helpers/driver';
import type { NodeCert } from '../helpers/pki';
import { freePort, waitNoTagged } from '../helpers/procs';
import { sstTls } from '../helpers/option-file';
import { JOINER_IP, nodeSide, twoNodeHooks } from '../helpers/two-nodes';
import { tunnelClient } from '../helpers/tunnel-client';

const asRoot = process.geteuid?.() === 0;
const skip = !asRoot && 'needs root: the daemon user and device files are what is tested';

let tag = '';
let nobody = { uid: 65534, gid: 65534 };
const nodes = twoNodeHooks('sst-holder-', () => [tag]);

before(() => {
  fs.chmodSync(nodes.root, 0o755);
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());
  nobody = { uid: id('-u'), gid: id('-g') };
});

function side(dir: string, cert: NodeCert): NodeSide {
  return nodeSide(dir, tag, sstTls(nodes.pki, cert));
}

/** What a secret holder sends: a device, a setuid file, world-writable modes. */
function hostileTree(dir: string): void {
  fs.mkdirSync(join(dir, 'evil_db'), { recursive: true });
  assert.equal(spawnSync('mknod', [join(dir, 'evil_db', 'kmem'), 'c', '1', '2']).status, 0);
  assert.equal(spawnSync('mknod', [join(dir, 'sda'), 'b', '8', '0']).status, 0);
  fs.writeFileSync(join(dir, 'evil_db', 'suid'), '#!/bin/sh\n');
  fs.chmodSync(join(dir, 'evil_db', 'suid'), 0o6777);
  fs.chmodSync(join(dir, 'evil_db'), 0o777);
  fs.chmodSync(dir, 0o777);
}

/** rsync through the tunnel as a CA-signed peer holding the secret. */
function attacker(address: string, secret: string, args: string[]): { status: number | null; stderr: string } {
  const { host, port, env } = tunnelClient(address, { cert: nodes.donorCert.bundle, caFile: nodes.pki.caCert }, tag);
  const passwordFile = join(nodes.root, `${tag}.password`);
  fs.writeFileSync(passwordFile, `${secret}\n`, { mode: 0o600 });
  const r = spawnSync(
    'rsync',
    [`--password-file=${passwordFile}`, ...args.map((a) => a.replace('TARGET', `rsync://sst@${host}:${port}`))],
    {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    },
  );
  return { status: r.status, stderr: r.stderr };
}

interface Attack {
  pushed: { status: number | null; stderr: string };
  read: { status: number | null; stderr: string };
}

/** Pushes the hostile tree and tries to read a file back, between `ready` and the donor. */
async function sstUnderAttack(owner: {
  uid: number;
  gid: number;
}): Promise<{ attack: Attack; r: Awaited<ReturnType<typeof runSst>>; joiner: NodeSide; donor: NodeSide }> {
  tag = `holder-${randomBytes(4).toString('hex')}`;
  const base = join(nodes.root, tag);
  const joiner = side(join(base, 'joiner'), nodes.joinerCert);
  const donor = side(join(base, 'donor'), nodes.donorCert);
  makeDatadir(donor.datadir);
  fs.mkdirSync(joiner.datadir, { recursive: true });
  fs.writeFileSync(join(joiner.datadir, 'private.key'), 'KEEP-ME-SECRET\n');
  fs.chownSync(joiner.datadir, owner.uid, owner.gid);
  const src = join(base, 'hostile');
  hostileTree(src);
  const out = join(base, 'stolen');
  let attack: Attack | undefined;
  const r = await sstWithSecret(joiner, donor, (address, secret) => {
    attack = {
      pushed: attacker(address, secret, [
        '--recursive',
        '--perms',
        '--devices',
        '--specials',
        '--owner',
        '--group',
        `${src}/`,
        'TARGET/rsync_tunnel_sst/',
      ]),
      read: attacker(address, secret, ['--recursive', 'TARGET/rsync_tunnel_sst/private.key', `${out}/`]),
    };
    assert.equal(fs.existsSync(join(out, 'private.key')), false, 'a file was read back through the daemon');
  });
  assert.ok(attack);
  return { attack, r, joiner, donor };
}

/** A whole SST on a fresh joiner port; `attack` runs once the joiner is ready, with the secret it announced. */
async function sstWithSecret(
  joiner: NodeSide,
  donor: NodeSide,
  attack: (address: string, secret: string) => void,
): Promise<SstResult> {
  const port = await freePort(JOINER_IP);
  return runSst({
    joiner,
    donor,
    address: `${JOINER_IP}:${port}`,
    onReady: async (address, auth) => attack(address, authSecret(auth)),
  });
}

function devicesBelow(dir: string): string[] {
  const found: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const file = join(dir, name);
    const st = fs.lstatSync(file);
    if (st.isBlockDevice() || st.isCharacterDevice()) found.push(file);
    else if (st.isDirectory()) found.push(...devicesBelow(file));
  }
  return found;
}

describe('a secret holder writes database files and nothing more', { skip }, () => {
  test(
    'datadir owned by another user: the daemon runs as that user; no device, setuid bit or world-write ' +
      'arrives, nothing is read',
    async () => {
      const { attack, r, joiner, donor } = await sstUnderAttack(nobody);
      const detail =
        `joiner:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}\nattack:\n${attack.pushed.stderr}\n` +
        `${attack.read.stderr}`;
      assert.notEqual(attack.read.status, 0, detail);
      assert.match(r.joiner.stderr(), /socat listener: ERROR: module is write only/, detail);
      // The real donor's SST still completes; the hostile push left no device and no special bit.
      assert.equal(r.donorCode, 0, detail);
      assert.equal(r.joinerCode, 0, detail);
      assert.match(r.joiner.stderr(), /rsync daemon runs as the datadir's owner \(uid 65534/, detail);
      assert.deepEqual(devicesBelow(joiner.datadir), [], detail);
      const suid = join(joiner.datadir, 'evil_db', 'suid');
      if (fs.existsSync(suid)) assert.equal(fs.statSync(suid).mode & 0o6002, 0, 'setuid/setgid/other-write stripped');
      assert.equal(fs.statSync(joiner.datadir).mode & 0o002, 0, 'the datadir is not world-writable');
      assert.equal(
        fs.statSync(join(joiner.datadir, 'shop', 'orders.ibd')).uid,
        nobody.uid,
        'files belong to the datadir owner',
      );
      const copied = (rel: string): boolean =>
        !STAYS_HOME.test(rel) && rel !== 'private.key' && rel !== 'sda' && !rel.startsWith('evil_db');
      assert.deepEqual(treeDigest(joiner.datadir, copied), treeDigest(donor.datadir, copied));
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    },
  );

  test(
    'datadir owned by root: root is kept with a WARNING, and ' +
      'a pushed device file fails the SST (32) and is removed',
    async () => {
      const { attack, r, joiner } = await sstUnderAttack({ uid: 0, gid: 0 });
      const detail =
        `joiner:\n${r.joiner.stderr()}\n` + `donor:\n${r.donor?.stderr() ?? ''}\n` + `attack:\n${attack.pushed.stderr}`;
      assert.notEqual(attack.read.status, 0, detail);
      assert.match(r.joiner.stderr(), /socat listener: ERROR: module is write only/, detail);
      assert.match(
        r.joiner.stderr(),
        /\[WARNING\] the datadir .* is owned by root: the SST's rsync daemon keeps root/,
        detail,
      );
      assert.equal(r.joinerCode, 32, detail);
      assert.equal(r.joinerFinal, undefined, 'the joiner must not report a state');
      assert.match(r.joiner.stderr(), /\[ERROR\] the donor pushed device files \(removed\): .*(kmem|sda)/, detail);
      assert.deepEqual(devicesBelow(joiner.datadir), [], detail);
      const suid = join(joiner.datadir, 'evil_db', 'suid');
      if (fs.existsSync(suid)) assert.equal(fs.statSync(suid).mode & 0o6002, 0, 'setuid/setgid/other-write stripped');
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    },
  );
});

/**
 * Every entry below `dir` (not following links) with an extended attribute: capabilities, ACLs, rsync's fake-super
 * record.
 */
function xattrsBelow(dir: string): string[] {
  const script = [
    'import os, sys',
    'for root, dirs, files in os.walk(sys.argv[1]):',
    '    for name in [root] + [os.path.join(root, f) for f in dirs + files]:',
    '        names = os.listxattr(name, follow_symlinks=False)',
    '        if names: print(name, sorted(names))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Regular files below `dir` with more than one name. */
function hardLinksBelow(dir: string): string[] {
  const found: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const st = fs.lstatSync(join(dir, name));
    if (st.isDirectory()) found.push(...hardLinksBelow(join(dir, name)));
    else if (st.isFile() && st.nlink > 1) found.push(join(dir, name));
  }
  return found;
}

/** The source trees of the attacks of docs/architecture.md §8.10, under `dir`. */
function issue13Sources(dir: string, keySize: number): void {
  const put = (rel: string, content: string | Buffer): void => {
    fs.mkdirSync(join(dir, rel, '..'), { recursive: true });
    fs.writeFileSync(join(dir, rel), content);
  };
  // Same name and size as the joiner's key: a basis found by any route is read block by block.
  put('leak/j.pem', Buffer.alloc(keySize, 'x'));
  put('fuzzy/ssl/j.pem.new', Buffer.alloc(keySize, 'x'));
  put('caps/tool', '#!/bin/sh\n');
  assert.equal(spawnSync('setcap', ['cap_setuid=ep', join(dir, 'caps', 'tool')]).status, 0, 'setcap');
  put('links/a.ibd', 'a');
  fs.linkSync(join(dir, 'links', 'a.ibd'), join(dir, 'links', 'b.ibd'));
  put('files/t.ibd', 'planted');
  put('control/wsrep_sst.pid', '1\n');
  put('control/sst_in_progress', '');
  put('keyover/ssl/j.pem', 'planted key');
  fs.mkdirSync(join(dir, 'empty'), { recursive: true });
  fs.mkdirSync(join(dir, 'root'), { recursive: true });
  fs.chmodSync(join(dir, 'root'), 0o777);
}

/**
 * docs/architecture.md §8.10: each option that could read a joiner file or plant metadata, as a secret holder's rsync
 * sends it.
 */
const ISSUE13_ATTACKS: { name: string; args: string[] }[] = [
  // First: on a daemon that took it, it would delete what the later ones plant before anyone looks.
  { name: '--delete-excluded', args: ['-r', '--delete', '--delete-excluded', 'empty/', ''] },
  {
    name: 'basis dir + block size 1 (--copy-dest)',
    args: ['-r', '--no-whole-file', '--block-size=1', '--copy-dest=../ssl', 'leak/', 'evil_db/'],
  },
  { name: '--compare-dest', args: ['-r', '--no-whole-file', '--compare-dest=../ssl', 'leak/', 'evil_db/'] },
  { name: '--link-dest', args: ['-r', '--link-dest=../ssl', 'leak/', 'evil_db/'] },
  { name: '--fuzzy', args: ['-r', '--no-whole-file', '--fuzzy', 'fuzzy/', ''] },
  { name: '--partial-dir', args: ['-r', '--no-whole-file', '--partial-dir=../ssl', 'leak/', 'evil_db/'] },
  { name: '--delay-updates', args: ['-r', '--delay-updates', 'files/', 'evil_db/'] },
  { name: '--append-verify', args: ['-r', '--append-verify', 'leak/', 'ssl/'] },
  { name: '--checksum-choice', args: ['-r', '--checksum-choice=md4', 'files/', 'evil_db/'] },
  { name: '--checksum-seed', args: ['-r', '--no-whole-file', '--checksum-seed=1', 'files/', 'evil_db/'] },
  { name: '-X (file capability)', args: ['-r', '-X', 'caps/', 'evil_db/'] },
  { name: '-A (ACLs)', args: ['-r', '-A', 'files/', 'evil_db/'] },
  { name: '--fake-super', args: ['-r', '-M--fake-super', 'files/', 'evil_db/'] },
  { name: '--devices', args: ['-r', '-M--devices', 'files/', 'evil_db/'] },
  { name: '-H (hard links)', args: ['-r', '-H', 'links/', 'evil_db/'] },
  { name: '--numeric-ids', args: ['-r', '-o', '-g', '--numeric-ids', 'files/', 'evil_db/'] },
  { name: '--chown', args: ['-r', '-o', '-g', '--chown=nobody:nogroup', 'files/', 'evil_db/'] },
  { name: '--backup-dir', args: ['-r', '--backup', '--backup-dir=../ssl', 'files/', 'evil_db/'] },
  { name: '--temp-dir', args: ['-r', '--temp-dir=ssl', 'files/', 'evil_db/'] },
  { name: '--keep-dirlinks', args: ['-r', '--keep-dirlinks', 'files/', 'evil_db/'] },
];

/** Plain pushes, no option to refuse: the daemon hides these names (rsync may skip them without an error). */
const ISSUE13_HIDDEN: { name: string; args: string[] }[] = [
  { name: 'control files', args: ['-r', '--inplace', 'control/', ''] },
  {
    name: 'the key through the redo log module',
    args: ['-r', '--inplace', 'keyover/', 'MODULE:rsync_tunnel_sst-log_dir'],
  },
  // Times and modes of the module root stay allowed (our donors send -t -p): no other-write arrives.
  { name: 'times and modes on the module root', args: ['-d', '-t', '-p', 'root/', ''] },
];

describe('a secret holder reads no joiner file and plants no metadata (root daemon: the datadir is root-owned)', {
  skip,
}, () => {
  test(
    'each option is refused before anything is written; no capability, xattr, ACL, hard link or control file ' +
      'arrives; the key stays; the SST completes',
    async () => {
      tag = `holder13-${randomBytes(4).toString('hex')}`;
      const base = join(nodes.root, tag);
      const joiner = side(join(base, 'joiner'), nodes.joinerCert);
      const donor = side(join(base, 'donor'), nodes.donorCert);
      makeDatadir(donor.datadir);
      // The joiner's certificate and key inside its datadir, as the issue found them.
      const key = join(joiner.datadir, 'ssl', 'j.pem');
      fs.mkdirSync(join(key, '..'), { recursive: true });
      fs.copyFileSync(nodes.joinerCert.bundle, key);
      const keyBytes = fs.readFileSync(key);
      fs.writeFileSync(joiner.cnf, `[mysqld]\n\n[sst]\ntca=${nodes.pki.caCert}\ntcert=${key}\n`);
      const src = join(base, 'attacker');
      issue13Sources(src, keyBytes.length);
      const results: { name: string; status: number | null; stderr: string }[] = [];
      let during:
        | { xattrs: string[]; caps: string; links: string[]; pid: string; key: boolean; rootMode: number }
        | undefined;
      const r = await sstWithSecret(joiner, donor, (address, secret) => {
        for (const { name, args } of [...ISSUE13_ATTACKS, ...ISSUE13_HIDDEN]) {
          const target = args[args.length - 1] ?? '';
          const dest = target.startsWith('MODULE:')
            ? `TARGET/${target.slice('MODULE:'.length)}/`
            : `TARGET/rsync_tunnel_sst/${target}`;
          const source = join(src, args[args.length - 2] ?? '');
          results.push({ name, ...attacker(address, secret, [...args.slice(0, -2), `${source}/`, dest]) });
        }
        during = {
          xattrs: xattrsBelow(joiner.datadir),
          caps: spawnSync('getcap', ['-r', joiner.datadir], { encoding: 'utf8' }).stdout.trim(),
          links: hardLinksBelow(joiner.datadir),
          pid: fs.readFileSync(join(joiner.datadir, 'wsrep_sst.pid'), 'utf8'),
          key: fs.readFileSync(key).equals(keyBytes),
          rootMode: fs.statSync(joiner.datadir).mode,
        };
      });
      const detail =
        `joiner:\n${r.joiner.stderr()}\ndonor:\n${r.donor?.stderr() ?? ''}\nattacks:\n` +
        `${results.map((a) => `${a.name}: ${a.status} ${a.stderr}`).join('\n')}`;
      const accepted = results
        .filter((a) => a.status === 0 && ISSUE13_ATTACKS.some((x) => x.name === a.name))
        .map((a) => a.name);
      assert.deepEqual(accepted, [], detail);
      assert.ok(during, detail);
      assert.deepEqual(during.xattrs, [], 'no extended attribute (capability, ACL, fake-super record) arrived');
      assert.equal(during.caps, '', 'no file capability arrived');
      assert.deepEqual(during.links, [], 'no hard link arrived');
      assert.notEqual(during.pid.trim(), '1', 'wsrep_sst.pid was replaced');
      assert.ok(during.key, "the joiner's key was overwritten");
      assert.equal(during.rootMode & 0o002, 0, 'the datadir became world-writable');
      assert.equal(r.joinerCode, 0, detail);
      assert.equal(r.donorCode, 0, detail);
      assert.ok(fs.readFileSync(key).equals(keyBytes), "the joiner's key is unchanged after the SST");
      assert.equal(
        fs.existsSync(join(joiner.datadir, 'wsrep_sst.pid')),
        false,
        'no planted wsrep_sst.pid outlives the SST',
      );
      assert.deepEqual(xattrsBelow(joiner.datadir), []);
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    },
  );
});
