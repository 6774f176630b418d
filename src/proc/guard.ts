/**
 * Our children must not outlive us, however we end: Node has no parent-death signal and socat
 * no such option, and a SIGKILLed program runs no cleanup. So every SST run starts a guard: this
 * same executable in `__guard` mode, in a session of its own, holding the read end of a pipe we
 * write. We tell it each process group we start (`+<pgid>`) and each one we have ended
 * (`-<pgid>`, so a reused number is never hit). The kernel closes our end when we exit, killed or
 * not; the guard then reads EOF at once and SIGKILLs every group still registered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isSea } from 'node:sea';

export const GUARD_COMMAND = '__guard';

export interface GroupRegistry {
  add(pgid: number): void;
  remove(pgid: number): void;
}

/** Pure: the groups still registered after the guard's input lines. */
export function registeredGroups(lines: readonly string[]): Set<number> {
  const groups = new Set<number>();
  for (const line of lines) {
    const m = /^([+-])([1-9]\d*)$/.exec(line.trim());
    if (!m) continue;
    const pgid = Number(m[2]);
    if (m[1] === '+') groups.add(pgid);
    else groups.delete(pgid);
  }
  return groups;
}

/** The guard process: collects registrations until EOF, then kills what is left. */
export function runGuard(input: NodeJS.ReadableStream, kill: (pgid: number) => void): Promise<number> {
  const lines: string[] = [];
  const reader = createInterface({ input });
  reader.on('line', (line) => lines.push(line));
  return new Promise((resolve) => {
    reader.once('close', () => {
      for (const pgid of registeredGroups(lines)) kill(pgid);
      resolve(0);
    });
  });
}

/** How to start this program again: the single executable itself, or Node with the script. */
export function selfCommand(): { command: string; args: string[] } {
  return isSea() || process.argv[1] === undefined ? { command: process.execPath, args: [] } : { command: process.execPath, args: [process.argv[1]] };
}

/** Starts the guard; our end of its pipe must not keep the event loop alive. */
export function startGuard(): GroupRegistry {
  const self = selfCommand();
  const child: ChildProcess = spawn(self.command, [...self.args, GUARD_COMMAND], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  child.on('error', () => undefined);
  const pipe = child.stdin;
  pipe?.on('error', () => undefined);
  (pipe as { unref?: () => void } | null)?.unref?.();
  const send = (line: string): void => {
    if (pipe && !pipe.destroyed) pipe.write(`${line}\n`);
  };
  return { add: (pgid) => send(`+${pgid}`), remove: (pgid) => send(`-${pgid}`) };
}
