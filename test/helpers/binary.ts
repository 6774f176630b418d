/**
 * Where the program under test is, and a child-process runner that never
 * leaves a process behind.
 *
 * SST_TEST_BINARY selects the single executable; without it, tests that use
 * programCommand() run the tsc output with the Node that runs the tests.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The nearest directory above this file with a package.json: the compiled file
 * lives in build/test/helpers, three levels down, the source two.
 */
export function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${__dirname}`);
}

function binaryFromEnv(): string | undefined {
  const value = process.env.SST_TEST_BINARY;
  return value === undefined || value === '' ? undefined : resolve(value);
}

export function binaryPath(): string {
  return binaryFromEnv() ?? join(repoRoot(), 'dist', 'wsrep_sst_rsync_tunnel');
}

export function programCommand(): { command: string; args: string[] } {
  const binary = binaryFromEnv();
  if (binary !== undefined) return { command: binary, args: [] };
  return { command: process.execPath, args: [join(repoRoot(), 'build', 'src', 'main.js')] };
}

/**
 * Process groups we started and that have not exited yet. Each child leads its
 * own group, so killing the group also ends what it started (a build script's
 * esbuild, strip, postject).
 */
const liveGroups = new Set<number>();

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

// A failed assertion or a runner timeout must not leave children running.
process.on('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid);
});

/** spawn() in a new process group that is SIGKILLed if this test process exits first. */
export function startTracked(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    child.once('exit', () => liveGroups.delete(pid));
  }
  return child;
}

/** Kills the whole group of a child from startTracked() and waits until the child is reaped. */
export async function stopTracked(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  killGroup(child.pid);
  await exited;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Default 30 s; the group is SIGKILLed when it runs out. */
  timeoutMs?: number;
}

/** Runs a command to completion with stdin closed, collecting stdout and stderr. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolveRun, rejectRun) => {
    const started = Date.now();
    const child = startTracked(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      rejectRun(error);
    });
    // 'close', not 'exit': stdout and stderr are complete only then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: Date.now() - started,
      });
    });
  });
}

/** The absolute path of a program on PATH, as execvp would find it. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
