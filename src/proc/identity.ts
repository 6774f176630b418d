/**
 * Who a PID really is. A pid file alone cannot tell a running SST of ours from a reused PID (PID
 * 1, a browser), and a listener of a killed SST (its program gone) from one still serving. So we
 * record our start time next to our PID, tag our socat listener's environment with its owner's
 * PID and start time, and judge from /proc. The judgements are pure over what /proc showed.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { posix as path } from 'node:path';

/** In the listener's environment: `<pid>:<start time>` of the program that started it. */
export const OWNER_ENV = 'WSREP_SST_RSYNC_TUNNEL_OWNER';
export const PROGRAM_NAME = 'wsrep_sst_rsync_tunnel';

export interface ProcView {
  /** undefined: no such process (or a zombie). */
  startTime?: string;
  argv: string[];
  exe?: string;
  /** Its environment; undefined when /proc does not let us read it. */
  env?: Map<string, string>;
}

/** Field 22 of /proc/<pid>/stat (clock ticks since boot): with the PID, a process's identity. */
export function startTimeOf(statText: string): string | undefined {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export function viewProcess(pid: number): ProcView {
  const stat = attempt(() => readFileSync(`/proc/${pid}/stat`, 'latin1'));
  const startTime = stat === undefined ? undefined : startTimeOf(stat);
  if (startTime === undefined) return { argv: [] };
  const argv = (attempt(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ?? '').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  const environ = attempt(() => readFileSync(`/proc/${pid}/environ`, 'utf8'));
  const env = environ === undefined ? undefined : new Map(environ.split('\0').filter((e) => e.includes('=')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return { startTime, argv, exe: attempt(() => readlinkSync(`/proc/${pid}/exe`)), env };
}

export function selfStartTime(): string {
  return viewProcess(process.pid).startTime ?? '0';
}

/** What we write into wsrep_sst.pid and the listener's environment. */
export function identityText(pid: number, startTime: string): string {
  return `${pid} ${startTime}`;
}

/** `<pid> [<start time>]`: older releases wrote the PID alone. */
export function parseIdentity(text: string): { pid: number; startTime?: string } | undefined {
  const [pidText, startTime] = text.trim().split(/[\s:]+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return startTime !== undefined && /^\d+$/.test(startTime) ? { pid, startTime } : { pid };
}

/** A running SST program of ours: this executable's name, or this same executable, with a role. */
export function isOurProgram(view: ProcView, selfExe: string): boolean {
  const named = view.argv.some((a) => path.basename(a) === PROGRAM_NAME) || view.exe === selfExe || (view.exe !== undefined && path.basename(view.exe) === PROGRAM_NAME);
  return named && view.argv.includes('--role');
}

export type SstVerdict = 'running' | 'gone' | 'someone-else';

/** The program a wsrep_sst.pid names: still running (wait), gone (stale file), or not ours. */
export function judgeSstPid(recorded: { pid: number; startTime?: string }, view: ProcView, selfExe: string): SstVerdict {
  if (view.startTime === undefined) return 'gone';
  if (recorded.startTime !== undefined) return recorded.startTime === view.startTime ? 'running' : 'someone-else';
  return isOurProgram(view, selfExe) ? 'running' : 'someone-else';
}

export type ListenerVerdict = 'serving' | 'orphan' | 'gone' | 'someone-else';

/**
 * A socat listener: serving an SST whose program still runs (wait), an orphan whose program is
 * gone (stop it), gone, or not a listener of ours at all.
 */
export function judgeListener(view: ProcView, owner: (pid: number) => ProcView): ListenerVerdict {
  if (view.startTime === undefined) return 'gone';
  const tag = view.env?.get(OWNER_ENV);
  const recorded = tag === undefined ? undefined : parseIdentity(tag);
  if (recorded === undefined || recorded.startTime === undefined) return 'someone-else';
  return owner(recorded.pid).startTime === recorded.startTime ? 'serving' : 'orphan';
}

/** The private directory an orphan listener's rsync daemon was configured from (its secret is there). */
export function listenerPrivateDir(view: ProcView): string | undefined {
  for (const arg of view.argv) {
    const m = /--config=(\/[^\s]*\/wsrep_sst_rsync_tunnel\.[A-Za-z0-9]{6})\/rsyncd\.conf/.exec(arg.replace(/\\(.)/g, '$1'));
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}
