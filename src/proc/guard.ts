/**
 * Our children must not outlive us, however we end: Node has no parent-death signal and socat
 * no such option, and a SIGKILLed program runs no cleanup. So every SST run starts a guard: this
 * same executable in `__guard` mode, in a session of its own, reading a pipe we hold open and
 * never write to. Every child we start carries our identity in its environment (OWNER_ENV,
 * which whatever it starts inherits: socat's rsync daemons, rsync's tunnel socat). The kernel
 * closes our end of the pipe when we exit, killed or not; the guard then reads EOF at once and
 * SIGKILLs every process that still carries our identity, then removes the SST's private
 * directory (its secret), which our own cleanup would have removed. Nothing is ever written to
 * the pipe, so a guard that could not start or was killed costs nothing but that protection.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isSea } from 'node:sea';
import { log } from '../log';
import { OWNER_ENV } from './identity';
import { dirIdentity, ownerHere, removePrivateDir } from './private-dir';

export const GUARD_COMMAND = '__guard';

/** Pure: whether an environ text (NUL-separated) carries exactly our identity. */
export function carriesTag(environ: string, tag: string): boolean {
  return environ.split('\0').includes(`${OWNER_ENV}=${tag}`);
}

/** PIDs of the processes that carry `tag`, from /proc (those we cannot read are not ours). */
export function processesCarrying(tag: string, except: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === except) continue;
    try {
      if (carriesTag(readFileSync(`/proc/${name}/environ`, 'utf8'), tag)) found.push(Number(name));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** The guard process: waits for EOF on `input`, then kills what `scan` finds, then runs `cleanup`. */
export function runGuard(
  input: NodeJS.ReadableStream,
  scan: () => number[],
  kill: (pid: number) => void,
  cleanup: () => void = () => undefined,
): Promise<number> {
  return new Promise((resolve) => {
    input.on('data', () => undefined);
    input.once('close', () => {
      scan().forEach(kill);
      cleanup();
      resolve(0);
    });
  });
}

/**
 * What the guard removes at the end: `dir`, if at the guard's start it is the directory its SST
 * created (the SST creates it before starting us), and at the end still that very directory.
 */
export function privateDirCleanup(dir: string | undefined): () => void {
  const identity = dir === undefined ? undefined : dirIdentity(dir);
  if (dir === undefined || identity === undefined) return () => undefined;
  return () => void removePrivateDir(dir, ownerHere(identity));
}

/** How to start this program again: the single executable itself, or Node with the script. */
export function selfCommand(): { command: string; args: string[] } {
  return isSea() || process.argv[1] === undefined
    ? { command: process.execPath, args: [] }
    : { command: process.execPath, args: [process.argv[1]] };
}

/** Starts the guard for `tag` (and our private directory); our end of its pipe stays open, unwritten, until we exit. */
export function startGuard(tag: string, privateDir?: string): void {
  const self = selfCommand();
  const args = [...self.args, GUARD_COMMAND, tag, ...(privateDir === undefined ? [] : [privateDir])];
  const child = spawn(self.command, args, { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', (e) =>
    log.warn(`could not start the guard that ends our children should we be killed: ${e.message}`),
  );
  child.unref();
  (child.stdin as { unref?: () => void } | null)?.unref?.();
}
