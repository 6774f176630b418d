import { setTimeout as delay } from 'node:timers/promises';
import { Exit, SstError, type ExitCode } from '../errors';
import { log } from '../log';
import { hostProcess, killQuietly, systemClock, type Clock, type HostProcess } from './host';
import { Supervisor, type SupervisorOptions } from './supervisor';

type Cleanup = () => void | Promise<void>;

const EXIT_ON_SIGNAL: Partial<Record<NodeJS.Signals, ExitCode>> = {
  SIGINT: Exit.SIGNALLED,
  SIGQUIT: Exit.SIGNALLED,
  SIGTERM: Exit.SIGNALLED,
  SIGHUP: Exit.ABORTED,
  SIGPIPE: Exit.ABORTED,
};

export function isProcessAlive(pid: number, host: Pick<HostProcess, 'kill'> = hostProcess): boolean {
  try {
    host.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else (mariadbd under another user).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Settles like `promise`, or rejects with `signal`'s reason as soon as it is aborted. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as unknown);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export interface LifecycleOptions extends Pick<SupervisorOptions, 'ownerTag' | 'spawn' | 'groups' | 'quiet'> {
  process?: HostProcess;
  clock?: Clock;
}

/**
 * The run's exit paths in one place: signals, parent death and errors all end
 * in `shutdown()`, which stops every child and runs the cleanups before the
 * process exits. Flows wait through `race()` and `sleep()`, or hand `signal`
 * to whatever takes one, so an abort reaches them wherever they are.
 */
export class Lifecycle {
  readonly supervisor: Supervisor;
  /** The flows' kill(2) and clock: the ones this Lifecycle was given. */
  readonly host: HostProcess;
  readonly clock: Clock;
  private readonly cleanups: Cleanup[] = [];
  private readonly controller = new AbortController();
  private parentTimer: NodeJS.Timeout | undefined;
  private readonly hooks: [NodeJS.Signals | 'exit', () => void][] = [];

  /**
   * `ownerTag`: our identity in every child's environment (guard.ts, identity.ts); SST runs pass one.
   * `spawn` and `groups`: the supervisor's process primitives, faked by in-process tests.
   * `quiet`: which children's lines are expected or floods; the SST passes socat's (tunnel/socat-messages.ts).
   * `process`: where the signal and exit hooks go and kill(2) comes from; `clock`: the flows' time.
   */
  constructor(options: LifecycleOptions = {}) {
    this.supervisor = new Supervisor(options);
    this.host = options.process ?? hostProcess;
    this.clock = options.clock ?? systemClock;
    for (const signal of Object.keys(EXIT_ON_SIGNAL) as NodeJS.Signals[]) {
      this.hook(signal, () =>
        this.abort(new SstError(EXIT_ON_SIGNAL[signal] ?? Exit.ABORTED, `Received ${signal}: aborting the SST.`)),
      );
    }
    this.hook('exit', () => this.supervisor.killAllNow());
  }

  private hook(event: NodeJS.Signals | 'exit', listener: () => void): void {
    this.host.on(event, listener);
    this.hooks.push([event, listener]);
  }

  /**
   * Removes every process-wide hook this Lifecycle added and stops watching the parent. The
   * program exits right after its run and needs no disposal; whatever runs several in one
   * process (tests) does.
   */
  dispose(): void {
    if (this.parentTimer) clearInterval(this.parentTimer);
    for (const [event, listener] of this.hooks.splice(0)) this.host.off(event, listener);
  }

  /** kill(2) that ignores a process already gone (and one not ours), as every caller here wants. */
  kill(pid: number, signal: NodeJS.Signals): void {
    killQuietly(this.host, pid, signal);
  }

  /** Aborted, with the SstError as its reason, by the first `abort()`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(error: SstError): void {
    if (!this.signal.aborted) this.controller.abort(error);
  }

  get aborted(): SstError | undefined {
    return this.signal.aborted ? (this.signal.reason as SstError) : undefined;
  }

  /** Rejects as soon as the run is aborted, whatever `promise` is doing. */
  race<T>(promise: Promise<T>): Promise<T> {
    return abortable(promise, this.signal);
  }

  /** Rejects with the abort's SstError, not the timer's AbortError. */
  async sleep(ms: number): Promise<void> {
    try {
      await delay(ms, undefined, { signal: this.signal });
    } catch (e) {
      throw this.aborted ?? e;
    }
  }

  /** Polls mariadbd's PID: `--parent`, not getppid(), because `sh -c` may sit between us (docs/protocol.md §1.5). */
  watchParent(pid: number, intervalMs = 500): void {
    this.parentTimer = setInterval(() => {
      if (!isProcessAlive(pid, this.host)) {
        this.abort(new SstError(Exit.ABORTED, `Parent mysqld process (PID: ${pid}) terminated unexpectedly.`));
      }
    }, intervalMs);
    this.parentTimer.unref();
  }

  onCleanup(fn: Cleanup): void {
    this.cleanups.push(fn);
  }

  /** Stops every child first (they may hold files), then runs cleanups newest first. */
  async shutdown(): Promise<void> {
    if (this.parentTimer) clearInterval(this.parentTimer);
    await this.supervisor.stopAll();
    const quieted = this.supervisor.takeQuietedSummary();
    if (quieted !== undefined) log.info(`socat: ${quieted}`);
    while (this.cleanups.length > 0) {
      const fn = this.cleanups.pop();
      try {
        await fn?.();
      } catch (e) {
        log.warn(`cleanup failed: ${(e as Error).message}`);
      }
    }
  }
}
