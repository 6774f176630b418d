/**
 * What a killed SST may leave on a joiner: its socat listener (when even the guard died), still
 * accepting writes with the old secret, and the private directory holding that secret. The next
 * SST finds it by its pid file, or, when the datadir was wiped, as the holder of the SST port,
 * and decides by identity (src/proc/identity.ts): a listener whose program still runs is waited
 * for (30 s, then 114); an orphan is stopped and its files removed; anything else is reported
 * and never waited for. Only a listener of our uid with our exact argv is ours: any local user
 * can start a process carrying our owner tag and naming another SST's private directory, and
 * the directory is removed only when it is provably one of ours (src/proc/private-dir.ts).
 */
import { attempt, Exit, SstError } from '../errors';
import { log } from '../log';
import { judgeListener, listenerPrivateDir, parseIdentity, viewProcess, type ProcView } from '../proc/identity';
import type { Lifecycle } from '../proc/lifecycle';
import { ownerHere, removePrivateDir } from '../proc/private-dir';
import { FILES, inDatadir, PREVIOUS_WAIT_SECONDS, readDatadirFile, removeEntry } from './datadir-files';

const ORPHAN_GONE_MS = 2_000;

/** SIGKILLs the orphan's process group (it led one, as every child of ours) and removes its secret. */
export async function stopOrphanListener(life: Lifecycle, pid: number, view: ProcView): Promise<void> {
  // The group first; a pid that leads none is left to the second kill.
  for (const target of [-pid, pid]) life.kill(target, 'SIGKILL');
  const deadline = life.clock.now() + ORPHAN_GONE_MS;
  while (viewProcess(pid).startTime === view.startTime && life.clock.now() < deadline) await life.sleep(50);
  log.warn(
    `stopped the socat listener (PID: ${pid}) of an SST whose program is gone${removeSecret(listenerPrivateDir(view))}`,
  );
}

/** Removes the orphan's private directory if it is provably ours; says what happened. */
function removeSecret(dir: string | undefined): string {
  if (dir === undefined) return '';
  const removal = removePrivateDir(dir, ownerHere());
  if (removal.removed) return `, and removed ${dir}`;
  return removal.gone ? '' : `; left ${dir}: ${removal.why}`;
}

const ourUid = (): number => process.geteuid?.() ?? 0;

/** The listener pid file of a previous SST on this datadir. */
export async function clearPreviousListener(life: Lifecycle, datadir: string): Promise<void> {
  const file = inDatadir(datadir, FILES.listenerPid);
  for (let second = 0; ; second++) {
    const recorded = parseIdentity(attempt(() => readDatadirFile(file)) ?? '');
    if (recorded === undefined) break;
    const view = viewProcess(recorded.pid);
    const verdict = judgeListener(view, viewProcess, ourUid());
    if (verdict === 'gone') break;
    if (verdict === 'someone-else') {
      log.warn(`${file} names PID ${recorded.pid}, which is not a socat listener of ours: ignored`);
      break;
    }
    if (verdict === 'orphan') {
      await stopOrphanListener(life, recorded.pid, view);
      break;
    }
    if (second >= PREVIOUS_WAIT_SECONDS) {
      throw new SstError(
        Exit.ALREADY_RUNNING,
        `socat listener of a previous SST still running (PID: ${recorded.pid}, pid file ${file})...`,
      );
    }
    if (second === 0)
      log.info(
        `waiting up to ${PREVIOUS_WAIT_SECONDS} s for the socat listener of a previous SST (PID: ` +
          `${recorded.pid}) to finish`,
      );
    await life.sleep(1000);
  }
  removeEntry(file);
}

/** Stops orphan listeners of ours among `pids` (the holders of the SST port); true when it stopped one. */
export async function clearOrphansAmong(life: Lifecycle, pids: readonly number[]): Promise<boolean> {
  let stopped = false;
  for (const pid of pids) {
    const view = viewProcess(pid);
    if (judgeListener(view, viewProcess, ourUid()) !== 'orphan') continue;
    await stopOrphanListener(life, pid, view);
    stopped = true;
  }
  return stopped;
}
