/**
 * Binary logs on both roles (docs/protocol.md §2.5, §3.4, §7.29) in real temporary datadirs.
 * The transfer itself differs from upstream's tar: the donor sends the files
 * plus an ordered list into a staging directory, the joiner moves them in place.
 */
import { test, describe, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  binlogNameProblem,
  binlogsToSend,
  destinationOf,
  indexEntryProblem,
  installBinlogs,
  quoted,
  readPreviousBinlogs,
  stagingHasBinlogs,
  systemBinlogFs,
  tailOfIndex,
  writeBinlogList,
  type BinlogFs,
} from '../../../src/sst/binlogs';
import { log } from '../../../src/log';
import { resolveBinlog, type BinlogSettings, type Lookup } from '../../../src/config/settings';
import { BINLOG_LIST, BINLOG_STAGING } from '../../../src/rsync/modules';
import type { SstArgs } from '../../../src/config/args';
import { SstError } from '../../../src/errors';
import { literal } from '../../helpers/regex';

const noConfig: Lookup = () => undefined;

let root = '';
let datadir = '';
let staging = '';

beforeEach(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'sst-binlogs-'));
  datadir = join(root, 'data');
  staging = join(datadir, BINLOG_STAGING);
  fs.mkdirSync(staging, { recursive: true });
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** The settings the program would derive from `--binlog`/`--binlog-index`. */
function settings(binlog: string, binlogIndex?: string): BinlogSettings {
  const args: SstArgs = {
    role: 'joiner',
    address: 'h',
    datadir,
    progress: false,
    bypass: false,
    mysqld: {},
    binlog,
    binlogIndex,
  };
  const s = resolveBinlog(args, noConfig, ['mysqld']);
  assert.ok(s);
  return s;
}

function put(file: string, content = 'x'): void {
  fs.mkdirSync(join(file, '..'), { recursive: true });
  fs.writeFileSync(file, content);
}

const ls = (dir: string): string[] => fs.readdirSync(dir).sort();

function throws32(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SstError);
    assert.equal(e.code, 32);
    assert.match(e.message, message);
    return true;
  });
}

describe('tailOfIndex', () => {
  const entries = ['a', 'b', 'c'];

  test('the last N entries, oldest first', () => {
    assert.deepEqual(tailOfIndex(entries, 1), ['c']);
    assert.deepEqual(tailOfIndex(entries, 2), ['b', 'c']);
  });

  test('0 = none, negative = all, more than available = all', () => {
    assert.deepEqual(tailOfIndex(entries, 0), []);
    assert.deepEqual(tailOfIndex(entries, -1), entries);
    assert.deepEqual(tailOfIndex(entries, -5), entries);
    assert.deepEqual(tailOfIndex(entries, 10), entries);
  });

  test('an empty index', () => {
    assert.deepEqual(tailOfIndex([], 1), []);
    assert.deepEqual(tailOfIndex([], -1), []);
  });

  test('does not modify its input', () => {
    const copy = [...entries];
    tailOfIndex(copy, -1).push('d');
    assert.deepEqual(copy, entries);
  });
});

describe('binlogsToSend (donor)', () => {
  test('index entries with ./ are resolved under the datadir, last N only', () => {
    for (const n of [1, 2, 3]) put(join(datadir, `mysql-bin.00000${n}`));
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000001\n./mysql-bin.000002\n./mysql-bin.000003\n');
    const s = settings('mysql-bin');
    assert.deepEqual(binlogsToSend(s, datadir, 1), [join(datadir, 'mysql-bin.000003')]);
    assert.deepEqual(binlogsToSend(s, datadir, 2), [
      join(datadir, 'mysql-bin.000002'),
      join(datadir, 'mysql-bin.000003'),
    ]);
    assert.deepEqual(
      binlogsToSend(s, datadir, -1),
      [1, 2, 3].map((n) => join(datadir, `mysql-bin.00000${n}`)),
    );
    assert.deepEqual(binlogsToSend(s, datadir, 0), []);
  });

  test('absolute entries and an absolute binlog dir', () => {
    const logs = join(root, 'logs');
    put(join(logs, 'mysql-bin.000007'));
    put(join(logs, 'mysql-bin.index'), `${logs}/mysql-bin.000007\n`);
    assert.deepEqual(binlogsToSend(settings(join(logs, 'mysql-bin')), datadir, 1), [join(logs, 'mysql-bin.000007')]);
  });

  test('entries that are not files (missing, directories) are skipped', () => {
    put(join(datadir, 'mysql-bin.000002'));
    fs.mkdirSync(join(datadir, 'mysql-bin.000003'));
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000001\n./mysql-bin.000002\n./mysql-bin.000003\n');
    assert.deepEqual(binlogsToSend(settings('mysql-bin'), datadir, -1), [join(datadir, 'mysql-bin.000002')]);
  });

  test('skipping happens after the tail: a missing newest file means nothing is sent', () => {
    put(join(datadir, 'mysql-bin.000001'));
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000001\n./mysql-bin.000002\n');
    assert.deepEqual(binlogsToSend(settings('mysql-bin'), datadir, 1), []);
  });

  test('names starting with "-" come back as absolute paths (never an rsync option)', () => {
    put(join(datadir, '-bin.000001'));
    put(join(datadir, '@bin.000002'));
    put(join(datadir, 'idx.index'), '-bin.000001\n@bin.000002\n');
    const files = binlogsToSend(settings('-bin', 'idx.index'), datadir, -1);
    assert.deepEqual(files, [join(datadir, '-bin.000001'), join(datadir, '@bin.000002')]);
    assert.ok(files.every((f) => f.startsWith('/')));
  });

  test('blank lines and CRLF in the index are ignored', () => {
    put(join(datadir, 'mysql-bin.000001'));
    put(join(datadir, 'mysql-bin.index'), '\r\n./mysql-bin.000001\r\n\n  \n');
    assert.deepEqual(binlogsToSend(settings('mysql-bin'), datadir, -1), [join(datadir, 'mysql-bin.000001')]);
  });

  test('no index → nothing to send', () => {
    put(join(datadir, 'mysql-bin.000001'));
    assert.deepEqual(binlogsToSend(settings('mysql-bin'), datadir, -1), []);
  });

  test(
    "entries a root donor must not read on the datadir owner's word: outside the binlog directory, not " +
      '<stem>.<digits>, symlinks; skipped with a WARNING',
    (t) => {
      const warn = t.mock.method(log, 'warn', () => undefined);
      put(join(root, 'secret.000001'), 'root only');
      put(join(root, 'shadow'), 'root only');
      put(join(datadir, 'mysql-bin.000002'));
      fs.symlinkSync(join(root, 'secret.000001'), join(datadir, 'mysql-bin.000003'));
      put(
        join(datadir, 'mysql-bin.index'),
        `${join(root, 'secret.000001')}\n../shadow\n./mysql-bin.000002\n./mysql-bin.000003\n`,
      );
      assert.deepEqual(binlogsToSend(settings('mysql-bin'), datadir, -1), [join(datadir, 'mysql-bin.000002')]);
      const warnings = warn.mock.calls.map((c) => String(c.arguments[0]));
      assert.equal(warnings.length, 2);
      assert.match(warnings[0] ?? '', /entry ".*secret\.000001" is not sent: it is not inside the binlog directory/);
      assert.match(warnings[1] ?? '', /entry "\.\.\/shadow" is not sent/);
    },
  );

  test('an index that is a symlink is not read: nothing is sent', (t) => {
    const warn = t.mock.method(log, 'warn', () => undefined);
    put(join(datadir, 'mysql-bin.000001'));
    put(join(root, 'elsewhere.index'), './mysql-bin.000001\n');
    fs.symlinkSync(join(root, 'elsewhere.index'), join(datadir, 'mysql-bin.index'));
    assert.deepEqual(binlogsToSend(settings('mysql-bin'), datadir, -1), []);
    assert.match(
      String(warn.mock.calls[0]?.arguments[0]),
      /mysql-bin\.index is a symlink: not read, no binary logs to send/,
    );
  });

  test('a custom --binlog-index is the one read', () => {
    put(join(datadir, 'mysql-bin.000001'));
    put(join(datadir, 'mysql-bin.000002'));
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000001\n');
    put(join(datadir, 'custom.index'), './mysql-bin.000002\n');
    assert.deepEqual(binlogsToSend(settings('mysql-bin', 'custom'), datadir, -1), [join(datadir, 'mysql-bin.000002')]);
  });
});

describe('writeBinlogList', () => {
  test('one base name per line, in order', () => {
    const list = writeBinlogList(staging, ['/a/mysql-bin.000002', '/b/mysql-bin.000003']);
    assert.equal(list, join(staging, BINLOG_LIST));
    assert.equal(fs.readFileSync(list, 'utf8'), 'mysql-bin.000002\nmysql-bin.000003\n');
  });

  test('an empty list is an empty file', () => {
    assert.equal(fs.readFileSync(writeBinlogList(staging, []), 'utf8'), '');
  });
});

describe('binlogNameProblem: <stem>.<digits> with one plain stem', () => {
  test('binlog names of any node are accepted', () => {
    const good = [
      'mysql-bin.000001',
      'node1-bin.000003',
      'mysqld-bin.1',
      'x.1234567',
      '-bin.000001',
      '@bin.000002',
      'a b.000001',
      '.hidden.000001',
      'my.bin+.000001',
      `${'s'.repeat(248)}.000001`,
    ];
    for (const n of good) assert.equal(binlogNameProblem(n), undefined, n);
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['.', /not <stem>\.<digits>/],
    ['..', /'\.\.'/],
    ['/etc/passwd', /absolute/],
    ['/var/log/mysql/mysql-bin.000001', /absolute/],
    ['../x.000001', /'\.\.'/],
    ['a/../b.000001', /'\.\.'/],
    ['a/b.000001', /slash/],
    ['a/', /slash/],
    ['a\nb.000001', /control/],
    ['mysql-bin.000001\n', /control/],
    ['a\0.1', /control/],
    ['a\r.1', /control/],
    ['a\t.1', /control/],
    ['a\x7f.1', /control/],
    [' x.1', /blank/],
    ['x.1 ', /blank/],
    [`${'s'.repeat(249)}.000001`, /longer than 255 bytes/],
    [`${'é'.repeat(125)}.000001`, /longer than 255 bytes/],
    ['mysql-bin', /not <stem>/],
    ['mysql-bin.index', /not <stem>/],
    ['mysql-bin.', /not <stem>/],
    ['.000001', /not <stem>/],
    ['..000001', /not <stem>/],
    ['...000001', /not <stem>/],
    ['mysql-bin.000001.bak', /not <stem>/],
    ['mysql-bin.0001x', /not <stem>/],
    ['mysql-bin.-1', /not <stem>/],
    ['victim.txt', /not <stem>/],
  ];
  for (const [name, reason] of bad) {
    test(`refused: ${quoted(name).slice(0, 40)}`, () => {
      assert.match(binlogNameProblem(name) ?? 'accepted', reason);
    });
  }
});

describe('indexEntryProblem: index lines must name a binlog directly in the binlog dir', () => {
  test('relative, ./, absolute and other nodes’ names in the datadir', () => {
    const s = settings('mysql-bin');
    for (const e of [
      './mysql-bin.000001',
      'mysql-bin.000001',
      `${datadir}/mysql-bin.000002`,
      './node1-bin.000003',
      'x/../mysql-bin.000004',
    ]) {
      assert.equal(indexEntryProblem(e, s, datadir), undefined, e);
    }
  });

  test('a binlog dir outside the datadir, given as ../logs or absolute', () => {
    assert.equal(indexEntryProblem('../logs/mysql-bin.000001', settings('../logs/mysql-bin'), datadir), undefined);
    const logs = join(root, 'var', 'log');
    assert.equal(indexEntryProblem(`${logs}/mysql-bin.000001`, settings(`${logs}/mysql-bin`), datadir), undefined);
    assert.match(
      indexEntryProblem('./mysql-bin.000001', settings(`${logs}/mysql-bin`), datadir) ?? '',
      /not inside the binlog directory/,
    );
  });

  const hostile: [string, RegExp][] = [
    ['/some/where/victim.txt', /not inside the binlog directory/],
    ['../victim', /not inside/],
    ['../victim.000001', /not inside/],
    ['/etc/passwd', /not inside/],
    ['sub/mysql-bin.000001', /not inside/],
    ['.', /not inside/],
    ['..', /not inside/],
    ['./mysql-bin.index', /not <stem>/],
    ['./ibdata1', /not <stem>/],
    ['./mysql-bin.000001\x01', /control/],
  ];
  for (const [entry, reason] of hostile) {
    test(`refused: ${quoted(entry)}`, () => {
      assert.match(indexEntryProblem(entry, settings('mysql-bin'), datadir) ?? 'accepted', reason);
    });
  }
});

describe('destinationOf', () => {
  const fakeFs = (real: Record<string, string>): BinlogFs => ({ ...systemBinlogFs, realpath: (p) => real[p] });

  test('an existing directory: its canonical path', () => {
    assert.equal(destinationOf(fakeFs({ '/d/logs': '/mnt/logs', '/d': '/d', '/': '/' }), '/d/logs'), '/mnt/logs');
  });

  test('a missing one: its nearest existing ancestor’s canonical path plus the rest', () => {
    assert.equal(destinationOf(fakeFs({ '/d': '/real/d', '/': '/' }), '/d/a/b'), '/real/d/a/b');
    assert.equal(destinationOf(fakeFs({ '/': '/' }), '/x/y'), '/x/y');
  });

  test('real directories and a symlink on the way', () => {
    fs.mkdirSync(join(root, 'target'));
    fs.symlinkSync(join(root, 'target'), join(root, 'link'));
    assert.equal(destinationOf(systemBinlogFs, join(root, 'link', 'missing')), join(root, 'target', 'missing'));
  });
});

describe('readPreviousBinlogs (joiner, before ready)', () => {
  test('valid entries of its own index become deletable, others are kept with a WARNING', () => {
    const warn = mock.method(log, 'warn', () => undefined);
    try {
      put(
        join(datadir, 'mysql-bin.index'),
        `./mysql-bin.000001\n./node1-bin.000002\n/some/where/victim.txt\n../victim\n./mysql-bin.index\n`,
      );
      const prev = readPreviousBinlogs(settings('mysql-bin'), datadir, systemBinlogFs);
      assert.deepEqual(prev.files, [join(datadir, 'mysql-bin.000001'), join(datadir, 'node1-bin.000002')]);
      const warnings = warn.mock.calls.map((c) => String(c.arguments[0]));
      assert.equal(warnings.length, 3);
      assert.match(
        warnings[0] ?? '',
        /entry "\/some\/where\/victim\.txt" is not deleted: it is not inside the binlog directory/,
      );
      assert.match(warnings[1] ?? '', /"\.\.\/victim"/);
      assert.match(warnings[2] ?? '', /"\.\/mysql-bin\.index".*not <stem>\.<digits>/);
      assert.deepEqual(prev.index, { kind: 'file', text: fs.readFileSync(join(datadir, 'mysql-bin.index'), 'utf8') });
    } finally {
      warn.mock.restore();
    }
  });

  test('no index: nothing to delete', () => {
    const prev = readPreviousBinlogs(settings('mysql-bin'), datadir, systemBinlogFs);
    assert.deepEqual(prev.files, []);
    assert.deepEqual(prev.index, { kind: 'missing', text: undefined });
  });
});

describe('installBinlogs (joiner)', () => {
  /** The joiner's order of events: its own index read before `ready`, then what the donor sends. */
  function joinerRun(s: BinlogSettings, donor: () => void): () => number {
    const previous = readPreviousBinlogs(s, datadir, systemBinlogFs);
    donor();
    return () => installBinlogs(s, datadir, staging, previous);
  }

  function receive(names: string[], listed: string[] = names): void {
    for (const n of names) put(join(staging, n), `new ${n}`);
    put(join(staging, BINLOG_LIST), listed.map((n) => `${n}\n`).join(''));
  }

  function oldBinlogs(): void {
    put(join(datadir, 'mysql-bin.000007'), 'old');
    put(join(datadir, 'mysql-bin.000008'), 'old');
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000007\n./mysql-bin.000008\n');
  }

  /** After a refusal: the old binlogs and index are as they were, the victim too. */
  function nothingDeleted(victim?: string): void {
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.000007'), 'utf8'), 'old');
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.000008'), 'utf8'), 'old');
    if (victim !== undefined) assert.equal(fs.readFileSync(victim, 'utf8'), 'victim');
  }

  test('old indexed and unindexed binlogs go, new ones are moved in, index rebuilt with ./', () => {
    oldBinlogs();
    put(join(datadir, 'mysql-bin.000009'), 'old unindexed');
    const run = joinerRun(settings('mysql-bin'), () => receive(['mysql-bin.000010', 'mysql-bin.000011']));
    assert.equal(run(), 2);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'mysql-bin.000010', 'mysql-bin.000011', 'mysql-bin.index'].sort());
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), './mysql-bin.000010\n./mysql-bin.000011\n');
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.000011'), 'utf8'), 'new mysql-bin.000011');
    assert.deepEqual(ls(staging), [BINLOG_LIST]);
  });

  test('per-node names: the donor’s names are installed, and removed again by the next SST', () => {
    put(join(datadir, 'node2-bin.000004'), 'old');
    put(join(datadir, 'node2-bin.index'), './node2-bin.000004\n');
    const s = settings('node2-bin');
    assert.equal(joinerRun(s, () => receive(['node1-bin.000002']))(), 1);
    assert.equal(fs.readFileSync(join(datadir, 'node2-bin.index'), 'utf8'), './node1-bin.000002\n');
    fs.rmSync(staging, { recursive: true });
    fs.mkdirSync(staging);
    assert.equal(joinerRun(s, () => receive(['node3-bin.000009']))(), 1);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'node2-bin.index', 'node3-bin.000009'].sort());
  });

  test('the index keeps the donor’s order, not the alphabetical one', () => {
    joinerRun(settings('mysql-bin'), () =>
      receive(['mysql-bin.000010', 'mysql-bin.000009'], ['mysql-bin.000010', 'mysql-bin.000009']),
    )();
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), './mysql-bin.000010\n./mysql-bin.000009\n');
  });

  test('absolute binlog dir: files and index there, absolute index lines, dirs created', () => {
    const logs = join(root, 'var', 'log', 'mysql');
    assert.equal(joinerRun(settings(join(logs, 'mysql-bin')), () => receive(['mysql-bin.000003']))(), 1);
    assert.equal(fs.readFileSync(join(logs, 'mysql-bin.index'), 'utf8'), `${logs}/mysql-bin.000003\n`);
    assert.equal(fs.existsSync(join(logs, 'mysql-bin.000003')), true);
  });

  test('absolute binlog dir with an old absolute index: old ones deleted there', () => {
    const logs = join(root, 'logs');
    put(join(logs, 'mysql-bin.000001'), 'old');
    put(join(logs, 'mysql-bin.index'), `${logs}/mysql-bin.000001\n`);
    joinerRun(settings(join(logs, 'mysql-bin')), () => receive(['mysql-bin.000002']))();
    assert.deepEqual(ls(logs), ['mysql-bin.000002', 'mysql-bin.index']);
  });

  test('relative binlog sub-directory: prefix as given', () => {
    joinerRun(settings('binlogs/mysql-bin'), () => receive(['mysql-bin.000003']))();
    assert.equal(fs.readFileSync(join(datadir, 'binlogs', 'mysql-bin.index'), 'utf8'), 'binlogs/mysql-bin.000003\n');
    assert.equal(fs.existsSync(join(datadir, 'binlogs', 'mysql-bin.000003')), true);
  });

  test('custom index in another directory: old one removed, new one written there', () => {
    const idxDir = join(root, 'idx');
    put(join(datadir, 'mysql-bin.000001'), 'old');
    put(join(idxDir, 'custom.index'), './mysql-bin.000001\n');
    joinerRun(settings('mysql-bin', join(idxDir, 'custom')), () => receive(['mysql-bin.000002']))();
    assert.equal(fs.readFileSync(join(idxDir, 'custom.index'), 'utf8'), './mysql-bin.000002\n');
    assert.equal(fs.existsSync(join(datadir, 'mysql-bin.000001')), false);
    assert.equal(fs.existsSync(join(datadir, 'mysql-bin.index')), false);
  });

  test('names starting with "-" are installed like any other', () => {
    joinerRun(settings('-bin'), () => receive(['-bin.000001']))();
    assert.equal(fs.readFileSync(join(datadir, '-bin.index'), 'utf8'), './-bin.000001\n');
  });

  test('leaves mysql-bin.index.bak, another basename’s unindexed files and non-numeric suffixes', () => {
    const keep = [
      'mysql-bin.index.bak',
      'other-bin.000001',
      'other-bin.index',
      'mysql-bin.000001.bak',
      'mysql-bin.0001x',
      'mysql-bin',
      'xmysql-bin.000001',
      'mysql-bin-000001',
    ];
    for (const k of keep) put(join(datadir, k), 'keep');
    put(join(datadir, 'mysql-bin.000003'), 'old');
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000003\n');
    fs.rmSync(staging, { recursive: true });
    joinerRun(settings('mysql-bin'), () => undefined)();
    assert.deepEqual(ls(datadir), keep.sort());
  });

  test('regex metacharacters in the basename are literal', () => {
    put(join(datadir, 'my.bin+.000001'), 'old');
    put(join(datadir, 'myXbin+.000001'), 'keep');
    joinerRun(settings('my.bin+'), () => undefined)();
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'myXbin+.000001']);
  });

  test('no list (donor without binlogs) → 0, old binlogs still removed, no index written', () => {
    oldBinlogs();
    fs.rmSync(staging, { recursive: true });
    assert.equal(joinerRun(settings('mysql-bin'), () => undefined)(), 0);
    assert.deepEqual(ls(datadir), []);
  });

  test('an empty list → 0 and an empty index', () => {
    assert.equal(joinerRun(settings('mysql-bin'), () => receive([]))(), 0);
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), '');
  });

  test('stagingHasBinlogs follows the list file', () => {
    assert.equal(stagingHasBinlogs(staging), false);
    receive([]);
    assert.equal(stagingHasBinlogs(staging), true);
  });

  test('the joiner’s own index naming files elsewhere: they are kept, with a WARNING, the SST goes on', () => {
    const warn = mock.method(log, 'warn', () => undefined);
    try {
      const victim = join(root, 'victim.txt');
      put(victim, 'victim');
      put(join(datadir, 'mysql-bin.000001'), 'old');
      put(join(datadir, 'mysql-bin.index'), `${victim}\n./mysql-bin.000001\n`);
      assert.equal(joinerRun(settings('mysql-bin'), () => receive(['mysql-bin.000002']))(), 1);
      assert.equal(fs.readFileSync(victim, 'utf8'), 'victim');
      assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'mysql-bin.000002', 'mysql-bin.index'].sort());
      assert.match(String(warn.mock.calls[0]?.arguments[0]), /victim\.txt" is not deleted/);
    } finally {
      warn.mock.restore();
    }
  });

  test('symlinks named like binlogs (indexed or not) are left, their targets never reached', () => {
    const warn = mock.method(log, 'warn', () => undefined);
    try {
      const outside = join(root, 'outside');
      put(join(outside, 'a'), 'victim');
      put(join(outside, 'b'), 'victim');
      fs.symlinkSync(join(outside, 'a'), join(datadir, 'mysql-bin.000001'));
      fs.symlinkSync(join(outside, 'b'), join(datadir, 'mysql-bin.000009'));
      put(join(datadir, 'mysql-bin.index'), './mysql-bin.000001\n');
      joinerRun(settings('mysql-bin'), () => receive(['mysql-bin.000002']))();
      assert.equal(fs.readFileSync(join(outside, 'a'), 'utf8'), 'victim');
      assert.equal(fs.readFileSync(join(outside, 'b'), 'utf8'), 'victim');
      assert.ok(fs.lstatSync(join(datadir, 'mysql-bin.000009')).isSymbolicLink());
      assert.equal(warn.mock.calls.length, 2);
    } finally {
      warn.mock.restore();
    }
  });

  const hostileNames = [
    '../x',
    '../../etc/evil',
    'sub/x.000001',
    '..',
    '.',
    '/etc/passwd',
    `${root}/x.000001`,
    'victim.txt',
    'a\u2028b',
    `${'n'.repeat(300)}.1`,
  ];
  for (const evil of hostileNames) {
    test(`the donor's list names ${quoted(evil).slice(0, 40)} → 32 naming it, nothing deleted`, () => {
      oldBinlogs();
      const victim = join(root, 'x');
      put(victim, 'victim');
      const run = joinerRun(settings('mysql-bin'), () => {
        receive(['mysql-bin.000010']);
        put(join(staging, BINLOG_LIST), `mysql-bin.000010\n${evil}\n`);
      });
      throws32(
        run,
        new RegExp(`binlog list from the donor: entry ${literal(quoted(evil))} refused.*no binary log was deleted`),
      );
      nothingDeleted(victim);
      assert.equal(
        fs.readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'),
        './mysql-bin.000007\n./mysql-bin.000008\n',
      );
      assert.equal(fs.existsSync(join(datadir, 'mysql-bin.000010')), false);
    });
  }

  test('a name with a newline cannot even be listed: its parts are refused', () => {
    oldBinlogs();
    const run = joinerRun(settings('mysql-bin'), () =>
      put(join(staging, BINLOG_LIST), 'mysql-bin.000010\n/etc/passwd\n'),
    );
    throws32(run, /entry "\/etc\/passwd" refused: it is an absolute path/);
    nothingDeleted();
  });

  test('a listed binlog that arrived as a symlink → 32, the link is not installed', () => {
    oldBinlogs();
    const victim = join(root, 'victim');
    put(victim, 'victim');
    const run = joinerRun(settings('mysql-bin'), () => {
      fs.symlinkSync(victim, join(staging, 'mysql-bin.000010'));
      put(join(staging, BINLOG_LIST), 'mysql-bin.000010\n');
    });
    throws32(run, /entry "mysql-bin\.000010" refused: it arrived as a symlink/);
    nothingDeleted(victim);
    assert.equal(fs.existsSync(join(datadir, 'mysql-bin.000010')), false);
  });

  test('a listed binlog that arrived as a directory, or twice in the list → 32', () => {
    oldBinlogs();
    const dir = joinerRun(settings('mysql-bin'), () => {
      fs.mkdirSync(join(staging, 'mysql-bin.000010'));
      put(join(staging, BINLOG_LIST), 'mysql-bin.000010\n');
    });
    throws32(dir, /arrived as a directory/);
    fs.rmSync(staging, { recursive: true });
    fs.mkdirSync(staging);
    throws32(
      joinerRun(settings('mysql-bin'), () => receive(['mysql-bin.000010'], ['mysql-bin.000010', 'mysql-bin.000010'])),
      /listed twice/,
    );
    nothingDeleted();
  });

  test('a listed name that did not arrive → 32, nothing deleted', () => {
    oldBinlogs();
    throws32(
      joinerRun(settings('mysql-bin'), () => receive(['mysql-bin.000001'], ['mysql-bin.000001', 'mysql-bin.000002'])),
      /"mysql-bin\.000002": not received/,
    );
    nothingDeleted();
  });

  for (const evil of ['/some/where/victim.txt', '../victim', './ibdata1', 'sub/mysql-bin.000001']) {
    test(`an index pushed by the donor naming ${quoted(evil)} → 32 naming it, nothing deleted`, () => {
      oldBinlogs();
      const victim = join(root, 'victim');
      put(victim, 'victim');
      put(join(datadir, 'ibdata1'), 'data');
      const run = joinerRun(settings('mysql-bin'), () => {
        receive(['mysql-bin.000010']);
        put(join(datadir, 'mysql-bin.index'), `./mysql-bin.000007\n${evil}\n`);
      });
      throws32(
        run,
        new RegExp(`index .*mysql-bin\\.index received from the donor: entry ${literal(quoted(evil))} refused`),
      );
      nothingDeleted(victim);
      assert.equal(fs.readFileSync(join(datadir, 'ibdata1'), 'utf8'), 'data');
    });
  }

  test('an index pushed by the donor as a symlink → 32, its target untouched', () => {
    oldBinlogs();
    const victim = join(root, 'victim');
    put(victim, 'victim');
    const run = joinerRun(settings('mysql-bin'), () => {
      receive(['mysql-bin.000010']);
      fs.rmSync(join(datadir, 'mysql-bin.index'));
      fs.symlinkSync(victim, join(datadir, 'mysql-bin.index'));
    });
    throws32(run, /mysql-bin\.index was replaced during the transfer by a symlink/);
    nothingDeleted(victim);
  });

  test('the node’s own index kept as a symlink, unchanged by the transfer: accepted, replaced by a file', () => {
    put(join(datadir, 'mysql-bin.000001'), 'old');
    put(join(root, 'real.index'), './mysql-bin.000001\n');
    fs.symlinkSync(join(root, 'real.index'), join(datadir, 'mysql-bin.index'));
    assert.equal(joinerRun(settings('mysql-bin'), () => receive(['mysql-bin.000002']))(), 1);
    assert.equal(fs.readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), './mysql-bin.000002\n');
    assert.equal(
      fs.readFileSync(join(root, 'real.index'), 'utf8'),
      './mysql-bin.000001\n',
      'never written through the link',
    );
    assert.equal(fs.existsSync(join(datadir, 'mysql-bin.000001')), false);
  });

  test('a valid index pushed by the donor: its binlogs go too', () => {
    oldBinlogs();
    const run = joinerRun(settings('mysql-bin'), () => {
      receive(['node1-bin.000004']);
      put(join(datadir, 'node1-bin.000003'), 'donor’s older binlog');
      put(join(datadir, 'mysql-bin.index'), './node1-bin.000003\n');
    });
    assert.equal(run(), 1);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'mysql-bin.index', 'node1-bin.000004'].sort());
  });

  test('a binlog directory replaced by a symlink during the transfer → 32, nothing deleted or moved there', () => {
    const logs = join(datadir, 'binlogs');
    put(join(logs, 'mysql-bin.000001'), 'old');
    put(join(logs, 'mysql-bin.index'), 'binlogs/mysql-bin.000001\n');
    const elsewhere = join(root, 'elsewhere');
    put(join(elsewhere, 'mysql-bin.000001'), 'victim');
    const run = joinerRun(settings('binlogs/mysql-bin'), () => {
      receive(['mysql-bin.000002']);
      fs.renameSync(logs, join(root, 'moved'));
      fs.symlinkSync(elsewhere, logs);
    });
    throws32(run, /binlog directory .*binlogs now leads to .*elsewhere/);
    assert.deepEqual(ls(elsewhere), ['mysql-bin.000001']);
    assert.equal(fs.readFileSync(join(elsewhere, 'mysql-bin.000001'), 'utf8'), 'victim');
  });

  test('a staging directory replaced by a symlink → 32', () => {
    oldBinlogs();
    const elsewhere = join(root, 'elsewhere');
    put(join(elsewhere, 'mysql-bin.000010'), 'victim');
    put(join(elsewhere, BINLOG_LIST), 'mysql-bin.000010\n');
    const run = joinerRun(settings('mysql-bin'), () => {
      fs.rmSync(staging, { recursive: true });
      fs.symlinkSync(elsewhere, staging);
    });
    throws32(run, /staging directory .* is not a directory/);
    nothingDeleted();
    assert.equal(fs.readFileSync(join(elsewhere, 'mysql-bin.000010'), 'utf8'), 'victim');
  });
});
