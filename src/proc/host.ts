/**
 * The process-wide effects of a run, in one seam: its signals and exit hooks, kill(2), and the
 * clock. The program uses the real ones; in-process tests hand fakes to Lifecycle (lifecycle.ts).
 */

/** A process's signals and exit, and kill(2). */
export interface HostProcess {
  on(event: NodeJS.Signals | 'exit', listener: () => void): void;
  off(event: NodeJS.Signals | 'exit', listener: () => void): void;
  /** kill(2): throws as process.kill does (ESRCH when no such process, EPERM when not ours). */
  kill(pid: number, signal: NodeJS.Signals | 0): void;
}

/** Wall-clock milliseconds, as Date.now(); tests move it to reach a timeout without waiting for it. */
export interface Clock {
  now(): number;
}

export const hostProcess: HostProcess = {
  on: (event, listener) => process.on(event, listener),
  off: (event, listener) => process.off(event, listener),
  kill: (pid, signal) => process.kill(pid, signal),
};

export const systemClock: Clock = { now: () => Date.now() };

/** kill(2) for a pid that may be gone already (or, for a recorded one, not ours): nothing to report then. */
export function killQuietly(host: Pick<HostProcess, 'kill'>, pid: number, signal: NodeJS.Signals): void {
  try {
    host.kill(pid, signal);
  } catch {
    // Gone already, or not ours to signal.
  }
}
