/**
 * The socat processes of `check --listen` / `--peer`. Each leads its own process group (socat's
 * per-connection children and their EXEC child die with it), and every group is SIGKILLed on
 * our way out, including a failed assertion's or an operator's Ctrl-C. KILL and not TERM: these
 * processes hold no data to flush, and socat 1.7.4 can hang in its SIGTERM handler
 * (src/tunnel/socat-address.ts).
 *
 * The SST's Supervisor is not used: it hands the child our stderr as stdout and logs socat's
 * stderr in the SST's log format, while `check` must read both streams itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const groups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export interface Tracked {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once stdout and stderr are drained. */
  closed: Promise<number | null>;
  /** Calls `onLine` for each complete stderr line. */
  onStderrLine(onLine: (line: string) => void): void;
  stdoutText(): string;
}

/** Spawns `command` in a new process group with stdin a pipe we never write to (so socat waits for the peer, not for our EOF). */
export function spawnTracked(command: string, args: readonly string[]): Tracked {
  if (!exitHookInstalled) {
    process.on('exit', () => groups.forEach(killGroup));
    exitHookInstalled = true;
  }
  const child = spawn(command, [...args], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) groups.add(pid);
  const out: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) listeners.forEach((l) => l(line));
  });
  const closed = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('close', (code) => {
      if (partial !== '') listeners.forEach((l) => l(partial));
      if (pid !== undefined) groups.delete(pid);
      child.stdin?.destroy();
      resolve(code);
    });
  });
  return {
    child,
    closed,
    onStderrLine: (l) => listeners.push(l),
    stdoutText: () => Buffer.concat(out).toString('utf8'),
  };
}

/** Kills the whole group and waits until the child is reaped and its pipes are drained. */
export async function killTracked(t: Tracked): Promise<void> {
  if (t.child.pid !== undefined) killGroup(t.child.pid);
  await t.closed;
}

/**
 * Resolves on the first SIGINT, SIGTERM or SIGHUP: the way an operator ends `--listen` early.
 * Handling them also keeps Node from dying at once, so the groups above are still killed.
 */
export function stopSignal(): { promise: Promise<NodeJS.Signals>; dispose: () => void } {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let handler: (s: NodeJS.Signals) => void = () => undefined;
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    handler = (s) => resolve(s);
  });
  signals.forEach((s) => process.on(s, handler));
  return { promise, dispose: () => signals.forEach((s) => process.off(s, handler)) };
}
