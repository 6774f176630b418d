/**
 * Layout and binlog settings (docs/protocol.md §1.3, §1.4, §2.5, §3.4, §4.2, §7.29, §7.30)
 * with a fake option-file Lookup built from a map of groups.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { SstArgs } from '../../../src/config/args';
import {
  parseRate,
  resolveBackupThreads,
  resolveBinlog,
  resolveLayout,
  resolveMaxBinlogs,
  resolveProgressInterval,
  resolveRateLimit,
  resolveTimeouts,
  type Lookup,
} from '../../../src/config/settings';
import { SstError } from '../../../src/errors';
import { MAX_STREAMS } from '../../../src/protocol/streams';

const DATADIR = '/var/lib/mysql';
const MYSQLD = ['mysqld', 'server', 'galera'] as const;

function args(over: Partial<SstArgs> = {}): SstArgs {
  return {
    role: 'joiner',
    address: '10.0.0.2:4444',
    datadir: DATADIR,
    progress: false,
    bypass: false,
    mysqld: {},
    ...over,
  };
}

interface FakeLookup {
  lookup: Lookup;
  calls: { groupSets: string[][]; key: string }[];
}

/**
 * A fake of the option-file reader: `groups` maps a group name to its keys.
 * Like the real one, group sets are tried in order and the first set with a
 * non-empty value wins; inside a set the last group holding the key wins.
 */
function fakeLookup(groups: Record<string, Record<string, string>>): FakeLookup {
  const calls: FakeLookup['calls'] = [];
  const lookup: Lookup = (groupSets, key) => {
    calls.push({ groupSets: groupSets.map((s) => [...s]), key });
    for (const set of groupSets) {
      let value: string | undefined;
      for (const g of set) {
        const v = groups[g]?.[key];
        if (v !== undefined) value = v;
      }
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  };
  return { lookup, calls };
}

function throws22(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SstError);
    assert.equal(e.code, 22);
    assert.match(e.message, message);
    return true;
  });
}

describe('resolveLayout', () => {
  test('nothing configured → everything in the datadir', () => {
    const { lookup } = fakeLookup({});
    assert.deepEqual(resolveLayout(args(), lookup, MYSQLD, {}), {
      datadir: DATADIR,
      dataHome: DATADIR,
      logDir: DATADIR,
      undoDir: DATADIR,
      ariaLog: DATADIR,
    });
  });

  test('config values: relative → under the datadir, absolute kept', () => {
    const { lookup } = fakeLookup({
      mysqld: {
        'innodb-data-home-dir': 'ibdata',
        'innodb-log-group-home-dir': '/srv/redo',
        'innodb-undo-directory': './undo/',
        'aria-log-dir-path': '../aria',
      },
    });
    assert.deepEqual(resolveLayout(args(), lookup, MYSQLD, {}), {
      datadir: DATADIR,
      dataHome: `${DATADIR}/ibdata`,
      logDir: '/srv/redo',
      undoDir: `${DATADIR}/undo`,
      ariaLog: '/var/lib/aria',
    });
  });

  test('only the mysqld group set is consulted for the layout', () => {
    const fake = fakeLookup({ sst: { 'innodb-data-home-dir': '/wrong' } });
    assert.equal(resolveLayout(args(), fake.lookup, MYSQLD, {}).dataHome, DATADIR);
    assert.ok(fake.calls.length > 0);
    for (const c of fake.calls) assert.deepEqual(c.groupSets, [[...MYSQLD]]);
    assert.deepEqual(fake.calls.map((c) => c.key).sort(), [
      'aria-log-dir-path',
      'innodb-data-home-dir',
      'innodb-log-group-home-dir',
      'innodb-undo-directory',
    ]);
  });

  test('the environment beats the config', () => {
    const { lookup } = fakeLookup({
      mysqld: {
        'innodb-data-home-dir': '/cfg/data',
        'innodb-log-group-home-dir': '/cfg/log',
        'innodb-undo-directory': '/cfg/undo',
      },
    });
    const l = resolveLayout(args(), lookup, MYSQLD, {
      INNODB_DATA_HOME_DIR: '/env/data',
      INNODB_LOG_GROUP_HOME: 'envlog',
      INNODB_UNDO_DIR: '/env/undo',
    });
    assert.equal(l.dataHome, '/env/data');
    assert.equal(l.logDir, `${DATADIR}/envlog`);
    assert.equal(l.undoDir, '/env/undo');
  });

  test('--mysqld-args beats the environment and the config', () => {
    const { lookup } = fakeLookup({
      mysqld: { 'innodb-data-home-dir': '/cfg/data', 'aria-log-dir-path': '/cfg/aria' },
    });
    const a = args({
      mysqld: {
        innodbDataHomeDir: '/cmd/data',
        innodbLogGroupHomeDir: 'cmdlog',
        innodbUndoDirectory: '/cmd/undo',
        ariaLogDirPath: '/cmd/aria',
      },
    });
    const l = resolveLayout(a, lookup, MYSQLD, {
      INNODB_DATA_HOME_DIR: '/env/data',
      INNODB_LOG_GROUP_HOME: '/env/log',
      INNODB_UNDO_DIR: '/env/undo',
    });
    assert.deepEqual(l, {
      datadir: DATADIR,
      dataHome: '/cmd/data',
      logDir: `${DATADIR}/cmdlog`,
      undoDir: '/cmd/undo',
      ariaLog: '/cmd/aria',
    });
  });

  test('there is no environment variable for the Aria directory', () => {
    const { lookup } = fakeLookup({ mysqld: { 'aria-log-dir-path': '/cfg/aria' } });
    const env = { INNODB_DATA_HOME_DIR: '/env/data' };
    assert.equal(resolveLayout(args(), lookup, MYSQLD, env).ariaLog, '/cfg/aria');
  });

  test('blank values are treated as unset at every level, values are trimmed', () => {
    const { lookup } = fakeLookup({ mysqld: { 'innodb-data-home-dir': '  /cfg/data  ' } });
    const l = resolveLayout(args({ mysqld: { innodbDataHomeDir: '   ' } }), lookup, MYSQLD, {
      INNODB_DATA_HOME_DIR: '',
    });
    assert.equal(l.dataHome, '/cfg/data');
  });

  test('a directory equal to the datadir, with or without trailing slash', () => {
    const { lookup } = fakeLookup({
      mysqld: { 'innodb-data-home-dir': `${DATADIR}/`, 'innodb-log-group-home-dir': './' },
    });
    const l = resolveLayout(args(), lookup, MYSQLD, {});
    assert.equal(l.dataHome, DATADIR);
    assert.equal(l.logDir, DATADIR);
  });

  test('same resolution on both roles (10.11.19’s donor forgets it, docs/protocol.md §3.3)', () => {
    const { lookup } = fakeLookup({
      mysqld: { 'innodb-data-home-dir': '/srv/innodb/data', 'innodb-log-group-home-dir': '/srv/innodb/logs' },
    });
    assert.deepEqual(
      resolveLayout(args({ role: 'donor' }), lookup, MYSQLD, {}),
      resolveLayout(args({ role: 'joiner' }), lookup, MYSQLD, {}),
    );
  });
});

describe('resolveBinlog', () => {
  const none = fakeLookup({}).lookup;

  test('binary logging off → undefined', () => {
    assert.equal(resolveBinlog(args(), none, MYSQLD), undefined);
  });

  test('--binlog mysql-bin → datadir, prefix ".", default index <binlog>.index', () => {
    assert.deepEqual(resolveBinlog(args({ binlog: 'mysql-bin' }), none, MYSQLD), {
      dir: DATADIR,
      indexPrefix: '.',
      basename: 'mysql-bin',
      index: `${DATADIR}/mysql-bin.index`,
    });
  });

  test('absolute binlog dir: files, prefix and default index there', () => {
    assert.deepEqual(resolveBinlog(args({ binlog: '/var/log/mysql/mysql-bin' }), none, MYSQLD), {
      dir: '/var/log/mysql',
      indexPrefix: '/var/log/mysql',
      basename: 'mysql-bin',
      index: '/var/log/mysql/mysql-bin.index',
    });
  });

  test('relative sub-directory: prefix as given, dir under the datadir', () => {
    assert.deepEqual(resolveBinlog(args({ binlog: 'binlogs/mysql-bin' }), none, MYSQLD), {
      dir: `${DATADIR}/binlogs`,
      indexPrefix: 'binlogs',
      basename: 'mysql-bin',
      index: `${DATADIR}/binlogs/mysql-bin.index`,
    });
  });

  /** The index file for `--binlog mysql-bin --binlog-index <given>`. */
  const indexFor = (given: string): string | undefined =>
    resolveBinlog(args({ binlog: 'mysql-bin', binlogIndex: given }), none, MYSQLD)?.index;

  test('--binlog-index without extension gets .index', () => {
    assert.equal(indexFor('custom'), `${DATADIR}/custom.index`);
    assert.equal(indexFor('/idx/custom'), '/idx/custom.index');
  });

  test('--binlog-index with an extension is kept', () => {
    assert.equal(indexFor('custom.idx'), `${DATADIR}/custom.idx`);
    assert.equal(indexFor('/var/log/mysql/mysql-bin.index'), '/var/log/mysql/mysql-bin.index');
  });

  test('a dot in a directory name is not an extension', () => {
    assert.equal(indexFor('/srv/my.sql/custom'), '/srv/my.sql/custom.index');
  });

  test('--log-basename → <log-basename>-bin.index in the datadir', () => {
    const b = resolveBinlog(args({ binlog: 'node1-bin', logBasename: 'node1' }), none, MYSQLD);
    assert.equal(b?.index, `${DATADIR}/node1-bin.index`);
    assert.equal(b?.basename, 'node1-bin');
  });

  test('--binlog-index beats --log-basename', () => {
    assert.equal(
      resolveBinlog(args({ binlog: 'b', binlogIndex: 'explicit', logBasename: 'node1' }), none, MYSQLD)?.index,
      `${DATADIR}/explicit.index`,
    );
  });

  test('config fallbacks: log-bin, log-bin-index, log-basename from the mysqld groups', () => {
    const fake = fakeLookup({ mysqld: { 'log-bin': '/var/log/mysql/cfg-bin' } });
    assert.deepEqual(resolveBinlog(args(), fake.lookup, MYSQLD), {
      dir: '/var/log/mysql',
      indexPrefix: '/var/log/mysql',
      basename: 'cfg-bin',
      index: '/var/log/mysql/cfg-bin.index',
    });
    for (const c of fake.calls) assert.deepEqual(c.groupSets, [[...MYSQLD]]);
    assert.equal(
      resolveBinlog(args(), fakeLookup({ galera: { 'log-bin': 'b', 'log-bin-index': 'i' } }).lookup, MYSQLD)?.index,
      `${DATADIR}/i.index`,
    );
    assert.equal(
      resolveBinlog(args(), fakeLookup({ server: { 'log-bin': 'b', 'log-basename': 'lb' } }).lookup, MYSQLD)?.index,
      `${DATADIR}/lb-bin.index`,
    );
  });

  test('the command line beats the config', () => {
    const { lookup } = fakeLookup({ mysqld: { 'log-bin': 'cfg-bin', 'log-bin-index': 'cfg', 'log-basename': 'cfg' } });
    const b = resolveBinlog(args({ binlog: 'cmd-bin', binlogIndex: 'cmd' }), lookup, MYSQLD);
    assert.equal(b?.basename, 'cmd-bin');
    assert.equal(b?.index, `${DATADIR}/cmd.index`);
  });

  test('the [sst] group is not a source of binlog settings', () => {
    assert.equal(resolveBinlog(args(), fakeLookup({ sst: { 'log-bin': 'x' } }).lookup, MYSQLD), undefined);
  });

  test(
    'a derived index name always gets .index, even when the binlog name contains a dot (upstream: ' +
      '"$WSREP_SST_OPT_BINLOG.index")',
    () => {
      assert.equal(
        resolveBinlog(args({ binlog: 'db.example-bin' }), none, MYSQLD)?.index,
        `${DATADIR}/db.example-bin.index`,
      );
      assert.equal(
        resolveBinlog(args({ binlog: 'b', logBasename: 'node.1' }), none, MYSQLD)?.index,
        `${DATADIR}/node.1-bin.index`,
      );
    },
  );
});

describe('resolveMaxBinlogs', () => {
  test('default 1', () => {
    assert.equal(resolveMaxBinlogs(fakeLookup({}).lookup, MYSQLD), 1);
  });

  test('0, negative, positive, blanks around', () => {
    assert.equal(resolveMaxBinlogs(fakeLookup({ sst: { 'sst-max-binlogs': '0' } }).lookup, MYSQLD), 0);
    assert.equal(resolveMaxBinlogs(fakeLookup({ sst: { 'sst-max-binlogs': '-1' } }).lookup, MYSQLD), -1);
    assert.equal(resolveMaxBinlogs(fakeLookup({ sst: { 'sst-max-binlogs': ' 5 ' } }).lookup, MYSQLD), 5);
  });

  test('the mysqld groups are tried before [sst]', () => {
    const fake = fakeLookup({ mysqld: { 'sst-max-binlogs': '3' }, sst: { 'sst-max-binlogs': '9' } });
    assert.equal(resolveMaxBinlogs(fake.lookup, MYSQLD), 3);
    assert.deepEqual(fake.calls[0]?.groupSets, [[...MYSQLD], ['sst']]);
  });

  test('garbage → 22', () => {
    for (const v of ['abc', '2.5', '1,5', '5x']) {
      throws22(
        () => resolveMaxBinlogs(fakeLookup({ sst: { 'sst-max-binlogs': v } }).lookup, MYSQLD),
        /^sst-max-binlogs=.*: must be a whole number from -1000000 to 1000000 \(0 none, negative all\)$/,
      );
    }
  });

  test('hex and exponent forms are garbage too (upstream compares with [ -gt ])', () => {
    for (const v of ['0x10', '1e3']) {
      throws22(
        () => resolveMaxBinlogs(fakeLookup({ sst: { 'sst-max-binlogs': v } }).lookup, MYSQLD),
        /sst-max-binlogs/,
      );
    }
  });
});

describe('resolveBackupThreads', () => {
  test('default: the CPU count, at least 1', () => {
    assert.equal(resolveBackupThreads(fakeLookup({}).lookup, MYSQLD, 8), 8);
    assert.equal(resolveBackupThreads(fakeLookup({}).lookup, MYSQLD, 0), 1);
  });

  test('configured value, mysqld groups before [sst]', () => {
    assert.equal(resolveBackupThreads(fakeLookup({ sst: { 'backup-threads': '4' } }).lookup, MYSQLD, 8), 4);
    const fake = fakeLookup({ mysqld: { 'backup-threads': '2' }, sst: { 'backup-threads': '6' } });
    assert.equal(resolveBackupThreads(fake.lookup, MYSQLD, 8), 2);
    assert.deepEqual(fake.calls[0]?.groupSets, [[...MYSQLD], ['sst']]);
  });

  test('never more than MAX_STREAMS, the most a joiner serves at once; a configured value above it is noted', () => {
    const notes: string[] = [];
    assert.equal(
      resolveBackupThreads(fakeLookup({}).lookup, MYSQLD, 64, (m) => notes.push(m)),
      MAX_STREAMS,
    );
    assert.equal(notes.length, 0, 'the CPU count is cut silently');
    assert.equal(
      resolveBackupThreads(fakeLookup({ sst: { 'backup-threads': String(MAX_STREAMS) } }).lookup, MYSQLD, 2, (m) =>
        notes.push(m),
      ),
      MAX_STREAMS,
    );
    assert.equal(
      resolveBackupThreads(fakeLookup({ sst: { 'backup-threads': '32' } }).lookup, MYSQLD, 2, (m) => notes.push(m)),
      MAX_STREAMS,
    );
    assert.deepEqual(notes, [
      `backup-threads=32: copying with ${MAX_STREAMS} parallel passes, the most a joiner accepts at once`,
    ]);
  });

  test('0, negative, fractional or garbage → 22', () => {
    for (const v of ['0', '-2', '1.5', 'many']) {
      throws22(
        () => resolveBackupThreads(fakeLookup({ sst: { 'backup-threads': v } }).lookup, MYSQLD, 8),
        /^backup-threads=.*: must be a whole number from 1 to 1024$/,
      );
    }
  });
});

describe('progress-interval, timeouts and rlimit ([sst])', () => {
  test('progress-interval: 30 s by default, 0 turns it off, fractions allowed', () => {
    assert.equal(resolveProgressInterval(fakeLookup({}).lookup), 30);
    assert.equal(resolveProgressInterval(fakeLookup({ sst: { 'progress-interval': '0' } }).lookup), 0);
    assert.equal(resolveProgressInterval(fakeLookup({ sst: { 'progress-interval': '2.5' } }).lookup), 2.5);
    assert.equal(
      resolveProgressInterval(fakeLookup({ mysqld: { 'progress-interval': '5' } }).lookup),
      30,
      'an [sst] key only',
    );
    for (const v of ['-1', 'soon', '1e3'])
      throws22(
        () => resolveProgressInterval(fakeLookup({ sst: { 'progress-interval': v } }).lookup),
        /^progress-interval=.*: must be 0 \(off\) or a number of seconds from 1 to 86400$/,
      );
  });

  test('timeouts: off by default, seconds otherwise', () => {
    assert.deepEqual(resolveTimeouts(fakeLookup({}).lookup), { initial: 0, idle: 0 });
    assert.deepEqual(
      resolveTimeouts(fakeLookup({ sst: { 'sst-initial-timeout': '300', 'sst-idle-timeout': '60' } }).lookup),
      { initial: 300, idle: 60 },
    );
    throws22(
      () => resolveTimeouts(fakeLookup({ sst: { 'sst-idle-timeout': '-5' } }).lookup),
      /^sst-idle-timeout=-5: must be 0 \(off\) or a number of seconds from 1 to 604800$/,
    );
  });

  test('rlimit: bytes per second, k/m/g in powers of 1024 as pv -L reads them', () => {
    assert.equal(parseRate('100000'), 100000);
    assert.equal(parseRate('64k'), 64 * 1024);
    assert.equal(parseRate('50M'), 50 * 1024 * 1024);
    assert.equal(parseRate('1g'), 1024 ** 3);
    assert.equal(parseRate('1.5m'), 1.5 * 1024 * 1024);
    assert.equal(parseRate('20MB'), 20 * 1024 * 1024);
    for (const v of ['fast', '10t', '-5m', '', 'm'])
      throws22(() => parseRate(v), /^rlimit=.*: must be 0 \(no limit\) or a rate in bytes per second from 64k to 100g/);
    assert.equal(resolveRateLimit(fakeLookup({}).lookup), undefined);
    assert.equal(resolveRateLimit(fakeLookup({ sst: { rlimit: '0' } }).lookup), undefined);
    assert.equal(resolveRateLimit(fakeLookup({ sst: { rlimit: '10m' } }).lookup), 10 * 1024 * 1024);
  });
});

/**
 * docs/architecture.md §8.10 (6): every number of the option files has a range, and a value outside it ends
 * the SST with 22 before anything starts. `progress-interval=0.0000001` with rlimit used to spin
 * the donor at 100 % CPU with its tables locked.
 */
describe('numeric options outside their range → 22, one line naming the key, the value and the range', () => {
  const sst = (key: string, value: string): Lookup => fakeLookup({ sst: { [key]: value } }).lookup;

  test("progress-interval=0.0000001 (the donor's busy loop) and other sub-second or huge intervals", () => {
    for (const v of ['0.0000001', '0.5', '0.999', '86400.5', '100000', '1e-7']) {
      throws22(
        () => resolveProgressInterval(sst('progress-interval', v)),
        new RegExp(
          `^progress-interval=${v.replace('.', '\\.')}: must be 0 \\(off\\) or a number of seconds from 1 to 86400$`,
        ),
      );
    }
    for (const [v, n] of [
      ['1', 1],
      ['1.5', 1.5],
      ['86400', 86400],
      ['0.0', 0],
    ] as const)
      assert.equal(resolveProgressInterval(sst('progress-interval', v)), n);
  });

  test('timeouts: 0 (off) or 1 s to 7 days', () => {
    for (const key of ['sst-initial-timeout', 'sst-idle-timeout']) {
      for (const v of ['0.5', '604801', '99999999999999999999', '-1']) {
        throws22(
          () => resolveTimeouts(sst(key, v)),
          new RegExp(`^${key}=${v}: must be 0 \\(off\\) or a number of seconds from 1 to 604800$`),
        );
      }
      assert.equal(Object.values(resolveTimeouts(sst(key, '604800'))).includes(604800), true);
      assert.equal(Object.values(resolveTimeouts(sst(key, '1'))).includes(1), true);
    }
  });

  test('rlimit: 0 (no limit) or 64k to 100g; a rate that rounds to 0 bytes is not "no limit"', () => {
    for (const v of ['1', '0.5', '1000', '63k', '63.99k', '101g', '1000000g']) {
      throws22(
        () => parseRate(v),
        new RegExp(
          `^rlimit=${v.replace('.', '\\.')}: must be 0 \\(no limit\\) or a rate in bytes per second from 64k ` +
            `to 100g \\(suffixes k, m, g in powers of 1024\\)$`,
        ),
      );
    }
    assert.equal(parseRate('64k'), 65536);
    assert.equal(parseRate('100g'), 100 * 1024 ** 3);
    assert.equal(parseRate('0k'), 0);
  });

  test('backup-threads 1 to 1024 (above 8 cut to 8), sst-max-binlogs -1000000 to 1000000', () => {
    throws22(
      () => resolveBackupThreads(sst('backup-threads', '1025'), MYSQLD, 2),
      /^backup-threads=1025: must be a whole number from 1 to 1024$/,
    );
    assert.equal(
      resolveBackupThreads(sst('backup-threads', '1024'), MYSQLD, 2, () => undefined),
      MAX_STREAMS,
    );
    throws22(() => resolveMaxBinlogs(sst('sst-max-binlogs', '1000001'), MYSQLD), /^sst-max-binlogs=1000001: must be/);
    throws22(
      () => resolveMaxBinlogs(sst('sst-max-binlogs', '-99999999999999999999'), MYSQLD),
      /^sst-max-binlogs=-99999999999999999999: must be/,
    );
    assert.equal(resolveMaxBinlogs(sst('sst-max-binlogs', '-1000000'), MYSQLD), -1_000_000);
  });
});
