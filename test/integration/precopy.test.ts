/**
 * docs/protocol.md §3.3.1, with the real program, socat and rsync: the donor copies online,
 * the driver (playing mariadbd) writes to the donor's datadir between the online rounds and the
 * lock, or while round 1 runs, and the joiner's tree must still equal the donor's as it was
 * under the lock, byte for byte.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { after, afterEach, before, describe, test } from 'node:test';
import { runSst, STATE_UUID, type NodeSide, type RoleRun } from '../helpers/driver';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import type { NodeCert, Pki } from '../helpers/pki';
import { freePort, killTagged, waitNoTagged } from '../helpers/procs';
import { JOINER_IP, makeTwoNodePki } from '../helpers/two-nodes';
import { PRECOPY_MARGIN_MS } from '../../src/sst/precopy-rule';

let root: string;
let pki: Pki;
let joinerCert: NodeCert;
let donorCert: NodeCert;
let tag = '';

before(() => {
  ({ root, pki, joinerCert, donorCert } = makeTwoNodePki('sst-precopy-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => killTagged(tag));

interface Pair {
  joiner: NodeSide;
  donor: NodeSide;
  address: string;
}

async function pair(name: string, donorSst: Record<string, string>): Promise<Pair> {
  tag = `${name}-${randomBytes(4).toString('hex')}`;
  const node = (side: string, cert: NodeCert, sst: Record<string, string>): NodeSide => {
    const dir = join(root, tag, side);
    fs.mkdirSync(dir, { recursive: true });
    const cnf = join(dir, 'my.cnf');
    fs.writeFileSync(
      cnf,
      `[mysqld]\n\n[sst]\ntca=${pki.caCert}\ntcert=${cert.bundle}\n${Object.entries(sst)
        .map(([k, v]) => `${k}=${v}\n`)
        .join('')}`,
    );
    return { datadir: join(dir, 'data'), cnf, env: { SST_TEST_TAG: tag } };
  };
  const port = await freePort(JOINER_IP);
  return {
    joiner: node('joiner', joinerCert, {}),
    donor: node('donor', donorCert, donorSst),
    address: `${JOINER_IP}:${port}`,
  };
}

/** The joiner gets a directory for a symlinked database directory: that one is compared file by file instead. */
const copied = (rel: string): boolean => !STAYS_HOME.test(rel) && !rel.startsWith('linked_db');
const HOUR_AGO = (): Date => new Date(Date.now() - 3_600_000);

/** Overwrites `length` bytes at `offset` in place (same size), as a page write does. */
function rewrite(file: string, offset: number, length: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, randomBytes(length), 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

const isProgress = (l: string): boolean => /^(total|complete) \d+$/.test(l);

async function sst(
  p: Pair,
  o: { beforeLock?: () => void; onDonorStart?: (d: RoleRun) => void; binlog?: boolean } = {},
): Promise<{ log: string; lines: string[] }> {
  if (o.binlog) {
    p.joiner.extraArgs = ['--binlog', 'mysql-bin'];
    p.donor.extraArgs = ['--binlog', 'mysql-bin'];
  }
  const r = await runSst({
    joiner: p.joiner,
    donor: p.donor,
    address: p.address,
    beforeLock: o.beforeLock,
    onDonorStart: o.onDonorStart,
  });
  const log = r.donor?.stderr() ?? '';
  const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${log}`;
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerCode, 0, detail);
  assert.deepEqual(
    r.donor?.lines.filter((l) => !isProgress(l)),
    ['flush tables', 'continue', `done ${STATE_UUID}:42 0`],
    detail,
  );
  assert.deepEqual(treeDigest(p.joiner.datadir, copied), treeDigest(p.donor.datadir, copied), detail);
  assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
  assert.doesNotMatch(log, /\.rsync_tunnel_sst_probe/, 'no probe file is ever sent or named');
  return { log, lines: r.donor?.lines ?? [] };
}

describe('precopy: online rounds, then a catch-up under the lock', () => {
  test(
    'writes between the rounds and the lock: rewritten region with mtime set back, append, rename, ' +
      'new and removed directories, engine files, binlog rotation',
    async () => {
      const p = await pair('between', { precopy: 'on', 'sst-max-binlogs': '3' });
      makeDatadir(p.donor.datadir, { bigTable: 8 * 1024 * 1024, binlogs: 2 });
      makeDatadir(p.joiner.datadir);
      fs.rmSync(join(p.joiner.datadir, 'grastate.dat'));
      const d = p.donor.datadir;
      // A database directory that is a symlink to another filesystem path (its own probe when on another device).
      const elsewhere = join(root, tag, 'elsewhere-db');
      fs.mkdirSync(elsewhere, { recursive: true });
      fs.writeFileSync(join(elsewhere, 'linked.ibd'), randomBytes(64 * 1024));
      fs.symlinkSync(elsewhere, join(d, 'linked_db'));
      const { log } = await sst(p, {
        binlog: true,
        beforeLock: () => {
          rewrite(join(elsewhere, 'linked.ibd'), 1024, 1024);
          fs.writeFileSync(join(elsewhere, 'added.ibd'), randomBytes(2048));
          // A page round 1 has read, rewritten in place; a tool then sets its mtime into the past: ctime still says.
          rewrite(join(d, 'shop', 'orders.ibd'), 4 * 1024 * 1024, 16 * 1024);
          fs.utimesSync(join(d, 'shop', 'orders.ibd'), HOUR_AGO(), HOUR_AGO());
          fs.appendFileSync(join(d, 'shop', 'customers.ibd'), randomBytes(16 * 1024));
          // Replaced by rename, with the new file's times in the past and the same size.
          const tmp = join(d, 'shop', '#sql-alter.ibd');
          fs.writeFileSync(tmp, randomBytes(4096));
          fs.utimesSync(tmp, HOUR_AGO(), HOUR_AGO());
          fs.renameSync(tmp, join(d, 'shop', 'table with spaces.ibd'));
          fs.mkdirSync(join(d, 'newdb', 'sub'), { recursive: true });
          fs.writeFileSync(join(d, 'newdb', 'sub', 't.ibd'), randomBytes(8192));
          fs.rmSync(join(d, 'sales@002d2024'), { recursive: true });
          // Engine files change without a table being written; their times say nothing.
          rewrite(join(d, 'ibdata1'), 0, 4096);
          fs.utimesSync(join(d, 'ibdata1'), HOUR_AGO(), HOUR_AGO());
          rewrite(join(d, 'ib_logfile0'), 8192, 512);
          // The binlog being written at round 1 is closed and a new one opened.
          fs.appendFileSync(join(d, 'mysql-bin.000002'), randomBytes(1000));
          fs.writeFileSync(join(d, 'mysql-bin.000003'), randomBytes(5000));
          fs.appendFileSync(join(d, 'mysql-bin.index'), './mysql-bin.000003\n');
        },
      });
      assert.match(log, /precopy round 1 of at most 2: sent \d+ files, .* donor writable/);
      assert.match(log, /precopy catch-up under the lock: \d+ changed files/);
      assert.match(log, /tables were locked for \d+\.\d s \(precopy, \d online rounds?\); a copy of everything/);
      assert.equal(
        fs.existsSync(join(p.joiner.datadir, 'sales@002d2024')),
        false,
        'the removed directory is gone on the joiner',
      );
      assert.deepEqual(
        fs.readFileSync(join(p.joiner.datadir, 'linked_db', 'linked.ibd')),
        fs.readFileSync(join(elsewhere, 'linked.ibd')),
      );
      assert.deepEqual(
        fs.readFileSync(join(p.joiner.datadir, 'linked_db', 'added.ibd')),
        fs.readFileSync(join(elsewhere, 'added.ibd')),
      );
      const j = p.joiner.datadir;
      assert.equal(
        fs.readFileSync(join(j, 'mysql-bin.index'), 'utf8'),
        './mysql-bin.000001\n./mysql-bin.000002\n./mysql-bin.000003\n',
      );
      for (const b of ['mysql-bin.000001', 'mysql-bin.000002', 'mysql-bin.000003'])
        assert.deepEqual(fs.readFileSync(join(j, b)), fs.readFileSync(join(d, b)), b);
    },
  );

  test('by default: a symlinked database directory whose files did not change is whole on the joiner', async () => {
    const p = await pair('linked-rest', {});
    makeDatadir(p.donor.datadir);
    const elsewhere = join(root, tag, 'elsewhere-db');
    fs.mkdirSync(join(elsewhere, 'sub'), { recursive: true });
    fs.writeFileSync(join(elsewhere, 't.frm'), randomBytes(1024));
    fs.writeFileSync(join(elsewhere, 't.ibd'), randomBytes(96 * 1024));
    fs.writeFileSync(join(elsewhere, 'sub', 'nested.ibd'), randomBytes(4096));
    fs.symlinkSync(elsewhere, join(p.donor.datadir, 'linked_db'));
    // At rest before the SST: the catch-up skips these files, as held since round 1.
    await setTimeout(PRECOPY_MARGIN_MS + 500);
    const { log } = await sst(p);
    assert.match(log, /precopy round 1 of at most 2: .*donor writable/, 'precopy is on by default');
    for (const f of ['t.frm', 't.ibd', join('sub', 'nested.ibd')])
      assert.deepEqual(fs.readFileSync(join(p.joiner.datadir, 'linked_db', f)), fs.readFileSync(join(elsewhere, f)), f);
  });

  test(
    'writes while round 1 runs: a file appended to and one rewritten, ' + 'whether rsync had read them or not',
    async () => {
      const p = await pair('during', { precopy: 'on', 'backup-threads': '2' });
      makeDatadir(p.donor.datadir, { bigTable: 32 * 1024 * 1024 });
      // Files at rest before the SST, so that only the writes below make round 2 (or the catch-up) send anything.
      await setTimeout(PRECOPY_MARGIN_MS + 500);
      const d = p.donor.datadir;
      let written = false;
      const { log } = await sst(p, {
        onDonorStart: (donor) => {
          const timer = setInterval(() => {
            if (written || !/files 1\/\d+ \(/.test(donor.stderr())) return;
            written = true;
            clearInterval(timer);
            fs.appendFileSync(join(d, 'shop', 'orders.ibd'), randomBytes(64 * 1024));
            rewrite(join(d, 'shop', 'customers.ibd'), 0, 8192);
            rewrite(join(d, 'mysql', 'user.MAD'), 0, 100);
          }, 5);
          donor.exit.then(
            () => clearInterval(timer),
            () => clearInterval(timer),
          );
        },
      });
      assert.ok(written, 'the writes happened during round 1');
      assert.match(log, /precopy round 1 of at most 2/);
      // Round 2 (when the writes came before its listing) or the catch-up sent the three files, not all nine.
      assert.match(log, /precopy round 2 of at most 2: sent 3 files|precopy catch-up under the lock: 3 changed files/);
    },
  );

  test('nothing written: the second round is skipped and the catch-up sends only the engine files', async () => {
    const p = await pair('idle', { precopy: 'on' });
    makeDatadir(p.donor.datadir);
    // A datadir at rest: its ctimes (which no tool can set back) must be older than the reference minus the margin.
    await setTimeout(PRECOPY_MARGIN_MS + 500);
    const { log } = await sst(p);
    assert.match(log, /precopy: 0 files, 0 B changed during round 1; no further online round/);
    assert.match(
      log,
      new RegExp(
        String.raw`precopy catch-up under the lock: 0 changed files and \d+ always sent .*; ` +
          '9 database files unchanged since round 1 began',
      ),
    );
  });

  test('precopy=verify: the skipped files are compared by checksum under the lock, none differs', async () => {
    const p = await pair('verify', { precopy: 'verify', 'precopy-rounds': '1' });
    makeDatadir(p.donor.datadir);
    const d = p.donor.datadir;
    const { log } = await sst(p, {
      beforeLock: () => fs.appendFileSync(join(d, 'shop', 'customers.ibd'), randomBytes(100)),
    });
    assert.match(log, /precopy round 1 of at most 1/);
    assert.match(log, /precopy=verify: comparing the \d+ skipped files/);
    assert.doesNotMatch(log, /precopy verify: .* differed/);
  });

  test(
    '--progress 1: total and complete only grow across the rounds and end equal; ' +
      'the rounds come before flush tables',
    async () => {
      const p = await pair('progress', { precopy: 'on', 'progress-interval': '1' });
      makeDatadir(p.donor.datadir, { bigTable: 16 * 1024 * 1024 });
      p.donor.extraArgs = ['--progress', '1'];
      const { lines } = await sst(p, {
        beforeLock: () => fs.appendFileSync(join(p.donor.datadir, 'shop', 'customers.ibd'), randomBytes(100)),
      });
      const numbers = (word: string): number[] =>
        lines.filter((l) => l.startsWith(`${word} `)).map((l) => Number(l.split(' ')[1]));
      const totals = numbers('total');
      const completes = numbers('complete');
      assert.ok(totals.length >= 2, `a total for round 1 and one for the catch-up: ${lines.join(' | ')}`);
      assert.deepEqual(
        [...totals].sort((a, b) => a - b),
        totals,
        'totals only grow',
      );
      assert.deepEqual(
        [...completes].sort((a, b) => a - b),
        completes,
        'completes only grow',
      );
      let total = 0;
      for (const l of lines) {
        if (l.startsWith('total ')) total = Number(l.split(' ')[1]);
        if (l.startsWith('complete ')) assert.ok(Number(l.split(' ')[1]) <= total, `${l} after total ${total}`);
      }
      assert.equal(completes[completes.length - 1], totals[totals.length - 1], 'ends with complete = total');
      assert.ok(
        lines.indexOf('flush tables') > lines.indexOf(`total ${totals[0] ?? -1}`),
        'round 1 ran before the lock',
      );
    },
  );

  test(
    'a database directory dropped and another created while round 1 runs: ' + 'no failure, and the joiner follows',
    async () => {
      const p = await pair('drop-during', { precopy: 'on', 'backup-threads': '2' });
      makeDatadir(p.donor.datadir, { bigTable: 32 * 1024 * 1024 });
      const d = p.donor.datadir;
      fs.mkdirSync(join(d, 'doomed'));
      for (let i = 0; i < 20; i++) fs.writeFileSync(join(d, 'doomed', `t${i}.ibd`), randomBytes(4096));
      let done = false;
      await sst(p, {
        onDonorStart: (donor) => {
          const timer = setInterval(() => {
            if (done || !/files 1\/\d+ \(/.test(donor.stderr())) return;
            done = true;
            clearInterval(timer);
            fs.rmSync(join(d, 'doomed'), { recursive: true });
            fs.mkdirSync(join(d, 'born'));
            fs.writeFileSync(join(d, 'born', 't.ibd'), randomBytes(4096));
          }, 5);
          donor.exit.then(
            () => clearInterval(timer),
            () => clearInterval(timer),
          );
        },
      });
      assert.ok(done);
      assert.equal(fs.existsSync(join(p.joiner.datadir, 'doomed')), false);
      assert.ok(fs.existsSync(join(p.joiner.datadir, 'born', 't.ibd')));
    },
  );

  test('rlimit with precopy: the rounds and the catch-up keep the limit, and the SST completes', async () => {
    const p = await pair('rlimit', { precopy: 'on', rlimit: '2m' });
    makeDatadir(p.donor.datadir, { bigTable: 3 * 1024 * 1024 });
    const started = Date.now();
    const { log } = await sst(p);
    assert.match(log, /rate limit 2\.0 MiB\/s for the whole SST \(rlimit\): the online rounds take longer/);
    assert.match(log, /rate limit 2\.0 MiB\/s \(rlimit\): the catch-up takes at least/);
    // Round 1 alone sends over 3 MiB: at 2 MiB/s no run can be quicker than a second.
    assert.ok(Date.now() - started >= 1000, 'the limit held');
  });

  test('IST (bypass) with precopy on: only the marker, no round', async () => {
    const p = await pair('bypass', { precopy: 'on' });
    makeDatadir(p.donor.datadir);
    makeDatadir(p.joiner.datadir);
    const before = treeDigest(p.joiner.datadir);
    const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address, bypass: true, seqno: 77 });
    const detail = r.donor?.stderr() ?? '';
    assert.equal(r.donorCode, 0, detail);
    assert.equal(r.joinerCode, 0, detail);
    assert.deepEqual(r.donor?.lines, ['continue', `done ${STATE_UUID}:77 0`], detail);
    assert.doesNotMatch(detail, /precopy (round|catch-up)|tables were locked/);
    assert.deepEqual(treeDigest(p.joiner.datadir), before);
  });
});
