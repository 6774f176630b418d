/**
 * The process that started us, seen through the `sh -c` mariadbd may put in between (docs/protocol.md §1.5):
 * the joiner's `--parent` names mariadbd, the donor gets no such option. The walk is pure over
 * /proc text; serverProcess() reads the real one.
 */
import { readFileSync } from 'node:fs';

/** mariadbd starts us through `sh -c`, which need not exec (docs/protocol.md §1.5): these are skipped. */
const SHELLS = new Set(['sh', 'bash', 'dash']);
/** More nested shells than this are not mariadbd's doing. */
const MAX_SHELLS = 3;

/** `comm` and parent PID from /proc/<pid>/stat. comm may hold spaces and `)`, so the last `)` ends it. */
export function parseProcStat(text: string): { comm: string; ppid: number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const ppid = Number(text.slice(close + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid > 0 ? { comm: text.slice(open + 1, close), ppid } : undefined;
}

/** `pid`, or the first ancestor of it that is not a shell. */
export function skipShells(pid: number, readStat: (pid: number) => string | undefined): number {
  let current = pid;
  for (let hops = 0; hops < MAX_SHELLS; hops++) {
    const stat = parseProcStat(readStat(current) ?? '');
    if (stat === undefined || !SHELLS.has(stat.comm)) break;
    current = stat.ppid;
  }
  return current;
}

function readStat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
}

/** Our parent, or the first ancestor past the shells between mariadbd and us. */
export function serverProcess(): number {
  return skipShells(process.ppid, readStat);
}
