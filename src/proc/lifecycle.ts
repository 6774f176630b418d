import { Exit, SstError } from '../errors';
import { log } from '../log';
import { quietSocatLine } from '../tunnel/socat-messages';
import { Supervisor } from './supervisor';

type Cleanup = () => void | Promise<void>;

const EXIT_ON_SIGNAL: Partial<Record<NodeJS.Signals, number>> = {
  SIGINT: Exit.SIGNALLED,
  SIGQUIT: Exit.SIGNALLED,
  SIGTERM: Exit.SIGNALLED,
  SIGHUP: Exit.ABORTED,
  SIGPIPE: Exit.ABORTED,
};

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else (mariadbd under another user).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The run's exit paths in one place: signals, parent death and errors all end
 * in `shutdown()`, which stops every child and runs the cleanups before the
 * process exits. Flows wait through `race()` and `sleep()` so an abort reaches
 * them wherever they are.
 */
export class Lifecycle {
  readonly supervisor: Supervisor;
  private readonly cleanups: Cleanup[] = [];
  private abortError: SstError | undefined;
  private readonly abortListeners = new Set<(e: SstError) => void>();
  private parentTimer: NodeJS.Timeout | undefined;

  /** `ownerTag`: our identity in every child's environment (guard.ts, identity.ts); SST runs pass one. */
  constructor(options: { ownerTag?: string } = {}) {
    this.supervisor = new Supervisor(quietSocatLine, options.ownerTag);
    for (const signal of Object.keys(EXIT_ON_SIGNAL) as NodeJS.Signals[]) {
      process.on(signal, () => this.abort(new SstError(EXIT_ON_SIGNAL[signal] ?? Exit.ABORTED, `Received ${signal}: aborting the SST.`)));
    }
    process.on('exit', () => this.supervisor.killAllNow());
  }

  abort(error: SstError): void {
    if (this.abortError) return;
    this.abortError = error;
    for (const listener of this.abortListeners) listener(error);
  }

  get aborted(): SstError | undefined {
    return this.abortError;
  }

  /** Rejects as soon as the run is aborted, whatever `promise` is doing. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.abortError) return Promise.reject(this.abortError);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (e: SstError): void => reject(e);
      this.abortListeners.add(onAbort);
      promise.then(
        (v) => {
          this.abortListeners.delete(onAbort);
          resolve(v);
        },
        (e: unknown) => {
          this.abortListeners.delete(onAbort);
          reject(e);
        },
      );
    });
  }

  sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return this.race(new Promise<void>((r) => (timer = setTimeout(r, ms)))).finally(() => clearTimeout(timer));
  }

  /** Polls mariadbd's PID: `--parent`, not getppid(), because `sh -c` may sit between us (spec §1.5). */
  watchParent(pid: number, intervalMs = 500): void {
    this.parentTimer = setInterval(() => {
      if (!isProcessAlive(pid)) {
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
