/**
 * The control files at the top of the datadir. The datadir's own path is the configuration's (its
 * parent is not the owner's to change), so these are named by path; what the datadir's owner may
 * change is the final name, and none of ours follows it: reads are O_NOFOLLOW, creations
 * O_CREAT|O_EXCL, removal is unlink, or rmdir of an empty directory, never a recursive remove
 * (a control file that is a non-empty directory is left, and creating one there fails). Deeper
 * work goes through dir-handle.ts.
 */
import * as fs from 'node:fs';
import { posix as path } from 'node:path';
import { attempt, Exit, SstError, type ExitCode } from '../errors';
import { log } from '../log';
import { identityText, judgeSstPid, parseIdentity, selfStartTime, selfView, viewProcess } from '../proc/identity';
import type { Lifecycle } from '../proc/lifecycle';
import { FILES } from '../rsync/modules';
import { errnoCode, type DirHandle, using } from './dir-handle';

export { FILES };

export const PREVIOUS_WAIT_SECONDS = 30;

export function inDatadir(datadir: string, name: string): string {
  return path.join(datadir, name);
}

/**
 * The handle-relative name (DirHandle.at) to work on instead of the path, which then only names the file in messages.
 */
export interface Via {
  via?: string;
}

/** What we read of a datadir file: they all hold a line or two. */
export const READ_LIMIT = 4096;

/** lstat, not stat: a dangling symlink is an entry too. */
export function entryExists(file: string): boolean {
  return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}

/**
 * A datadir file's content, or undefined when there is none. Opened without
 * following a symlink, which could make us read (and log) any file on the
 * host; O_NONBLOCK so that a FIFO planted there cannot hang the open. Anything
 * but a regular file of at most READ_LIMIT bytes is refused with `exitCode`.
 */
export function readDatadirFile(
  file: string,
  exitCode: ExitCode = Exit.FAILED,
  how: Via & { limit?: number } = {},
): string | undefined {
  const limit = how.limit ?? READ_LIMIT;
  let fd: number;
  try {
    fd = fs.openSync(how.via ?? file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SstError(exitCode, `${file} is a symbolic link: refused`);
    throw new SstError(exitCode, `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new SstError(exitCode, `${file} is not a regular file: refused`);
    const buffer = Buffer.alloc(limit + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit) throw new SstError(exitCode, `${file} is larger than ${limit} bytes: refused`);
    return buffer.toString('utf8', 0, length);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `file` with `content`, never through a symlink: the stale entry is
 * removed first (unlink removes a link, not its target), and O_EXCL refuses
 * whatever appears in between instead of writing into it. Mode 0666 less the
 * umask, as before.
 */
export function createDatadirFile(file: string, content: string, how: Via = {}): void {
  removeEntry(file, how);
  let fd: number;
  try {
    fd = fs.openSync(
      how.via ?? file,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      0o666,
    );
  } catch (error) {
    throw new SstError(Exit.FAILED, `cannot create ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

/** The PID a pid file names; undefined when it names none, is missing, or is not a plain file of ours. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number((readDatadirFile(file) ?? '').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** unlink: 'gone' once removed or absent, 'directory' when unlink refuses one (EISDIR; EPERM on Linux). */
function unlinkEntry(entry: string): 'gone' | 'directory' {
  try {
    fs.unlinkSync(entry);
    return 'gone';
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return 'gone';
    if (code === 'EISDIR' || code === 'EPERM') return 'directory';
    throw error;
  }
}

/**
 * Removes the entry `file` names, never what it points to or holds: unlink (a symlink goes, not
 * its target), or rmdir when it is a directory. A directory that is not empty is left, with a
 * WARNING; so is anything else that cannot go.
 */
export function removeEntry(file: string, how: Via = {}): void {
  const entry = how.via ?? file;
  try {
    if (unlinkEntry(entry) === 'gone') return;
  } catch (error) {
    log.warn(`cannot remove ${file}: ${error instanceof Error ? error.message : String(error)}: left in place`);
    return;
  }
  try {
    fs.rmdirSync(entry);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return;
    if (code === 'ENOTEMPTY' || code === 'EEXIST')
      log.warn(`${file} is a directory that is not empty: left in place, not removed with what it holds`);
    else log.warn(`cannot remove ${file}: ${error instanceof Error ? error.message : String(error)}: left in place`);
  }
}

/**
 * Removes entry `name` of `dir` and, when it is a directory, everything in it, through handles
 * only: each directory is opened without following a link before it is listed, and its entries
 * are removed relative to that handle, so a directory swapped for a symlink midway leads nowhere.
 */
export function removeTree(dir: DirHandle, name: string): void {
  const entry = dir.at(name);
  if (unlinkEntry(entry) === 'gone') return;
  let inner: DirHandle | undefined;
  try {
    inner = dir.child(name);
  } catch {
    // No longer a directory: what replaced it is not ours to follow; its entry goes.
    removeEntry(dir.shown(name), { via: entry });
    return;
  }
  if (inner === undefined) return;
  using(inner, (d) => {
    for (const child of d.list()) removeTree(d, child);
  });
  removeEntry(dir.shown(name), { via: entry });
}

/**
 * Waits for the SST program a wsrep_sst.pid names, if it is really one of ours still running
 * (PID and start time match, or, for a file of an older release, its command line): up to 30 s,
 * then 114 (docs/protocol.md §7.12). A file naming a dead process is stale; one naming somebody else (a
 * reused PID, PID 1) is reported and ignored, never waited for.
 */
async function waitPreviousSst(life: Lifecycle, file: string): Promise<void> {
  for (let second = 0; ; second++) {
    const recorded = parseIdentity(attempt(() => readDatadirFile(file)) ?? '');
    if (recorded === undefined || recorded.pid === process.pid) return;
    const verdict = judgeSstPid(recorded, viewProcess(recorded.pid), selfView());
    if (verdict === 'gone') return;
    if (verdict === 'someone-else') {
      log.warn(
        `${file} names PID ${recorded.pid}, which is not an SST ` +
          `program of ours (a stale file whose PID was reused): ignored`,
      );
      return;
    }
    if (second >= PREVIOUS_WAIT_SECONDS) {
      throw new SstError(
        Exit.ALREADY_RUNNING,
        `previous SST script still running (PID: ${recorded.pid}, pid file ${file})...`,
      );
    }
    if (second === 0)
      log.info(`waiting up to ${PREVIOUS_WAIT_SECONDS} s for the previous SST script (PID: ${recorded.pid}) to finish`);
    await life.sleep(1000);
  }
}

/** Guards the datadir against two SSTs at once, then claims it with our PID and start time. */
export async function claimDatadir(life: Lifecycle, datadir: string): Promise<void> {
  fs.mkdirSync(datadir, { recursive: true });
  const pidFile = inDatadir(datadir, FILES.sstPid);
  await waitPreviousSst(life, pidFile);
  createDatadirFile(pidFile, `${identityText(process.pid, selfStartTime())}\n`);
  life.onCleanup(() => {
    if (readPid(pidFile) === process.pid) removeEntry(pidFile);
  });
}
