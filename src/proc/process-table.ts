import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Zombies have exited: they hold no connection and run nothing. */
  zombie: boolean;
  pgid: number;
  /** The kernel's name for it (the executable's base name, at most 15 characters). */
  comm: string;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields start after the last ')'. */
export function parseStat(pid: number, stat: string): ProcessEntry | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  if (rest.length < 3 || !Number.isInteger(ppid) || !Number.isInteger(pgid)) return undefined;
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  return { pid, ppid, zombie: rest[0] === 'Z', pgid, comm };
}

/** Every process, read once from /proc, so one decision sees one consistent-enough picture. */
export function processTable(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const entry = parseStat(Number(name), readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (entry) out.push(entry);
    } catch {
      // Exited while we looked.
    }
  }
  return out;
}

/** Live children of `pid`, each with whether it has a live child of its own. */
export function childrenWithChildren(
  table: readonly ProcessEntry[],
  pid: number,
): { pid: number; hasChild: boolean }[] {
  const live = table.filter((p) => !p.zombie);
  const parents = new Set(live.map((p) => p.ppid));
  return live.filter((p) => p.ppid === pid).map((p) => ({ pid: p.pid, hasChild: parents.has(p.pid) }));
}

/**
 * A process's working directory and real uid from /proc. The directory needs the right to look
 * into the process (same user and still dumpable, or CAP_SYS_PTRACE, which a container's root often
 * lacks); the uid is readable by anyone. Either is undefined when it cannot be read.
 */
export function cwdAndUid(pid: number): { cwd?: string; uid?: number } {
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  const status = attempt(() => readFileSync(`/proc/${pid}/status`, 'utf8'));
  const uid = status === undefined ? undefined : /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return { cwd: attempt(() => readlinkSync(`/proc/${pid}/cwd`)), uid: uid === undefined ? undefined : Number(uid) };
}
