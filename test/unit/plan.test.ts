/**
 * The donor's rsync passes (spec §3.3 table, §7.30–7.33). The last group runs
 * the real rsync locally (source dir → destination dir, no daemon, no network)
 * with the exact flags and filters of a pass, to check what they select.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMON_FLAGS, escapePattern, EXCLUDED_TOP_LEVEL, insideDatadir, literalPattern, markerPass, transferPlan, type Pass, type PlanInput } from '../../src/rsync/plan';
import { BINLOG_STAGING, MARKER, MODULES } from '../../src/rsync/modules';

const TARGET = 'rsync://10.0.0.2:4444';

const INPUT: PlanInput = {
  target: TARGET,
  datadir: '/var/lib/mysql',
  dataHome: '/srv/ibdata',
  logDir: '/srv/redo',
  undoDir: '/srv/undo',
  ariaLog: '/srv/aria',
  databases: ['mysql', 'shop', 'sales@002d2024', '-dash', 'with space'],
  binlogs: ['/var/lib/mysql/mysql-bin.000002', '/var/lib/mysql/mysql-bin.000003'],
  binlogList: '/var/lib/mysql/.rsync_tunnel_sst_binlogs/binlog.list',
};

/** `-f RULE` pairs of a pass, in order. */
function filtersOf(pass: Pass): string[] {
  const out: string[] = [];
  pass.args.forEach((a, i) => {
    if (a === '-f') out.push(pass.args[i + 1] ?? '');
  });
  return out;
}

function byName(passes: Pass[], prefix: string): Pass {
  const p = passes.find((x) => x.name.startsWith(prefix));
  assert.ok(p, `no pass ${prefix}`);
  return p;
}

describe('common flags (spec §3.3)', () => {
  test('exactly those of 10.11’s rsync method, with --whole-file', () => {
    assert.deepEqual([...COMMON_FLAGS], ['--owner', '--group', '--perms', '--links', '--specials', '--ignore-times', '--inplace', '--quiet', '--whole-file']);
  });

  test('every data pass starts with them', () => {
    const { serial, databases } = transferPlan(INPUT);
    for (const p of [...serial, ...databases]) assert.deepEqual(p.args.slice(0, COMMON_FLAGS.length), [...COMMON_FLAGS], p.name);
  });
});

describe('order of passes', () => {
  test('with binlogs: pass 1, binary logs, passes 2–5; then the database passes', () => {
    const { serial, databases } = transferPlan(INPUT);
    assert.deepEqual(serial.map((p) => p.name), [
      'pass 1 (top-level directories)',
      'binary logs',
      'pass 2 (InnoDB system tablespace)',
      'pass 3 (InnoDB redo log)',
      'pass 4 (InnoDB undo tablespaces)',
      'pass 5 (Aria logs)',
    ]);
    assert.deepEqual(databases.map((p) => p.name), INPUT.databases.map((d) => `pass 6 (database directory '${d}')`));
  });

  test('without binlogs there is no binlog pass', () => {
    const { serial } = transferPlan({ ...INPUT, binlogs: [], binlogList: undefined });
    assert.deepEqual(serial.map((p) => p.name), [
      'pass 1 (top-level directories)',
      'pass 2 (InnoDB system tablespace)',
      'pass 3 (InnoDB redo log)',
      'pass 4 (InnoDB undo tablespaces)',
      'pass 5 (Aria logs)',
    ]);
  });

  test('only pass 1 is marked first (its rsync codes are told apart)', () => {
    const { serial, databases } = transferPlan(INPUT);
    assert.deepEqual(serial.map((p) => p.first), [true, false, false, false, false, false]);
    assert.ok(databases.every((p) => !p.first));
  });

  test('no databases → no database passes', () => {
    assert.deepEqual(transferPlan({ ...INPUT, databases: [] }).databases, []);
  });
});

describe('pass 1: top-level directories', () => {
  const pass = transferPlan(INPUT).serial[0];

  test('exact argv', () => {
    assert.ok(pass);
    assert.deepEqual(pass.args, [
      ...COMMON_FLAGS,
      '--dirs',
      '--delete',
      '-f', '- /lost+found',
      '-f', '- /.zfs',
      '-f', '- /.snapshot',
      '-f', '- /.fseventsd',
      '-f', '- /.Trashes',
      '-f', `- /${BINLOG_STAGING}`,
      '-f', '+ /*/',
      '-f', '- /*',
      '/var/lib/mysql/',
      `${TARGET}/${MODULES.data}`,
    ]);
  });

  test('dirs only: never --recursive, top-level files excluded last', () => {
    assert.ok(pass);
    assert.equal(pass.args.includes('--recursive'), false);
    const f = filtersOf(pass);
    assert.deepEqual(f.slice(-2), ['+ /*/', '- /*']);
  });

  test('every excluded name comes before the include of directories', () => {
    assert.ok(pass);
    const f = filtersOf(pass);
    const include = f.indexOf('+ /*/');
    for (const name of EXCLUDED_TOP_LEVEL) {
      const i = f.indexOf(`- /${name}`);
      assert.ok(i >= 0 && i < include, name);
    }
  });

  test('the excluded names (spec §7.32) plus our binlog staging dir', () => {
    assert.deepEqual([...EXCLUDED_TOP_LEVEL], ['lost+found', '.zfs', '.snapshot', '.fseventsd', '.Trashes', BINLOG_STAGING]);
  });

  test('a datadir given with a trailing slash is not doubled', () => {
    const p = transferPlan({ ...INPUT, datadir: '/var/lib/mysql/' }).serial[0];
    assert.ok(p);
    assert.equal(p.args.at(-2), '/var/lib/mysql/');
  });
});

describe('binary log pass', () => {
  const pass = byName(transferPlan(INPUT).serial, 'binary logs');

  test('exact argv: the files oldest first, then the list, into the staging module', () => {
    assert.deepEqual(pass.args, [
      ...COMMON_FLAGS,
      '/var/lib/mysql/mysql-bin.000002',
      '/var/lib/mysql/mysql-bin.000003',
      '/var/lib/mysql/.rsync_tunnel_sst_binlogs/binlog.list',
      `${TARGET}/${MODULES.binlog}/`,
    ]);
  });

  test('no --delete, no --recursive, no filters', () => {
    assert.equal(pass.args.includes('--delete'), false);
    assert.equal(pass.args.includes('--recursive'), false);
    assert.equal(pass.args.includes('-f'), false);
  });

  test('without a list file only the binlogs are sent', () => {
    const p = byName(transferPlan({ ...INPUT, binlogList: undefined }).serial, 'binary logs');
    assert.deepEqual(p.args.slice(COMMON_FLAGS.length), [...INPUT.binlogs, `${TARGET}/${MODULES.binlog}/`]);
  });

  test('a binlog whose name starts with "-" is passed as an absolute path, never as an option', () => {
    const p = byName(transferPlan({ ...INPUT, binlogs: ['/var/lib/mysql/-bin.000001'] }).serial, 'binary logs');
    assert.ok(p.args.includes('/var/lib/mysql/-bin.000001'));
    assert.ok(p.args.slice(COMMON_FLAGS.length).every((a) => !a.startsWith('-')));
  });
});

describe('passes 2–5: engine files (spec §3.3 rows 2–5)', () => {
  const { serial } = transferPlan(INPUT);
  const cases: [string, string, string, string[]][] = [
    ['pass 2', '/srv/ibdata/', MODULES.dataHome, ['+ /ibdata*', '+ /ib_lru_dump', '- **']],
    ['pass 3', '/srv/redo/', MODULES.logDir, ['+ /ib_logfile0', '- **']],
    ['pass 4', '/srv/undo/', MODULES.undoDir, ['+ /undo*', '- **']],
    ['pass 5', '/srv/aria/', MODULES.ariaLog, ['+ /aria_log_control', '+ /aria_log.*', '- **']],
  ];
  for (const [prefix, source, module, rules] of cases) {
    test(`${prefix}: exact argv`, () => {
      const p = byName(serial, prefix);
      assert.deepEqual(p.args, [...COMMON_FLAGS, '--dirs', '--delete', ...rules.flatMap((r) => ['-f', r]), source, `${TARGET}/${module}`]);
    });
  }

  test('each reads its own directory (resolved on the donor too, spec §3.3 defect)', () => {
    const p = transferPlan({ ...INPUT, dataHome: '/a', logDir: '/b', undoDir: '/c', ariaLog: '/d' }).serial;
    assert.deepEqual(['pass 2', 'pass 3', 'pass 4', 'pass 5'].map((n) => byName(p, n).args.at(-2)), ['/a/', '/b/', '/c/', '/d/']);
  });
});

describe('pass 6: database directories', () => {
  const { databases } = transferPlan(INPUT);

  test('exact argv: /./ anchor, trailing slash, --relative, into the datadir module', () => {
    assert.deepEqual(databases[1]?.args, [...COMMON_FLAGS, '--recursive', '--delete', '--relative', '/var/lib/mysql/./shop/', `${TARGET}/${MODULES.data}/`]);
  });

  test('a symlinked database directory: no --relative (rsync 3.5.0 refuses the link), into <module>/<db>/', () => {
    const [linked] = transferPlan({ ...INPUT, databases: ['linked'], symlinkedDatabases: ['linked'] }).databases;
    assert.deepEqual(linked?.args, [...COMMON_FLAGS, '--recursive', '--delete', '/var/lib/mysql/linked/', `${TARGET}/${MODULES.data}/linked/`]);
  });

  test('odd names stay one argument each and never look like options', () => {
    const args = databases.map((p) => p.args.at(-2));
    assert.deepEqual(args, ['/var/lib/mysql/./mysql/', '/var/lib/mysql/./shop/', '/var/lib/mysql/./sales@002d2024/', '/var/lib/mysql/./-dash/', '/var/lib/mysql/./with space/']);
  });

  test('no --dirs and no filters', () => {
    for (const p of databases) {
      assert.equal(p.args.includes('--dirs'), false);
      assert.equal(p.args.includes('-f'), false);
    }
  });
});

describe('marker pass', () => {
  test('exact argv: --archive --quiet --checksum, no --inplace (temp file + rename on the joiner)', () => {
    const p = markerPass(TARGET, `/var/lib/mysql/${MARKER}`);
    assert.deepEqual(p, {
      name: 'completion marker',
      first: false,
      args: ['--archive', '--quiet', '--checksum', `/var/lib/mysql/${MARKER}`, `${TARGET}/${MODULES.data}/`],
    });
    assert.equal(p.args.includes('--inplace'), false);
  });
});

describe('what the filters select, checked with the real rsync (local copy, no daemon)', () => {
  const rsyncAvailable = spawnSync('rsync', ['--version']).status === 0;
  const skip = !rsyncAvailable && 'rsync not installed';
  let dir = '';
  let src = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sst-plan-'));
    src = join(dir, 'src');
    const put = (rel: string, content = 'x'): void => {
      mkdirSync(join(src, rel, '..'), { recursive: true });
      writeFileSync(join(src, rel), content);
    };
    for (const f of ['ibdata1', 'ibdata2', 'ib_lru_dump', 'ib_logfile0', 'ib_logfile1', 'undo001', 'aria_log_control', 'aria_log.00000001',
      'grastate.dat', 'galera.cache', 'ib_buffer_pool', 'ibtmp1', 'mysqld.pid', MARKER, 'tables_flushed']) put(f);
    put('shop/orders.ibd');
    put('shop/nested/deep.bin');
    put('mysql/user.MAI');
    for (const d of [...EXCLUDED_TOP_LEVEL]) put(`${d}/inside`);
    const real = join(dir, 'elsewhere', 'linked_db');
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, 't.ibd'), 'linked');
    symlinkSync(real, join(src, 'linked_db'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a pass with its remote target replaced by a local directory. */
  function runLocally(pass: Pass, dest: string): void {
    mkdirSync(dest, { recursive: true });
    // The module URL stands for dest; a symlinked database's pass names `<db>/` below it.
    const args = [...pass.args.slice(0, -1), (pass.args.at(-1) ?? '').replace(/^rsync:\/\/[^/]+\/[^/]+/, dest)];
    const r = spawnSync('rsync', args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `${pass.name}: ${r.stderr}`);
  }

  const plan = (): ReturnType<typeof transferPlan> =>
    transferPlan({ target: TARGET, datadir: src, dataHome: src, logDir: src, undoDir: src, ariaLog: src, databases: ['shop', 'linked_db'], symlinkedDatabases: ['linked_db'], binlogs: [] });

  test('pass 1 creates the database directories (empty) and no top-level file, no excluded dir', { skip }, () => {
    const dest = join(dir, 'p1');
    mkdirSync(join(dest, 'stale_db'), { recursive: true });
    writeFileSync(join(dest, 'joiner-only.txt'), 'stays');
    runLocally(plan().serial[0] as Pass, dest);
    const names = readdirSync(dest).sort();
    // Extraneous joiner directories are deleted, extraneous top-level files survive (spec §3.3).
    // A symlinked database dir is a link, not a dir, to '+ /*/', so pass 1 skips it
    // (as upstream's identical filter does); its pass 6 creates it.
    assert.deepEqual(names, ['joiner-only.txt', 'mysql', 'shop']);
    assert.deepEqual(readdirSync(join(dest, 'shop')), []);
  });

  test('passes 2–5 send exactly their engine files', { skip }, () => {
    const expected: Record<string, string[]> = {
      'pass 2': ['ib_lru_dump', 'ibdata1', 'ibdata2'],
      'pass 3': ['ib_logfile0'],
      'pass 4': ['undo001'],
      'pass 5': ['aria_log.00000001', 'aria_log_control'],
    };
    for (const [prefix, files] of Object.entries(expected)) {
      const dest = join(dir, prefix.replace(' ', '_'));
      runLocally(byName(plan().serial, prefix), dest);
      assert.deepEqual(readdirSync(dest).sort(), files, prefix);
    }
  });

  test('pass 6 copies a database recursively to <db>/ and follows a symlinked database dir', { skip }, () => {
    const dest = join(dir, 'p6');
    const [shop, linked] = plan().databases;
    assert.ok(shop && linked);
    runLocally(shop, dest);
    runLocally(linked, dest);
    assert.equal(existsSync(join(dest, 'shop', 'nested', 'deep.bin')), true);
    assert.equal(existsSync(join(dest, 'shop', 'orders.ibd')), true);
    assert.equal(lstatSync(join(dest, 'linked_db')).isDirectory(), true);
    assert.equal(existsSync(join(dest, 'linked_db', 't.ibd')), true);
    assert.deepEqual(readdirSync(dest).sort(), ['linked_db', 'shop']);
  });

  test('pass 6 --delete removes a table the donor no longer has, inside that database only', { skip }, () => {
    const dest = join(dir, 'p6del');
    mkdirSync(join(dest, 'shop'), { recursive: true });
    mkdirSync(join(dest, 'other'), { recursive: true });
    writeFileSync(join(dest, 'shop', 'dropped.ibd'), 'old');
    writeFileSync(join(dest, 'other', 'keep.ibd'), 'keep');
    runLocally(plan().databases[0] as Pass, dest);
    assert.equal(existsSync(join(dest, 'shop', 'dropped.ibd')), false);
    assert.equal(existsSync(join(dest, 'other', 'keep.ibd')), true);
  });
});

describe("the donor's own TLS files inside its datadir (issue 9 §6)", () => {
  test('insideDatadir: strictly inside, relative, sorted, once; the datadir itself and a sibling prefix are not', () => {
    assert.deepEqual(
      insideDatadir('/var/lib/mysql', ['/var/lib/mysql/certs/node.pem', '/var/lib/mysql', '/var/lib/mysql/', '/var/lib/mysql2/x.pem', '/etc/ssl/ca.pem', '/var/lib/mysql/ca/', '/var/lib/mysql/certs/node.pem']),
      ['ca', 'certs/node.pem'],
    );
    assert.deepEqual(insideDatadir('/var/lib/mysql/', ['/var/lib/mysql/node.key']), ['node.key']);
  });

  test('patterns: a path without wildcard goes verbatim; with one, wildcards and backslashes are escaped', () => {
    assert.equal(literalPattern('certs/a\\b c.pem'), 'certs/a\\b c.pem');
    assert.equal(literalPattern('certs/x[1]*?.pem'), 'certs/x\\[1]\\*\\?.pem');
    assert.equal(literalPattern('a\\b/[c'), 'a\\\\b/\\[c');
    assert.equal(escapePattern('a\\b'), 'a\\\\b');
  });

  const kept = { ...INPUT, databases: ['cacerts', 'certs', 'linked', 'shop'], symlinkedDatabases: ['linked'], keptOnDonor: ['cacerts', 'certs/node.pem', 'certs/sub/node.key', 'linked/x[1].pem', 'top.pem'] };

  test('pass 1 excludes the kept top-level entries before including directories', () => {
    const f = filtersOf(transferPlan(kept).serial[0] as Pass);
    assert.deepEqual(f.slice(-4), ['- /cacerts', '- /top.pem', '+ /*/', '- /*']);
  });

  test('a kept directory gets no pass 6; a database holding a kept file excludes it, anchored as that pass sees names', () => {
    const { databases } = transferPlan(kept);
    assert.deepEqual(databases.map((p) => p.name), ["pass 6 (database directory 'certs')", "pass 6 (database directory 'linked')", "pass 6 (database directory 'shop')"]);
    const [certs, linked, shop] = databases;
    assert.deepEqual(certs?.args, [...COMMON_FLAGS, '--recursive', '--delete', '-f', '- /certs/node.pem', '-f', '- /certs/sub/node.key', '--relative', '/var/lib/mysql/./certs/', `${TARGET}/${MODULES.data}/`]);
    assert.deepEqual(linked?.args, [...COMMON_FLAGS, '--recursive', '--delete', '-f', '- /x\\[1].pem', '/var/lib/mysql/linked/', `${TARGET}/${MODULES.data}/linked/`]);
    assert.equal(shop?.args.includes('-f'), false);
  });

  test('nothing kept: the plan is unchanged', () => {
    assert.deepEqual(transferPlan({ ...INPUT, keptOnDonor: [] }), transferPlan(INPUT));
  });
});

describe('kept files with the real rsync (local copy, no daemon)', () => {
  const skip = spawnSync('rsync', ['--version']).status !== 0 && 'rsync not installed';
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sst-kept-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('kept files are not sent, and the joiner\'s files of the same names are not deleted', { skip }, () => {
    const src = join(dir, 'src');
    const dest = join(dir, 'dest');
    const put = (root: string, rel: string, content: string): void => {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), content);
    };
    put(src, 'certs/node.pem', 'donor cert');
    put(src, 'certs/t.ibd', 'table');
    put(src, 'with space/x[1].pem', 'donor key');
    put(src, 'with space/t.ibd', 'table');
    put(src, 'cacerts/ca.pem', 'donor ca');
    put(dest, 'certs/node.pem', 'joiner cert');
    put(dest, 'cacerts/ca.pem', 'joiner ca');
    const plan = transferPlan({
      target: TARGET, datadir: src, dataHome: src, logDir: src, undoDir: src, ariaLog: src,
      databases: ['cacerts', 'certs', 'with space'], binlogs: [], keptOnDonor: ['cacerts', 'certs/node.pem', 'with space/x[1].pem'],
    });
    for (const pass of [plan.serial[0] as Pass, ...plan.databases]) {
      const args = [...pass.args.slice(0, -1), (pass.args.at(-1) ?? '').replace(/^rsync:\/\/[^/]+\/[^/]+/, dest)];
      const r = spawnSync('rsync', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `${pass.name}: ${r.stderr}`);
    }
    const read = (rel: string): string => readFileSync(join(dest, rel), 'utf8');
    assert.equal(read('certs/node.pem'), 'joiner cert');
    assert.equal(read('cacerts/ca.pem'), 'joiner ca');
    assert.equal(read('certs/t.ibd'), 'table');
    assert.equal(read('with space/t.ibd'), 'table');
    assert.equal(existsSync(join(dest, 'with space', 'x[1].pem')), false);
  });
});
