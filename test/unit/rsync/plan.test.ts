/**
 * The donor's rsync passes (docs/protocol.md §3.3 table, §7.30–7.33): pass 1, then a queue of engine passes,
 * binary logs and batches of database files. What the passes select when the real rsync runs them:
 * test/integration/rsync-plan.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
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
    assert.deepEqual(
      [...COMMON_FLAGS],
      '--owner --group --perms --links --specials --ignore-times --inplace --quiet --whole-file'.split(' '),
    );
  });

  test('every data pass starts with them', () => {
    for (const p of all(transferPlan(INPUT)))
      assert.deepEqual(p.args.slice(0, COMMON_FLAGS.length), [...COMMON_FLAGS], p.name);
  });
});

describe('order of passes', () => {
  test('pass 1 alone first; then the queue, largest first (equal sizes: binary logs, engine passes, batches)', () => {
    const plan = transferPlan(INPUT);
    assert.deepEqual(
      plan.structure.map((p) => p.name),
      ['pass 1 (directories and deletions)'],
    );
    assert.deepEqual(
      plan.queue.map((p) => p.name),
      [
        'files 1/1 (5 files, 0.0 MiB)',
        'pass 2 (InnoDB system tablespace)',
        'pass 3 (InnoDB redo log)',
        'binary logs',
        'pass 5 (Aria logs)',
        'pass 4 (InnoDB undo tablespaces)',
      ],
    );
    assert.deepEqual(
      plan.queue.map((p) => p.bytes),
      [342, 100, 50, 40, 1, 0],
    );
  });

  test('without binlogs there is no binlog pass; without files no batch', () => {
    const plan = transferPlan({ ...INPUT, binlogs: [], binlogList: undefined, files: [] });
    assert.deepEqual(
      plan.queue.map((p) => p.name),
      [
        'pass 2 (InnoDB system tablespace)',
        'pass 3 (InnoDB redo log)',
        'pass 5 (Aria logs)',
        'pass 4 (InnoDB undo tablespaces)',
      ],
    );
  });

  test('only pass 1 is marked first (its rsync codes are told apart)', () => {
    const plan = transferPlan({ ...INPUT, symlinkedDatabases: { shop: '/srv/shop' } });
    assert.deepEqual(
      plan.structure.map((p) => p.first),
      [true, false],
    );
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
      '-f',
      '- /lost+found',
      '-f',
      '- /.zfs',
      '-f',
      '- /.snapshot',
      '-f',
      '- /.fseventsd',
      '-f',
      '- /.Trashes',
      '-f',
      `- /${BINLOG_STAGING}`,
      '-f',
      '+ /*/',
      '-f',
      '- /*',
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
      assert.ok(i >= 0, `${name} is excluded`);
      assert.ok(i < include, `${name} is excluded before the include of directories`);
    }
  });

  test('the excluded names (docs/protocol.md §7.32) plus our binlog staging dir', () => {
    assert.deepEqual(
      [...EXCLUDED_TOP_LEVEL],
      ['lost+found', '.zfs', '.snapshot', '.fseventsd', '.Trashes', BINLOG_STAGING],
    );
  });

  test('a datadir given with a trailing slash is not doubled', () => {
    assert.equal(transferPlan({ ...INPUT, datadir: '/var/lib/mysql/' }).structure[0]?.args.at(-2), '/var/lib/mysql/');
  });

  test("the datadir's pass 1 never deletes a symlinked database's directory on the joiner", () => {
    const input = { ...INPUT, symlinkedDatabases: { 'b[1]': '/srv/b', a: '/srv/a' } };
    const f = filtersOf(transferPlan(input).structure[0] as Pass);
    assert.deepEqual(f.slice(-4), ['- /a', '- /b\\[1]', '+ /*/', '- /*']);
  });

  test('a symlinked database directory gets its own pass 1, from where it resolves to, into <module>/<db>/', () => {
    const [, linked] = transferPlan({ ...INPUT, symlinkedDatabases: { linked: '/srv/elsewhere/linked' } }).structure;
    assert.deepEqual(linked?.args, [
      ...COMMON_FLAGS,
      '--recursive',
      '--delete',
      '--ignore-existing',
      '--max-size=0',
      '/srv/elsewhere/linked/',
      `${TARGET}/${MODULES.data}/linked/`,
    ]);
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
      assert.deepEqual(byName(queue, prefix).args, [
        ...COMMON_FLAGS,
        '--dirs',
        '--delete',
        ...rules.flatMap((r) => ['-f', r]),
        source,
        `${TARGET}/${module}`,
      ]);
    });
  }

  test('each reads its own directory (resolved on the donor too, docs/protocol.md §3.3 defect)', () => {
    const p = transferPlan({ ...INPUT, dataHome: '/a', logDir: '/b', undoDir: '/c', ariaLog: '/d' }).queue;
    assert.deepEqual(
      ['pass 2', 'pass 3', 'pass 4', 'pass 5'].map((n) => byName(p, n).args.at(-2)),
      ['/a/', '/b/', '/c/', '/d/'],
    );
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
    assert.deepEqual(
      batchFiles(files, 100).map((b) => b.map((x) => x.path)),
      [['a/big'], ['b/s3', 'b/s2', 'a/s4'], ['a/s1']],
    );
    assert.deepEqual(batchFiles([], 100), []);
  });

  test("batch size: a quarter of a stream's share, never under MIN_BATCH_BYTES", () => {
    assert.equal(batchSize(1000, 2), MIN_BATCH_BYTES);
    assert.equal(batchSize(80 * MIN_BATCH_BYTES, 2), 10 * MIN_BATCH_BYTES);
    assert.equal(batchSize(80 * MIN_BATCH_BYTES, 0), 20 * MIN_BATCH_BYTES);
  });

  test('a small datadir is one batch: one list, one handshake', () => {
    const batches = transferPlan(INPUT).queue.filter((p) => p.list);
    assert.equal(batches.length, 1);
    const [b] = batches;
    assert.deepEqual(b?.list, {
      file: '/tmp/work/files.1',
      entries: ['shop/orders.ibd', 'sales@002d2024/t.ibd', 'mysql/user.MAI', 'with space/t.ibd', '-dash/t.frm'],
    });
    assert.deepEqual(b?.args, [
      ...COMMON_FLAGS,
      '--files-from=/tmp/work/files.1',
      '--from0',
      '/var/lib/mysql/',
      `${TARGET}/${MODULES.data}/`,
    ]);
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
    const plan = transferPlan({
      ...INPUT,
      files: [f('shop/a.ibd', 5), f('linked/t.ibd', 3), f('linked/sub/u.ibd', 2)],
      symlinkedDatabases: { linked: '/srv/linked' },
    });
    const batches = plan.queue.filter((p) => p.list);
    assert.deepEqual(
      batches.map((b) => [b.args.at(-2), b.args.at(-1), b.list?.entries]),
      [
        ['/var/lib/mysql/', `${TARGET}/${MODULES.data}/`, ['shop/a.ibd']],
        ['/srv/linked/', `${TARGET}/${MODULES.data}/linked/`, ['t.ibd', 'sub/u.ibd']],
      ],
    );
  });

  test('odd names stay list entries and never reach the command line', () => {
    const batch = transferPlan(INPUT).queue.find((p) => p.list) as Pass;
    assert.ok(batch.list?.entries.includes('-dash/t.frm'));
    assert.ok(!batch.args.some((a) => a.includes('dash')));
  });
});

describe('rlimit', () => {
  test(
    'every queued pass gets --bwlimit of the whole limit ' +
      '(KiB/s, at least 1); pass 1 sends no content and gets none',
    () => {
      const plan = transferPlan({ ...INPUT, rateLimit: 50 * 1024 * 1024 });
      for (const p of plan.queue) assert.equal(p.args[COMMON_FLAGS.length], '--bwlimit=51200', p.name);
      assert.ok(plan.structure.every((p) => !p.args.some((a) => a.startsWith('--bwlimit'))));
      assert.equal(transferPlan({ ...INPUT, rateLimit: 100 }).queue[0]?.args[COMMON_FLAGS.length], '--bwlimit=1');
      assert.ok(transferPlan(INPUT).queue.every((p) => !p.args.some((a) => a.startsWith('--bwlimit'))));
    },
  );
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

describe("the donor's own TLS files inside its datadir (docs/architecture.md §8.6)", () => {
  test(
    'insideDatadir: strictly inside, relative, sorted, ' + 'once; the datadir itself and a sibling prefix are not',
    () => {
      assert.deepEqual(
        insideDatadir('/var/lib/mysql', [
          '/var/lib/mysql/certs/node.pem',
          '/var/lib/mysql',
          '/var/lib/mysql/',
          '/var/lib/mysql2/x.pem',
          '/etc/ssl/ca.pem',
          '/var/lib/mysql/ca/',
          '/var/lib/mysql/certs/node.pem',
        ]),
        ['ca', 'certs/node.pem'],
      );
      assert.deepEqual(insideDatadir('/var/lib/mysql/', ['/var/lib/mysql/node.key']), ['node.key']);
    },
  );

  test('patterns: a path without wildcard goes verbatim; with one, wildcards and backslashes are escaped', () => {
    assert.equal(literalPattern('certs/a\\b c.pem'), 'certs/a\\b c.pem');
    assert.equal(literalPattern('certs/x[1]*?.pem'), 'certs/x\\[1]\\*\\?.pem');
    assert.equal(literalPattern('a\\b/[c'), 'a\\\\b/\\[c');
    assert.equal(escapePattern('a\\b'), 'a\\\\b');
  });

  const kept: PlanInput = {
    ...INPUT,
    symlinkedDatabases: { linked: '/srv/linked' },
    keptOnDonor: ['cacerts', 'certs/node.pem', 'certs/sub/node.key', 'linked/x[1].pem', 'top.pem'],
  };

  test('pass 1 excludes every kept path (the joiner keeps its own) before including directories', () => {
    const f = filtersOf(transferPlan(kept).structure[0] as Pass);
    assert.deepEqual(f.slice(-8), [
      '- /cacerts',
      '- /certs/node.pem',
      '- /certs/sub/node.key',
      '- /linked/x\\[1].pem',
      '- /top.pem',
      '- /linked',
      '+ /*/',
      '- /*',
    ]);
  });

  test("a symlinked database's own pass 1 excludes its kept files, anchored as that pass sees names", () => {
    assert.deepEqual(filtersOf(transferPlan(kept).structure[1] as Pass), ['- /x\\[1].pem']);
  });

  test('nothing kept: the plan is unchanged', () => {
    assert.deepEqual(transferPlan({ ...INPUT, keptOnDonor: [] }), transferPlan(INPUT));
  });
});
