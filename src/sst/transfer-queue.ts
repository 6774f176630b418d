import type { Pass } from '../rsync/plan';

/**
 * Runs one pass and says which process carries it, so its bytes can be counted (and paused), and
 * when that process has exited: from then on its pid may belong to someone else.
 */
export interface PassRunner {
  run(pass: Pass, started: (pid: number) => void, exited: (ok: boolean) => void): Promise<void>;
}

/** What is moving now: the monitor reads it, the queue writes it. */
export class TransferState {
  /** Bytes of the passes that have finished. */
  done = 0;
  /** The passes whose rsync runs now, with its pid. */
  readonly running = new Map<Pass, number>();
}

/**
 * Hands `passes` (largest first) to `streams` workers, each taking the next pass as soon as its
 * last one ended, so one big table is one stream while the small files share the others. The
 * first failure stops the rest: `stopOthers` ends their processes (which keeps the donor's lock
 * window short), and the workers take no new pass.
 */
export async function runQueue(
  passes: readonly Pass[],
  streams: number,
  runner: PassRunner,
  state: TransferState,
  stopOthers: () => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < passes.length) {
      const pass = passes[next++] as Pass;
      const exited = (ok: boolean): void => {
        if (state.running.delete(pass) && ok) state.done += pass.bytes;
      };
      try {
        await runner.run(pass, (pid) => state.running.set(pass, pid), exited);
        exited(true);
      } catch (e) {
        if (failure === undefined) {
          failure = { error: e };
          await stopOthers();
        }
      } finally {
        state.running.delete(pass);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(streams, passes.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
