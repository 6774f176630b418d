import { writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { log } from '../log';
import type { Lifecycle } from '../proc/lifecycle';
import { classifyRsyncFailure } from '../rsync/failure';
import type { Pass } from '../rsync/plan';

/**
 * socat's transfer block: its 8 KiB default made a 2 GiB TLS pipe take 10.0 s
 * here, 64 KiB 5.6 s (measured while writing the benchmark).
 */
export const SOCAT_BUFFER = 65536;

/**
 * rsync runs RSYNC_CONNECT_PROG through `sh -c` (docs/architecture.md §5.3).
 * This fixed text is all that shell ever parses: the socat path and address
 * reach it as environment values, expanded as data inside double quotes.
 */
export const CONNECT_PROG = `exec "$WSREP_SST_TUNNEL_SOCAT" -b ${SOCAT_BUFFER} - "$WSREP_SST_TUNNEL_ADDRESS"`;

/** Child environment: no secrets of mariadbd's, no rsync variables that would bypass the tunnel. */
export function tunnelEnv(base: NodeJS.ProcessEnv, socat: string, address: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (k.startsWith('RSYNC_') || k.startsWith('WSREP_SST_OPT_')) continue;
    env[k] = v;
  }
  return { ...env, RSYNC_CONNECT_PROG: CONNECT_PROG, WSREP_SST_TUNNEL_SOCAT: socat, WSREP_SST_TUNNEL_ADDRESS: address };
}

/** How long rsync's tunnel may take to close by itself once rsync has exited. */
const GROUP_GRACE_MS = 2000;
/** The group is gone by then, so its stderr ends at once; this only bounds a stray holder of the pipe. */
const STDERR_DRAIN_MS = 1000;

export interface RsyncRunner {
  /**
   * `started` learns the pid of the rsync that carries the pass (to count its bytes, or pause
   * it), `exited` when that rsync has exited and been reaped, so its pid is no longer ours.
   */
  run(pass: Pass, started?: (pid: number) => void, exited?: (ok: boolean) => void): Promise<void>;
}

/** Runs passes against the joiner's daemon, authenticated by the per-SST secret in `passwordFile`. */
export function rsyncRunner(
  life: Lifecycle,
  rsync: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  passwordFile: string,
): RsyncRunner {
  return {
    async run(pass: Pass, started?: (pid: number) => void, exited?: (ok: boolean) => void): Promise<void> {
      if (pass.list !== undefined)
        writeFileSync(pass.list.file, pass.list.entries.map((e) => `${e}\0`).join(''), { mode: 0o600 });
      const args = [`--password-file=${passwordFile}`, ...pass.args];
      log.info(`${pass.name}: ${rsync} ${args.join(' ')}`);
      const child = life.supervisor.spawn({ name: `rsync ${pass.name}`, command: rsync, args, env, cwd });
      if (child.pid > 0) started?.(child.pid);
      const result = await life.race(child.exited);
      exited?.(result.code === 0);
      await life.supervisor.stop(child, GROUP_GRACE_MS);
      if (result.code !== 0) {
        // socat's reason (a TLS refusal) may still sit in the pipe when rsync's exit is seen.
        await life.race(Promise.race([child.stderrDone, delay(STDERR_DRAIN_MS)]));
        throw classifyRsyncFailure(pass.name, result.code, result.signal, child.stderrTail(), pass.first);
      }
    },
  };
}
