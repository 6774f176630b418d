/**
 * argv parsing (docs/protocol.md §1.2, §1.3, §7.1, §7.2, §7.4).
 *
 * The command lines mariadbd builds are given here as the shell text it hands to
 * `sh -c`; the real `sh` tokenises them, so the tests see exactly what the program
 * receives (quotes removed, values with spaces kept together).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { SstArgs } from '../../../src/config/args';
import { parseArgs, parseMysqldArgs, normaliseDir, type Command } from '../../../src/cli/args';
import { assertSstError } from '../../helpers/assert-sst';
import { shWords } from '../../helpers/sh-words';
import { sstArgs } from '../../fixtures/mariadb/versions';

/** An argument list written as one line: words split on single spaces, no shell. */
const words = (line: string): string[] => line.split(' ');

/** A full mariadbd command line: drops the leading `wsrep_sst_<method>` word. */
function argvOf(commandLine: string): string[] {
  const tokens = shWords(commandLine);
  assert.match(tokens[0] ?? '', /^wsrep_sst_/);
  return tokens.slice(1);
}

function sst(argv: readonly string[]): SstArgs {
  const c: Command = parseArgs(argv);
  assert.equal(c.kind, 'sst');
  if (c.kind !== 'sst') throw new Error('unreachable');
  return c.args;
}

const JOINER_BASE = ['--role', 'joiner', '--address', '10.0.0.2:4444', '--datadir', '/var/lib/mysql/'];

describe('the sh tokeniser used by these tests', () => {
  test('removes quotes and keeps quoted blanks', () => {
    assert.deepEqual(shWords(`--a 'x y' --b "z \\"q\\"" --c=\\$d`), ['--a', 'x y', '--b', 'z "q"', '--c=$d']);
  });
});

describe('10.11.19 command lines (verbatim from the spec, observed on Debian 12)', () => {
  test('joiner', () => {
    const argv = argvOf(
      `wsrep_sst_rsync --role 'joiner' --address '10.0.0.2:4444' --datadir '/var/lib/mysql/' --defaults-file ` +
        `'/etc/mysql/my.cnf' --parent 4242 --progress 0 --mysqld-args --defaults-file=/etc/mysql/my.cnf`,
    );
    assert.deepEqual(
      argv,
      words(
        '--role joiner --address 10.0.0.2:4444 --datadir /var/lib/mysql/ --defaults-file /etc/mysql/my.cnf ' +
          '--parent 4242 --progress 0 --mysqld-args --defaults-file=/etc/mysql/my.cnf',
      ),
    );
    const a = sst(argv);
    assert.deepEqual(
      a,
      sstArgs({
        role: 'joiner',
        address: '10.0.0.2:4444',
        datadir: '/var/lib/mysql',
        defaultsFile: '/etc/mysql/my.cnf',
        parent: 4242,
      }),
    );
  });

  test('donor', () => {
    const argv = argvOf(
      `wsrep_sst_rsync --role 'donor' --address '10.0.0.2:4444/rsync_sst' --local-port 3306 --socket ` +
        `'/run/mysqld/mysqld.sock' --progress 0 --datadir '/var/lib/mysql/' --defaults-file ` +
        `'/etc/mysql/my.cnf' --gtid 'a860abba-ea9b-11f1-ad11-f22cb73f111e:3' --gtid-domain-id 0 --mysqld-args ` +
        `--defaults-file=/etc/mysql/my.cnf --wsrep-new-cluster`,
    );
    const a = sst(argv);
    assert.deepEqual(
      a,
      sstArgs({
        role: 'donor',
        address: '10.0.0.2:4444/rsync_sst',
        datadir: '/var/lib/mysql',
        defaultsFile: '/etc/mysql/my.cnf',
        gtid: 'a860abba-ea9b-11f1-ad11-f22cb73f111e:3',
        gtidDomainId: '0',
        localPort: 3306,
        socket: '/run/mysqld/mysqld.sock',
      }),
    );
  });

  test('joiner with every optional part: defaults trio, binlog, binlog index, --progress 1', () => {
    const a = sst(
      argvOf(
        `wsrep_sst_rsync_tunnel --role 'joiner' --address '[::1]:4444' --datadir '/srv/my data/' ` +
          `--defaults-file '/etc/my.cnf' --defaults-extra-file '/etc/extra.cnf' --defaults-group-suffix '.n2' ` +
          `--parent 77 --progress 1 --binlog 'mysql-bin' --binlog-index 'mysql-bin.index' --mysqld-args ` +
          `--defaults-file=/etc/my.cnf --wsrep_start_position=a860abba-ea9b-11f1-ad11-f22cb73f111e:3`,
      ),
    );
    assert.equal(a.role, 'joiner');
    assert.equal(a.address, '[::1]:4444');
    assert.equal(a.datadir, '/srv/my data');
    assert.equal(a.defaultsFile, '/etc/my.cnf');
    assert.equal(a.defaultsExtraFile, '/etc/extra.cnf');
    assert.equal(a.defaultsGroupSuffix, '.n2');
    assert.equal(a.parent, 77);
    assert.equal(a.progress, true);
    assert.equal(a.binlog, 'mysql-bin');
    assert.equal(a.binlogIndex, 'mysql-bin.index');
    assert.deepEqual(a.mysqld, {});
  });

  test('donor in IST mode (--bypass) with binlog options', () => {
    const a = sst(
      argvOf(
        `wsrep_sst_rsync_tunnel --role 'donor' --address '10.0.0.2:4444/rsync_tunnel_sst' --local-port 3306 ` +
          `--socket '/run/mysqld/mysqld.sock' --progress 0 --datadir '/var/lib/mysql/' ` +
          `--gtid 'a860abba-ea9b-11f1-ad11-f22cb73f111e:-1' --gtid-domain-id 5 --binlog '/var/log/mysql/mysql-bin' ` +
          `--binlog-index '/var/log/mysql/mysql-bin.index' --bypass`,
      ),
    );
    assert.equal(a.bypass, true);
    assert.equal(a.gtid, 'a860abba-ea9b-11f1-ad11-f22cb73f111e:-1');
    assert.equal(a.gtidDomainId, '5');
    assert.equal(a.binlog, '/var/log/mysql/mysql-bin');
    assert.equal(a.binlogIndex, '/var/log/mysql/mysql-bin.index');
  });
});

describe('older and newer servers', () => {
  test('10.4-era joiner: quoted --parent, no --progress', () => {
    const a = sst(
      argvOf(
        `wsrep_sst_rsync_tunnel --role 'joiner' --address '10.0.0.2' --datadir '/var/lib/mysql/' ` +
          `--defaults-file '/etc/mysql/my.cnf' --parent '1234' --binlog 'mysql-bin'`,
      ),
    );
    assert.equal(a.role, 'joiner');
    assert.equal(a.parent, 1234);
    assert.equal(a.progress, false);
    assert.equal(a.address, '10.0.0.2');
    assert.equal(a.binlog, 'mysql-bin');
  });

  test("10.4-era donor: no --local-port, no --progress, quoted --gtid-domain-id '0'", () => {
    const a = sst(
      argvOf(
        `wsrep_sst_rsync_tunnel --role 'donor' --address '10.0.0.2:4444/rsync_tunnel_sst' ` +
          `--socket '/var/run/mysqld/mysqld.sock' --datadir '/var/lib/mysql/' --defaults-file '/etc/mysql/my.cnf' ` +
          `--gtid 'a860abba-ea9b-11f1-ad11-f22cb73f111e:10' --gtid-domain-id '0'`,
      ),
    );
    assert.equal(a.role, 'donor');
    assert.equal(a.localPort, undefined);
    assert.equal(a.progress, false);
    assert.equal(a.gtidDomainId, '0');
    assert.equal(a.socket, '/var/run/mysqld/mysqld.sock');
  });

  test("10.5/10.6-era donor: --local-port '3306' quoted, no --progress", () => {
    const a = sst(
      argvOf(
        `wsrep_sst_rsync_tunnel --role 'donor' --address '10.0.0.2:4444/rsync_tunnel_sst' --local-port '3306' ` +
          `--socket '/run/mysqld/mysqld.sock' --datadir '/var/lib/mysql/' ` +
          `--gtid 'a860abba-ea9b-11f1-ad11-f22cb73f111e:10' --gtid-domain-id '0' --mysqld-args --wsrep-new-cluster`,
      ),
    );
    assert.equal(a.localPort, 3306);
    assert.equal(a.progress, false);
    assert.deepEqual(a.mysqld, {});
  });

  test("10.5/10.6-era joiner: --parent '4321' quoted", () => {
    const a = sst(
      argvOf(
        `wsrep_sst_rsync_tunnel --role 'joiner' --address '10.0.0.2:4444' --datadir '/var/lib/mysql/' --parent '4321'`,
      ),
    );
    assert.equal(a.parent, 4321);
  });

  test('11.4-style server with auth on stdin: the argv is the same as 10.11', () => {
    // The stdin-auth revision changes only where sst_user/sst_password go, not argv.
    const line =
      `wsrep_sst_rsync_tunnel --role 'joiner' --address '10.0.0.2:4444' ` +
      `--datadir '/var/lib/mysql/' --parent 99 --progress 0`;
    const a = sst(argvOf(line));
    assert.equal(a.parent, 99);
    assert.equal(a.progress, false);
    assert.equal(a.address, '10.0.0.2:4444');
  });
});

describe('--opt=value forms', () => {
  test('every option accepts --name=value', () => {
    const a = sst(
      words(
        '--role=donor --address=h:1/m --datadir=/d/ --defaults-file=/f --defaults-extra-file=/e ' +
          '--defaults-group-suffix=.s --progress=1 --binlog=b --binlog-index=b.idx --log-basename=lb ' +
          '--gtid=a860abba-ea9b-11f1-ad11-f22cb73f111e:1 --gtid-domain-id=7 --local-port=3307 ' +
          '--socket=/s.sock --port=4444 --parent=12',
      ),
    );
    assert.deepEqual(
      a,
      sstArgs({
        role: 'donor',
        address: 'h:1/m',
        datadir: '/d',
        defaultsFile: '/f',
        defaultsExtraFile: '/e',
        defaultsGroupSuffix: '.s',
        progress: true,
        binlog: 'b',
        binlogIndex: 'b.idx',
        logBasename: 'lb',
        gtid: 'a860abba-ea9b-11f1-ad11-f22cb73f111e:1',
        gtidDomainId: '7',
        localPort: 3307,
        socket: '/s.sock',
        port: 4444,
        parent: 12,
      }),
    );
  });

  test('a value containing "=" is kept whole', () => {
    assert.equal(sst([...JOINER_BASE, '--defaults-group-suffix=a=b']).defaultsGroupSuffix, 'a=b');
  });

  test('a repeated option: the last one wins', () => {
    const a = sst(words('--role joiner --address h --datadir /a/ --datadir /b/ --progress 1 --progress 0'));
    assert.equal(a.datadir, '/b');
    assert.equal(a.progress, false);
  });
});

describe('options we do not know or do not need (docs/protocol.md §7.4)', () => {
  test('an unknown option with a value is ignored and does not swallow ours', () => {
    const a = sst(['--future-option', 'some value', ...JOINER_BASE, '--other-future=1']);
    assert.equal(a.role, 'joiner');
    assert.equal(a.datadir, '/var/lib/mysql');
  });

  test('an unknown flag right before a known option leaves the option intact', () => {
    const a = sst(
      words('--role joiner --future-flag --address 10.0.0.2:4444 --another-flag --datadir /var/lib/mysql/'),
    );
    assert.equal(a.address, '10.0.0.2:4444');
    assert.equal(a.datadir, '/var/lib/mysql');
  });

  test('an unknown flag as the last token', () => {
    assert.equal(sst([...JOINER_BASE, '--trailing-flag']).role, 'joiner');
  });

  test('--auth, --user, --password, --host are accepted and not exposed', () => {
    const a = sst([...JOINER_BASE, '--auth', 'root:secret', '--user', 'u', '--password', 'p', '--host', 'h']);
    assert.equal(JSON.stringify(a).includes('secret'), false);
    assert.equal(a.role, 'joiner');
  });

  test('--progress, --local-port, --binlog*, --bypass, --mysqld-args all optional', () => {
    const a = sst(JOINER_BASE);
    assert.equal(a.progress, false);
    assert.equal(a.localPort, undefined);
    assert.equal(a.binlog, undefined);
    assert.equal(a.binlogIndex, undefined);
    assert.equal(a.bypass, false);
    assert.deepEqual(a.mysqld, {});
  });
});

describe('--progress', () => {
  test("'0' is off, '1' is on, absent is off", () => {
    assert.equal(sst([...JOINER_BASE, '--progress', '0']).progress, false);
    assert.equal(sst([...JOINER_BASE, '--progress', '1']).progress, true);
    assert.equal(sst(JOINER_BASE).progress, false);
  });

  test('an empty value is off', () => {
    assert.equal(sst([...JOINER_BASE, '--progress', '']).progress, false);
  });

  test('a whole number, any but 0 on (mariadbd prints it with %d); anything else → 22', () => {
    assert.equal(sst([...JOINER_BASE, '--progress', '2']).progress, true);
    for (const v of ['/dev/stderr', '-1', '1.0', 'yes', '2147483648']) {
      assertSstError(
        () => parseArgs([...JOINER_BASE, '--progress', v]),
        22,
        `--progress=${v}: must be a whole number from 0 to 2147483647 (0 off, any other on)`,
      );
    }
  });
});

/** docs/architecture.md §8.10 (6): the numbers of mariadbd's command line have ranges too. */
describe('argv numbers outside their range → 22, naming the option, the value and the range', () => {
  test(
    '--parent: 0 and negative numbers would make kill(2) signal ' +
      'process groups; above PID_MAX_LIMIT no process exists',
    () => {
      for (const v of ['0', '-1', '4194305', '0x10', '1e3']) {
        assertSstError(
          () => parseArgs([...JOINER_BASE, '--parent', v]),
          22,
          `--parent=${v}: must be a process ID from 1 to 4194304`,
        );
      }
      assert.equal(sst([...JOINER_BASE, '--parent', '1']).parent, 1, 'mariadbd may be PID 1 in a container');
      assert.equal(sst([...JOINER_BASE, '--parent', '4194304']).parent, 4194304);
    },
  );

  test('--port 1 to 65535, --local-port 0 to 65535 (0: mariadbd with skip-networking)', () => {
    for (const v of ['0', '65536', '-4444'])
      assertSstError(
        () => parseArgs([...JOINER_BASE, '--port', v]),
        22,
        `--port=${v}: must be a TCP port from 1 to 65535`,
      );
    assertSstError(
      () => parseArgs([...JOINER_BASE, '--local-port', '65536']),
      22,
      '--local-port=65536: must be a TCP port from 0 to 65535',
    );
    assert.equal(sst([...JOINER_BASE, '--local-port', '0']).localPort, 0);
    assert.equal(sst([...JOINER_BASE, '--port', '65535']).port, 65535);
  });

  test("--gtid-domain-id: wsrep_gtid_domain_id's range, 0 to 4294967295", () => {
    for (const v of ['-1', '4294967296', '7x']) {
      assertSstError(
        () => parseArgs([...JOINER_BASE, '--gtid-domain-id', v]),
        22,
        `--gtid-domain-id=${v}: must be a whole number from 0 to 4294967295`,
      );
    }
    assert.equal(sst([...JOINER_BASE, '--gtid-domain-id', '4294967295']).gtidDomainId, '4294967295');
  });
});

describe('--bypass', () => {
  test('present → true, also right before --mysqld-args', () => {
    assert.equal(sst([...JOINER_BASE, '--bypass']).bypass, true);
    assert.equal(sst([...JOINER_BASE, '--bypass', '--mysqld-args', '--wsrep-new-cluster']).bypass, true);
  });

  test('--bypass after --mysqld-args belongs to mariadbd and is not ours', () => {
    assert.equal(sst([...JOINER_BASE, '--mysqld-args', '--bypass']).bypass, false);
  });
});

describe('--role (docs/protocol.md §7.1)', () => {
  test('missing role → 22', () => {
    assertSstError(() => parseArgs(['--address', 'h', '--datadir', '/d']), 22, "Unrecognized role: ''");
  });

  test('bad role → 22 Unrecognized role', () => {
    assertSstError(
      () => parseArgs(['--role', 'receiver', '--address', 'h', '--datadir', '/d']),
      22,
      "Unrecognized role: 'receiver'",
    );
  });

  test('role is case-sensitive like upstream (JOINER is not a role)', () => {
    assertSstError(
      () => parseArgs(['--role', 'JOINER', '--address', 'h', '--datadir', '/d']),
      22,
      /Unrecognized role: 'JOINER'/,
    );
  });

  test('--role with no value → 22', () => {
    assertSstError(() => parseArgs(['--address', 'h', '--datadir', '/d', '--role']), 22, /Unrecognized role/);
  });
});

describe('--datadir (docs/protocol.md §7.2)', () => {
  test('missing → 2 with the upstream message', () => {
    assertSstError(
      () => parseArgs(['--role', 'joiner', '--address', 'h']),
      2,
      "The '--datadir' parameter must be passed to the SST script",
    );
  });

  test('empty → 2', () => {
    assertSstError(() => parseArgs(['--role', 'joiner', '--address', 'h', '--datadir', '']), 2, /--datadir/);
  });

  test('the trailing / is normalised away, and so are // and /./', () => {
    assert.equal(sst(['--role', 'joiner', '--address', 'h', '--datadir', '/var/lib/mysql/']).datadir, '/var/lib/mysql');
    assert.equal(
      sst(['--role', 'joiner', '--address', 'h', '--datadir', '/var//lib/./mysql//']).datadir,
      '/var/lib/mysql',
    );
    assert.equal(sst(['--role', 'joiner', '--address', 'h', '--datadir', '/']).datadir, '/');
  });

  test('a relative datadir still becomes absolute', () => {
    const d = sst(['--role', 'joiner', '--address', 'h', '--datadir', 'data/']).datadir;
    assert.ok(d.startsWith('/'), d);
    assert.ok(d.endsWith('/data'), d);
  });

  test('a relative datadir is resolved against the working directory (mariadbd chdirs to the datadir)', () => {
    assert.equal(sst(['--role', 'joiner', '--address', 'h', '--datadir', 'data/']).datadir, `${process.cwd()}/data`);
  });

  test('normaliseDir with an explicit base', () => {
    assert.equal(normaliseDir('x/', '/base'), '/base/x');
    assert.equal(normaliseDir('/abs/', '/base'), '/abs');
  });
});

describe('--address, --parent, --port validation', () => {
  test('missing --address → 22', () => {
    assertSstError(() => parseArgs(['--role', 'joiner', '--datadir', '/d']), 22, /--address/);
  });

  test('blank --address → 22', () => {
    assertSstError(() => parseArgs(['--role', 'joiner', '--datadir', '/d', '--address', '  ']), 22, /--address/);
  });

  test('--address is trimmed', () => {
    assert.equal(sst(['--role', 'joiner', '--datadir', '/d', '--address', ' 10.0.0.1:4444 ']).address, '10.0.0.1:4444');
  });

  test('non-numeric --parent → 22', () => {
    assertSstError(
      () => parseArgs([...JOINER_BASE, '--parent', 'abc']),
      22,
      '--parent=abc: must be a process ID from 1 to 4194304',
    );
  });

  test('non-numeric --local-port / --port → 22', () => {
    assertSstError(() => parseArgs([...JOINER_BASE, '--local-port', '33x']), 22, /--local-port/);
    assertSstError(() => parseArgs([...JOINER_BASE, '--port', '1.5']), 22, /--port/);
  });

  test('--port is parsed (conflicts are checked by the address code)', () => {
    assert.equal(sst([...JOINER_BASE, '--port', '4445']).port, 4445);
  });
});

describe('--help / --version', () => {
  test('--help and -h', () => {
    assert.deepEqual(parseArgs(['--help']), { kind: 'help' });
    assert.deepEqual(parseArgs(['-h']), { kind: 'help' });
  });

  test('--help wins over a complete SST command line', () => {
    assert.deepEqual(parseArgs([...JOINER_BASE, '--help']), { kind: 'help' });
  });

  test('--version and -V', () => {
    assert.deepEqual(parseArgs(['--version']), { kind: 'version' });
    assert.deepEqual(parseArgs(['-V']), { kind: 'version' });
  });

  test('--help or --version after --mysqld-args is mariadbd’s, not ours', () => {
    assert.equal(parseArgs([...JOINER_BASE, '--mysqld-args', '--help', '--version']).kind, 'sst');
  });
});

describe('--mysqld-args tail (docs/protocol.md §1.3)', () => {
  test('tokens after --mysqld-args are never parsed as our options', () => {
    const a = sst([
      ...JOINER_BASE,
      '--mysqld-args',
      '--role',
      'donor',
      '--address',
      'evil:1',
      '--datadir=/evil',
      '--parent',
      '1',
      '--progress',
      '1',
      '--binlog',
      'x',
    ]);
    assert.equal(a.role, 'joiner');
    assert.equal(a.address, '10.0.0.2:4444');
    assert.equal(a.datadir, '/var/lib/mysql');
    assert.equal(a.parent, undefined);
    assert.equal(a.progress, false);
    assert.equal(a.binlog, undefined);
    assert.equal(a.mysqld.datadir, '/evil');
  });

  test('a real tail re-quoted by copy_orig_argv and unquoted by sh', () => {
    const argv = argvOf(
      `wsrep_sst_rsync_tunnel --role 'joiner' --address '10.0.0.2:4444' --datadir '/var/lib/mysql/' --parent 1 ` +
        `--progress 0 --mysqld-args --defaults-file=/etc/mysql/my.cnf --innodb_log_group_home_dir="/srv/redo logs" ` +
        `--wsrep_start_position=a860abba-ea9b-11f1-ad11-f22cb73f111e:3 --log-bin=/var/log/mysql/mysql-bin ` +
        `--log-basename=node\\$1`,
    );
    const a = sst(argv);
    assert.deepEqual(a.mysqld, {
      innodbLogGroupHomeDir: '/srv/redo logs',
      logBin: '/var/log/mysql/mysql-bin',
      logBasename: 'node$1',
    });
    assert.equal(a.binlog, '/var/log/mysql/mysql-bin');
    assert.equal(a.logBasename, 'node$1');
  });

  test('--datadir=… in the tail is used when the top level has none', () => {
    const a = sst(['--role', 'joiner', '--address', 'h', '--mysqld-args', '--datadir=/srv/mysql/']);
    assert.equal(a.datadir, '/srv/mysql');
    assert.equal(a.mysqld.datadir, '/srv/mysql/');
  });

  test('-h dir and -hdir', () => {
    assert.deepEqual(parseMysqldArgs(['-h', '/srv/a']), { datadir: '/srv/a' });
    assert.deepEqual(parseMysqldArgs(['-h/srv/b']), { datadir: '/srv/b' });
    assert.equal(sst(['--role', 'joiner', '--address', 'h', '--mysqld-args', '-h', '/srv/c/']).datadir, '/srv/c');
  });

  test('--loose- prefix and underscores are normalised', () => {
    assert.deepEqual(parseMysqldArgs(['--loose-innodb_data_home_dir=/srv/ibdata']), {
      innodbDataHomeDir: '/srv/ibdata',
    });
    assert.deepEqual(parseMysqldArgs(['--loose_innodb_undo_directory=/srv/undo']), {
      innodbUndoDirectory: '/srv/undo',
    });
    assert.deepEqual(parseMysqldArgs(['--aria_log_dir_path=/srv/aria']), { ariaLogDirPath: '/srv/aria' });
  });

  test('space-separated value: --innodb-log-group-home-dir X', () => {
    assert.deepEqual(parseMysqldArgs(['--innodb-log-group-home-dir', '/srv/redo', '--wsrep-new-cluster']), {
      innodbLogGroupHomeDir: '/srv/redo',
    });
  });

  test('a following option is not taken as the value', () => {
    assert.deepEqual(parseMysqldArgs(['--innodb-log-group-home-dir', '--wsrep-new-cluster']), {});
  });

  test('--log-bin without a value: binary logging on, default name; the next token is not consumed', () => {
    // Upstream derives `<log-basename>-bin` or `mysql-bin` then; we leave it to
    // the top-level --binlog that 10.4+ always sends when binary logging is on.
    assert.deepEqual(parseMysqldArgs(['--log-bin', '--log-basename=n1']), { logBasename: 'n1' });
    assert.deepEqual(parseMysqldArgs(['--log-bin', 'positional', '--datadir=/d']), { datadir: '/d' });
  });

  test('--log-bin=name, --log_bin_index=…, --log-basename=…', () => {
    assert.deepEqual(
      parseMysqldArgs(['--log-bin=mysql-bin', '--log_bin_index=/var/log/mysql/idx.index', '--log-basename=node1']),
      {
        logBin: 'mysql-bin',
        logBinIndex: '/var/log/mysql/idx.index',
        logBasename: 'node1',
      },
    );
  });

  test('the tail fills --binlog, --binlog-index and --log-basename when the top level lacks them', () => {
    const a = sst([
      ...JOINER_BASE,
      '--mysqld-args',
      '--log-bin=tail-bin',
      '--log-bin-index=tail.idx',
      '--log-basename=tb',
    ]);
    assert.equal(a.binlog, 'tail-bin');
    assert.equal(a.binlogIndex, 'tail.idx');
    assert.equal(a.logBasename, 'tb');
  });

  test('the last occurrence wins', () => {
    assert.deepEqual(parseMysqldArgs(['--datadir=/a', '-h', '/b', '--datadir', '/c', '-h/d']), { datadir: '/d' });
    assert.deepEqual(parseMysqldArgs(['--log-bin=a', '--log_bin=b']), { logBin: 'b' });
  });

  test('explicit top-level options win over the tail', () => {
    const a = sst(
      words(
        '--role joiner --address h --datadir /top/ --binlog top-bin --binlog-index top.index ' +
          '--log-basename top --mysqld-args --datadir=/tail --log-bin=tail-bin --log-bin-index=tail.index ' +
          '--log-basename=tail',
      ),
    );
    assert.equal(a.datadir, '/top');
    assert.equal(a.binlog, 'top-bin');
    assert.equal(a.binlogIndex, 'top.index');
    assert.equal(a.logBasename, 'top');
    // The tail values stay visible for what has no top-level form.
    assert.equal(a.mysqld.datadir, '/tail');
  });

  test('options we do not extract are skipped with their values', () => {
    assert.deepEqual(
      parseMysqldArgs(
        words('--user mysql -u mysql --port=3306 --socket /s --wsrep-new-cluster --defaults-file=/etc/my.cnf'),
      ),
      {},
    );
  });

  test('an empty tail', () => {
    assert.deepEqual(sst([...JOINER_BASE, '--mysqld-args']).mysqld, {});
  });
});
