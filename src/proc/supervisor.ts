import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { log } from '../log';
import { OWNER_ENV } from './identity';
import { QuietLines, type QuietKind } from './quiet-lines';

export interface ChildSpec {
  /** Short name for logs ("socat listener", "rsync pass 6 db1"). */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
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
}

const TAIL_LINES = 200;
/** socat 1.7.4 can hang in its SIGTERM handler (seen with gdb): do not wait long for it. */
const TERM_GRACE_MS = 5_000;
const KILL_GRACE_MS = 5_000;

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (e) {
    // ESRCH: nobody left in the group. EPERM cannot happen for our own children.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * kill(-pgid, 0) also succeeds for zombies; an orphaned one waits for PID 1
 * to reap it, which may never come in a container. Count running members and
 * our own not-yet-reaped child only.
 */
function groupHasLiveMembers(pgid: number): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && (f[0] !== 'Z' || Number(f[1]) === process.pid)) return true;
    } catch {
      // Exited while we looked.
    }
  }
  return false;
}

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (signalGroup(pgid, 0) && groupHasLiveMembers(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
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

  /**
   * `quiet` names the kind of a stderr line that is expected or comes in floods, not worth a log
   * line of its own (a bare string: counted for the summary at the end; see QuietKind);
   * `ownerTag`, put into every child's environment (OWNER_ENV), lets the guard (guard.ts) and a
   * later SST (identity.ts) tell our children, and theirs, from anyone else's.
   */
  constructor(
    private readonly quiet: (line: string) => string | QuietKind | undefined = () => undefined,
    private readonly ownerTag?: string,
  ) {}

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
    const child: ChildProcess = spawn(spec.command, [...spec.args], {
      detached: true,
      stdio: ['ignore', 2, 'pipe'],
      env: this.ownerTag === undefined ? (spec.env ?? process.env) : { ...(spec.env ?? process.env), [OWNER_ENV]: this.ownerTag },
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
    });
    const pid = child.pid ?? -1;
    if (pid > 0) this.groups.add(pid);
    const stderrDone = new Promise<void>((resolve) => {
      if (!child.stderr) resolve();
      child.stderr?.once('close', () => resolve());
    });
    this.forwardStderr(child, spec.name, tail);
    return {
      name: spec.name,
      pid,
      exited,
      running: () => alive,
      stderrTail: () => [...tail],
      stderrDone,
    };
  }

  private forwardStderr(child: ChildProcess, name: string, tail: string[]): void {
    let partial = '';
    const emit = (line: string): void => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      const kind = this.quiet(line);
      if (kind === undefined) log.info(`${name}: ${line}`);
      else this.note(name, typeof kind === 'string' ? { kind } : kind, line);
    };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(emit);
    });
    child.stderr?.on('end', () => emit(partial));
  }

  /**
   * Ends `child`'s process group: after `graceMs` for it to go by itself
   * (rsync's tunnel socat finishes its TLS shutdown after rsync exits), TERM,
   * then KILL.
   */
  async stop(child: SupervisedChild, graceMs = 0): Promise<void> {
    if (graceMs > 0) await waitGroupGone(child.pid, graceMs);
    await this.stopGroup(child.pid);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.groups].map((pgid) => this.stopGroup(pgid)));
  }

  private async stopGroup(pgid: number): Promise<void> {
    if (!this.groups.has(pgid)) return;
    if (groupHasLiveMembers(pgid) && signalGroup(pgid, 'SIGTERM') && !(await waitGroupGone(pgid, TERM_GRACE_MS))) {
      log.warn(`process group ${pgid} ignored SIGTERM for ${TERM_GRACE_MS / 1000} s; sending SIGKILL`);
      signalGroup(pgid, 'SIGKILL');
      await waitGroupGone(pgid, KILL_GRACE_MS);
    }
    this.forget(pgid);
  }

  private forget(pgid: number): void {
    this.groups.delete(pgid);
  }

  /** Last resort on process exit, where nothing asynchronous can run. */
  killAllNow(): void {
    for (const pgid of [...this.groups]) {
      signalGroup(pgid, 'SIGKILL');
      this.forget(pgid);
    }
  }
}
