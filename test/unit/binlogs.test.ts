/**
 * Binary logs on both roles (spec §2.5, §3.4, §7.29) in real temporary datadirs.
 * The transfer itself differs from upstream's tar: the donor sends the files
 * plus an ordered list into a staging directory, the joiner moves them in place.
 */
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binlogsToSend, installBinlogs, isPlainName, removeOldBinlogs, stagingHasBinlogs, tailOfIndex, writeBinlogList } from '../../src/sst/binlogs';
import { resolveBinlog, type BinlogSettings, type Lookup } from '../../src/sst/settings';
import { BINLOG_LIST, BINLOG_STAGING } from '../../src/rsync/modules';
import type { SstArgs } from '../../src/cli/args';
import { SstError } from '../../src/errors';

const noConfig: Lookup = () => undefined;

let root = '';
let datadir = '';
let staging = '';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sst-binlogs-'));
  datadir = join(root, 'data');
  staging = join(datadir, BINLOG_STAGING);
  mkdirSync(staging, { recursive: true });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The settings the program would derive from `--binlog`/`--binlog-index`. */
function settings(binlog: string, binlogIndex?: string): BinlogSettings {
  const args: SstArgs = { role: 'joiner', address: 'h', datadir, progress: false, bypass: false, mysqld: {}, binlog, binlogIndex };
  const s = resolveBinlog(args, noConfig, ['mysqld']);
  assert.ok(s);
  return s;
}

function put(file: string, content = 'x'): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
}

const ls = (dir: string): string[] => readdirSync(dir).sort();

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
    assert.deepEqual(binlogsToSend(s, datadir, 2), [join(datadir, 'mysql-bin.000002'), join(datadir, 'mysql-bin.000003')]);
    assert.deepEqual(binlogsToSend(s, datadir, -1), [1, 2, 3].map((n) => join(datadir, `mysql-bin.00000${n}`)));
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
    mkdirSync(join(datadir, 'mysql-bin.000003'));
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
    assert.equal(readFileSync(list, 'utf8'), 'mysql-bin.000002\nmysql-bin.000003\n');
  });

  test('an empty list is an empty file', () => {
    assert.equal(readFileSync(writeBinlogList(staging, []), 'utf8'), '');
  });
});

describe('isPlainName', () => {
  test('plain names', () => {
    for (const n of ['mysql-bin.000001', '-bin.000001', '@x', 'a b', '.hidden']) assert.equal(isPlainName(n), true, n);
  });

  test('anything that could leave the directory or break the index', () => {
    for (const n of ['', '.', '..', '../x', 'a/b', '/etc/passwd', 'a\nb', 'a\0b']) assert.equal(isPlainName(n), false, JSON.stringify(n));
  });
});

describe('installBinlogs (joiner)', () => {
  function receive(names: string[], listed: string[] = names): void {
    for (const n of names) put(join(staging, n), `new ${n}`);
    put(join(staging, BINLOG_LIST), listed.map((n) => `${n}\n`).join(''));
  }

  test('old indexed and unindexed binlogs go, new ones are moved in, index rebuilt with ./', () => {
    put(join(datadir, 'mysql-bin.000007'), 'old');
    put(join(datadir, 'mysql-bin.000008'), 'old');
    put(join(datadir, 'mysql-bin.000009'), 'old unindexed');
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000007\n./mysql-bin.000008\n');
    receive(['mysql-bin.000010', 'mysql-bin.000011']);

    assert.equal(installBinlogs(settings('mysql-bin'), datadir, staging), 2);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'mysql-bin.000010', 'mysql-bin.000011', 'mysql-bin.index'].sort());
    assert.equal(readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), './mysql-bin.000010\n./mysql-bin.000011\n');
    assert.equal(readFileSync(join(datadir, 'mysql-bin.000011'), 'utf8'), 'new mysql-bin.000011');
    assert.deepEqual(ls(staging), [BINLOG_LIST]);
  });

  test('the index keeps the donor’s order, not the alphabetical one', () => {
    receive(['mysql-bin.000010', 'mysql-bin.000009'], ['mysql-bin.000010', 'mysql-bin.000009']);
    installBinlogs(settings('mysql-bin'), datadir, staging);
    assert.equal(readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), './mysql-bin.000010\n./mysql-bin.000009\n');
  });

  test('absolute binlog dir: files and index there, absolute index lines, dirs created', () => {
    const logs = join(root, 'var', 'log', 'mysql');
    receive(['mysql-bin.000003']);
    assert.equal(installBinlogs(settings(join(logs, 'mysql-bin')), datadir, staging), 1);
    assert.equal(readFileSync(join(logs, 'mysql-bin.index'), 'utf8'), `${logs}/mysql-bin.000003\n`);
    assert.equal(existsSync(join(logs, 'mysql-bin.000003')), true);
  });

  test('relative binlog sub-directory: prefix as given', () => {
    receive(['mysql-bin.000003']);
    installBinlogs(settings('binlogs/mysql-bin'), datadir, staging);
    assert.equal(readFileSync(join(datadir, 'binlogs', 'mysql-bin.index'), 'utf8'), 'binlogs/mysql-bin.000003\n');
    assert.equal(existsSync(join(datadir, 'binlogs', 'mysql-bin.000003')), true);
  });

  test('custom index in another directory: old one removed, new one written there', () => {
    const idxDir = join(root, 'idx');
    put(join(datadir, 'mysql-bin.000001'), 'old');
    put(join(idxDir, 'custom.index'), './mysql-bin.000001\n');
    receive(['mysql-bin.000002']);
    installBinlogs(settings('mysql-bin', join(idxDir, 'custom')), datadir, staging);
    assert.equal(readFileSync(join(idxDir, 'custom.index'), 'utf8'), './mysql-bin.000002\n');
    assert.equal(existsSync(join(datadir, 'mysql-bin.000001')), false);
    assert.equal(existsSync(join(datadir, 'mysql-bin.index')), false);
  });

  test('names starting with "-" are installed like any other', () => {
    receive(['-bin.000001']);
    installBinlogs(settings('-bin'), datadir, staging);
    assert.equal(readFileSync(join(datadir, '-bin.index'), 'utf8'), './-bin.000001\n');
  });

  for (const evil of ['../x', '../../etc/evil', 'sub/x', '..', '.']) {
    test(`a listed name ${JSON.stringify(evil)} → 32 and nothing escapes the staging dir`, () => {
      put(join(staging, BINLOG_LIST), `${evil}\n`);
      put(join(root, 'x'), 'outside');
      throws32(() => installBinlogs(settings('mysql-bin'), datadir, staging), /Error installing binary log/);
      assert.equal(readFileSync(join(root, 'x'), 'utf8'), 'outside');
      assert.equal(existsSync(join(datadir, 'x')), false);
    });
  }

  test('a listed name that did not arrive → 32', () => {
    receive(['mysql-bin.000001'], ['mysql-bin.000001', 'mysql-bin.000002']);
    throws32(() => installBinlogs(settings('mysql-bin'), datadir, staging), /mysql-bin\.000002.*not received/);
  });

  test('no list (donor without binlogs) → 0, old binlogs still removed, no index written', () => {
    put(join(datadir, 'mysql-bin.000001'), 'old');
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000001\n');
    rmSync(staging, { recursive: true });
    assert.equal(installBinlogs(settings('mysql-bin'), datadir, staging), 0);
    assert.deepEqual(ls(datadir), []);
  });

  test('an empty list → 0 and an empty index', () => {
    receive([]);
    assert.equal(installBinlogs(settings('mysql-bin'), datadir, staging), 0);
    assert.equal(readFileSync(join(datadir, 'mysql-bin.index'), 'utf8'), '');
  });

  test('stagingHasBinlogs follows the list file', () => {
    assert.equal(stagingHasBinlogs(staging), false);
    receive([]);
    assert.equal(stagingHasBinlogs(staging), true);
  });
});

describe('removeOldBinlogs: what it deletes and what it leaves (documented behaviour)', () => {
  test('deletes indexed files anywhere, the index, and <basename>.<digits> in the binlog dir', () => {
    const elsewhere = join(root, 'elsewhere');
    put(join(elsewhere, 'mysql-bin.000001'), 'old');
    put(join(datadir, 'mysql-bin.000002'), 'old');
    put(join(datadir, 'mysql-bin.1'), 'old, odd numbering');
    put(join(datadir, 'mysql-bin.index'), `${elsewhere}/mysql-bin.000001\n./mysql-bin.000002\n./mysql-bin.000404\n`);
    removeOldBinlogs(settings('mysql-bin'), datadir);
    assert.equal(existsSync(join(elsewhere, 'mysql-bin.000001')), false);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING]);
  });

  test('leaves mysql-bin.index.bak, another basename’s binlogs and index, and non-numeric suffixes', () => {
    const keep = ['mysql-bin.index.bak', 'other-bin.000001', 'other-bin.index', 'mysql-bin.000001.bak', 'mysql-bin.0001x', 'mysql-bin', 'xmysql-bin.000001', 'mysql-bin-000001'];
    for (const k of keep) put(join(datadir, k), 'keep');
    put(join(datadir, 'mysql-bin.000003'), 'old');
    put(join(datadir, 'mysql-bin.index'), './mysql-bin.000003\n');
    removeOldBinlogs(settings('mysql-bin'), datadir);
    // Upstream's `rm -f "<basename>".[0-9]*` would also remove mysql-bin.000001.bak and mysql-bin.0001x.
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, ...keep].sort());
  });

  test('with a custom index, the default-named index of the same basename is kept', () => {
    put(join(datadir, 'mysql-bin.index'), 'stale default index\n');
    put(join(datadir, 'custom.index'), '');
    removeOldBinlogs(settings('mysql-bin', 'custom'), datadir);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'mysql-bin.index']);
  });

  test('regex metacharacters in the basename are literal', () => {
    put(join(datadir, 'my.bin+.000001'), 'old');
    put(join(datadir, 'myXbin+.000001'), 'keep');
    removeOldBinlogs(settings('my.bin+'), datadir);
    assert.deepEqual(ls(datadir), [BINLOG_STAGING, 'myXbin+.000001']);
  });

  test('no index and no binlog dir → no error', () => {
    removeOldBinlogs(settings(join(root, 'missing', 'mysql-bin')), datadir);
  });
});
