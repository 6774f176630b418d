import { readFileSync } from 'node:fs';
import { parseStat, processTable, type ProcessEntry } from './process-table';

/** Reads a /proc file; undefined once the process is gone. */
export type ProcRead = (file: string) => string | undefined;

const readProc: ProcRead = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** Pure: the live processes below `pid` in a whole table, by parent links. */
export function descendantsIn(table: readonly ProcessEntry[], pid: number): ProcessEntry[] {
  const below = new Set([pid]);
  const out: ProcessEntry[] = [];
  // A table is in pid order, not tree order: repeat until no process joins.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        if (!p.zombie) out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * The live processes below `pid`, sampled several times a second while the joiner waits: the
 * kernel's per-thread `children` lists cost a few reads where a whole /proc scan costs
 * milliseconds on a busy server. Kernels built without those lists get the scan.
 */
export function descendants(
  pid: number,
  read: ProcRead = readProc,
  scan: () => ProcessEntry[] = processTable,
): ProcessEntry[] {
  if (read(`/proc/${pid}/task/${pid}/children`) === undefined) return descendantsIn(scan(), pid);
  const out: ProcessEntry[] = [];
  const queue = [pid];
  for (let parent = queue.shift(); parent !== undefined; parent = queue.shift()) {
    // Our children are single-threaded: the main thread's list is the process's.
    for (const child of (read(`/proc/${parent}/task/${parent}/children`) ?? '')
      .split(' ')
      .filter(Boolean)
      .map(Number)) {
      const stat = read(`/proc/${child}/stat`);
      const entry = stat === undefined ? undefined : parseStat(child, stat);
      if (entry === undefined || entry.zombie) continue;
      out.push(entry);
      queue.push(child);
    }
  }
  return out;
}

/**
 * The receivers among a joiner's rsync daemons: a daemon forks its receiver only after the
 * client named a module it may write to and proved the secret, so a stranger with a CA-signed
 * certificate but without the secret never makes one. What a receiver writes is the files (the
 * donor sends whole files, in place); its parent, the generator, passes as many bytes again
 * through read and write (measured: 300 MiB each for a 300 MiB table), so only receivers count.
 */
export function receivers(entries: readonly ProcessEntry[]): ProcessEntry[] {
  const rsyncs = new Set(entries.filter((p) => p.comm === 'rsync').map((p) => p.pid));
  return entries.filter((p) => p.comm === 'rsync' && rsyncs.has(p.ppid));
}
