/**
 * Pure: which files the locked catch-up of a precopy re-sends (docs/protocol.md §3.3.1).
 *
 * Why a file the rule skips is equal on the joiner. Right before an online round lists its
 * files, the donor creates a probe file on each filesystem it copies from and keeps the time the
 * kernel stamped on it: the reference R, read from that filesystem's own clock (an NFS server
 * stamps with its clock, not ours). Every byte the round sends is read after that. A write(2),
 * truncate, fallocate, chmod, chown, rename onto the name or utimes after the read stamps the
 * file's ctime (and for content changes its mtime) with that same clock's later time, so at or
 * after R; a file created after R has a ctime at or after R from its birth; and no tool can set
 * ctime into the past (utimes sets mtime, and ctime to now). With 1- or 2-second timestamps the
 * probe's stamp and the file's are truncated alike, so a later write never stamps an earlier
 * second; the margin (at least 2 s) also covers filesystems that round instead, and kernels
 * whose coarse clock lags by a tick. Hence: a file whose size, inode and device are those the
 * round listed and whose mtime and ctime are both older than R − margin at the catch-up, when
 * mariadbd has locked the tables, has not been written since its copy was read, and the joiner
 * already holds exactly its bytes. Rounds chain: a file the round k+1 skipped was unchanged
 * since R(k) − margin, which is earlier than R(k+1), so the argument carries over.
 *
 * What breaks it, and what the donor does about it:
 * - Writes through a shared mmap: the kernel stamps mtime when a clean page is first dirtied,
 *   not at each store, so a page dirtied before R and stored to again after the read leaves no
 *   new stamp. InnoDB's redo log may be mapped, and the system and undo tablespaces and the Aria
 *   logs change under the lock without a table being written, so those files are always sent
 *   whole under the lock (alwaysSent), as are the binlog being written and the binlog list.
 *   MyISAM with myisam_use_mmap=ON maps data files too: use precopy=verify or off there.
 * - The clock stepping during the SST (wall time moved against the monotonic clock by more
 *   than the margin between a round's start and the lock, seen on our clock or on the probe's
 *   stamps): the catch-up re-sends everything (clockStep). A step back and forth again between
 *   two looks cancels out and is not seen.
 * - A filesystem that does not stamp times on write, or a device written beneath it: nothing
 *   in the datadir does that; precopy=verify compares the skipped files by checksum under the
 *   lock for whoever wants the proof.
 */

import { posix as path } from 'node:path';
import type { Layout } from '../config/settings';
import { ENGINE_FILES, engineDirs, matchesEnginePattern, type EnginePass } from '../rsync/plan';

/** What the rule compares; from lstat, so a symlink is judged as a link. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

/** At least 2 s: filesystems with 1-second timestamps (FAT: 2-second) and a coarse clock's lag. */
export const PRECOPY_MARGIN_MS = 2000;

/** A round's reference: per device (st_dev), the probe's stamp; a device without one has no reference. */
export type References = ReadonlyMap<number, number>;

export type Reason = 'new' | 'replaced' | 'size' | 'mtime' | 'ctime' | 'no reference';

/**
 * Why `now` must be sent again, given what the round listed for the same name (`before`) and
 * the round's references, or undefined when the joiner already holds its bytes. A device the
 * round could not probe has no reference: its files are always sent.
 */
export function changeReason(
  before: FileStamp | undefined,
  now: FileStamp,
  refs: References,
  marginMs = PRECOPY_MARGIN_MS,
): Reason | undefined {
  if (before === undefined) return 'new';
  if (before.ino !== now.ino || before.dev !== now.dev) return 'replaced';
  if (before.size !== now.size) return 'size';
  const ref = refs.get(now.dev);
  if (ref === undefined) return 'no reference';
  if (now.mtimeMs >= ref - marginMs) return 'mtime';
  if (now.ctimeMs >= ref - marginMs) return 'ctime';
  return undefined;
}

/** The names of `now` to send again (in `now`'s order), with how many there are per reason. */
export function selectChanged(
  before: ReadonlyMap<string, FileStamp>,
  now: ReadonlyMap<string, FileStamp>,
  refs: References,
  marginMs = PRECOPY_MARGIN_MS,
): { send: string[]; reasons: Partial<Record<Reason, number>> } {
  const send: string[] = [];
  const reasons: Partial<Record<Reason, number>> = {};
  for (const [name, stamp] of now) {
    const reason = changeReason(before.get(name), stamp, refs, marginMs);
    if (reason === undefined) continue;
    send.push(name);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  return { send, reasons };
}

/** One look at the clocks: our wall clock, our monotonic clock, and each probed device's stamp. */
export interface ClockLook {
  wallMs: number;
  monotonicMs: number;
  refs: References;
}

/**
 * Whether a clock moved against the monotonic clock by more than the margin between the
 * round's look and the lock's: ours (wall − monotonic), or a filesystem's (its probe stamps,
 * for each device probed both times). The description names which and by how much; undefined
 * when none moved. Both directions count: a step back hides writes, a step forward is not
 * worth reasoning about.
 */
export function clockStep(round: ClockLook, lock: ClockLook, marginMs = PRECOPY_MARGIN_MS): string | undefined {
  const elapsed = lock.monotonicMs - round.monotonicMs;
  const steps: string[] = [];
  const wall = lock.wallMs - round.wallMs - elapsed;
  if (Math.abs(wall) > marginMs) steps.push(`this host's clock by ${signedSeconds(wall)}`);
  for (const [dev, at] of round.refs) {
    const later = lock.refs.get(dev);
    if (later === undefined) continue;
    const fs = later - at - elapsed;
    if (Math.abs(fs) > marginMs) steps.push(`the clock of the filesystem of device ${dev} by ${signedSeconds(fs)}`);
  }
  return steps.length === 0 ? undefined : steps.join(', ');
}

const signedSeconds = (ms: number): string => `${ms > 0 ? '+' : ''}${(ms / 1000).toFixed(1)} s`;

/** Whether a round is worth running: something to send, and less than the last round sent. */
export function worthAnotherRound(bytes: number, files: number, lastBytes: number): boolean {
  return files > 0 && bytes < lastBytes;
}

/**
 * The files the catch-up sends whatever their stamps say, absolute and sorted: every file of
 * the four engine passes (system tablespace and ib_lru_dump, redo log, undo tablespaces, Aria
 * logs and control file: they change without a table being written, the redo log possibly
 * through mmap) in their directories as the layout resolves them, and the binlog being written
 * (the last of `binlogs`, oldest first). The binlog list the joiner builds its index from is
 * written afresh at the lock and always sent too; closed binlogs follow the rule.
 */
export function alwaysSent(
  layout: Layout,
  list: (dir: string) => readonly string[],
  binlogs: readonly string[],
): string[] {
  const dirs = engineDirs(layout);
  const out = new Set<string>();
  for (const pass of Object.keys(ENGINE_FILES) as EnginePass[]) {
    for (const name of list(dirs[pass])) {
      if (ENGINE_FILES[pass].patterns.some((p) => matchesEnginePattern(name, p))) out.add(path.join(dirs[pass], name));
    }
  }
  const current = binlogs[binlogs.length - 1];
  if (current !== undefined) out.add(current);
  return [...out].sort();
}
