import { readdirSync, readFileSync } from 'node:fs';

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
export function childrenWithChildren(table: readonly ProcessEntry[], pid: number): { pid: number; hasChild: boolean }[] {
  const live = table.filter((p) => !p.zombie);
  const parents = new Set(live.map((p) => p.ppid));
  return live.filter((p) => p.ppid === pid).map((p) => ({ pid: p.pid, hasChild: parents.has(p.pid) }));
}
