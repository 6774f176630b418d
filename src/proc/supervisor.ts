import { spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { log } from '../log';
import { OWNER_ENV } from './identity';
import { processTable } from './process-table';
import { LineSplitter } from './line-splitter';
import { QuietLines, type QuietKind } from './quiet-lines';

export interface ChildSpec {
  /** Short name for logs ("socat listener", "rsync files 2/5 (…)"). */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** 'pipe': a pipe we never write to, for a child that ends on EOF of its stdin (socat's `-`). */
  stdin?: 'ignore' | 'pipe';
  /**
   * 'stderr' (default): straight to our stderr, never our stdout, which is mariadbd's. 'pipe': lines to `onStdoutLine`.
   */
  stdout?: 'stderr' | 'pipe';
  /** Each non-blank stdout line, split on \n and \r (progress meters redraw with \r); needs `stdout: 'pipe'`. */
  onStdoutLine?(line: string): void;
  /** Each non-blank stderr line, in place of logging it through the quiet classifier. */
  onStderrLine?(line: string): void;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedChild {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the direct child exits; its process group may live on. */
  readonly exited: Promise<ChildExit>;
  running(): boolean;
  /** The child's recent stderr lines, for telling failure causes apart. */
  stderrTail(): string[];
  /**
   * Resolves once everything written to the child's stderr (by it and by whatever it started
   * that shares the pipe, like rsync's tunnel socat) has been read: `exited` may come first.
   */
  readonly stderrDone: Promise<void>;
  /** Likewise for stdout when it is piped; resolved from the start otherwise. */
  readonly stdoutDone: Promise<void>;
}

/** What the supervisor needs of a started child: node's ChildProcess, or a test's fake. */
export interface ChildHandle {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

export type SpawnFn = (command: string, args: string[], options: SpawnOptions) => ChildHandle;

/** Signals to whole process groups, and whether one still has a running member. */
export interface ProcessGroups {
  /** False when nobody is left in the group. */
  signal(pgid: number, signal: NodeJS.Signals | 0): boolean;
  hasLiveMembers(pgid: number): boolean;
}

export interface SupervisorOptions {
  /**
   * The kind of a stderr line that is expected or comes in floods, not worth a log line of its
   * own (a bare string: counted for the summary at the end; see QuietKind).
   */
  quiet?: (line: string) => string | QuietKind | undefined;
  /**
   * Put into every child's environment (OWNER_ENV): lets the guard (guard.ts) and a later SST
   * (identity.ts) tell our children, and theirs, from anyone else's.
   */
  ownerTag?: string;
  spawn?: SpawnFn;
  groups?: ProcessGroups;
}

const TAIL_LINES = 200;
/** socat 1.7.4 can hang in its SIGTERM handler (seen with gdb): do not wait long for it. */
const TERM_GRACE_MS = 5_000;
const KILL_GRACE_MS = 5_000;

/** The kernel's process groups, seen through kill(2) and /proc. */
const systemGroups: ProcessGroups = {
  signal(pgid, signal) {
    try {
      process.kill(-pgid, signal);
      return true;
    } catch (e) {
      // ESRCH: nobody left in the group. EPERM cannot happen for our own children.
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },

  /**
   * kill(-pgid, 0) also succeeds for zombies; an orphaned one waits for PID 1
   * to reap it, which may never come in a container. Count running members and
   * our own not-yet-reaped child only.
   */
  hasLiveMembers(pgid) {
    return processTable().some((p) => p.pgid === pgid && (!p.zombie || p.ppid === process.pid));
  },
};

const GROUP_POLL_MS = 50;

async function waitGroupGone(groups: ProcessGroups, pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groups.signal(pgid, 0) && groups.hasLiveMembers(pgid)) {
    if (Date.now() > deadline) return false;
    await delay(GROUP_POLL_MS);
  }
  return true;
}

/**
 * Owns every child process. Each child leads its own process group, so
 * whatever it forks (socat's per-connection children, the rsync daemons they
 * exec, the shell of RSYNC_CONNECT_PROG) is ended with it. Children never get
 * our stdout: it belongs to the protocol with mariadbd.
 */
export class Supervisor {
  private readonly groups = new Set<number>();
  private readonly quieted = new QuietLines();
  private readonly quiet: (line: string) => string | QuietKind | undefined;
  private readonly ownerTag: string | undefined;
  private readonly spawnChild: SpawnFn;
  private readonly system: ProcessGroups;

  constructor(options: SupervisorOptions = {}) {
    this.quiet = options.quiet ?? (() => undefined);
    this.ownerTag = options.ownerTag;
    this.spawnChild = options.spawn ?? nodeSpawn;
    this.system = options.groups ?? systemGroups;
  }

  /** One line for all the expected stderr lines so far; flood counts not reported yet are logged first. */
  takeQuietedSummary(): string | undefined {
    for (const line of this.quieted.takeFloods(Date.now())) log.warn(line);
    return this.quieted.takeExpected();
  }

  /** Logs the flood counts whose interval has passed; for callers that poll while lines may have stopped coming. */
  reportFloods(): void {
    for (const line of this.quieted.due(Date.now())) log.warn(line);
  }

  /** A line of ours about a child, aggregated like its own stderr lines of `kind`. */
  note(name: string, kind: QuietKind, line: string): void {
    for (const out of this.quieted.add(name, kind, line, Date.now())) log.warn(out);
  }

  spawn(spec: ChildSpec): SupervisedChild {
    const env = spec.env ?? process.env;
    const child = this.spawnChild(spec.command, [...spec.args], {
      detached: true,
      stdio: [spec.stdin ?? 'ignore', spec.stdout === 'pipe' ? 'pipe' : 2, 'pipe'],
      env: this.ownerTag === undefined ? env : { ...env, [OWNER_ENV]: this.ownerTag },
      cwd: spec.cwd,
    });
    const tail: string[] = [];
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (err) => {
        tail.push(`${spec.name}: ${err.message}`);
        resolve({ code: 127, signal: null });
      });
    });
    let alive = child.pid !== undefined;
    void exited.then(() => {
      alive = false;
      // Never written to: it only kept the child from seeing EOF while it ran.
      child.stdin?.destroy();
    });
    const pid = child.pid ?? -1;
    if (pid > 0) this.groups.add(pid);
    const onStderrLine =
      spec.onStderrLine ??
      ((line: string): void => {
        const kind = this.quiet(line);
        if (kind === undefined) log.info(`${spec.name}: ${line}`);
        else this.note(spec.name, typeof kind === 'string' ? { kind } : kind, line);
      });
    const stderrDone = readLines(child.stderr, new LineSplitter(), (line) => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      onStderrLine(line);
    });
    const stdoutDone = readLines(child.stdout, new LineSplitter(/\r\n|\r|\n/), (line) => {
      if (line.trim()) spec.onStdoutLine?.(line);
    });
    return {
      name: spec.name,
      pid,
      exited,
      running: () => alive,
      stderrTail: () => [...tail],
      stderrDone,
      stdoutDone,
    };
  }

  /**
   * Ends `child`'s process group: after `graceMs` for it to go by itself
   * (rsync's tunnel socat finishes its TLS shutdown after rsync exits), TERM
   * (and CONT), then KILL.
   */
  async stop(child: SupervisedChild, graceMs = 0): Promise<void> {
    if (graceMs > 0) await waitGroupGone(this.system, child.pid, graceMs);
    await this.stopGroup(child.pid);
  }

  /** Ends `child`'s process group with SIGKILL at once, for children with nothing to flush. */
  async kill(child: SupervisedChild): Promise<void> {
    if (!this.groups.has(child.pid)) return;
    this.system.signal(child.pid, 'SIGKILL');
    await waitGroupGone(this.system, child.pid, KILL_GRACE_MS);
    this.forget(child.pid);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.groups].map((pgid) => this.stopGroup(pgid)));
  }

  private async stopGroup(pgid: number): Promise<void> {
    if (!this.groups.has(pgid)) return;
    if (
      this.system.hasLiveMembers(pgid) &&
      this.terminate(pgid) &&
      !(await waitGroupGone(this.system, pgid, TERM_GRACE_MS))
    ) {
      log.warn(`process group ${pgid} ignored SIGTERM for ${TERM_GRACE_MS / 1000} s; sending SIGKILL`);
      this.system.signal(pgid, 'SIGKILL');
      await waitGroupGone(this.system, pgid, KILL_GRACE_MS);
    }
    this.forget(pgid);
  }

  /**
   * SIGTERM, then SIGCONT: a stopped member (the rate limiter pauses rsync with SIGSTOP) would
   * keep the TERM pending and never act on it.
   */
  private terminate(pgid: number): boolean {
    const delivered = this.system.signal(pgid, 'SIGTERM');
    if (delivered) this.system.signal(pgid, 'SIGCONT');
    return delivered;
  }

  private forget(pgid: number): void {
    this.groups.delete(pgid);
  }

  /** Last resort on process exit, where nothing asynchronous can run. */
  killAllNow(): void {
    for (const pgid of [...this.groups]) {
      this.system.signal(pgid, 'SIGKILL');
      this.forget(pgid);
    }
  }
}

/** Hands `stream`'s lines to `onLine`; resolves once the stream is closed (resolved at once without one). */
function readLines(stream: Readable | null, lines: LineSplitter, onLine: (line: string) => void): Promise<void> {
  if (stream === null) return Promise.resolve();
  const done = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => lines.push(chunk).forEach(onLine));
  stream.on('end', () => lines.end().forEach(onLine));
  return done;
}
