import { Exit, SstError } from '../errors';
import { FILES } from './modules';
import { AUTH_USER, MARKER, MODULES } from './modules';
import { ENGINE_FILES, escapePattern, literalPattern, type EnginePass } from './plan';

/**
 * Put by the joiner into each of its InnoDB/Aria directories inside the datadir, and hidden from
 * the donor by the data module: rsync cannot delete a directory that still holds a file it may
 * not touch, so pass 1 cannot remove a directory passes 2–5 write into, even an empty one.
 */
export const KEEP_FILE = '.rsync_tunnel_sst_keep';

export interface DaemonLayout {
  datadir: string;
  logDir: string;
  dataHome: string;
  undoDir: string;
  ariaLog: string;
  binlogStaging: string;
}

export interface DaemonConfigInput {
  layout: DaemonLayout;
  /**
   * File holding `<AUTH_USER>:<secret>`, mode 0600: every module then wants
   * the per-SST secret, so a CA-signed stranger that reaches the port cannot
   * write a single file, not only not complete the SST.
   */
  secretsFile: string;
  /**
   * Written only for a root joiner: a daemon started by root otherwise drops
   * to `nobody` and cannot write the datadir (docs/protocol.md §7.24), while one started
   * by `mysql` fails with "setgroups failed" when given a gid.
   */
  uid?: number;
  gid?: number;
  /** Seconds of I/O silence after which the daemon gives up (upstream: 300). */
  timeout?: number;
  /** File of the data module's daemon excludes (renderOwnExcludes), when the joiner has any. */
  excludeFrom?: string;
}

/** The joiner's own paths inside its datadir, relative to it. */
export interface OwnPaths {
  /** InnoDB/Aria directories: each holds a KEEP_FILE; the donor fills them through their modules. */
  layoutDirs: readonly string[];
  /** Certificate, key, CA file: the donor's files of the same name are refused. */
  files: readonly string[];
  /** CA directory: its entries are protected, the directory itself not. */
  trees: readonly string[];
}

/**
 * The data module's `exclude from` file: one pattern a line, so blanks in paths need no quoting.
 * A daemon exclude also hides a file from --delete, and a directory that still holds one is kept.
 * It does not name the directories themselves: a daemon refuses an entry it excludes with rsync
 * code 23, and a donor with the same layout sends that directory in pass 1.
 */
export function renderOwnExcludes(own: OwnPaths): string {
  const all = [...own.layoutDirs, ...own.files, ...own.trees];
  const bad = all.find((p) => /[\n\r]/.test(p));
  if (bad !== undefined)
    throw new SstError(
      Exit.UNSAFE_VALUE,
      `path cannot be written into an rsync exclude file (newline): ${JSON.stringify(bad)}`,
    );
  const lines = [
    ...own.layoutDirs.map((d) => `/${literalPattern(`${d}/${KEEP_FILE}`)}`),
    ...own.files.map((f) => `/${literalPattern(f)}`),
    ...own.trees.map((d) => `/${escapePattern(d)}/*`),
  ];
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * rsyncd.conf values end at the line end and lose surrounding blanks, so a
 * newline or a blank at an edge cannot be carried. A `\` at the end of a line joins the next
 * line to it (measured: `path = /x/a\` swallowed the following `[module]` header, and that
 * module's `path` then became this module's), so a value cannot end with one. rsync also replaces
 * %NAME% (NAME set in its environment) and has no escape for it ('%%' stays
 * '%%'), so that one form is refused and everything else written verbatim.
 */
export function rsyncdValue(value: string): string {
  if (/[\n\r\0]/.test(value) || value !== value.trim()) {
    throw new SstError(
      Exit.UNSAFE_VALUE,
      `path cannot be written into rsyncd.conf (newline or leading/trailing blank): ${JSON.stringify(value)}`,
    );
  }
  if (value.endsWith('\\')) {
    throw new SstError(
      Exit.UNSAFE_VALUE,
      `path cannot be written into rsyncd.conf (rsync would read its trailing backslash as a line ` +
        `continuation): ${JSON.stringify(value)}`,
    );
  }
  if (/%[A-Z][^%]*%/.test(value)) {
    throw new SstError(
      Exit.UNSAFE_VALUE,
      `path cannot be written into rsyncd.conf (rsync would expand the %VAR% in it): ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Client options the daemon refuses (rsyncd.conf `refuse options`) (docs/architecture.md §8.10). A secret holder
 * drives the receiver with any option it likes, and rsync refuses only what is listed. An
 * allowlist (`* !opt`) needs rsync 3.2.0; 3.1.3 (RHEL 8) would take `!opt` for an unknown name
 * and refuse everything. So a list of long names from 3.1.3's option table (the last ones from
 * later releases: an older rsync logs an unknown name and goes on). A name also refuses its
 * one-letter form, not an alias (`cc` had to be listed: measured on 3.2.3 and 3.5.0).
 * None is sent by our donors, this release or 0.2.0/0.3.0: their server options are -lWogDtprcIR,
 * --specials, --inplace, --delete-*, --ignore-existing, --max-size and --bwlimit. Kept because
 * those need them: `--partial` (rsync refuses --inplace with it), `-D` (it carries --devices: a
 * daemon that is not root cannot make a device, device-sweep.ts removes those a root one made),
 * `-o`/`-g`, `-t`, `-c`.
 */
export const REFUSED_OPTIONS = [
  // Read: each makes the receiver send checksums of a file other than the named destination
  // (the joiner's key, through a basis directory or a fuzzy match), checksums small enough to
  // spell a file out, or whole-file checksums a client can test guesses against.
  'block-size',
  'compare-dest',
  'copy-dest',
  'link-dest',
  'fuzzy',
  'partial-dir',
  'delay-updates',
  'append',
  'append-verify',
  'checksum-choice',
  'cc',
  'checksum-seed',
  // Read: the receiver opens a file the client names.
  'read-batch',
  'write-batch',
  'only-write-batch',
  'exclude-from',
  'include-from',
  'files-from',
  // Plant: metadata no database file needs, and which `incoming chmod` does not reach
  // (file capabilities, ACLs, ownership kept in xattrs, device numbers, hard links).
  'xattrs',
  'acls',
  'fake-super',
  'super',
  'devices',
  'hard-links',
  'numeric-ids',
  'usermap',
  'groupmap',
  'chown',
  'chmod',
  // Plant: writes somewhere other than the named file, or through the joiner's own symlinks.
  'backup',
  'backup-dir',
  'suffix',
  'temp-dir',
  'copy-links',
  'copy-dirlinks',
  'keep-dirlinks',
  // Delete: past the daemon's excludes (the joiner's own files). Not listed: --delete-missing-args,
  // which no rsync can refuse (a bit-set option: measured accepted on 3.1.3 to 3.5.0); it deletes
  // no more than --delete, and its names pass the same daemon excludes.
  'delete-excluded',
  'force',
  // rsync 3.2.5+: the receiver would skip its checks of the names the client sends.
  'trust-sender',
] as const;

/**
 * The joiner's control files at the datadir's top (sst/datadir-files.ts), hidden from the data
 * module: a secret holder could otherwise plant a wsrep_sst.pid naming another process. The
 * marker is the donor's to write.
 */
export const CONTROL_FILES: readonly string[] = Object.values(FILES).filter((f) => f !== MARKER);

function module(name: string, path: string, extra: string[] = []): string[] {
  return [`[${name}]`, `path = ${rsyncdValue(path)}`, ...extra, ''];
}

/**
 * An engine module takes its pass's files at its top and nothing else: by default its directory
 * is the datadir itself, where the data module's excludes (the joiner's key, control files) do
 * not apply. rsync reads `include` before `exclude`; a hidden name is also safe from --delete.
 */
function engineModule(pass: EnginePass, path: string): string[] {
  return module(MODULES[pass], path, [
    `include = ${ENGINE_FILES[pass].patterns.map((p) => `/${p}`).join(' ')}`,
    'exclude = /*',
  ]);
}

/** The rsyncd secrets file: one user, the per-SST secret. */
export function renderSecrets(secret: string): string {
  return `${AUTH_USER}:${secret}\n`;
}

/** The joiner's rsyncd.conf. */
export function renderDaemonConfig(input: DaemonConfigInput): string {
  const { layout } = input;
  const lines = [
    '# Written by wsrep_sst_rsync_tunnel for one SST; removed when it ends.',
    'use chroot = no',
    'read only = no',
    // A secret holder may write database files and nothing more: nothing leaves through the
    // daemon, and no setuid/setgid bit or other-write permission arrives (devices: daemon-user.ts).
    'write only = yes',
    'list = no',
    'incoming chmod = Do-w,Fo-w,ug-s',
    `timeout = ${input.timeout ?? 300}`,
    ...(input.uid === undefined ? [] : [`uid = ${input.uid}`]),
    ...(input.gid === undefined ? [] : [`gid = ${input.gid}`]),
    `auth users = ${AUTH_USER}`,
    `secrets file = ${rsyncdValue(input.secretsFile)}`,
    'strict modes = yes',
    `refuse options = ${REFUSED_OPTIONS.join(' ')}`,
    '',
    ...module(MODULES.data, layout.datadir, [
      `exclude = .zfs ${CONTROL_FILES.map((f) => `/${f}`).join(' ')}`,
      ...(input.excludeFrom === undefined ? [] : [`exclude from = ${rsyncdValue(input.excludeFrom)}`]),
    ]),
    ...engineModule('logDir', layout.logDir),
    ...engineModule('dataHome', layout.dataHome),
    ...engineModule('undoDir', layout.undoDir),
    ...engineModule('ariaLog', layout.ariaLog),
    ...module(MODULES.binlog, layout.binlogStaging),
  ];
  return lines.join('\n');
}
