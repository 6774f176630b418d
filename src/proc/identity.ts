/**
 * Who a PID really is. A pid file alone cannot tell a running SST of ours from a reused PID (PID
 * 1, a browser), and a listener of a killed SST (its program gone) from one still serving. So we
 * record our start time next to our PID, tag our socat listener's environment with its owner's
 * PID and start time, and judge from /proc. A start time or a tag proves nothing by itself (PID
 * 1's start time is public, and any local user can put our tag into a process's environment):
 * a process counts as ours only when it also runs as our uid, is our executable (or socat) and
 * has exactly the argv we give it. The judgements are pure over what /proc showed.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { posix as path } from 'node:path';
import { isSea } from 'node:sea';
import { attempt } from '../errors';

/** In the listener's environment: `<pid>:<start time>` of the program that started it. */
export const OWNER_ENV = 'WSREP_SST_RSYNC_TUNNEL_OWNER';
export const PROGRAM_NAME = 'wsrep_sst_rsync_tunnel';
const ROLES = new Set(['joiner', 'donor']);

export interface ProcView {
  /** undefined: no such process (or a zombie). */
  startTime?: string;
  argv: string[];
  exe?: string;
  /** Real, effective, saved and filesystem uid (/proc/<pid>/status); undefined when unreadable. */
  uids?: readonly number[];
  /** Its environment; undefined when /proc does not let us read it. */
  env?: Map<string, string>;
}

/** What our own processes look like: this executable (or Node running `script`), run by `uid`. */
export interface SelfView {
  exe: string;
  script?: string;
  uid: number;
}

/** Field 22 of /proc/<pid>/stat (clock ticks since boot): with the PID, a process's identity. */
export function startTimeOf(statText: string): string | undefined {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

export function viewProcess(pid: number): ProcView {
  const stat = attempt(() => readFileSync(`/proc/${pid}/stat`, 'latin1'));
  const startTime = stat === undefined ? undefined : startTimeOf(stat);
  if (startTime === undefined) return { argv: [] };
  const argv = (attempt(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ?? '')
    .split('\0')
    .filter((a, i, all) => a !== '' || i < all.length - 1);
  const environ = attempt(() => readFileSync(`/proc/${pid}/environ`, 'utf8'));
  const env =
    environ === undefined
      ? undefined
      : new Map(
          environ
            .split('\0')
            .filter((e) => e.includes('='))
            .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
        );
  const status = attempt(() => readFileSync(`/proc/${pid}/status`, 'latin1'));
  return {
    startTime,
    argv,
    exe: attempt(() => readlinkSync(`/proc/${pid}/exe`)),
    uids: status === undefined ? undefined : uidsOf(status),
    env,
  };
}

/** The four uids of the `Uid:` line of /proc/<pid>/status. */
export function uidsOf(statusText: string): number[] | undefined {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/m.exec(statusText);
  return m === null ? undefined : m.slice(1).map(Number);
}

export function selfView(): SelfView {
  const script = isSea() ? undefined : process.argv[1];
  return { exe: process.execPath, ...(script === undefined ? {} : { script }), uid: process.geteuid?.() ?? 0 };
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

/** Every uid of the process is `uid`: not a set-uid program, not one that switched users. */
export function runsAs(view: ProcView, uid: number): boolean {
  return view.uids !== undefined && view.uids.length === 4 && view.uids.every((u) => u === uid);
}

/** The executable's path; an upgrade that replaced the file leaves ` (deleted)` after it. */
function executable(view: ProcView): string | undefined {
  return view.exe?.replace(/ \(deleted\)$/, '');
}

/**
 * A running SST program of ours: our uid; a single executable of ours (this one, or one named
 * like it: another install, an upgraded package), or this same Node running this same script;
 * and the argv mariadbd gives every release, `--role joiner|donor` first.
 */
export function isOurProgram(view: ProcView, self: SelfView): boolean {
  const exe = executable(view);
  if (exe === undefined || !runsAs(view, self.uid)) return false;
  let role: number;
  if (path.basename(exe) === PROGRAM_NAME || (exe === self.exe && self.script === undefined)) role = 1;
  else if (exe === self.exe && view.argv[1] === self.script) role = 2;
  else return false;
  return view.argv[role] === '--role' && ROLES.has(view.argv[role + 1] ?? '');
}

export type SstVerdict = 'running' | 'gone' | 'someone-else';

/**
 * The program a wsrep_sst.pid names: still running (wait), gone (stale file), or not ours
 * (report, never wait): a start time that matches is necessary, not sufficient.
 */
export function judgeSstPid(recorded: { pid: number; startTime?: string }, view: ProcView, self: SelfView): SstVerdict {
  if (view.startTime === undefined) return 'gone';
  if (recorded.startTime !== undefined && recorded.startTime !== view.startTime) return 'someone-else';
  return isOurProgram(view, self) ? 'running' : 'someone-else';
}

export type ListenerVerdict = 'serving' | 'orphan' | 'gone' | 'someone-else';

/**
 * A socat listener: serving an SST whose program still runs (wait), an orphan whose program is
 * gone (stop it), gone, or not a listener of ours at all. Ours: our uid, socat, the argv our
 * joiners give it (listenerPrivateDir) and an owner tag.
 */
export function judgeListener(view: ProcView, owner: (pid: number) => ProcView, uid: number): ListenerVerdict {
  if (view.startTime === undefined) return 'gone';
  const exe = executable(view);
  if (
    !runsAs(view, uid) ||
    exe === undefined ||
    !path.basename(exe).startsWith('socat') ||
    listenerPrivateDir(view) === undefined
  )
    return 'someone-else';
  const tag = view.env?.get(OWNER_ENV);
  const recorded = tag === undefined ? undefined : parseIdentity(tag);
  if (recorded === undefined || recorded.startTime === undefined) return 'someone-else';
  return owner(recorded.pid).startTime === recorded.startTime ? 'serving' : 'orphan';
}

/** The EXEC address of our listeners, socat-escaped; group 1 is the private directory. */
const LISTENER_EXEC = new RegExp(
  String.raw`^EXEC:(?:[^\\ ]|\\.)+\\ --server\\ --daemon\\ ` +
    String.raw`--config=(\/[A-Za-z0-9_./-]*\/wsrep_sst_rsync_tunnel\.[A-Za-z0-9]{6})\/rsyncd\.conf\\ \.$`,
);

/**
 * The private directory a listener's rsync daemon is configured from, when its argv is exactly
 * what our joiners (this release and the previous ones) run: `socat -b <n> OPENSSL-LISTEN:…
 * EXEC:<rsync> --server --daemon --config=<dir>/rsyncd.conf .`, the EXEC line escaped for socat.
 * Whether that directory is ours to remove is for the remover to prove (private-dir.ts).
 */
export function listenerPrivateDir(view: ProcView): string | undefined {
  const [, b, size, listen, exec, ...rest] = view.argv;
  if (
    b !== '-b' ||
    !/^\d+$/.test(size ?? '') ||
    !listen?.startsWith('OPENSSL-LISTEN:') ||
    exec === undefined ||
    rest.length > 0
  )
    return undefined;
  const m = LISTENER_EXEC.exec(exec);
  return m?.[1];
}
