/**
 * The joiner's rsyncd.conf (src/rsync/daemon-config.ts) read by the real rsync: in inetd-style
 * `rsync --server --daemon` mode over a pipe (no port is opened), by the system rsync and the
 * compat builds (SST_COMPAT_BIN). The rendering itself is tested in test/unit/rsync/daemon-config.test.ts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KEEP_FILE,
  type REFUSED_OPTIONS,
  renderDaemonConfig,
  renderOwnExcludes,
  renderSecrets,
  type DaemonLayout,
} from '../../src/rsync/daemon-config';
import { transferPlan } from '../../src/rsync/plan';
import { databaseFiles } from '../../src/sst/source-files';
import { MARKER, MODULES } from '../../src/rsync/modules';
import { missingProgram, toolSkip } from '../helpers/tool-skip';
import { compatBin } from '../helpers/compat-bin';
import { put } from '../helpers/datadir';
import { suiteDir } from '../helpers/suite-dir';

const skip = toolSkip('the rendered rsyncd.conf read by the system rsync', missingProgram('rsync'));

describe('the rendered config read by the real rsync (inetd mode over a pipe, no listener)', () => {
  let dir = '';
  let rsh = '';

  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-rsyncd-'));
    // rsync's "daemon over remote shell" mode runs this instead of ssh; it ignores
    // the host and command rsync passes, and starts a single-use daemon on its stdio.
    rsh = join(dir, 'rsh');
    fs.writeFileSync(rsh, '#!/bin/sh\nexec rsync --server --daemon --config="$SST_TEST_RSYNCD_CONF" .\n');
    fs.chmodSync(rsh, 0o755);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Renders a config for directories named `names` (created under a fresh root). */
  function setUp(root: string, names: Record<keyof DaemonLayout, string>): { layout: DaemonLayout; conf: string } {
    const base = join(dir, root);
    const layout = {} as DaemonLayout;
    for (const key of Object.keys(names) as (keyof DaemonLayout)[]) {
      layout[key] = join(base, names[key]);
      fs.mkdirSync(layout[key], { recursive: true });
    }
    const conf = join(base, 'rsyncd.conf');
    const secretsFile = join(base, 'rsyncd.secrets');
    fs.writeFileSync(secretsFile, renderSecrets('s3cret'), { mode: 0o600 });
    fs.writeFileSync(join(base, 'password'), 's3cret\n', { mode: 0o600 });
    fs.writeFileSync(
      conf,
      renderDaemonConfig({ layout, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, secretsFile }),
    );
    return { layout, conf };
  }

  /** rsync as the donor runs it: user `sst`, the per-SST secret from a password file. */
  const rsync = (
    conf: string,
    args: string[],
    password = join(conf, '..', 'password'),
  ): { status: number | null; stdout: string; stderr: string } => {
    const withUser = args.map((a) => a.replace('rsync://localhost/', 'rsync://sst@localhost/'));
    const r = spawnSync('rsync', [`--rsh=${rsh}`, `--password-file=${password}`, ...withUser], {
      encoding: 'utf8',
      env: { ...process.env, SST_TEST_RSYNCD_CONF: conf },
      timeout: 20_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** Sends base/f (created here) to module m of the daemon that `conf` describes; rsync must succeed. */
  const sendToModuleM = (base: string, conf: string): void => {
    const src = join(base, 'f');
    fs.writeFileSync(src, 'x');
    const r = rsync(conf, ['--quiet', src, 'rsync://localhost/m/']);
    assert.equal(r.status, 0, r.stderr);
  };

  const SPACED = {
    datadir: 'data dir',
    logDir: 'redo logs',
    dataHome: 'ib data',
    undoDir: 'undo',
    ariaLog: 'aria',
    binlogStaging: 'data dir/.rsync_tunnel_sst_binlogs',
  };

  test('rsync accepts the file; the modules are not listed', { skip }, () => {
    const { conf } = setUp('list', SPACED);
    const r = rsync(conf, ['rsync://localhost/']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '');
  });

  test('with the secret, no file content can be read back from any module', { skip }, () => {
    const { layout, conf } = setUp('read', SPACED);
    fs.writeFileSync(join(layout.datadir, 'private.key'), 'secret key');
    const out = join(dir, 'read-out');
    for (const module of Object.values(MODULES)) {
      const r = rsync(conf, ['--quiet', '--recursive', `rsync://localhost/${module}/`, `${out}/`]);
      assert.notEqual(r.status, 0, module);
      assert.match(r.stderr, /module is write only/, module);
    }
    assert.equal(fs.existsSync(join(out, 'private.key')), false);
  });

  test('with the secret, setuid/setgid bits and other-write permissions do not arrive', { skip }, () => {
    const { layout, conf } = setUp('modes', SPACED);
    const src = join(dir, 'modes-src');
    fs.mkdirSync(join(src, 'db'), { recursive: true });
    fs.writeFileSync(join(src, 'db', 'suid'), 'x');
    fs.chmodSync(join(src, 'db', 'suid'), 0o6777);
    fs.chmodSync(join(src, 'db'), 0o777);
    fs.chmodSync(src, 0o777);
    const r = rsync(conf, ['--quiet', '--recursive', '--perms', `${src}/`, `rsync://localhost/${MODULES.data}/`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync(join(layout.datadir, 'db', 'suid')).mode & 0o7777, 0o775);
    assert.equal(fs.statSync(join(layout.datadir, 'db')).mode & 0o777, 0o775);
    assert.equal(fs.statSync(layout.datadir).mode & 0o002, 0);
  });

  test('without the per-SST secret nothing can be written', { skip }, () => {
    const { layout, conf } = setUp('auth', SPACED);
    const src = join(dir, 'auth-src');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(join(src, 'evil.txt'), 'foreign');
    const wrong = join(dir, 'wrong-password');
    fs.writeFileSync(wrong, 'guess\n', { mode: 0o600 });
    const r = rsync(conf, ['--quiet', join(src, 'evil.txt'), `rsync://localhost/${MODULES.data}/`], wrong);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /auth failed/);
    assert.equal(fs.existsSync(join(layout.datadir, 'evil.txt')), false);
  });

  test('files land in the module directories, blanks in paths included', { skip }, () => {
    const { layout, conf } = setUp('spaces', SPACED);
    const src = join(dir, 'spaces-src');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(join(src, 'ib_logfile0'), 'redo');
    fs.writeFileSync(join(src, 'ibdata1'), 'sys');
    fs.writeFileSync(join(src, 'top.txt'), 'data');
    for (const [file, module] of [
      ['ib_logfile0', MODULES.logDir],
      ['ibdata1', MODULES.dataHome],
      ['top.txt', MODULES.data],
    ] as const) {
      const r = rsync(conf, ['--quiet', join(src, file), `rsync://localhost/${module}/`]);
      assert.equal(r.status, 0, `${module}: ${r.stderr}`);
    }
    assert.equal(fs.readFileSync(join(layout.logDir, 'ib_logfile0'), 'utf8'), 'redo');
    assert.equal(fs.readFileSync(join(layout.dataHome, 'ibdata1'), 'utf8'), 'sys');
    assert.equal(fs.readFileSync(join(layout.datadir, 'top.txt'), 'utf8'), 'data');
  });

  test('real rsync keeps "%%" as two characters (why doubling % is wrong)', { skip }, () => {
    // A hand-written config, independent of the code under test.
    const base = join(dir, 'pct-proof');
    fs.mkdirSync(join(base, 'a%%b'), { recursive: true });
    fs.mkdirSync(join(base, 'a%b'), { recursive: true });
    const conf = handWrittenConf(base, `[m]\npath = ${base}/a%%b\n`);
    sendToModuleM(base, conf);
    assert.equal(fs.existsSync(join(base, 'a%%b', 'f')), true);
    assert.equal(fs.existsSync(join(base, 'a%b', 'f')), false);
  });

  test('real rsync reads a trailing backslash as a line continuation (why it is refused)', { skip }, () => {
    // A hand-written config: module m's path ends in '\', so rsync joins the `[n]` header to it,
    // module n disappears and n's `path` becomes m's: a file sent to m lands in n's directory.
    const base = join(dir, 'backslash-proof');
    fs.mkdirSync(join(base, 'a\\'), { recursive: true });
    fs.mkdirSync(join(base, 'b'), { recursive: true });
    const conf = handWrittenConf(base, `[m]\npath = ${base}/a\\\n[n]\npath = ${base}/b\n`);
    const listed = rsync(conf, ['rsync://localhost/']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(
      listed.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter((n) => n),
      ['m'],
    );
    sendToModuleM(base, conf);
    assert.equal(fs.existsSync(join(base, 'b', 'f')), true);
    assert.equal(fs.existsSync(join(base, 'a\\', 'f')), false);
  });

  test('a directory with % in its name receives files through the rendered config', { skip }, () => {
    const { layout, conf } = setUp('percent', { ...SPACED, logDir: 'redo 100%' });
    const src = join(dir, 'percent-src');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(join(src, 'ib_logfile0'), 'redo');
    const r = rsync(conf, ['--quiet', join(src, 'ib_logfile0'), `rsync://localhost/${MODULES.logDir}/`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(join(layout.logDir, 'ib_logfile0'), 'utf8'), 'redo');
  });

  test('the datadir module refuses .zfs (rsync reports 23, the directory is not created)', { skip }, () => {
    const { layout, conf } = setUp('zfs', SPACED);
    const src = join(dir, 'zfs-src');
    fs.mkdirSync(join(src, '.zfs'), { recursive: true });
    fs.mkdirSync(join(src, 'db1'), { recursive: true });
    fs.writeFileSync(join(src, '.zfs', 'snap'), 's');
    fs.writeFileSync(join(src, 'db1', 't.ibd'), 't');
    const r = rsync(conf, ['--quiet', '--recursive', `${src}/`, `rsync://localhost/${MODULES.data}/`]);
    assert.equal(r.status, 23, r.stderr);
    assert.match(r.stderr, /daemon refused to receive directory "\.zfs"/);
    assert.equal(fs.existsSync(join(layout.datadir, '.zfs')), false);
    assert.equal(fs.readFileSync(join(layout.datadir, 'db1', 't.ibd'), 'utf8'), 't');
  });
});
/** base/rsyncd.conf: a writable daemon as this user, then `modules`, written by hand. */
function handWrittenConf(base: string, modules: string): string {
  const conf = join(base, 'rsyncd.conf');
  const ids = `uid = ${process.getuid?.() ?? 0}\ngid = ${process.getgid?.() ?? 0}\n`;
  fs.writeFileSync(conf, `use chroot = no\nread only = no\n${ids}${modules}`);
  return conf;
}

/**
 * In base: the daemon's configuration for `layout` with the joiner's own paths excluded, its secret and the client's
 * password file (s3cret), and `rsh`, which starts `rsync` as a single-use daemon on its stdio for `--rsh`.
 */
function daemonOverRsh(
  base: string,
  rsync: string,
  layout: DaemonLayout,
  own: Parameters<typeof renderOwnExcludes>[0],
): { conf: string; rsh: string } {
  const excludeFrom = join(base, 'rsyncd.exclude');
  fs.writeFileSync(excludeFrom, renderOwnExcludes(own));
  const secretsFile = join(base, 'rsyncd.secrets');
  fs.writeFileSync(secretsFile, renderSecrets('s3cret'), { mode: 0o600 });
  fs.writeFileSync(join(base, 'password'), 's3cret\n', { mode: 0o600 });
  const conf = join(base, 'rsyncd.conf');
  const ids = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  fs.writeFileSync(conf, renderDaemonConfig({ layout, ...ids, secretsFile, excludeFrom }));
  const rsh = join(base, 'rsh');
  fs.writeFileSync(rsh, `#!/bin/sh\nexec '${rsync}' --server --daemon --config='${conf}' .\n`, { mode: 0o755 });
  return { conf, rsh };
}

/** [name, program] of the system rsync (when present) and of each compat build; a SKIP line without those. */
function rsyncBuilds(what: string): [string, string][] {
  const compat = compatBin();
  if (!fs.existsSync(compat))
    console.log(`SKIP ${what} against compat rsync builds: none at ${compat} (set SST_COMPAT_BIN)`);
  const found = fs.existsSync(compat) ? fs.readdirSync(compat).filter((b) => /^rsync-/.test(b)) : [];
  return [
    ...(skip === false ? [['system', 'rsync'] as [string, string]] : []),
    ...found.sort().map((b): [string, string] => [b, join(compat, b)]),
  ];
}

describe("the joiner's own paths survive a whole donor plan, real rsync daemon (system and compat builds)", () => {
  const builds = rsyncBuilds('own paths');
  const dir = suiteDir('sst-own-');

  for (const [name, rsync] of builds) {
    test(`${name}: layout directories (empty ones too) and TLS files stay; a same-layout donor is not refused`, () => {
      const base = join(dir(), name);
      const src = join(base, 'donor');
      const dst = join(base, 'joiner');
      put(join(src, 'db1', 't.ibd'), 'table');
      put(join(src, 'in side', 'ibdata', 'ibdata1'), 'donor ibdata');
      put(join(src, 'certs', 't.ibd'), 'a database named certs');
      put(join(src, 'ib_logfile0'), 'donor redo');
      put(join(dst, 'certs', 'node.pem'), 'joiner cert');
      put(join(dst, 'cacerts', 'h.0'), 'joiner ca');
      put(join(dst, 'stale_db', 't.ibd'), 'stale');
      const layout: DaemonLayout = {
        datadir: dst,
        logDir: join(dst, 'redo'),
        dataHome: join(dst, 'in side', 'ibdata'),
        undoDir: dst,
        ariaLog: dst,
        binlogStaging: join(dst, '.staging'),
      };
      for (const d of [layout.logDir, layout.dataHome, layout.binlogStaging]) fs.mkdirSync(d, { recursive: true });
      for (const d of [layout.logDir, layout.dataHome]) fs.writeFileSync(join(d, KEEP_FILE), '');
      const own = { layoutDirs: ['redo', 'in side/ibdata'], files: ['certs/node.pem'], trees: ['cacerts'] };
      const { rsh } = daemonOverRsh(base, rsync, layout, own);

      const dataHome = join(src, 'in side', 'ibdata');
      const plan = transferPlan({
        target: 'rsync://sst@localhost',
        datadir: src,
        dataHome,
        logDir: src,
        undoDir: src,
        ariaLog: src,
        files: databaseFiles(src, ['certs', 'db1', 'in side'], {}, []),
        binlogs: [],
        listDir: base,
      });
      for (const pass of [...plan.structure, ...plan.queue]) {
        if (pass.list) fs.writeFileSync(pass.list.file, pass.list.entries.map((e) => `${e}\0`).join(''));
        const r = spawnSync(rsync, [`--rsh=${rsh}`, `--password-file=${join(base, 'password')}`, ...pass.args], {
          encoding: 'utf8',
          timeout: 20_000,
        });
        assert.equal(r.status, 0, `${pass.name}: ${r.stderr}`);
      }
      const read = (rel: string): string => fs.readFileSync(join(dst, rel), 'utf8');
      assert.equal(
        read('redo/ib_logfile0'),
        'donor redo',
        'pass 3 wrote into the joiner redo directory pass 1 did not delete',
      );
      assert.equal(read('in side/ibdata/ibdata1'), 'donor ibdata');
      assert.equal(read('certs/node.pem'), 'joiner cert');
      assert.equal(read('certs/t.ibd'), 'a database named certs');
      assert.equal(read('cacerts/h.0'), 'joiner ca');
      assert.equal(read('db1/t.ibd'), 'table');
      assert.equal(fs.existsSync(join(dst, 'stale_db')), false, 'other directories the donor lacks still go');
    });
  }
});

/**
 * docs/architecture.md §8.10: a client holding the secret sends the daemon whatever options it likes (`-M` puts a
 * raw one on the daemon's command line). Each that reads a joiner file or plants metadata is
 * refused on every rsync a joiner may run, while the passes of our donors (this release, and
 * 0.2.0's shapes: --relative database copies, the --archive --checksum marker) still go through.
 */
describe('what the daemon refuses, real rsync daemon (system and compat builds)', () => {
  const builds = rsyncBuilds('refused options');
  const dir = suiteDir('sst-refuse-');

  /** Each option in the raw form a hostile client puts on the daemon's command line. */
  const RAW: Record<(typeof REFUSED_OPTIONS)[number], string[]> = {
    'block-size': ['-M-B1', '-M--no-W'],
    'compare-dest': ['-M--compare-dest=../ssl'],
    'copy-dest': ['-M--copy-dest=../ssl'],
    'link-dest': ['-M--link-dest=../ssl'],
    fuzzy: ['-M-y'],
    'partial-dir': ['-M--partial-dir=../ssl'],
    'delay-updates': ['-M--delay-updates'],
    append: ['-M--append'],
    'append-verify': ['-M--append-verify'],
    // The client's own form: sent raw, the client would not expect the checksum it did not choose.
    'checksum-choice': ['--checksum-choice=md4'],
    cc: ['-M--cc=md4'],
    'checksum-seed': ['-M--checksum-seed=1'],
    'read-batch': ['-M--read-batch=ssl/j.pem'],
    'write-batch': ['-M--write-batch=batch'],
    'only-write-batch': ['-M--only-write-batch=batch'],
    'exclude-from': ['-M--exclude-from=ssl/j.pem'],
    'include-from': ['-M--include-from=ssl/j.pem'],
    'files-from': ['-M--files-from=ssl/j.pem'],
    xattrs: ['-M-X'],
    acls: ['-M-A'],
    'fake-super': ['-M--fake-super'],
    super: ['-M--super'],
    devices: ['-M--devices'],
    'hard-links': ['-M-H'],
    'numeric-ids': ['-M--numeric-ids'],
    usermap: ['-M--usermap=*:nobody'],
    groupmap: ['-M--groupmap=*:nogroup'],
    chown: ['-M--chown=nobody'],
    chmod: ['-M--chmod=o+w'],
    backup: ['-M-b'],
    'backup-dir': ['-M--backup-dir=../ssl'],
    suffix: ['-M--suffix=.old'],
    'temp-dir': ['-M--temp-dir=ssl'],
    'copy-links': ['-M-L'],
    'copy-dirlinks': ['-M-k'],
    'keep-dirlinks': ['-M-K'],
    'delete-excluded': ['-M--delete-excluded', '--delete'],
    force: ['-M--force', '--delete'],
    'trust-sender': ['-M--trust-sender'],
  };

  for (const [name, rsync] of builds) {
    test(
      `${name}: every refused option ends the connection before ` +
        `anything is written; the joiner's key, control files and data stay`,
      async () => {
        const base = join(dir(), name);
        const dst = join(base, 'joiner');
        const src = join(base, 'attacker');
        put(join(dst, 'ssl', 'j.pem'), 'JOINER KEY');
        put(join(dst, 'db', 't.ibd'), 'joiner table');
        put(join(dst, 'ib_logfile0'), 'joiner redo');
        put(join(src, 'db', 't.ibd'), 'planted table');
        put(join(src, 'db', 'j.pem'), 'planted key');
        put(join(src, 'ssl', 'j.pem'), 'planted key');
        put(join(src, 'wsrep_sst.pid'), '1\n');
        put(join(src, 'sst_in_progress'), '');
        put(join(src, 'ib_logfile0'), 'planted redo');
        // The default layout: every engine directory is the datadir itself.
        const layout: DaemonLayout = {
          datadir: dst,
          logDir: dst,
          dataHome: dst,
          undoDir: dst,
          ariaLog: dst,
          binlogStaging: join(dst, '.staging'),
        };
        fs.mkdirSync(layout.binlogStaging, { recursive: true });
        const { rsh } = daemonOverRsh(base, rsync, layout, { layoutDirs: [], files: ['ssl/j.pem'], trees: [] });
        const push = (args: string[]): { status: number | null; stderr: string } => {
          const r = spawnSync(rsync, [`--rsh=${rsh}`, `--password-file=${join(base, 'password')}`, ...args], {
            encoding: 'utf8',
            timeout: 20_000,
          });
          return { status: r.status, stderr: r.stderr };
        };
        const pushAsync = (args: string[]): Promise<{ status: number | null; stderr: string }> =>
          new Promise((done) => {
            const child = spawn(rsync, [`--rsh=${rsh}`, `--password-file=${join(base, 'password')}`, ...args], {
              stdio: ['ignore', 'ignore', 'pipe'],
              timeout: 20_000,
            });
            let stderr = '';
            child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
            child.on('close', (status) => done({ status, stderr }));
          });
        const unchanged = (why: string): void => {
          assert.equal(fs.readFileSync(join(dst, 'ssl', 'j.pem'), 'utf8'), 'JOINER KEY', why);
          assert.equal(fs.readFileSync(join(dst, 'db', 't.ibd'), 'utf8'), 'joiner table', why);
          assert.deepEqual(fs.readdirSync(join(dst, 'ssl')), ['j.pem'], why);
          assert.deepEqual(fs.readdirSync(join(dst, 'db')), ['t.ibd'], why);
          assert.equal(fs.existsSync(join(dst, 'wsrep_sst.pid')), false, why);
          assert.equal(fs.existsSync(join(dst, 'sst_in_progress')), false, why);
        };

        // All at once: rsync pauses before it exits on an error, and nothing here is written. Each
        // also with -s, which sends the options after the handshake instead of on the command line.
        const raw = await Promise.all(
          Object.entries(RAW).flatMap(([option, extra]) =>
            [[], ['-s']].map(async (protect) => ({
              option: `${protect.join('')} ${option}`,
              r: await pushAsync([
                '--recursive',
                '--inplace',
                ...protect,
                ...extra,
                `${src}/`,
                'rsync://sst@localhost/rsync_tunnel_sst/',
              ]),
            })),
          ),
        );
        // 3.1.3's daemon closes the connection without telling why; an older rsync does not know the
        // newest names. A raw --cc also breaks the checksum negotiation the client runs meanwhile,
        // and which of the two errors it reports first is a race (refused or not: nothing is written).
        for (const { option, r } of raw) {
          const reasons = option.endsWith(' cc')
            ? /configured to refuse|unknown option|connection unexpectedly closed|vstring|negotiate/
            : /configured to refuse|unknown option|connection unexpectedly closed/;
          assert.match(r.stderr, reasons, `${option} was accepted: ${r.stderr}`);
        }
        unchanged(raw.map(({ option, r }) => `${option}: ${r.stderr}`).join('\n'));
        // No module writes the key or a control file; no --delete removes them.
        for (const module of Object.values(MODULES).filter((m) => m !== MODULES.binlog)) {
          const r = push([
            '--recursive',
            '--delete',
            '--whole-file',
            '--ignore-times',
            `${src}/`,
            `rsync://sst@localhost/${module}/`,
          ]);
          assert.notEqual(r.status, 0, `${module}: ${r.stderr}`);
          assert.equal(fs.readFileSync(join(dst, 'ssl', 'j.pem'), 'utf8'), 'JOINER KEY', module);
          assert.equal(fs.existsSync(join(dst, 'wsrep_sst.pid')), false, module);
          assert.equal(fs.existsSync(join(dst, 'sst_in_progress')), false, module);
          const empty = join(base, 'empty');
          fs.mkdirSync(empty, { recursive: true });
          push(['--dirs', '--delete', '--whole-file', `${empty}/`, `rsync://sst@localhost/${module}/`]);
          assert.equal(fs.readFileSync(join(dst, 'ssl', 'j.pem'), 'utf8'), 'JOINER KEY', `${module} --delete`);
        }
        // An engine module takes its file: the redo log through the log module.
        assert.equal(
          push([
            '--whole-file',
            '--inplace',
            '--ignore-times',
            join(src, 'ib_logfile0'),
            `rsync://sst@localhost/${MODULES.logDir}/`,
          ]).status,
          0,
        );
        assert.equal(fs.readFileSync(join(dst, 'ib_logfile0'), 'utf8'), 'planted redo');

        // 0.2.0's shapes, which the plan test above does not make: a --relative database copy, then the marker.
        const flags = '--owner --group --perms --links --specials --ignore-times --inplace --quiet --whole-file';
        const common = flags.split(' ');
        const relative = push([
          ...common,
          '--recursive',
          '--delete',
          '--relative',
          `${src}/./db/`,
          'rsync://sst@localhost/rsync_tunnel_sst/',
        ]);
        assert.equal(relative.status, 0, relative.stderr);
        assert.equal(fs.readFileSync(join(dst, 'db', 't.ibd'), 'utf8'), 'planted table');
        fs.writeFileSync(join(base, MARKER), 'marker');
        const marker = push([
          '--archive',
          '--quiet',
          '--checksum',
          join(base, MARKER),
          'rsync://sst@localhost/rsync_tunnel_sst/',
        ]);
        assert.equal(marker.status, 0, marker.stderr);
        assert.equal(fs.readFileSync(join(dst, 'ssl', 'j.pem'), 'utf8'), 'JOINER KEY');
      },
    );
  }
});
