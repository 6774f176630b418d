import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { posix as path } from 'node:path';
import { Exit, SstError, type ExitCode } from '../errors';
import { log } from '../log';
import { identityText, judgeSstPid, parseIdentity, selfStartTime, selfView, viewProcess } from '../proc/identity';
import type { Lifecycle } from '../proc/lifecycle';
import { MARKER } from '../rsync/modules';

/** Files we create or read in the datadir (spec §2.6, §3.1). */
export const FILES = {
  sstPid: 'wsrep_sst.pid',
  inProgress: 'sst_in_progress',
  listenerPid: 'rsync_tunnel_sst-socat.pid',
  marker: MARKER,
  tablesFlushed: 'tables_flushed',
  sstError: 'sst_error',
} as const;

export const PREVIOUS_WAIT_SECONDS = 30;

export function inDatadir(datadir: string, name: string): string {
  return path.join(datadir, name);
}

/** What we read of a datadir file: they all hold a line or two. */
export const READ_LIMIT = 4096;

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String((error as NodeJS.ErrnoException).code) : undefined;
}

/** lstat, not stat: a dangling symlink is an entry too. */
export function entryExists(file: string): boolean {
  return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}

/**
 * A datadir file's content, or undefined when there is none. Opened without
 * following a symlink, which could make us read (and log) any file on the
 * host; O_NONBLOCK so that a FIFO planted there cannot hang the open. Anything
 * but a regular file of at most READ_LIMIT bytes is refused with `exitCode`.
 */
export function readDatadirFile(file: string, exitCode: ExitCode = Exit.FAILED): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new SstError(exitCode, `${file} is a symbolic link: refused`);
    throw new SstError(exitCode, `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new SstError(exitCode, `${file} is not a regular file: refused`);
    const buffer = Buffer.alloc(READ_LIMIT + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > READ_LIMIT) throw new SstError(exitCode, `${file} is larger than ${READ_LIMIT} bytes: refused`);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `file` with `content`, never through a symlink: the stale entry is
 * removed first (unlink removes a link, not its target), and O_EXCL refuses
 * whatever appears in between instead of writing into it. Mode 0666 less the
 * umask, as before.
 */
export function createDatadirFile(file: string, content: string): void {
  removeQuietly(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
  } catch (error) {
    throw new SstError(Exit.FAILED, `cannot create ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
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

export function removeQuietly(file: string): void {
  rmSync(file, { force: true, recursive: true });
}

/**
 * Waits for the SST program a wsrep_sst.pid names, if it is really one of ours still running
 * (PID and start time match, or, for a file of an older release, its command line): up to 30 s,
 * then 114 (spec §7.12). A file naming a dead process is stale; one naming somebody else (a
 * reused PID, PID 1) is reported and ignored, never waited for.
 */
async function waitPreviousSst(life: Lifecycle, file: string): Promise<void> {
  for (let second = 0; ; second++) {
    const recorded = parseIdentity(readQuietly(file) ?? '');
    if (recorded === undefined || recorded.pid === process.pid) return;
    const verdict = judgeSstPid(recorded, viewProcess(recorded.pid), selfView());
    if (verdict === 'gone') return;
    if (verdict === 'someone-else') {
      log.warn(`${file} names PID ${recorded.pid}, which is not an SST program of ours (a stale file whose PID was reused): ignored`);
      return;
    }
    if (second >= PREVIOUS_WAIT_SECONDS) {
      throw new SstError(Exit.ALREADY_RUNNING, `previous SST script still running (PID: ${recorded.pid}, pid file ${file})...`);
    }
    if (second === 0) log.info(`waiting up to ${PREVIOUS_WAIT_SECONDS} s for the previous SST script (PID: ${recorded.pid}) to finish`);
    await life.sleep(1000);
  }
}

function readQuietly(file: string): string | undefined {
  try {
    return readDatadirFile(file);
  } catch {
    return undefined;
  }
}

/** Guards the datadir against two SSTs at once, then claims it with our PID and start time. */
export async function claimDatadir(life: Lifecycle, datadir: string): Promise<void> {
  mkdirSync(datadir, { recursive: true });
  const pidFile = inDatadir(datadir, FILES.sstPid);
  await waitPreviousSst(life, pidFile);
  createDatadirFile(pidFile, `${identityText(process.pid, selfStartTime())}\n`);
  life.onCleanup(() => {
    if (readPid(pidFile) === process.pid) removeQuietly(pidFile);
  });
}
