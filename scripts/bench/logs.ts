/** `make bench`: the figures the SST scripts leave in the nodes' error logs. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ClusterNode } from '../../test/e2e/cluster';

/** What a node wrote to its error log since `offset` bytes. */
export function logSince(n: ClusterNode, offset: number): string {
  return existsSync(n.errorLog) ? readFileSync(n.errorLog).subarray(offset).toString('utf8') : '';
}

export const logSize = (n: ClusterNode): number => (existsSync(n.errorLog) ? statSync(n.errorLog).size : 0);

/** Seconds between the first and the last `WSREP_SST: … (YYYYMMDD HH:MM:SS.mmm)` line: both methods log this way. */
export function scriptSpan(text: string): number | undefined {
  const times: number[] = [];
  for (const line of text.split('\n')) {
    const t = line.startsWith('WSREP_SST: ') ? stamp(line) : undefined;
    if (t !== undefined) times.push(t);
  }
  return times.length < 2 ? undefined : (times[times.length - 1]! - times[0]!) / 1000;
}

function stamp(line: string): number | undefined {
  const m = /\((\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})\)\s*$/.exec(line);
  return m ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime() : undefined;
}

/**
 * The donor's copy: from "tables flushed" (ours: "tables flushed and locked after", stock: "Tables
 * flushed") to the end of the last data pass (ours: "data copied in", stock: "Transfer of data done").
 * Without either script's start-up, handshakes and polling, this is the transfer proper.
 */
export function copySpan(donorLog: string): number | undefined {
  const lines = donorLog.split('\n').filter((l) => l.startsWith('WSREP_SST: '));
  const from = lines.find((l) => /\] (tables flushed and locked after|Tables flushed \()/.test(l));
  const to = lines.find((l) => /\] (data copied in|Transfer of data done)/.test(l));
  const a = from === undefined ? undefined : stamp(from);
  const b = to === undefined ? undefined : stamp(to);
  return a === undefined || b === undefined ? undefined : (b - a) / 1000;
}

export function selfReported(text: string, role: 'joiner' | 'donor'): number | undefined {
  const m = new RegExp(`WSREP_SST: \\[INFO\\] ${role} finished in ([\\d.]+) s`).exec(text);
  return m ? Number(m[1]) : undefined;
}

/** mariadbd's own error-log time stamp, `YYYY-MM-DD HH:MM:SS` (one-second resolution) at the start of a line. */
function serverStamp(line: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) +(\d{1,2}):(\d{2}):(\d{2}) /.exec(line);
  return m ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime() : undefined;
}

/**
 * How long the donor's provider was paused for the SST (its tables locked), from mariadbd's own lines, which
 * every method shares: "WSREP: Provider paused at" to "WSREP: Provider resumed". Whole seconds: ±1 s.
 */
export function serverLockSpan(donorLog: string): number | undefined {
  const lines = donorLog.split('\n');
  const a = lines.find((l) => /\] WSREP: Provider paused at/.test(l));
  const b = lines.find((l) => /\] WSREP: Provider resumed/.test(l));
  const from = a === undefined ? undefined : serverStamp(a);
  const to = b === undefined ? undefined : serverStamp(b);
  return from === undefined || to === undefined ? undefined : (to - from) / 1000;
}

/**
 * The lock as the script measured it: ours with precopy says "tables were locked for N s"; without it, and for
 * the stock script, the locked copy is copySpan (tables flushed → data passes done).
 */
export function scriptLockSpan(donorLog: string): number | undefined {
  const m = /WSREP_SST: \[INFO\] tables were locked for ([\d.]+) s/.exec(donorLog);
  return m ? Number(m[1]) : copySpan(donorLog);
}
