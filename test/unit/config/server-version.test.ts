/** Which server version's option groups apply (src/config/server-version.ts), with a fake /proc. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeGroups, loadServerConfig } from '../../../src/config/load';
import {
  describeServerVersion,
  installedServerVersion,
  runningServerVersion,
  versionInBinary,
  versionInUpgradeInfo,
  type FileFacts,
  type ServerVersionIo,
} from '../../../src/config/server-version';
import { parseProcStat, skipShells } from '../../../src/proc/ancestors';

/** A server binary as far as we look at it: C strings, among them its versioned group names. */
function binary(...strings: string[]): Buffer {
  return Buffer.from(['\x7fELF', ...strings, 'tail'].join('\0'), 'latin1');
}

const MARIADBD_1011 = binary(
  'mysqld',
  'server',
  'mysqld-10.11',
  'mariadb',
  'mariadb-10.11',
  'mariadb-5.3',
  'mariadbd-10.11',
);

function stat(pid: number, comm: string, ppid: number): string {
  return `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1 2 3`;
}

/** /proc and files as a map: a missing entry cannot be read. */
function fakeIo(
  files: Record<string, Buffer | string>,
  links: Record<string, string> = {},
  programs: Record<string, string> = {},
  fs: { facts?: Record<string, Partial<FileFacts>>; real?: Record<string, string>; uid?: number } = {},
): ServerVersionIo {
  return {
    readFile: (f) => {
      const v = files[f];
      return v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1');
    },
    readLink: (l) => links[l],
    findProgram: (n) => programs[n],
    realPath: (f) => fs.real?.[f] ?? (files[f] === undefined ? undefined : f),
    stat: (f) => {
      const given = fs.facts?.[f];
      // Unless a test says otherwise: root's directories and files, mode 755, older than any process.
      if (files[f] !== undefined) return { uid: 0, mode: 0o100755, kind: 'file', changedMs: 0, ...given };
      return { uid: 0, mode: 0o40755, kind: 'directory', changedMs: 0, ...given };
    },
    uid: fs.uid ?? 105,
  };
}

describe('parsing', () => {
  test('/proc/<pid>/stat: comm with blanks and parentheses, parent PID', () => {
    assert.deepEqual(parseProcStat(stat(42, 'sh', 7)), { comm: 'sh', ppid: 7 });
    assert.deepEqual(parseProcStat(stat(42, 'a b) (c', 9)), { comm: 'a b) (c', ppid: 9 });
    assert.equal(parseProcStat(''), undefined);
    assert.equal(parseProcStat('42 (x'), undefined);
  });

  test('the version in a server binary is its mysqld-X.Y group name', () => {
    assert.equal(versionInBinary(MARIADBD_1011), '10.11');
    assert.equal(versionInBinary(binary('mysqld-11.4', 'mariadbd-11.4')), '11.4');
    assert.equal(versionInBinary(binary('node', 'v20.0.0')), undefined);
    assert.equal(versionInBinary(binary('mysqld-10.11', 'mysqld-11.4')), undefined, 'two versions tell nothing');
    assert.equal(versionInBinary(binary('mysqld-10.11x', 'xmysqld-10.6')), undefined);
    assert.equal(versionInBinary(Buffer.from('\0mysqld-10.11', 'latin1')), undefined, 'not a terminated C string');
  });

  test('mysql_upgrade_info', () => {
    assert.equal(versionInUpgradeInfo('10.11.19-MariaDB'), '10.11');
    assert.equal(versionInUpgradeInfo('11.4.2-MariaDB-log\n'), '11.4');
    assert.equal(versionInUpgradeInfo(''), undefined);
    assert.equal(versionInUpgradeInfo('10.11'), undefined);
  });
});

describe('skipShells', () => {
  const procs: Record<number, string> = {
    30: stat(30, 'sh', 20),
    20: stat(20, 'bash', 10),
    10: stat(10, 'mariadbd', 1),
  };
  const read = (pid: number): string | undefined => procs[pid];

  test('sh -c and bash -c between mariadbd and us are skipped', () => {
    assert.equal(skipShells(30, read), 10);
    assert.equal(skipShells(10, read), 10);
  });

  test('an unreadable process is taken as it is', () => {
    assert.equal(skipShells(99, read), 99);
  });

  test('at most three shells', () => {
    const chain: Record<number, string> = {
      5: stat(5, 'sh', 4),
      4: stat(4, 'sh', 3),
      3: stat(3, 'sh', 2),
      2: stat(2, 'sh', 1),
    };
    assert.equal(
      skipShells(5, (p) => chain[p]),
      2,
    );
  });
});

describe('runningServerVersion (the SST)', () => {
  test('from the parent mariadbd, through an sh -c', () => {
    const io = fakeIo(
      {
        '/proc/30/stat': stat(30, 'sh', 10),
        '/proc/10/stat': stat(10, 'mariadbd', 1),
        '/proc/10/exe': MARIADBD_1011,
        '/data/mysql_upgrade_info': '11.4.2-MariaDB',
      },
      { '/proc/10/exe': '/usr/sbin/mariadbd' },
    );
    const v = runningServerVersion(30, '/data', io);
    assert.deepEqual(v, { version: '10.11', source: '/proc/10/exe (/usr/sbin/mariadbd)' });
    assert.equal(describeServerVersion(v), 'server version 10.11 from /proc/10/exe (/usr/sbin/mariadbd)');
  });

  test('a binary replaced by an upgrade is still the one that runs', () => {
    const io = fakeIo(
      { '/proc/10/stat': stat(10, 'mysqld', 1), '/proc/10/exe': MARIADBD_1011 },
      { '/proc/10/exe': '/usr/libexec/mysqld (deleted)' },
    );
    assert.equal(runningServerVersion(10, '/data', io).version, '10.11');
  });

  test('a parent that is not a server: mysql_upgrade_info, and the log says why', () => {
    const io = fakeIo(
      { '/proc/10/stat': stat(10, 'node', 1), '/data/mysql_upgrade_info': '10.11.19-MariaDB' },
      { '/proc/10/exe': '/usr/bin/node' },
    );
    assert.deepEqual(runningServerVersion(10, '/data', io), {
      version: '10.11',
      source: '/data/mysql_upgrade_info (PID 10 runs /usr/bin/node, not a MariaDB server)',
    });
  });

  test('nothing known: no version, and why', () => {
    const v = runningServerVersion(10, '/data', fakeIo({}));
    assert.deepEqual(v, {
      source: '/proc/10/exe is not readable; /proc/10/cmdline is not readable; no /data/mysql_upgrade_info',
    });
    assert.equal(
      describeServerVersion(v),
      'no server version: /proc/10/exe is not readable; /proc/10/cmdline is not readable; no /data/mysql_upgrade_info',
    );
  });

  test('a server binary without a version, a broken mysql_upgrade_info', () => {
    const io = fakeIo(
      { '/proc/10/exe': binary('mysqld'), '/data/mysql_upgrade_info': 'garbage' },
      { '/proc/10/exe': '/opt/mariadbd' },
    );
    assert.deepEqual(runningServerVersion(10, '/data', io), {
      source: '/proc/10/exe (/opt/mariadbd) names no server version; /data/mysql_upgrade_info names no version',
    });
  });
});

/**
 * docs/architecture.md §8.10 (10): mariadbd started as root with `user=mysql` is not dumpable, so its
 * /proc/<pid>/exe cannot be read by the SST (running as mysql); its command line can.
 */
describe('runningServerVersion: a server whose /proc/<pid>/exe is hidden (switched user)', () => {
  const MARIADBD_118 = binary('mysqld', 'mysqld-11.8', 'mariadb-11.8', 'mariadbd-11.8');
  /** PID 10 started at 1000 s after a boot at 1700000000 (clock ticks of 1/100 s). */
  function proc(argv: string[], comm = 'mariadbd', pid = 10, ppid = 1): Record<string, string> {
    const stat = `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 100000 123 456`;
    return {
      [`/proc/${pid}/stat`]: stat,
      [`/proc/${pid}/cmdline`]: `${argv.join('\0')}\0`,
      '/proc/stat': 'cpu  1 2 3\nbtime 1700000000\nprocesses 9\n',
    };
  }
  const STARTED_MS = (1_700_000_000 + 1000) * 1000;

  test('argv[0] /usr/sbin/mariadbd, root-owned: its version, and the log says where from and why', () => {
    const io = fakeIo({ ...proc(['/usr/sbin/mariadbd', '--user=mysql']), '/usr/sbin/mariadbd': MARIADBD_118 });
    const v = runningServerVersion(10, '/data', io);
    assert.deepEqual(v, {
      version: '11.8',
      source: "/usr/sbin/mariadbd, argv[0] '/usr/sbin/mariadbd' of PID 10 (/proc/10/exe is not readable)",
    });
    assert.equal(
      describeServerVersion(v),
      'server version 11.8 from /usr/sbin/mariadbd, argv[0] ' +
        "'/usr/sbin/mariadbd' of PID 10 (/proc/10/exe is not readable)",
    );
  });

  test('PID 1 of a container, reached through sh -c: the same', () => {
    const io = fakeIo({
      ...proc(['/usr/sbin/mariadbd'], 'mariadbd', 1, 0),
      '/proc/30/stat': stat(30, 'sh', 1),
      '/usr/sbin/mariadbd': MARIADBD_118,
    });
    assert.equal(runningServerVersion(30, '/data', io).version, '11.8');
  });

  test('a bare name (docker-entrypoint: exec mariadbd) is looked up as the SST looks up programs', () => {
    const io = fakeIo(
      { ...proc(['mariadbd']), '/usr/sbin/mariadbd': MARIADBD_118 },
      {},
      { mariadbd: '/usr/sbin/mariadbd' },
    );
    assert.equal(runningServerVersion(10, '/data', io).version, '11.8');
    const missing = fakeIo({ ...proc(['mariadbd']) });
    assert.match(
      runningServerVersion(10, '/data', missing).source,
      /argv\[0\] 'mariadbd' of PID 10 is not found in PATH/,
    );
  });

  test('mysqld, a link to mariadbd: the file behind the link is read', () => {
    const io = fakeIo(
      { ...proc(['/usr/sbin/mysqld'], 'mysqld'), '/usr/sbin/mariadbd': MARIADBD_118 },
      {},
      {},
      { real: { '/usr/sbin/mysqld': '/usr/sbin/mariadbd' } },
    );
    assert.equal(runningServerVersion(10, '/data', io).version, '11.8');
  });

  test("a file owned by the SST's own user (a tarball install run as mysql) is as trusted as we are", () => {
    const io = fakeIo(
      { ...proc(['/home/mysql/bin/mariadbd']), '/home/mysql/bin/mariadbd': MARIADBD_118 },
      {},
      {},
      {
        facts: {
          '/home/mysql/bin/mariadbd': { uid: 105 },
          '/home/mysql/bin': { uid: 105 },
          '/home/mysql': { uid: 105, mode: 0o40700 },
        },
      },
    );
    assert.equal(runningServerVersion(10, '/data', io).version, '11.8');
  });

  test('a root-owned file in a sticky directory (/tmp) cannot be replaced by another user', () => {
    const io = fakeIo(
      { ...proc(['/tmp/mariadbd']), '/tmp/mariadbd': MARIADBD_118 },
      {},
      {},
      { facts: { '/tmp': { mode: 0o41777 } } },
    );
    assert.equal(runningServerVersion(10, '/data', io).version, '11.8');
  });

  const refusals: [string, Record<string, Buffer | string>, Parameters<typeof fakeIo>[3], RegExp][] = [
    [
      'a relative path (the working directory is hidden too)',
      { ...proc(['./bin/mariadbd']), '/bin/mariadbd': MARIADBD_118 },
      {},
      /argv\[0\] '\.\/bin\/mariadbd' of PID 10 is relative to a working directory we cannot see/,
    ],
    [
      "argv[0] that is not the kernel's name of the process",
      { ...proc(['/usr/sbin/mariadbd'], 'python3'), '/usr/sbin/mariadbd': MARIADBD_118 },
      {},
      /is not the process's name \(python3\)/,
    ],
    [
      'a file another user owns',
      { ...proc(['/opt/m/mariadbd']), '/opt/m/mariadbd': MARIADBD_118 },
      { facts: { '/opt/m/mariadbd': { uid: 1001 } } },
      /\/opt\/m\/mariadbd may be written by uid 1001/,
    ],
    [
      'a group-writable file',
      { ...proc(['/opt/m/mariadbd']), '/opt/m/mariadbd': MARIADBD_118 },
      { facts: { '/opt/m/mariadbd': { mode: 0o100775 } } },
      /\/opt\/m\/mariadbd may be written by uid 0 or by others/,
    ],
    [
      'a directory another user owns',
      { ...proc(['/opt/m/mariadbd']), '/opt/m/mariadbd': MARIADBD_118 },
      { facts: { '/opt/m': { uid: 1001 } } },
      /\/opt\/m may be written by uid 1001/,
    ],
    [
      'a world-writable directory above it, not sticky',
      { ...proc(['/opt/m/mariadbd']), '/opt/m/mariadbd': MARIADBD_118 },
      { facts: { '/opt': { mode: 0o40777 } } },
      /\/opt may be written/,
    ],
    [
      'a file changed after the server started (an upgrade replaced it)',
      { ...proc(['/usr/sbin/mariadbd']), '/usr/sbin/mariadbd': MARIADBD_118 },
      { facts: { '/usr/sbin/mariadbd': { changedMs: STARTED_MS + 60_000 } } },
      /\/usr\/sbin\/mariadbd changed after PID 10 started/,
    ],
    [
      'argv[0] with control characters, shown without them',
      { ...proc(['/opt/\x1b[2Jmariadbd\n']), '/opt/\x1b[2Jmariadbd\n': MARIADBD_118 },
      {},
      /argv\[0\] '\/opt\/\?\[2Jmariadbd\?' of PID 10 is not the process's name \(mariadbd\)/,
    ],
    [
      'a program that is not a server',
      { ...proc(['/usr/bin/python3'], 'python3'), '/usr/bin/python3': MARIADBD_118 },
      {},
      /is \/usr\/bin\/python3, not a MariaDB server/,
    ],
    [
      'a symbolic link as the file',
      { ...proc(['/usr/sbin/mariadbd']), '/usr/sbin/mariadbd': MARIADBD_118 },
      { facts: { '/usr/sbin/mariadbd': { kind: 'other' } } },
      /is not a regular file/,
    ],
  ];
  for (const [what, files, fs, why] of refusals) {
    test(`refused: ${what}; then mysql_upgrade_info, and the log says why`, () => {
      const v = runningServerVersion(
        10,
        '/data',
        fakeIo({ ...files, '/data/mysql_upgrade_info': '10.11.19-MariaDB' }, {}, {}, fs),
      );
      assert.equal(v.version, '10.11', v.source);
      assert.match(v.source, /^\/data\/mysql_upgrade_info \(\/proc\/10\/exe is not readable; /);
      assert.match(v.source, why);
    });
  }

  test('a file changed just before the server started is fine (boot time has whole seconds)', () => {
    const io = fakeIo(
      { ...proc(['/usr/sbin/mariadbd']), '/usr/sbin/mariadbd': MARIADBD_118 },
      {},
      {},
      { facts: { '/usr/sbin/mariadbd': { changedMs: STARTED_MS + 900 } } },
    );
    assert.equal(runningServerVersion(10, '/data', io).version, '11.8');
  });

  test('no command line either (the process is gone): no version, and why', () => {
    assert.deepEqual(runningServerVersion(10, '/data', fakeIo({})), {
      source: '/proc/10/exe is not readable; /proc/10/cmdline is not readable; no /data/mysql_upgrade_info',
    });
  });
});

describe('installedServerVersion (check)', () => {
  test('the mariadbd the SST would find, else mysqld', () => {
    assert.deepEqual(
      installedServerVersion(
        '/data',
        fakeIo({ '/usr/sbin/mariadbd': MARIADBD_1011 }, {}, { mariadbd: '/usr/sbin/mariadbd' }),
      ),
      {
        version: '10.11',
        source: '/usr/sbin/mariadbd',
      },
    );
    assert.equal(
      installedServerVersion(
        '/data',
        fakeIo({ '/usr/libexec/mysqld': MARIADBD_1011 }, {}, { mysqld: '/usr/libexec/mysqld' }),
      ).version,
      '10.11',
    );
  });

  test('no server installed: the datadir decides', () => {
    assert.deepEqual(installedServerVersion('/data', fakeIo({ '/data/mysql_upgrade_info': '10.6.1-MariaDB' })), {
      version: '10.6',
      source: '/data/mysql_upgrade_info (no mariadbd or mysqld installed)',
    });
    assert.deepEqual(installedServerVersion(undefined, fakeIo({})), { source: 'no mariadbd or mysqld installed' });
  });
});

describe('loadServerConfig: the versioned groups are read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'server-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cnf = join(dir, 'my.cnf');
  writeFileSync(
    cnf,
    '[mysqld]\ndatadir=/plain\n[mariadb-10.11]\ndatadir=/v1011\n[mariadbd-11.4]\ndatadir=/v114\n[sst.n2]\n' +
      'tcert=/n2.crt\n',
  );

  test('10.11 reads [mariadb-10.11], not [mariadbd-11.4]', () => {
    const c = loadServerConfig({ defaultsFile: cnf }, { version: '10.11', source: 'test' }, { cwd: dir });
    assert.equal(c.lookup([c.mysqld], 'datadir'), '/v1011');
    assert.deepEqual(c.files, [cnf]);
  });

  test('without a version only the plain groups', () => {
    const c = loadServerConfig({ defaultsFile: cnf }, { source: 'none' }, { cwd: dir });
    assert.equal(c.lookup([c.mysqld], 'datadir'), '/plain');
  });

  test('the log line lists every group read, suffixed ones too, and where the version came from', () => {
    const c = loadServerConfig(
      { defaultsFile: cnf, defaultsGroupSuffix: '.n2' },
      { version: '11.4', source: '/proc/1/exe (/usr/sbin/mariadbd)' },
      { cwd: dir },
    );
    assert.equal(c.lookup([c.mysqld], 'datadir'), '/v114');
    assert.equal(c.lookup([['sst']], 'tcert'), '/n2.crt');
    assert.equal(
      describeGroups(c),
      'mysqld, server, mysqld-11.4, mariadb, mariadb-11.4, mariadbd, mariadbd-11.4, client-server, galera, sst, ' +
        'mysqld.n2, server.n2, mysqld-11.4.n2, mariadb.n2, mariadb-11.4.n2, mariadbd.n2, mariadbd-11.4.n2, ' +
        'client-server.n2, galera.n2, sst.n2 ' +
        '(server version 11.4 from /proc/1/exe (/usr/sbin/mariadbd))',
    );
  });
});

describe('the real file system (systemIo)', () => {
  test("a FIFO the datadir's owner puts at mysql_upgrade_info is not read and does not hang the SST", () => {
    const dir = mkdtempSync(join(tmpdir(), 'sst-version-fifo-'));
    try {
      const fifo = join(dir, 'mysql_upgrade_info');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      // In a child: a read that blocks would block this process's event loop, timers and all.
      const module = join(__dirname, '..', '..', '..', 'src', 'config', 'server-version.js');
      const r = spawnSync(
        process.execPath,
        [
          '-e',
          `process.stdout.write(String(require(${JSON.stringify(module)}).systemIo.readFile(process.argv[1])))`,
          fifo,
        ],
        {
          encoding: 'utf8',
          timeout: 10_000,
        },
      );
      assert.equal(r.signal, null, 'the read hung on the FIFO');
      assert.equal(r.stdout, 'undefined');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
