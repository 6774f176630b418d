/**
 * The donor's rsync passes (src/rsync/plan.ts) run by the real rsync locally: source dir →
 * destination dir, no daemon, no network. The plan's argv itself is tested in
 * test/unit/rsync/plan.test.ts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXCLUDED_TOP_LEVEL, transferPlan, type Pass } from '../../src/rsync/plan';
import { databaseFiles, engineBytes } from '../../src/sst/source-files';
import { MARKER } from '../../src/rsync/modules';
import { missingProgram, toolSkip } from '../helpers/tool-skip';

const TARGET = 'rsync://10.0.0.2:4444';
const skip = toolSkip('the transfer plan run by the real rsync', missingProgram('rsync'));

/** Runs a pass with its remote target replaced by a local directory, writing its file list first. */
function runLocally(pass: Pass, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  if (pass.list) fs.writeFileSync(pass.list.file, pass.list.entries.map((e) => `${e}\0`).join(''));
  const args = [...pass.args.slice(0, -1), (pass.args.at(-1) ?? '').replace(/^rsync:\/\/[^/]+\/[^/]+/, dest)];
  const r = spawnSync('rsync', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${pass.name}: ${r.stderr}`);
}

/** A layout with every directory in the datadir. */
const allIn = (datadir: string) => ({
  datadir,
  dataHome: datadir,
  logDir: datadir,
  undoDir: datadir,
  ariaLog: datadir,
});

describe('what the passes do, checked with the real rsync (local copy, no daemon)', () => {
  let dir = '';
  let src = '';
  let real = '';

  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-plan-'));
    src = join(dir, 'src');
    const put = (rel: string, content = 'x'): void => {
      fs.mkdirSync(join(src, rel, '..'), { recursive: true });
      fs.writeFileSync(join(src, rel), content);
    };
    for (const f of [
      'ibdata1',
      'ibdata2',
      'ib_lru_dump',
      'ib_logfile0',
      'ib_logfile1',
      'undo001',
      'aria_log_control',
      'aria_log.00000001',
      'grastate.dat',
      'galera.cache',
      'ib_buffer_pool',
      'ibtmp1',
      'mysqld.pid',
      MARKER,
      'tables_flushed',
    ])
      put(f);
    put('shop/orders.ibd', 'orders');
    put('shop/nested/deep.bin', 'deep');
    put('shop/empty.frm', '');
    fs.mkdirSync(join(src, 'shop', 'emptydir'));
    fs.mkdirSync(join(src, 'emptydb'));
    put('mysql/user.MAI');
    for (const d of [...EXCLUDED_TOP_LEVEL]) put(`${d}/inside`);
    real = join(dir, 'elsewhere', 'linked_db');
    fs.mkdirSync(join(real, 'sub'), { recursive: true });
    fs.writeFileSync(join(real, 't.ibd'), 'linked');
    fs.writeFileSync(join(real, 'sub', 'u.ibd'), 'under');
    fs.symlinkSync(real, join(src, 'linked_db'));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const plan = (): ReturnType<typeof transferPlan> => {
    const dbs = ['emptydb', 'linked_db', 'mysql', 'shop'];
    const linked = { linked_db: real };
    return transferPlan({
      target: TARGET,
      ...allIn(src),
      symlinkedDatabases: linked,
      files: databaseFiles(src, dbs, linked, []),
      engineBytes: engineBytes(allIn(src)),
      binlogs: [],
      listDir: dir,
    });
  };

  test('the listing: every file below the database directories, sizes, a symlinked one read where it resolves', {
    skip,
  }, () => {
    const files = databaseFiles(src, ['emptydb', 'linked_db', 'mysql', 'shop'], { linked_db: real }, [
      'shop/empty.frm',
    ]);
    assert.deepEqual(files, [
      { path: 'linked_db/sub/u.ibd', size: 5 },
      { path: 'linked_db/t.ibd', size: 6 },
      { path: 'mysql/user.MAI', size: 1 },
      { path: 'shop/nested/deep.bin', size: 4 },
      { path: 'shop/orders.ibd', size: 6 },
    ]);
    assert.deepEqual(engineBytes(allIn(src)), {
      dataHome: 3,
      logDir: 1,
      undoDir: 1,
      ariaLog: 2,
    });
  });

  test('pass 1 makes the tree (directories, empty files), deletes what the donor lacks, sends no content, keeps ' +
    'top-level files', {
    skip,
  }, () => {
    const dest = join(dir, 'p1');
    fs.mkdirSync(join(dest, 'stale_db'), { recursive: true });
    fs.mkdirSync(join(dest, 'shop'), { recursive: true });
    fs.writeFileSync(join(dest, 'shop', 'dropped.ibd'), 'old');
    fs.writeFileSync(join(dest, 'shop', 'orders.ibd'), 'stale');
    fs.writeFileSync(join(dest, 'joiner-only.txt'), 'stays');
    for (const p of plan().structure) runLocally(p, dest);
    assert.deepEqual(fs.readdirSync(dest).sort(), ['emptydb', 'joiner-only.txt', 'linked_db', 'mysql', 'shop']);
    assert.deepEqual(fs.readdirSync(join(dest, 'shop')).sort(), ['empty.frm', 'emptydir', 'nested', 'orders.ibd']);
    assert.equal(fs.readFileSync(join(dest, 'shop', 'orders.ibd'), 'utf8'), 'stale', 'pass 1 sends no content');
    assert.equal(fs.existsSync(join(dest, 'mysql', 'user.MAI')), false);
    assert.equal(fs.lstatSync(join(dest, 'linked_db')).isDirectory(), true);
    assert.deepEqual(fs.readdirSync(join(dest, 'linked_db')), ['sub']);
  });

  test("then the queue fills it: the tree equals the donor's database directories and engine files", { skip }, () => {
    const dest = join(dir, 'all');
    fs.mkdirSync(join(dest, 'shop'), { recursive: true });
    fs.writeFileSync(join(dest, 'shop', 'orders.ibd'), 'stale and longer');
    const { structure, queue } = plan();
    for (const p of structure) runLocally(p, dest);
    for (const p of queue) runLocally(p, p.list ? dest : join(dir, p.name.slice(0, 6).replace(' ', '_')));
    assert.equal(fs.readFileSync(join(dest, 'shop', 'orders.ibd'), 'utf8'), 'orders');
    assert.equal(fs.readFileSync(join(dest, 'shop', 'nested', 'deep.bin'), 'utf8'), 'deep');
    assert.equal(fs.readFileSync(join(dest, 'linked_db', 't.ibd'), 'utf8'), 'linked');
    assert.equal(fs.readFileSync(join(dest, 'linked_db', 'sub', 'u.ibd'), 'utf8'), 'under');
    assert.equal(fs.readFileSync(join(dest, 'mysql', 'user.MAI'), 'utf8'), 'x');
    const expected: Record<string, string[]> = {
      pass_2: ['ib_lru_dump', 'ibdata1', 'ibdata2'],
      pass_3: ['ib_logfile0'],
      pass_4: ['undo001'],
      pass_5: ['aria_log.00000001', 'aria_log_control'],
    };
    for (const [d, files] of Object.entries(expected)) assert.deepEqual(fs.readdirSync(join(dir, d)).sort(), files, d);
  });
});

describe('kept files with the real rsync (local copy, no daemon)', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-kept-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("kept files are not sent, and the joiner's files of the same names are not deleted", { skip }, () => {
    const src = join(dir, 'src');
    const dest = join(dir, 'dest');
    const put = (root: string, rel: string, content: string): void => {
      fs.mkdirSync(join(root, rel, '..'), { recursive: true });
      fs.writeFileSync(join(root, rel), content);
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
      target: TARGET,
      ...allIn(src),
      files: databaseFiles(src, ['cacerts', 'certs', 'with space'], {}, keptOnDonor),
      binlogs: [],
      keptOnDonor,
      listDir: dir,
    });
    for (const pass of [...plan.structure, ...plan.queue.filter((p) => p.list)]) runLocally(pass, dest);
    const read = (rel: string): string => fs.readFileSync(join(dest, rel), 'utf8');
    assert.equal(read('certs/node.pem'), 'joiner cert');
    assert.equal(read('cacerts/ca.pem'), 'joiner ca');
    assert.equal(read('certs/t.ibd'), 'table');
    assert.equal(read('with space/t.ibd'), 'table');
    assert.equal(fs.existsSync(join(dest, 'with space', 'x[1].pem')), false);
  });
});
