import { Exit, SstError } from '../errors';
import { AUTH_USER, MODULES } from './modules';
import { escapePattern, literalPattern } from './plan';

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
   * to `nobody` and cannot write the datadir (spec §7.24), while one started
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
  if (bad !== undefined) throw new SstError(Exit.UNSAFE_VALUE, `path cannot be written into an rsync exclude file (newline): ${JSON.stringify(bad)}`);
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
    throw new SstError(Exit.UNSAFE_VALUE, `path cannot be written into rsyncd.conf (newline or leading/trailing blank): ${JSON.stringify(value)}`);
  }
  if (value.endsWith('\\')) {
    throw new SstError(Exit.UNSAFE_VALUE, `path cannot be written into rsyncd.conf (rsync would read its trailing backslash as a line continuation): ${JSON.stringify(value)}`);
  }
  if (/%[A-Z][^%]*%/.test(value)) {
    throw new SstError(Exit.UNSAFE_VALUE, `path cannot be written into rsyncd.conf (rsync would expand the %VAR% in it): ${JSON.stringify(value)}`);
  }
  return value;
}

function module(name: string, path: string, extra: string[] = []): string[] {
  return [`[${name}]`, `path = ${rsyncdValue(path)}`, ...extra, ''];
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
    '',
    ...module(MODULES.data, layout.datadir, ['exclude = .zfs', ...(input.excludeFrom === undefined ? [] : [`exclude from = ${rsyncdValue(input.excludeFrom)}`])]),
    ...module(MODULES.logDir, layout.logDir),
    ...module(MODULES.dataHome, layout.dataHome),
    ...module(MODULES.undoDir, layout.undoDir),
    ...module(MODULES.ariaLog, layout.ariaLog),
    ...module(MODULES.binlog, layout.binlogStaging),
  ];
  return lines.join('\n');
}
