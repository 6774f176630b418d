import { readFileSync } from 'node:fs';
import type { ProcessEntry } from './process-table';

/** Bytes a process has passed through read(2) and write(2) so far, from /proc/<pid>/io. */
export interface IoCounts {
  rchar: number;
  wchar: number;
}

/** Pure: the `rchar` and `wchar` lines of /proc/<pid>/io. */
export function parseIo(text: string): IoCounts | undefined {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s*(\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const rchar = field('rchar');
  const wchar = field('wchar');
  return rchar === undefined || wchar === undefined ? undefined : { rchar, wchar };
}

/** Undefined once the process is gone (or was never ours to read). */
export function readIo(pid: number): IoCounts | undefined {
  try {
    return parseIo(readFileSync(`/proc/${pid}/io`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Bytes moved by a changing set of processes, across their exits: each process counts with the
 * last value we read of it. A process that exits between two samples loses what it moved since
 * the last one, so sample about once a second; the figure is for progress and idleness, and the
 * marker, not this count, decides whether the copy is complete.
 */
export class ByteMeter {
  private readonly last = new Map<number, number>();
  private finished = 0;

  /** `samples`: the processes alive now, with their counter. Returns the total so far. */
  observe(samples: ReadonlyMap<number, number>): number {
    for (const [pid, bytes] of this.last) {
      if (!samples.has(pid)) {
        this.finished += bytes;
        this.last.delete(pid);
      }
    }
    for (const [pid, bytes] of samples) this.last.set(pid, Math.max(bytes, this.last.get(pid) ?? 0));
    return this.total();
  }

  total(): number {
    let sum = this.finished;
    for (const bytes of this.last.values()) sum += bytes;
    return sum;
  }
}

/**
 * What `processes` have written so far, as one sample for a ByteMeter. The joiner hands it its
 * rsync receivers (descendants.ts): a daemon relays every byte to the receiver it forks, so
 * counting both would count the data twice.
 */
export function writesOf(
  processes: readonly Pick<ProcessEntry, 'pid'>[],
  read: (pid: number) => IoCounts | undefined = readIo,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const { pid } of processes) {
    const io = read(pid);
    if (io !== undefined) out.set(pid, io.wchar);
  }
  return out;
}
