/**
 * docs/architecture.md §8.10 (2) with the real program, socat and rsync; a driver plays mariadbd. The SST runs as
 * root, the datadir belongs to a real second local user (`sst-owner`, created when missing), who
 * plants symlinks and directories at the names the SST works on, before the run or, where only a
 * race proves it, by a process of that user swapping entries (renameat2 RENAME_EXCHANGE) for
 * the whole run. Every assertion is about root's files afterwards, never about timing.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { arch } from 'node:os';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { BINLOG_STAGING } from '../../src/rsync/modules';
import { KEEP_FILE } from '../../src/rsync/daemon-config';
import { startTracked, stopTracked } from '../helpers/binary';
import { joinerArgv, runSst, startRole, STATE_UUID, type NodeSide } from '../helpers/driver';
import { makeDatadir } from '../helpers/datadir';
import { freePort, waitNoTagged } from '../helpers/procs';
import { JOINER_IP, nodeSide, twoNodeHooks } from '../helpers/two-nodes';
import { sstTls, type Options } from '../helpers/option-file';
import { otherLocalUser } from '../helpers/local-user';

const OWNER = 'sst-owner';
/** renameat2 by syscall number: Perl has no wrapper, and the racer must be a program of the owner's. */
const RENAMEAT2: Record<string, number> = { x64: 316, arm64: 276 };

function ensureOwner(): { uid: number; gid: number } | string {
  const owner = otherLocalUser(OWNER);
  return typeof owner === 'string' ? owner : { uid: owner.uid, gid: owner.gid };
}

const found = ensureOwner();
const skip = typeof found === 'string' ? found : false;
const owner = typeof found === 'string' ? { uid: -1, gid: -1 } : found;
const raceSkip = skip || (RENAMEAT2[arch()] === undefined ? `no renameat2 syscall number known for ${arch()}` : false);

let tag = '';
const nodes = twoNodeHooks('sst-rootjoiner-', () => [tag]);

// The owner's processes (the SST's rsync daemon, the racer) must reach the datadirs.
before(() => fs.chmodSync(nodes.root, 0o755));

interface Pair {
  base: string;
  joiner: NodeSide;
  donor: NodeSide;
  address: string;
}

/** `joinerMysqld`: the joiner's [mysqld] options; the donor keeps the default layout. */
async function pair(name: string, joinerMysqld: Options = {}): Promise<Pair> {
  tag = `${name}-${randomBytes(4).toString('hex')}`;
  const base = join(nodes.root, tag);
  const joiner = nodeSide(join(base, 'joiner'), tag, sstTls(nodes.pki, nodes.joinerCert), joinerMysqld);
  const donor = nodeSide(join(base, 'donor'), tag, sstTls(nodes.pki, nodes.donorCert));
  fs.mkdirSync(joiner.datadir, { recursive: true });
  return { base, joiner, donor, address: `${JOINER_IP}:${await freePort(JOINER_IP)}` };
}

/** A file only root may read or write, outside every datadir. */
function rootOnlyFile(p: Pair, name: string, content: string): string {
  const file = join(p.base, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** A symlink the datadir's owner made. */
function ownersLink(target: string, link: string): void {
  fs.symlinkSync(target, link);
  fs.lchownSync(link, owner.uid, owner.gid);
}

/** The whole tree belongs to the owner, as a datadir of a mariadbd that runs as that user. */
function giveToOwner(dir: string): void {
  assert.equal(spawnSync('chown', ['-R', '--no-dereference', `${owner.uid}:${owner.gid}`, dir]).status, 0);
}

/** Starts the joiner alone and ends it once it said `ready` (or exited): what it does before `ready` is tested. */
async function joinerUntilReady(p: Pair): Promise<{ code: number | null; ready: boolean; stderr: string }> {
  const run = startRole(joinerArgv(p.joiner, p.address, process.pid), p.joiner.env);
  const first = await run.nextLine(120_000).catch(() => undefined);
  const ready = first?.startsWith('ready ') === true;
  if (ready) run.child.kill('SIGTERM');
  const code = await run.exit;
  assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
  return { code, ready, stderr: run.stderr() };
}

/**
 * A process of the owner that exchanges `a` and `b` (both in `dir`) with renameat2(RENAME_EXCHANGE)
 * as fast as it can, for as long as it runs; an exchange fails harmlessly while one is missing.
 */
function racer(dir: string, a: string, b: string): ChildProcess {
  const script = 'my ($n, $x, $y) = @ARGV; while (1) { syscall($n, -100, $x, -100, $y, 2); }';
  return startTracked('perl', ['-e', script, String(RENAMEAT2[arch()]), join(dir, a), join(dir, b)], {
    uid: owner.uid,
    gid: owner.gid,
    stdio: 'ignore',
    env: { PATH: process.env.PATH },
  });
}

describe('a root SST in a datadir another user owns (docs/architecture.md §8.10 (2))', { skip }, () => {
  test(
    "the keep file: a symlink at its name in the joiner's " +
      "redo dir does not truncate root's file; the SST completes",
    async () => {
      const p = await pair('keep', { innodb_log_group_home_dir: 'redo' });
      makeDatadir(p.donor.datadir);
      fs.mkdirSync(join(p.joiner.datadir, 'redo'));
      const victim = rootOnlyFile(p, 'root-only.txt', 'ROOT ONLY, KEEP ME\n');
      giveToOwner(p.joiner.datadir);
      ownersLink(victim, join(p.joiner.datadir, 'redo', KEEP_FILE));

      const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
      const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
      assert.equal(
        fs.readFileSync(victim, 'utf8'),
        'ROOT ONLY, KEEP ME\n',
        `root's file was written through the symlink\n${detail}`,
      );
      assert.equal(fs.statSync(victim).uid, 0);
      assert.equal(r.donorCode, 0, detail);
      assert.equal(r.joinerCode, 0, detail);
      assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
      assert.deepEqual(
        fs.readFileSync(join(p.joiner.datadir, 'redo', 'ib_logfile0')),
        fs.readFileSync(join(p.donor.datadir, 'ib_logfile0')),
      );
      assert.equal(
        fs.existsSync(join(p.joiner.datadir, 'redo', KEEP_FILE)),
        false,
        'the keep file is removed at the end',
      );
      assert.equal(
        fs.statSync(join(p.joiner.datadir, 'shop', 'orders.ibd')).uid,
        owner.uid,
        'the daemon wrote as the owner',
      );
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    },
  );

  test(
    "the binlog index: a symlink at its name to root's file is not read, not a line of that file reaches the " + 'log',
    async () => {
      const p = await pair('index');
      p.joiner.extraArgs = ['--binlog', 'mysql-bin'];
      const victim = rootOnlyFile(p, 'root-only.txt', 'ROOT-SECRET-LINE-1\nROOT-SECRET-LINE-2\n');
      fs.writeFileSync(join(p.joiner.datadir, 'mysql-bin.000001'), 'binlog');
      giveToOwner(p.joiner.datadir);
      ownersLink(victim, join(p.joiner.datadir, 'mysql-bin.index'));

      const r = await joinerUntilReady(p);
      assert.ok(r.ready, r.stderr);
      assert.doesNotMatch(r.stderr, /ROOT-SECRET/, "a line of root's file reached the log");
      assert.match(r.stderr, /binlog index .*mysql-bin\.index is a symlink: not read/);
      assert.equal(fs.readFileSync(victim, 'utf8'), 'ROOT-SECRET-LINE-1\nROOT-SECRET-LINE-2\n');
    },
  );

  test(
    "a layout directory to create below a symlink of the owner's: refused (1), nothing made or handed to the " +
      "owner in root's directory",
    async () => {
      const p = await pair('mkdir', { innodb_log_group_home_dir: 'redo/new' });
      const rootDir = join(p.base, 'root-only-dir');
      fs.mkdirSync(rootDir, { mode: 0o700 });
      giveToOwner(p.joiner.datadir);
      ownersLink(rootDir, join(p.joiner.datadir, 'redo'));

      const r = await joinerUntilReady(p);
      assert.equal(fs.existsSync(join(rootDir, 'new')), false, `a directory was made in root's directory\n${r.stderr}`);
      assert.equal(r.ready, false, r.stderr);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /WSREP_SST: \[ERROR\] .*\/redo is a symbolic link in a directory that uid \d+ owns: not followed/,
      );
      assert.equal(fs.statSync(rootDir).uid, 0);
    },
  );

  test(
    'wsrep_sst.pid made a directory: left with what it holds ' +
      '(never removed recursively); the joiner refuses to start',
    async () => {
      const p = await pair('piddir');
      const pidDir = join(p.joiner.datadir, 'wsrep_sst.pid');
      fs.mkdirSync(pidDir);
      fs.writeFileSync(join(pidDir, 'held'), 'held');
      giveToOwner(p.joiner.datadir);

      const r = await joinerUntilReady(p);
      assert.equal(
        fs.readFileSync(join(pidDir, 'held'), 'utf8'),
        'held',
        `the directory was removed recursively\n${r.stderr}`,
      );
      assert.equal(r.ready, false, r.stderr);
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stderr, /wsrep_sst\.pid is a directory that is not empty: left in place/);
      assert.match(r.stderr, /WSREP_SST: \[ERROR\] cannot create .*wsrep_sst\.pid/);
    },
  );

  test(
    'the donor: tables_flushed and sst_error made directories are left with what they hold, the donor fails ' +
      'before `flush tables`, and warns that the datadir has another owner',
    async () => {
      for (const name of ['tables_flushed', 'sst_error']) {
        const p = await pair(`flushdir-${name.slice(0, 3)}`);
        makeDatadir(p.donor.datadir);
        const dir = join(p.donor.datadir, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(join(dir, 'held'), 'held');
        giveToOwner(p.donor.datadir);
        const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
        const detail = `donor stderr:\n${r.donor?.stderr() ?? ''}`;
        assert.equal(fs.readFileSync(join(dir, 'held'), 'utf8'), 'held', `${name} was removed recursively\n${detail}`);
        assert.equal(r.donorCode, 255, detail);
        assert.ok(!r.donor?.lines.includes('flush tables'), detail);
        assert.match(r.donor?.stderr() ?? '', new RegExp(`${name} cannot be removed`));
        assert.match(
          r.donor?.stderr() ?? '',
          new RegExp(
            String.raw`WSREP_SST: \[WARNING\] the datadir .* is owned by uid \d+ while this SST runs as root: ` +
              "whoever has that uid can make the donor's rsync read and send any file of this host",
          ),
        );
        assert.deepEqual(await waitNoTagged(tag, 15_000), []);
      }
    },
  );
});

describe('a root joiner against an owner who swaps entries during the run (docs/architecture.md §8.10 (2))', {
  skip: raceSkip,
}, () => {
  /**
   * Runs per test. On 0.3.0 the chown was lost within 5 runs (3 of 3 measurements); the recursive
   * remove within 4, 8, and not in 12 (so about 1 run in 8): 40 runs miss it once in 200.
   */
  const TRIES = 12;
  const REMOVE_TRIES = 40;

  const neverChowned = `never chowned through it (${TRIES} runs)`;
  test(`the binlog staging directory swapped for a symlink to root's file: ${neverChowned}`, async () => {
    const p = await pair('chown');
    const victim = rootOnlyFile(p, 'root-only.txt', 'root\n');
    giveToOwner(p.joiner.datadir);
    const swap = '.swap';
    const outcomes: string[] = [];
    for (let i = 0; i < TRIES; i++) {
      fs.rmSync(join(p.joiner.datadir, swap), { force: true, recursive: true });
      ownersLink(victim, join(p.joiner.datadir, swap));
      const race = racer(p.joiner.datadir, BINLOG_STAGING, swap);
      try {
        const r = await joinerUntilReady(p);
        outcomes.push(r.ready ? 'ready' : `exit ${r.code}`);
      } finally {
        await stopTracked(race);
      }
      const st = fs.statSync(victim);
      assert.deepEqual(
        { uid: st.uid, gid: st.gid },
        { uid: 0, gid: 0 },
        `root's file was chowned through the swapped link in run ${i + 1} (${outcomes.join(', ')})`,
      );
    }
  });

  test(
    `wsrep_sst.pid a directory swapped for a symlink to root's directory: nothing of root's is removed ` +
      `(${REMOVE_TRIES} runs)`,
    async () => {
      const p = await pair('rmrf');
      const rootDir = join(p.base, 'root-only-dir');
      giveToOwner(p.joiner.datadir);
      const swap = '.swap';
      // The same names on both sides: each removal by path is one more chance to land in root's directory.
      const names = Array.from({ length: 100 }, (_, n) => `victim${n}`);
      const outcomes: string[] = [];
      for (let i = 0; i < REMOVE_TRIES; i++) {
        fs.mkdirSync(rootDir, { recursive: true, mode: 0o700 });
        for (const n of names) fs.writeFileSync(join(rootDir, n), 'root');
        for (const n of ['wsrep_sst.pid', swap]) fs.rmSync(join(p.joiner.datadir, n), { force: true, recursive: true });
        const pidDir = join(p.joiner.datadir, 'wsrep_sst.pid');
        fs.mkdirSync(pidDir);
        for (const n of names) fs.writeFileSync(join(pidDir, n), 'owner');
        giveToOwner(pidDir);
        ownersLink(rootDir, join(p.joiner.datadir, swap));
        const race = racer(p.joiner.datadir, 'wsrep_sst.pid', swap);
        try {
          const r = await joinerUntilReady(p);
          outcomes.push(r.ready ? 'ready' : `exit ${r.code}`);
        } finally {
          await stopTracked(race);
        }
        const gone = names.filter((n) => !fs.existsSync(join(rootDir, n)));
        assert.deepEqual(
          gone,
          [],
          `root's files were removed through the swapped link in run ${i + 1} (${outcomes.join(', ')})`,
        );
        assert.equal(fs.lstatSync(rootDir).uid, 0);
      }
    },
  );
});
