/**
 * The joiner's rsyncd.conf (docs/protocol.md §5.4, §7.5, §7.24): modules, uid/gid, timeout,
 * escaping. The real rsync reading the rendered file: test/integration/rsync-daemon.test.ts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  KEEP_FILE,
  REFUSED_OPTIONS,
  renderDaemonConfig,
  renderOwnExcludes,
  rsyncdValue,
  type DaemonLayout,
} from '../../../src/rsync/daemon-config';

const SECRETS = '/run/wsrep-test/rsyncd.secrets';
import { MODULES } from '../../../src/rsync/modules';
import { Exit } from '../../../src/errors';
import { assertSstError } from '../../helpers/assert-sst';

const LAYOUT: DaemonLayout = {
  datadir: '/var/lib/mysql',
  logDir: '/srv/redo',
  dataHome: '/srv/ibdata',
  undoDir: '/srv/undo',
  ariaLog: '/srv/aria',
  binlogStaging: '/var/lib/mysql/.rsync_tunnel_sst_binlogs',
};

/** Parses rsyncd.conf text into global settings and modules (name → settings). */
function parseConf(text: string): {
  global: Map<string, string>;
  modules: Map<string, Map<string, string>>;
  order: string[];
} {
  const global = new Map<string, string>();
  const modules = new Map<string, Map<string, string>>();
  const order: string[] = [];
  let current = global;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      const name = section[1] ?? '';
      assert.equal(modules.has(name), false, `module ${name} twice`);
      current = new Map();
      modules.set(name, current);
      order.push(name);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not a setting: ${raw}`);
    current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return { global, modules, order };
}

describe('renderDaemonConfig', () => {
  const text = renderDaemonConfig({ layout: LAYOUT, uid: 105, gid: 110, secretsFile: SECRETS });
  const conf = parseConf(text);

  test(
    'global settings: no chroot, writable but write only and unlisted, no setuid/other-write, timeout 300, ' +
      'explicit numeric uid/gid, every module behind the secret',
    () => {
      assert.deepEqual(
        [...conf.global],
        [
          ['use chroot', 'no'],
          ['read only', 'no'],
          ['write only', 'yes'],
          ['list', 'no'],
          ['incoming chmod', 'Do-w,Fo-w,ug-s'],
          ['timeout', '300'],
          ['uid', '105'],
          ['gid', '110'],
          ['auth users', 'sst'],
          ['secrets file', SECRETS],
          ['strict modes', 'yes'],
          ['refuse options', REFUSED_OPTIONS.join(' ')],
        ],
      );
    },
  );

  test('every client option that reads a joiner file or plants metadata is refused, by its 3.1.3 long name', () => {
    const refused = new Set((conf.global.get('refuse options') ?? '').split(' '));
    const expected = [
      'block-size compare-dest copy-dest link-dest fuzzy partial-dir delay-updates append',
      'append-verify checksum-choice cc checksum-seed read-batch write-batch only-write-batch',
      'exclude-from include-from files-from xattrs acls fake-super super devices hard-links',
      'numeric-ids usermap groupmap chown chmod backup backup-dir suffix temp-dir copy-links',
      'copy-dirlinks keep-dirlinks delete-excluded force trust-sender',
    ]
      .join(' ')
      .split(' ');
    for (const name of expected) {
      assert.ok(refused.has(name), name);
    }
    // What our donors send (this release, 0.3.0, 0.2.0) must stay; `partial` would refuse --inplace.
    for (const name of [
      'inplace',
      'partial',
      'whole-file',
      'W',
      'owner',
      'group',
      'perms',
      'links',
      'specials',
      'D',
      'times',
      'checksum',
      'recursive',
      'dirs',
      'relative',
      'ignore-times',
      'delete',
      'delete-during',
      'ignore-existing',
      'max-size',
      'bwlimit',
      'a',
      'archive',
      '*',
    ]) {
      assert.equal(refused.has(name), false, name);
    }
  });

  test('no listener settings at all (inetd style only): no port, address, pid file', () => {
    for (const key of ['port', 'address', 'pid file', 'listen backlog', 'socket options']) {
      assert.equal(conf.global.has(key), false, key);
    }
  });

  test('every module is present, in order, with its path', () => {
    assert.deepEqual(conf.order, [
      MODULES.data,
      MODULES.logDir,
      MODULES.dataHome,
      MODULES.undoDir,
      MODULES.ariaLog,
      MODULES.binlog,
    ]);
    assert.equal(conf.modules.get(MODULES.data)?.get('path'), LAYOUT.datadir);
    assert.equal(conf.modules.get(MODULES.logDir)?.get('path'), LAYOUT.logDir);
    assert.equal(conf.modules.get(MODULES.dataHome)?.get('path'), LAYOUT.dataHome);
    assert.equal(conf.modules.get(MODULES.undoDir)?.get('path'), LAYOUT.undoDir);
    assert.equal(conf.modules.get(MODULES.ariaLog)?.get('path'), LAYOUT.ariaLog);
    assert.equal(conf.modules.get(MODULES.binlog)?.get('path'), LAYOUT.binlogStaging);
  });

  test('module names are those of the wire protocol', () => {
    assert.deepEqual(conf.order, [
      'rsync_tunnel_sst',
      'rsync_tunnel_sst-log_dir',
      'rsync_tunnel_sst-data_dir',
      'rsync_tunnel_sst-undo_dir',
      'rsync_tunnel_sst-aria_log',
      'rsync_tunnel_sst-binlog',
    ]);
  });

  test(
    'the datadir module excludes .zfs and our control ' + 'files (docs/architecture.md §8.10 (8)), not the marker',
    () => {
      assert.equal(
        conf.modules.get(MODULES.data)?.get('exclude'),
        '.zfs /wsrep_sst.pid /sst_in_progress /rsync_tunnel_sst-socat.pid /tables_flushed /sst_error',
      );
      assert.equal(conf.modules.get(MODULES.binlog)?.has('exclude'), false);
    },
  );

  test("each engine module takes its pass's files at its top and nothing else", () => {
    const expected: Record<string, string> = {
      [MODULES.logDir]: '/ib_logfile0',
      [MODULES.dataHome]: '/ibdata* /ib_lru_dump',
      [MODULES.undoDir]: '/undo*',
      [MODULES.ariaLog]: '/aria_log_control /aria_log.*',
    };
    for (const [name, include] of Object.entries(expected)) {
      assert.equal(conf.modules.get(name)?.get('include'), include, name);
      assert.equal(conf.modules.get(name)?.get('exclude'), '/*', name);
    }
  });

  test('a custom timeout', () => {
    assert.equal(
      parseConf(renderDaemonConfig({ layout: LAYOUT, uid: 0, gid: 0, timeout: 42, secretsFile: SECRETS })).global.get(
        'timeout',
      ),
      '42',
    );
  });

  test('without uid/gid (a joiner not running as root) neither line is written', () => {
    const g = parseConf(renderDaemonConfig({ layout: LAYOUT, secretsFile: SECRETS })).global;
    assert.equal(g.has('uid'), false);
    assert.equal(g.has('gid'), false);
  });

  test('uid/gid 0 (root) are written, not dropped', () => {
    const g = parseConf(renderDaemonConfig({ layout: LAYOUT, uid: 0, gid: 0, secretsFile: SECRETS })).global;
    assert.equal(g.get('uid'), '0');
    assert.equal(g.get('gid'), '0');
  });

  test('identical directories (all in the datadir) still give one module each', () => {
    const same: DaemonLayout = {
      ...LAYOUT,
      logDir: LAYOUT.datadir,
      dataHome: LAYOUT.datadir,
      undoDir: LAYOUT.datadir,
      ariaLog: LAYOUT.datadir,
    };
    const c = parseConf(renderDaemonConfig({ layout: same, uid: 1, gid: 1, secretsFile: SECRETS }));
    assert.equal(c.order.length, 6);
    assert.equal(c.modules.get(MODULES.undoDir)?.get('path'), LAYOUT.datadir);
  });

  test('paths with spaces are kept verbatim', () => {
    const c = parseConf(
      renderDaemonConfig({
        layout: { ...LAYOUT, datadir: '/srv/my data/mysql' },
        uid: 1,
        gid: 1,
        secretsFile: SECRETS,
      }),
    );
    assert.equal(c.modules.get(MODULES.data)?.get('path'), '/srv/my data/mysql');
  });

  // rsync's loadparm.c expand_vars() replaces `%NAME%` (first letter upper case, NAME
  // set in the environment) and has no escape: `%%` stays `%%`, whatever
  // rsyncd.conf(5) says (checked with the real rsync below). So a lone `%` must be
  // written as is, and a `%VAR%` sequence can only be refused.
  test('a lone % is written unchanged (rsync has no %% escape)', () => {
    const c = parseConf(
      renderDaemonConfig({ layout: { ...LAYOUT, logDir: '/srv/100%/a%b' }, uid: 1, gid: 1, secretsFile: SECRETS }),
    );
    assert.equal(c.modules.get(MODULES.logDir)?.get('path'), '/srv/100%/a%b');
  });

  test('a %VAR% sequence in a path → 21 (rsync would expand it from its environment)', () => {
    assertSstError(
      () =>
        renderDaemonConfig({ layout: { ...LAYOUT, logDir: '/srv/%HOME%/redo' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
    );
  });

  test('a newline in a path → 21 (it would inject settings)', () => {
    assertSstError(
      () =>
        renderDaemonConfig({
          layout: { ...LAYOUT, datadir: '/srv/x\nread only = no\n[evil]\npath = /' },
          uid: 1,
          gid: 1,
          secretsFile: SECRETS,
        }),
      21,
    );
  });

  test('CR and NUL in a path → 21', () => {
    assertSstError(
      () => renderDaemonConfig({ layout: { ...LAYOUT, undoDir: '/srv/x\r' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
    );
    assertSstError(
      () => renderDaemonConfig({ layout: { ...LAYOUT, ariaLog: '/srv/\0x' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
    );
  });

  test('a path ending in a backslash → 21 (rsyncd would join the next line to it)', () => {
    for (const key of ['datadir', 'logDir', 'dataHome', 'undoDir', 'ariaLog', 'binlogStaging'] as const) {
      assertSstError(
        () => renderDaemonConfig({ layout: { ...LAYOUT, [key]: '/srv/x\\' }, uid: 1, gid: 1, secretsFile: SECRETS }),
        21,
        /line continuation/,
      );
    }
    assertSstError(
      () => renderDaemonConfig({ layout: LAYOUT, uid: 1, gid: 1, secretsFile: '/run/s\\' }),
      21,
      /line continuation/,
    );
    assertSstError(
      () => renderDaemonConfig({ layout: { ...LAYOUT, datadir: '/srv/x\\\\' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
    );
  });

  test('leading or trailing blanks → 21 (rsyncd would strip them)', () => {
    assertSstError(
      () =>
        renderDaemonConfig({ layout: { ...LAYOUT, dataHome: ' /srv/ibdata' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
      /leading\/trailing blank/,
    );
    assertSstError(
      () =>
        renderDaemonConfig({ layout: { ...LAYOUT, dataHome: '/srv/ibdata ' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
    );
    assertSstError(
      () =>
        renderDaemonConfig({ layout: { ...LAYOUT, binlogStaging: '/srv/b\t' }, uid: 1, gid: 1, secretsFile: SECRETS }),
      21,
    );
  });
});

describe('rsyncdValue', () => {
  test('plain values are unchanged', () => {
    assert.equal(rsyncdValue('/var/lib/mysql'), '/var/lib/mysql');
    assert.equal(rsyncdValue('/a b/c'), '/a b/c');
  });

  test('lower-case or unpaired % sequences are not references and need no change', () => {
    assert.equal(rsyncdValue('/srv/%home%/100%'), '/srv/%home%/100%');
  });

  test('a backslash inside a value is kept (only one ending the line continues it)', () => {
    assert.equal(rsyncdValue('/srv/a\\b'), '/srv/a\\b');
  });

  test('# and ; inside a value are kept (only lines starting with them are comments)', () => {
    assert.equal(rsyncdValue('/srv/a#b;c'), '/srv/a#b;c');
  });
});

describe("the joiner's own paths inside its datadir (docs/architecture.md §8.6)", () => {
  test('an exclude file, one pattern a line: keep files of layout directories, own files, CA directory entries', () => {
    assert.equal(
      renderOwnExcludes({
        layoutDirs: ['redo', 'in side/ibdata'],
        files: ['certs/node.pem', 'x[1].pem'],
        trees: ['ca*s'],
      }),
      `/redo/${KEEP_FILE}\n/in side/ibdata/${KEEP_FILE}\n/certs/node.pem\n/x\\[1].pem\n/ca\\*s/*\n`,
    );
  });

  test('a newline in a path is refused (it would split the pattern)', () => {
    assertSstError(
      () => renderOwnExcludes({ layoutDirs: [], files: ['certs/a\nb.pem'], trees: [] }),
      Exit.UNSAFE_VALUE,
      /newline/,
    );
  });

  test('the data module reads the file; no other module does, and without one there is no such line', () => {
    const c = parseConf(
      renderDaemonConfig({ layout: LAYOUT, secretsFile: SECRETS, excludeFrom: '/tmp/p q/rsyncd.exclude' }),
    );
    assert.equal(c.modules.get(MODULES.data)?.get('exclude from'), '/tmp/p q/rsyncd.exclude');
    assert.equal(
      c.modules.get(MODULES.data)?.get('exclude'),
      '.zfs /wsrep_sst.pid /sst_in_progress /rsync_tunnel_sst-socat.pid /tables_flushed /sst_error',
    );
    for (const name of c.order.filter((n) => n !== MODULES.data))
      assert.equal(c.modules.get(name)?.has('exclude from'), false, name);
    assert.equal(
      parseConf(renderDaemonConfig({ layout: LAYOUT, secretsFile: SECRETS }))
        .modules.get(MODULES.data)
        ?.has('exclude from'),
      false,
    );
  });
});
