import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { posix as path } from 'node:path';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { isProcessAlive, type Lifecycle } from '../proc/lifecycle';
import { MARKER } from '../rsync/modules';

/** Files we create or read in the datadir (spec §2.6, §3.1). */
export const FILES = {
  sstPid: 'wsrep_sst.pid',
  inProgress: 'sst_in_progress',
  listenerPid: 'rsync_tunnel_sst-socat.pid',
  marker: MARKER,
  tablesFlushed: 'tables_flushed',
  sstError: 'sst_error',
} as const;

export const PREVIOUS_WAIT_SECONDS = 30;

export function inDatadir(datadir: string, name: string): string {
  return path.join(datadir, name);
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function removeQuietly(file: string): void {
  rmSync(file, { force: true, recursive: true });
}

/**
 * Waits up to 30 s for a process named by a pid file to go away, then gives
 * up with 114 (spec §7.12–13). A pid file naming a dead process is stale.
 */
async function waitForPidFile(life: Lifecycle, file: string, what: string, ignorePid?: number): Promise<void> {
  for (let second = 0; ; second++) {
    const pid = readPid(file);
    if (pid === undefined || pid === ignorePid || !isProcessAlive(pid)) return;
    if (second >= PREVIOUS_WAIT_SECONDS) {
      throw new SstError(Exit.ALREADY_RUNNING, `${what} still running (PID: ${pid}, pid file ${file})...`);
    }
    if (second === 0) log.info(`waiting up to ${PREVIOUS_WAIT_SECONDS} s for ${what} (PID: ${pid}) to finish`);
    await life.sleep(1000);
  }
}

/** Guards the datadir against two SSTs at once, then claims it with our PID. */
export async function claimDatadir(life: Lifecycle, datadir: string): Promise<void> {
  mkdirSync(datadir, { recursive: true });
  const pidFile = inDatadir(datadir, FILES.sstPid);
  await waitForPidFile(life, pidFile, 'previous SST script', process.pid);
  writeFileSync(pidFile, `${process.pid}\n`);
  life.onCleanup(() => {
    if (readPid(pidFile) === process.pid) removeQuietly(pidFile);
  });
}

export async function waitLingeringListener(life: Lifecycle, datadir: string): Promise<void> {
  const file = inDatadir(datadir, FILES.listenerPid);
  await waitForPidFile(life, file, 'socat listener of a previous SST');
  removeQuietly(file);
}
