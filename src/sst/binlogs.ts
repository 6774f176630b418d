/**
 * Binary logs on both roles. Every file of theirs is read, removed, moved or created through a
 * handle of its directory (dir-handle.ts), never following its final name: the datadir's owner
 * can put a symlink at any of them, and a root SST must not read or remove its target.
 */
import { existsSync, lstatSync, readdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { posix as path } from 'node:path';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { BINLOG_LIST } from '../rsync/modules';
import { createDatadirFile, readDatadirFile, removeEntry } from './datadir-files';
import { openDirectory, type DirHandle, using } from './dir-handle';
import type { BinlogSettings } from '../config/settings';

/** An index lists one binlog a line: a long-lived server's may list thousands. */
const INDEX_LIMIT = 64 * 1024 * 1024;

/**
 * Runs `work` on the directory holding `file`, opened as dir-handle.ts does; undefined when that directory is missing.
 */
function inParent<T>(file: string, work: (dir: DirHandle, name: string) => T): T | undefined {
  return using(openDirectory(path.dirname(file)), (dir) => work(dir, path.basename(file)));
}

/** A file's text, never through a symlink at its name; undefined when it is missing or refused. */
function readNoFollow(file: string): string | undefined {
  try {
    return inParent(file, (dir, name) => readDatadirFile(file, Exit.FAILED, { via: dir.at(name), limit: INDEX_LIMIT }));
  } catch {
    return undefined;
  }
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** What a directory entry is, seen without following a final symlink. */
export type EntryKind = 'file' | 'symlink' | 'directory' | 'other' | 'missing';

/** The file system calls the joiner's binlog handling needs, passed in so tests can stage hostile layouts. */
export interface BinlogFs {
  kind(p: string): EntryKind;
  /** Contents of a regular file, never through a symlink at its name; undefined when it cannot be read. */
  read(p: string): string | undefined;
  /** Canonical path, undefined when it does not exist. */
  realpath(p: string): string | undefined;
  list(dir: string): string[];
  remove(p: string): void;
}

export const systemBinlogFs: BinlogFs = {
  kind(p) {
    try {
      const s = lstatSync(p);
      if (s.isSymbolicLink()) return 'symlink';
      if (s.isFile()) return 'file';
      return s.isDirectory() ? 'directory' : 'other';
    } catch {
      return 'missing';
    }
  },
  read: readNoFollow,
  realpath(p) {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  },
  list(dir) {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  remove(p) {
    inParent(p, (dir, name) => removeEntry(p, { via: dir.at(name) }));
  },
};

/** Pure: the last `max` index entries (0 = none, negative = all), docs/protocol.md §3.4. */
export function tailOfIndex(entries: readonly string[], max: number): string[] {
  if (max === 0) return [];
  return max < 0 ? [...entries] : entries.slice(-max);
}

/**
 * Donor: the binlog files to send, oldest first, as absolute paths. Entries
 * of the index are relative to the datadir or absolute; names that are not
 * files are skipped as upstream does.
 */
export function binlogsToSend(binlog: BinlogSettings, datadir: string, max: number): string[] {
  const kind = systemBinlogFs.kind(binlog.index);
  if (kind === 'missing') {
    log.info(`binlog index ${binlog.index} not found: no binary logs to send`);
    return [];
  }
  const text = readNoFollow(binlog.index);
  if (text === undefined) {
    log.warn(
      `binlog index ${binlog.index} is a ` +
        `${kind === 'file' ? 'file that cannot be read' : kind}: not read, no binary logs to send`,
    );
    return [];
  }
  return tailOfIndex(lines(text), max)
    .filter((entry) => {
      // The joiner refuses any other; a root donor's rsync must not read it on the owner's word.
      const problem = indexEntryProblem(entry, binlog, datadir);
      if (problem !== undefined)
        log.warn(`binlog index ${binlog.index}: entry ${quoted(entry)} is not sent: ${problem}`);
      return problem === undefined;
    })
    .map((entry) => path.resolve(datadir, entry))
    .filter(isFile);
}

/** A regular file, not a symlink to one: rsync would send the link, which the joiner refuses. */
function isFile(p: string): boolean {
  return lstatSync(p, { throwIfNoEntry: false })?.isFile() === true;
}

/** Donor: the list that tells the joiner the order of the binlogs (their names only). */
export function writeBinlogList(dir: string, files: readonly string[]): string {
  const list = path.join(dir, BINLOG_LIST);
  writeFileSync(list, files.map((f) => `${path.basename(f)}\n`).join(''));
  return list;
}

/** Longest file name Linux file systems take (NAME_MAX, in bytes). */
const NAME_MAX = 255;

/**
 * Pure: why `name` is not a binary log file name `<stem>.<digits>` whose stem
 * is one plain path component, or undefined when it is one. Any stem is
 * accepted, not only ours: after an SST the index lists the donor's names,
 * and nodes commonly have their own log-bin or log-basename.
 */
export function binlogNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.startsWith('/')) return 'it is an absolute path';
  if (name.split('/').includes('..')) return "it contains '..'";
  if (name.includes('/')) return 'it contains a slash';
  // The index is line-based and trimmed: such a name could not be read back as written.
  if (/[\0-\x1f\x7f]/.test(name)) return 'it contains a control character';
  if (name !== name.trim()) return 'it begins or ends with a blank';
  if (Buffer.byteLength(name) > NAME_MAX) return `it is longer than ${NAME_MAX} bytes`;
  const m = /^(.*)\.[0-9]+$/.exec(name);
  if (m === null || m[1] === '' || m[1] === '.' || m[1] === '..') return 'it is not <stem>.<digits>';
  return undefined;
}

/**
 * Pure: why an index line does not name a binary log directly inside the
 * binlog directory, or undefined when it does. Index lines are paths relative
 * to the datadir or absolute, so containment is judged on the resolved path.
 */
export function indexEntryProblem(entry: string, binlog: BinlogSettings, datadir: string): string | undefined {
  const resolved = path.resolve(datadir, entry);
  if (path.dirname(resolved) !== binlog.dir) return `it is not inside the binlog directory ${binlog.dir}`;
  return binlogNameProblem(path.basename(resolved));
}

/** Pure: an entry as it appears in messages, with newlines and other controls visible. */
export const quoted = (entry: string): string => JSON.stringify(entry.length > 300 ? `${entry.slice(0, 300)}…` : entry);

/**
 * Pure given `fs`: the real path a directory has, or will have once created:
 * the canonical path of its nearest existing ancestor plus the missing rest.
 * Compared before and after the transfer, it tells whether the donor swapped
 * a directory on the way for a symlink.
 */
export function destinationOf(fs: BinlogFs, dir: string): string {
  const missing: string[] = [];
  let head = dir;
  for (;;) {
    const real = fs.realpath(head);
    if (real !== undefined) return path.join(real, ...missing.reverse());
    missing.push(path.basename(head));
    head = path.dirname(head);
  }
}

/** The joiner's own binlogs, read before it listens: nothing the donor sends can change this list. */
export interface PreviousBinlogs {
  /** Absolute paths of the previously indexed binlogs that may be deleted. */
  files: string[];
  /** The index as it was, to tell whether the transfer replaced it. */
  index: { kind: EntryKind; text: string | undefined };
  /** Where the binlog and index directories lead, to tell whether the transfer redirected them. */
  destinations: Map<string, string>;
}

function indexDirs(binlog: BinlogSettings): string[] {
  return [...new Set([binlog.dir, path.dirname(binlog.index)])];
}

/**
 * Joiner, before `ready`: the previous index, validated. An entry that is not
 * a binlog of the binlog directory is the node's own: it is kept, with a
 * warning, rather than failing the SST.
 */
export function readPreviousBinlogs(binlog: BinlogSettings, datadir: string, fs: BinlogFs): PreviousBinlogs {
  const kind = fs.kind(binlog.index);
  const text = kind === 'missing' ? undefined : fs.read(binlog.index);
  if (kind !== 'missing' && text === undefined)
    log.warn(
      `binlog index ${binlog.index} is a ${kind === 'file' ? 'file that cannot be read' : kind}: not read, ` +
        `none of the binary logs it lists is deleted`,
    );
  const files: string[] = [];
  for (const entry of lines(text ?? '')) {
    const problem = indexEntryProblem(entry, binlog, datadir);
    if (problem === undefined) files.push(path.resolve(datadir, entry));
    else log.warn(`binlog index ${binlog.index}: entry ${quoted(entry)} is not deleted: ${problem}`);
  }
  const destinations = new Map(indexDirs(binlog).map((d) => [d, destinationOf(fs, d)]));
  return { files, index: { kind, text }, destinations };
}

function refuse(message: string): never {
  throw new SstError(Exit.ABORTED, `${message}; no binary log was deleted`);
}

/**
 * Joiner, after the marker: checks everything the donor could have sent or
 * changed, and only then says what to delete and what to install. Throws 32
 * naming the first bad entry; nothing is touched until it returns.
 */
export function planBinlogInstall(
  binlog: BinlogSettings,
  datadir: string,
  staging: string,
  previous: PreviousBinlogs,
  fs: BinlogFs,
): { remove: string[]; install: string[] | undefined } {
  for (const [dir, before] of previous.destinations) {
    const now = destinationOf(fs, dir);
    if (now !== before) refuse(`binlog directory ${dir} now leads to ${now}, not ${before} as before the transfer`);
  }
  if (fs.kind(staging) !== 'directory' && fs.kind(staging) !== 'missing')
    refuse(`binlog staging directory ${staging} is not a directory`);

  const remove = new Set(previous.files);
  const indexKind = fs.kind(binlog.index);
  const indexText = indexKind === 'missing' ? undefined : fs.read(binlog.index);
  if (indexKind !== previous.index.kind || indexText !== previous.index.text) {
    // Only the donor writes here during an SST: what it pushed is checked like its list.
    if (indexKind !== 'file' && indexKind !== 'missing')
      refuse(`binlog index ${binlog.index} was replaced during the transfer by a ${indexKind}`);
    for (const entry of lines(indexText ?? '')) {
      const problem = indexEntryProblem(entry, binlog, datadir);
      if (problem !== undefined)
        refuse(`binlog index ${binlog.index} received from the donor: entry ${quoted(entry)} refused: ${problem}`);
      remove.add(path.resolve(datadir, entry));
    }
  }

  const listFile = path.join(staging, BINLOG_LIST);
  let install: string[] | undefined;
  const listKind = fs.kind(listFile);
  if (listKind !== 'missing') {
    if (listKind !== 'file') refuse(`binlog list ${listFile} from the donor is a ${listKind}, not a file`);
    install = lines(fs.read(listFile) ?? '');
    const seen = new Set<string>();
    for (const name of install) {
      const problem = binlogNameProblem(name) ?? (seen.has(name) ? 'it is listed twice' : undefined);
      if (problem !== undefined) refuse(`binlog list from the donor: entry ${quoted(name)} refused: ${problem}`);
      seen.add(name);
    }
    for (const name of install) {
      const kind = fs.kind(path.join(staging, name));
      if (kind === 'missing') refuse(`Error installing binary log ${quoted(name)}: not received from the donor`);
      if (kind !== 'file')
        refuse(
          `binlog list from the donor: entry ${quoted(name)} refused: it arrived as a ${kind}, not a regular file`,
        );
    }
  }

  const ours = fs
    .list(binlog.dir)
    .filter(
      (name) => binlogNameProblem(name) === undefined && name.slice(0, name.lastIndexOf('.')) === binlog.basename,
    );
  for (const name of ours) remove.add(path.join(binlog.dir, name));
  return { remove: [...remove], install };
}

/**
 * Joiner: deletes the old binlogs (regular files only: a symlink is left with
 * a warning, its target is never reached), the old index, then moves the
 * received binlogs in place and writes an index in the donor's order.
 * Returns how many were installed.
 */
export function installBinlogs(
  binlog: BinlogSettings,
  datadir: string,
  staging: string,
  previous: PreviousBinlogs,
  fs: BinlogFs = systemBinlogFs,
): number {
  const plan = planBinlogInstall(binlog, datadir, staging, previous, fs);
  for (const file of plan.remove) {
    const kind = fs.kind(file);
    if (kind === 'file') fs.remove(file);
    else if (kind !== 'missing') log.warn(`old binary log ${file} is a ${kind}, not a regular file: left in place`);
  }
  if (fs.kind(binlog.index) !== 'missing' && fs.kind(binlog.index) !== 'directory') fs.remove(binlog.index);
  if (plan.install === undefined) return 0;
  const install = plan.install;
  const from = openDirectory(staging);
  if (from === undefined) refuse(`binlog staging directory ${staging} is gone`);
  try {
    withDirectory(binlog.dir, (to) => {
      for (const name of install) renameSync(from.at(name), to.at(name));
    });
  } finally {
    from.close();
  }
  // The old index is gone: created anew, never written through a link someone put in its place.
  withDirectory(path.dirname(binlog.index), (dir) => {
    const name = path.basename(binlog.index);
    createDatadirFile(binlog.index, install.map((n) => `${binlog.indexPrefix}/${n}\n`).join(''), { via: dir.at(name) });
  });
  return install.length;
}

/** Runs `work` on directory `dir`, created (mkdir -p through handles) when missing. */
function withDirectory(dir: string, work: (handle: DirHandle) => void): void {
  const handle = openDirectory(dir, {});
  if (handle === undefined) throw new SstError(Exit.FAILED, `cannot open directory ${dir}`);
  try {
    work(handle);
  } finally {
    handle.close();
  }
}

export function stagingHasBinlogs(staging: string): boolean {
  return existsSync(path.join(staging, BINLOG_LIST));
}
