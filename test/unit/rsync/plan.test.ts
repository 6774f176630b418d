/**
 * The donor's rsync passes (docs/protocol.md §3.3 table, §7.30–7.33): pass 1, then a queue of engine passes,
 * binary logs and batches of database files. The last groups run the real rsync locally (source dir → destination dir, no daemon, no network)
 * with the exact flags and filters of a pass, to check what they select.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchFiles,
  batchSize,
  COMMON_FLAGS,
  escapePattern,
  EXCLUDED_TOP_LEVEL,
  insideDatadir,
  literalPattern,
  markerPass,
  matchesEnginePattern,
  MIN_BATCH_BYTES,
  transferPlan,
  type Pass,
  type PlanInput,
  type SourceFile,
} from '../../../src/rsync/plan';
import { databaseFiles, engineBytes } from '../../../src/sst/source-files';
import { BINLOG_STAGING, MARKER, MODULES } from '../../../src/rsync/modules';

const TARGET = 'rsync://10.0.0.2:4444';

const INPUT: PlanInput = {
  target: TARGET,
  datadir: '/var/lib/mysql',
  dataHome: '/srv/ibdata',
  logDir: '/srv/redo',
  undoDir: '/srv/undo',
  ariaLog: '/srv/aria',
  files: [
    { path: 'mysql/user.MAI', size: 10 },
    { path: 'shop/orders.ibd', size: 300 },
    { path: 'sales@002d2024/t.ibd', size: 20 },
    { path: '-dash/t.frm', size: 5 },
    { path: 'with space/t.ibd', size: 7 },
  ],
  engineBytes: { dataHome: 100, logDir: 50, undoDir: 0, ariaLog: 1 },
  binlogBytes: 40,
  listDir: '/tmp/work',
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

const all = (plan: { structure: Pass[]; queue: Pass[] }): Pass[] => [...plan.structure, ...plan.queue];

describe('common flags (docs/protocol.md §3.3)', () => {
  test('exactly those of 10.11’s rsync method, with --whole-file', () => {
    assert.deepEqual([...COMMON_FLAGS], ['--owner', '--group', '--perms', '--links', '--specials', '--ignore-times', '--inplace', '--quiet', '--whole-file']);
  });

  test('every data pass starts with them', () => {
    for (const p of all(transferPlan(INPUT))) assert.deepEqual(p.args.slice(0, COMMON_FLAGS.length), [...COMMON_FLAGS], p.name);
  });
});

describe('order of passes', () => {
  test('pass 1 alone first; then the queue, largest first (equal sizes: binary logs, engine passes, batches)', () => {
    const plan = transferPlan(INPUT);
    assert.deepEqual(plan.structure.map((p) => p.name), ['pass 1 (directories and deletions)']);
    assert.deepEqual(plan.queue.map((p) => p.name), [
      'files 1/1 (5 files, 0.0 MiB)',
      'pass 2 (InnoDB system tablespace)',
      'pass 3 (InnoDB redo log)',
      'binary logs',
      'pass 5 (Aria logs)',
      'pass 4 (InnoDB undo tablespaces)',
    ]);
    assert.deepEqual(plan.queue.map((p) => p.bytes), [342, 100, 50, 40, 1, 0]);
  });

  test('without binlogs there is no binlog pass; without files no batch', () => {
    const plan = transferPlan({ ...INPUT, binlogs: [], binlogList: undefined, files: [] });
    assert.deepEqual(plan.queue.map((p) => p.name), ['pass 2 (InnoDB system tablespace)', 'pass 3 (InnoDB redo log)', 'pass 5 (Aria logs)', 'pass 4 (InnoDB undo tablespaces)']);
  });

  test('only pass 1 is marked first (its rsync codes are told apart)', () => {
    const plan = transferPlan({ ...INPUT, symlinkedDatabases: { shop: '/srv/shop' } });
    assert.deepEqual(plan.structure.map((p) => p.first), [true, false]);
    assert.ok(plan.queue.every((p) => !p.first));
  });
});

describe('pass 1: directories and deletions', () => {
  const pass = transferPlan(INPUT).structure[0] as Pass;

  test('exact argv: recursive, deletes, sends no content', () => {
    assert.deepEqual(pass.args, [
      ...COMMON_FLAGS,
      '--recursive',
      '--delete',
      '--ignore-existing',
      '--max-size=0',
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
    assert.equal(pass.bytes, 0);
  });

  test('every excluded name comes before the include of directories', () => {
    const f = filtersOf(pass);
    const include = f.indexOf('+ /*/');
    for (const name of EXCLUDED_TOP_LEVEL) {
      const i = f.indexOf(`- /${name}`);
      assert.ok(i >= 0 && i < include, name);
    }
  });

  test('the excluded names (docs/protocol.md §7.32) plus our binlog staging dir', () => {
    assert.deepEqual([...EXCLUDED_TOP_LEVEL], ['lost+found', '.zfs', '.snapshot', '.fseventsd', '.Trashes', BINLOG_STAGING]);
  });

  test('a datadir given with a trailing slash is not doubled', () => {
    assert.equal(transferPlan({ ...INPUT, datadir: '/var/lib/mysql/' }).structure[0]?.args.at(-2), '/var/lib/mysql/');
  });

  test('a symlinked database directory gets its own pass 1, from where it resolves to, into <module>/<db>/', () => {
    const [, linked] = transferPlan({ ...INPUT, symlinkedDatabases: { linked: '/srv/elsewhere/linked' } }).structure;
    assert.deepEqual(linked?.args, [...COMMON_FLAGS, '--recursive', '--delete', '--ignore-existing', '--max-size=0', '/srv/elsewhere/linked/', `${TARGET}/${MODULES.data}/linked/`]);
  });
});

describe('binary log pass', () => {
  const pass = byName(transferPlan(INPUT).queue, 'binary logs');

  test('exact argv: the files oldest first, then the list, into the staging module', () => {
    assert.deepEqual(pass.args, [
      ...COMMON_FLAGS,
      '/var/lib/mysql/mysql-bin.000002',
      '/var/lib/mysql/mysql-bin.000003',
      '/var/lib/mysql/.rsync_tunnel_sst_binlogs/binlog.list',
      `${TARGET}/${MODULES.binlog}/`,
    ]);
    assert.equal(pass.bytes, 40);
  });

  test('no --delete, no --recursive, no filters', () => {
    assert.equal(pass.args.includes('--delete'), false);
    assert.equal(pass.args.includes('--recursive'), false);
    assert.equal(pass.args.includes('-f'), false);
  });

  test('without a list file only the binlogs are sent', () => {
    const p = byName(transferPlan({ ...INPUT, binlogList: undefined }).queue, 'binary logs');
    assert.deepEqual(p.args.slice(COMMON_FLAGS.length), [...INPUT.binlogs, `${TARGET}/${MODULES.binlog}/`]);
  });

  test('a binlog whose name starts with "-" is passed as an absolute path, never as an option', () => {
    const p = byName(transferPlan({ ...INPUT, binlogs: ['/var/lib/mysql/-bin.000001'] }).queue, 'binary logs');
    assert.ok(p.args.includes('/var/lib/mysql/-bin.000001'));
    assert.ok(p.args.slice(COMMON_FLAGS.length).every((a) => !a.startsWith('-')));
  });
});

describe('passes 2–5: engine files (docs/protocol.md §3.3 rows 2–5)', () => {
  const { queue } = transferPlan(INPUT);
  const cases: [string, string, string, string[]][] = [
    ['pass 2', '/srv/ibdata/', MODULES.dataHome, ['+ /ibdata*', '+ /ib_lru_dump', '- **']],
    ['pass 3', '/srv/redo/', MODULES.logDir, ['+ /ib_logfile0', '- **']],
    ['pass 4', '/srv/undo/', MODULES.undoDir, ['+ /undo*', '- **']],
    ['pass 5', '/srv/aria/', MODULES.ariaLog, ['+ /aria_log_control', '+ /aria_log.*', '- **']],
  ];
  for (const [prefix, source, module, rules] of cases) {
    test(`${prefix}: exact argv`, () => {
      assert.deepEqual(byName(queue, prefix).args, [...COMMON_FLAGS, '--dirs', '--delete', ...rules.flatMap((r) => ['-f', r]), source, `${TARGET}/${module}`]);
    });
  }

  test('each reads its own directory (resolved on the donor too, docs/protocol.md §3.3 defect)', () => {
    const p = transferPlan({ ...INPUT, dataHome: '/a', logDir: '/b', undoDir: '/c', ariaLog: '/d' }).queue;
    assert.deepEqual(['pass 2', 'pass 3', 'pass 4', 'pass 5'].map((n) => byName(p, n).args.at(-2)), ['/a/', '/b/', '/c/', '/d/']);
  });

  test('their patterns: a literal, or a prefix before a trailing *', () => {
    assert.equal(matchesEnginePattern('ibdata12', 'ibdata*'), true);
    assert.equal(matchesEnginePattern('ib_logfile0', 'ib_logfile0'), true);
    assert.equal(matchesEnginePattern('ib_logfile1', 'ib_logfile0'), false);
    assert.equal(matchesEnginePattern('xundo001', 'undo*'), false);
  });
});

describe('database files: batches over the streams', () => {
  const f = (path: string, size: number): SourceFile => ({ path, size });

  test('a file at least one batch large goes alone; the others are packed in size order', () => {
    const files = [f('a/s1', 10), f('a/big', 500), f('b/s2', 30), f('b/s3', 60), f('a/s4', 20)];
    assert.deepEqual(batchFiles(files, 100).map((b) => b.map((x) => x.path)), [['a/big'], ['b/s3', 'b/s2', 'a/s4'], ['a/s1']]);
    assert.deepEqual(batchFiles([], 100), []);
  });

  test('batch size: a quarter of a stream\'s share, never under MIN_BATCH_BYTES', () => {
    assert.equal(batchSize(1000, 2), MIN_BATCH_BYTES);
    assert.equal(batchSize(80 * MIN_BATCH_BYTES, 2), 10 * MIN_BATCH_BYTES);
    assert.equal(batchSize(80 * MIN_BATCH_BYTES, 0), 20 * MIN_BATCH_BYTES);
  });

  test('a small datadir is one batch: one list, one handshake', () => {
    const batches = transferPlan(INPUT).queue.filter((p) => p.list);
    assert.equal(batches.length, 1);
    const [b] = batches;
    assert.deepEqual(b?.list, { file: '/tmp/work/files.1', entries: ['shop/orders.ibd', 'sales@002d2024/t.ibd', 'mysql/user.MAI', 'with space/t.ibd', '-dash/t.frm'] });
    assert.deepEqual(b?.args, [...COMMON_FLAGS, '--files-from=/tmp/work/files.1', '--from0', '/var/lib/mysql/', `${TARGET}/${MODULES.data}/`]);
  });

  test('one big table is a batch of its own, first in the queue', () => {
    const big = 3 * 1024 * MIN_BATCH_BYTES;
    const plan = transferPlan({ ...INPUT, files: [...(INPUT.files ?? []), f('shop/huge.ibd', big)], streams: 2 });
    const batches = plan.queue.filter((p) => p.list);
    assert.equal(plan.queue[0], batches[0]);
    assert.deepEqual(batches[0]?.list?.entries, ['shop/huge.ibd']);
    assert.equal(batches[0]?.bytes, big);
    assert.match(batches[0]?.name ?? '', /^files 1\/2 \(1 file, 196608\.0 MiB\)$/);
  });

  test('a symlinked database is sent from where it resolves to, into <module>/<db>/, names relative to it', () => {
    const plan = transferPlan({ ...INPUT, files: [f('shop/a.ibd', 5), f('linked/t.ibd', 3), f('linked/sub/u.ibd', 2)], symlinkedDatabases: { linked: '/srv/linked' } });
    const batches = plan.queue.filter((p) => p.list);
    assert.deepEqual(batches.map((b) => [b.args.at(-2), b.args.at(-1), b.list?.entries]), [
      ['/var/lib/mysql/', `${TARGET}/${MODULES.data}/`, ['shop/a.ibd']],
      ['/srv/linked/', `${TARGET}/${MODULES.data}/linked/`, ['t.ibd', 'sub/u.ibd']],
    ]);
  });

  test('odd names stay list entries and never reach the command line', () => {
    const batch = transferPlan(INPUT).queue.find((p) => p.list) as Pass;
    assert.ok(batch.list?.entries.includes('-dash/t.frm'));
    assert.ok(!batch.args.some((a) => a.includes('dash')));
  });
});

describe('rlimit', () => {
  test('every queued pass gets --bwlimit of the whole limit (KiB/s, at least 1); pass 1 sends no content and gets none', () => {
    const plan = transferPlan({ ...INPUT, rateLimit: 50 * 1024 * 1024 });
    for (const p of plan.queue) assert.equal(p.args[COMMON_FLAGS.length], '--bwlimit=51200', p.name);
    assert.ok(plan.structure.every((p) => !p.args.some((a) => a.startsWith('--bwlimit'))));
    assert.equal(transferPlan({ ...INPUT, rateLimit: 100 }).queue[0]?.args[COMMON_FLAGS.length], '--bwlimit=1');
    assert.ok(transferPlan(INPUT).queue.every((p) => !p.args.some((a) => a.startsWith('--bwlimit'))));
  });
});

describe('marker pass', () => {
  test('exact argv: --archive --quiet --checksum, no --inplace (temp file + rename on the joiner)', () => {
    const p = markerPass(TARGET, `/var/lib/mysql/${MARKER}`);
    assert.deepEqual(p, {
      name: 'completion marker',
      first: false,
      bytes: 0,
      args: ['--archive', '--quiet', '--checksum', `/var/lib/mysql/${MARKER}`, `${TARGET}/${MODULES.data}/`],
    });
    assert.equal(p.args.includes('--inplace'), false);
  });
});

/** Runs a pass with its remote target replaced by a local directory, writing its file list first. */
function runLocally(pass: Pass, dest: string): void {
  mkdirSync(dest, { recursive: true });
  if (pass.list) writeFileSync(pass.list.file, pass.list.entries.map((e) => `${e}\0`).join(''));
  const args = [...pass.args.slice(0, -1), (pass.args.at(-1) ?? '').replace(/^rsync:\/\/[^/]+\/[^/]+/, dest)];
  const r = spawnSync('rsync', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${pass.name}: ${r.stderr}`);
}

describe('what the passes do, checked with the real rsync (local copy, no daemon)', () => {
  const rsyncAvailable = spawnSync('rsync', ['--version']).status === 0;
  const skip = !rsyncAvailable && 'rsync not installed';
  let dir = '';
  let src = '';
  let real = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sst-plan-'));
    src = join(dir, 'src');
    const put = (rel: string, content = 'x'): void => {
      mkdirSync(join(src, rel, '..'), { recursive: true });
      writeFileSync(join(src, rel), content);
    };
    for (const f of ['ibdata1', 'ibdata2', 'ib_lru_dump', 'ib_logfile0', 'ib_logfile1', 'undo001', 'aria_log_control', 'aria_log.00000001',
      'grastate.dat', 'galera.cache', 'ib_buffer_pool', 'ibtmp1', 'mysqld.pid', MARKER, 'tables_flushed']) put(f);
    put('shop/orders.ibd', 'orders');
    put('shop/nested/deep.bin', 'deep');
    put('shop/empty.frm', '');
    mkdirSync(join(src, 'shop', 'emptydir'));
    mkdirSync(join(src, 'emptydb'));
    put('mysql/user.MAI');
    for (const d of [...EXCLUDED_TOP_LEVEL]) put(`${d}/inside`);
    real = join(dir, 'elsewhere', 'linked_db');
    mkdirSync(join(real, 'sub'), { recursive: true });
    writeFileSync(join(real, 't.ibd'), 'linked');
    writeFileSync(join(real, 'sub', 'u.ibd'), 'under');
    symlinkSync(real, join(src, 'linked_db'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const plan = (): ReturnType<typeof transferPlan> => {
    const dbs = ['emptydb', 'linked_db', 'mysql', 'shop'];
    const linked = { linked_db: real };
    return transferPlan({
      target: TARGET, datadir: src, dataHome: src, logDir: src, undoDir: src, ariaLog: src,
      symlinkedDatabases: linked, files: databaseFiles(src, dbs, linked, []), engineBytes: engineBytes({ datadir: src, dataHome: src, logDir: src, undoDir: src, ariaLog: src }),
      binlogs: [], listDir: dir,
    });
  };

  test('the listing: every file below the database directories, sizes, a symlinked one read where it resolves', { skip }, () => {
    const files = databaseFiles(src, ['emptydb', 'linked_db', 'mysql', 'shop'], { linked_db: real }, ['shop/empty.frm']);
    assert.deepEqual(files, [
      { path: 'linked_db/sub/u.ibd', size: 5 },
      { path: 'linked_db/t.ibd', size: 6 },
      { path: 'mysql/user.MAI', size: 1 },
      { path: 'shop/nested/deep.bin', size: 4 },
      { path: 'shop/orders.ibd', size: 6 },
    ]);
    assert.deepEqual(engineBytes({ datadir: src, dataHome: src, logDir: src, undoDir: src, ariaLog: src }), { dataHome: 3, logDir: 1, undoDir: 1, ariaLog: 2 });
  });

  test('pass 1 makes the tree (directories, empty files), deletes what the donor lacks, sends no content, keeps top-level files', { skip }, () => {
    const dest = join(dir, 'p1');
    mkdirSync(join(dest, 'stale_db'), { recursive: true });
    mkdirSync(join(dest, 'shop'), { recursive: true });
    writeFileSync(join(dest, 'shop', 'dropped.ibd'), 'old');
    writeFileSync(join(dest, 'shop', 'orders.ibd'), 'stale');
    writeFileSync(join(dest, 'joiner-only.txt'), 'stays');
    for (const p of plan().structure) runLocally(p, dest);
    assert.deepEqual(readdirSync(dest).sort(), ['emptydb', 'joiner-only.txt', 'linked_db', 'mysql', 'shop']);
    assert.deepEqual(readdirSync(join(dest, 'shop')).sort(), ['empty.frm', 'emptydir', 'nested', 'orders.ibd']);
    assert.equal(readFileSync(join(dest, 'shop', 'orders.ibd'), 'utf8'), 'stale', 'pass 1 sends no content');
    assert.equal(existsSync(join(dest, 'mysql', 'user.MAI')), false);
    assert.equal(lstatSync(join(dest, 'linked_db')).isDirectory(), true);
    assert.deepEqual(readdirSync(join(dest, 'linked_db')), ['sub']);
  });

  test('then the queue fills it: the tree equals the donor\'s database directories and engine files', { skip }, () => {
    const dest = join(dir, 'all');
    mkdirSync(join(dest, 'shop'), { recursive: true });
    writeFileSync(join(dest, 'shop', 'orders.ibd'), 'stale and longer');
    const { structure, queue } = plan();
    for (const p of structure) runLocally(p, dest);
    for (const p of queue) runLocally(p, p.list ? dest : join(dir, p.name.slice(0, 6).replace(' ', '_')));
    assert.equal(readFileSync(join(dest, 'shop', 'orders.ibd'), 'utf8'), 'orders');
    assert.equal(readFileSync(join(dest, 'shop', 'nested', 'deep.bin'), 'utf8'), 'deep');
    assert.equal(readFileSync(join(dest, 'linked_db', 't.ibd'), 'utf8'), 'linked');
    assert.equal(readFileSync(join(dest, 'linked_db', 'sub', 'u.ibd'), 'utf8'), 'under');
    assert.equal(readFileSync(join(dest, 'mysql', 'user.MAI'), 'utf8'), 'x');
    const expected: Record<string, string[]> = {
      pass_2: ['ib_lru_dump', 'ibdata1', 'ibdata2'],
      pass_3: ['ib_logfile0'],
      pass_4: ['undo001'],
      pass_5: ['aria_log.00000001', 'aria_log_control'],
    };
    for (const [d, files] of Object.entries(expected)) assert.deepEqual(readdirSync(join(dir, d)).sort(), files, d);
  });
});

describe("the donor's own TLS files inside its datadir (docs/architecture.md §8.6)", () => {
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

  const kept: PlanInput = { ...INPUT, symlinkedDatabases: { linked: '/srv/linked' }, keptOnDonor: ['cacerts', 'certs/node.pem', 'certs/sub/node.key', 'linked/x[1].pem', 'top.pem'] };

  test('pass 1 excludes every kept path (the joiner keeps its own) before including directories', () => {
    const f = filtersOf(transferPlan(kept).structure[0] as Pass);
    assert.deepEqual(f.slice(-7), ['- /cacerts', '- /certs/node.pem', '- /certs/sub/node.key', '- /linked/x\\[1].pem', '- /top.pem', '+ /*/', '- /*']);
  });

  test("a symlinked database's own pass 1 excludes its kept files, anchored as that pass sees names", () => {
    assert.deepEqual(filtersOf(transferPlan(kept).structure[1] as Pass), ['- /x\\[1].pem']);
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
    const keptOnDonor = ['cacerts', 'certs/node.pem', 'with space/x[1].pem'];
    const plan = transferPlan({
      target: TARGET, datadir: src, dataHome: src, logDir: src, undoDir: src, ariaLog: src,
      files: databaseFiles(src, ['cacerts', 'certs', 'with space'], {}, keptOnDonor), binlogs: [], keptOnDonor, listDir: dir,
    });
    for (const pass of [...plan.structure, ...plan.queue.filter((p) => p.list)]) runLocally(pass, dest);
    const read = (rel: string): string => readFileSync(join(dest, rel), 'utf8');
    assert.equal(read('certs/node.pem'), 'joiner cert');
    assert.equal(read('cacerts/ca.pem'), 'joiner ca');
    assert.equal(read('certs/t.ibd'), 'table');
    assert.equal(read('with space/t.ibd'), 'table');
    assert.equal(existsSync(join(dest, 'with space', 'x[1].pem')), false);
  });
});
