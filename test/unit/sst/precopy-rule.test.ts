/**
 * docs/protocol.md §3.3.1: the catch-up's selection rule over fake stat results, the clock-step check, the
 * always-sent set.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  alwaysSent,
  changeReason,
  clockStep,
  PRECOPY_MARGIN_MS,
  selectChanged,
  worthAnotherRound,
  type FileStamp,
} from '../../../src/sst/precopy-rule';

const DEV = 2049;
const R = 1_700_000_000_000; // the probe's stamp, ms
const refs = new Map([[DEV, R]]);
const old = R - 60_000;
const stamp = (o: Partial<FileStamp> = {}): FileStamp => ({
  size: 100,
  mtimeMs: old,
  ctimeMs: old,
  ino: 7,
  dev: DEV,
  ...o,
});

describe('changeReason: what the catch-up sends again', () => {
  test('unchanged since long before the reference: skipped', () => {
    assert.equal(changeReason(stamp(), stamp(), refs), undefined);
  });
  test('not in the round listing: new', () => {
    assert.equal(changeReason(undefined, stamp(), refs), 'new');
  });
  test('same name, other inode (replaced by rename) or other device: replaced', () => {
    assert.equal(changeReason(stamp(), stamp({ ino: 8 }), refs), 'replaced');
    assert.equal(changeReason(stamp(), stamp({ dev: DEV + 1 }), refs), 'replaced');
  });
  test('size differs, even with old stamps (a truncate then utimes into the past)', () => {
    assert.equal(changeReason(stamp(), stamp({ size: 99 }), refs), 'size');
    assert.equal(changeReason(stamp(), stamp({ size: 101 }), refs), 'size');
  });
  test('mtime not older than reference − margin: sent; exactly at the bound counts', () => {
    assert.equal(changeReason(stamp(), stamp({ mtimeMs: R + 5 }), refs), 'mtime');
    assert.equal(changeReason(stamp(), stamp({ mtimeMs: R - PRECOPY_MARGIN_MS }), refs), 'mtime');
    assert.equal(
      changeReason(stamp(), stamp({ mtimeMs: R - PRECOPY_MARGIN_MS - 1, ctimeMs: R - PRECOPY_MARGIN_MS - 1 }), refs),
      undefined,
    );
  });
  test('mtime set into the past by a tool: its ctime is now, and catches it', () => {
    assert.equal(changeReason(stamp(), stamp({ mtimeMs: old - 3_600_000, ctimeMs: R + 1200 }), refs), 'ctime');
  });
  test('1-second timestamps: a write in the same second as the probe, both truncated, is sent', () => {
    const probe = Math.floor((R + 700) / 1000) * 1000; // the probe made at R+0.7 s, stamped R
    const written = Math.floor((R + 900) / 1000) * 1000; // written after the read at R+0.9 s, stamped R too
    assert.equal(
      changeReason(stamp(), stamp({ mtimeMs: written, ctimeMs: written }), new Map([[DEV, probe]])),
      'mtime',
    );
  });
  test('1-second timestamps on a filesystem that rounds: a write up to the margin before the stamp is sent', () => {
    assert.equal(changeReason(stamp(), stamp({ mtimeMs: R - 1000, ctimeMs: R - 1000 }), refs), 'mtime');
    assert.equal(changeReason(stamp(), stamp({ mtimeMs: old, ctimeMs: R - 1999 }), refs), 'ctime');
  });
  test('a device without a reference (its probe failed, or a mount below a database directory): always sent', () => {
    assert.equal(changeReason(stamp({ dev: 99 }), stamp({ dev: 99 }), refs), 'no reference');
  });
  test('the margin is at least 2 s', () => {
    assert.ok(PRECOPY_MARGIN_MS >= 2000);
  });
});

describe('selectChanged', () => {
  test('keeps the order of the new listing and counts reasons; removed files are not named', () => {
    const before = new Map([
      ['db/a.ibd', stamp()],
      ['db/b.ibd', stamp({ ino: 2 })],
      ['db/gone.ibd', stamp({ ino: 3 })],
      ['db/c.MYD', stamp({ ino: 4 })],
    ]);
    const now = new Map([
      ['db/a.ibd', stamp()],
      ['db/b.ibd', stamp({ ino: 2, mtimeMs: R + 10, ctimeMs: R + 10 })],
      ['db/c.MYD', stamp({ ino: 4, size: 200 })],
      ['db/new.ibd', stamp({ ino: 5 })],
    ]);
    const r = selectChanged(before, now, refs);
    assert.deepEqual(r.send, ['db/b.ibd', 'db/c.MYD', 'db/new.ibd']);
    assert.deepEqual(r.reasons, { mtime: 1, size: 1, new: 1 });
  });
  test('nothing changed: nothing to send', () => {
    const m = new Map([['db/a', stamp()]]);
    assert.deepEqual(selectChanged(m, m, refs), { send: [], reasons: {} });
  });
});

describe('clockStep: wall against monotonic between the round and the lock', () => {
  const round = { wallMs: R, monotonicMs: 1000, refs: new Map([[DEV, R]]) };
  test('clocks that moved together: no step', () => {
    assert.equal(
      clockStep(round, { wallMs: R + 30_000, monotonicMs: 31_000, refs: new Map([[DEV, R + 30_000]]) }),
      undefined,
    );
  });
  test('1-second filesystem stamps within the margin: no step', () => {
    assert.equal(
      clockStep(round, { wallMs: R + 30_000, monotonicMs: 31_000, refs: new Map([[DEV, R + 29_000]]) }),
      undefined,
    );
  });
  test('our clock stepped forwards', () => {
    assert.match(
      clockStep(round, { wallMs: R + 3_630_000, monotonicMs: 31_000, refs: new Map() }) ?? '',
      /this host's clock by \+3600\.0 s/,
    );
  });
  test('our clock stepped backwards', () => {
    assert.match(
      clockStep(round, { wallMs: R - 10_000, monotonicMs: 31_000, refs: new Map() }) ?? '',
      /this host's clock by -40\.0 s/,
    );
  });
  test("a filesystem's clock stepped (an NFS server's), ours did not", () => {
    assert.match(
      clockStep(round, { wallMs: R + 30_000, monotonicMs: 31_000, refs: new Map([[DEV, R - 5000]]) }) ?? '',
      /filesystem of device 2049 by -35\.0 s/,
    );
  });
  test('a device probed only once is not compared', () => {
    assert.equal(
      clockStep(round, { wallMs: R + 30_000, monotonicMs: 31_000, refs: new Map([[DEV + 1, 0]]) }),
      undefined,
    );
  });
  test('a step just over the margin counts, one at it does not', () => {
    assert.equal(
      clockStep(round, { wallMs: R + 30_000 + PRECOPY_MARGIN_MS, monotonicMs: 31_000, refs: new Map() }),
      undefined,
    );
    assert.notEqual(
      clockStep(round, { wallMs: R + 30_001 + PRECOPY_MARGIN_MS, monotonicMs: 31_000, refs: new Map() }),
      undefined,
    );
  });
});

describe('worthAnotherRound: while the set shrinks', () => {
  test('smaller than the last round: yes; as large or empty: no', () => {
    assert.equal(worthAnotherRound(10, 1, 100), true);
    assert.equal(worthAnotherRound(100, 3, 100), false);
    assert.equal(worthAnotherRound(0, 0, 100), false);
  });
});

describe('alwaysSent: for every layout', () => {
  const tree: Record<string, string[]> = {
    '/var/lib/mysql': [
      'ibdata1',
      'ibdata2',
      'ib_logfile0',
      'ib_logfile1',
      'undo001',
      'undo002',
      'aria_log_control',
      'aria_log.00000001',
      'ib_lru_dump',
      'ib_buffer_pool',
      'ibtmp1',
      'grastate.dat',
      'mysql',
      'mysql-bin.index',
    ],
    '/ibdata': ['ibdata1', 'stray'],
    '/redo': ['ib_logfile0', 'ib_logfile101'],
    '/undo': ['undo001', 'undo003'],
    '/aria': ['aria_log_control', 'aria_log.00000002', 'aria_log_other'],
  };
  const list = (dir: string): string[] => tree[dir] ?? [];
  const d = '/var/lib/mysql';
  const layout = { datadir: d, dataHome: d, logDir: d, undoDir: d, ariaLog: d };
  test('everything in the datadir (the default)', () => {
    assert.deepEqual(alwaysSent(layout, list, []), [
      `${d}/aria_log.00000001`,
      `${d}/aria_log_control`,
      `${d}/ib_logfile0`,
      `${d}/ib_lru_dump`,
      `${d}/ibdata1`,
      `${d}/ibdata2`,
      `${d}/undo001`,
      `${d}/undo002`,
    ]);
  });
  test('each engine directory elsewhere', () => {
    assert.deepEqual(
      alwaysSent({ datadir: d, dataHome: '/ibdata', logDir: '/redo', undoDir: '/undo', ariaLog: '/aria' }, list, []),
      [
        '/aria/aria_log.00000002',
        '/aria/aria_log_control',
        '/ibdata/ibdata1',
        '/redo/ib_logfile0',
        '/undo/undo001',
        '/undo/undo003',
      ],
    );
  });
  test('only the redo log elsewhere', () => {
    const r = alwaysSent({ ...layout, logDir: '/redo' }, list, []);
    assert.ok(r.includes('/redo/ib_logfile0'));
    assert.ok(!r.includes(`${d}/ib_logfile0`));
    assert.ok(r.includes(`${d}/ibdata1`) && r.includes(`${d}/undo001`) && r.includes(`${d}/aria_log_control`));
  });
  test('with binlogs: the one being written (the last), not the closed ones', () => {
    const r = alwaysSent(layout, list, [`${d}/mysql-bin.000001`, `${d}/mysql-bin.000002`]);
    assert.ok(r.includes(`${d}/mysql-bin.000002`));
    assert.ok(!r.includes(`${d}/mysql-bin.000001`));
  });
  test('a directory that cannot be listed sends nothing from it', () => {
    assert.deepEqual(
      alwaysSent(
        { datadir: '/none', dataHome: '/none', logDir: '/none', undoDir: '/none', ariaLog: '/none' },
        list,
        [],
      ),
      [],
    );
  });
});
