/** `make bench`: the SST methods compared, the executables they run and their [sst] sections. */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** build/scripts/bench/ → the checkout. */
export const repo = resolve(__dirname, '..', '..', '..');
export const BIN = join(repo, 'dist', 'wsrep_sst_rsync_tunnel');

export type Method = 'plain' | 'stunnel' | 'ours' | 'previous' | 'ours-rlimit';
/**
 * The methods compared in every round; 'ours-rlimit' is the extra limited run. addPrevious() adds
 * 'previous' (this method as the previous release built it) when that build is at hand.
 */
export const COMPARED: Method[] = ['plain', 'stunnel', 'ours'];

export interface MethodSpec {
  label: string;
  sst: 'rsync' | 'rsync_tunnel';
  /**
   * The user the joiner's mariadbd runs as: each method needs a different one on this rsync (3.5.0).
   * - Stock rsync as root: its rsyncd.conf sets no uid, so the root-started daemon drops to `nobody`
   *   and cannot create the database directories (rsync code 23). Packaged MariaDB runs as mysql,
   *   where it works, with or without stunnel.
   * - Ours as mysql: its rsyncd.conf always sets `gid = <own gid>`, and a non-root rsync daemon then
   *   fails with "@ERROR: setgroups failed" (rsync code 5), so only root works today.
   * Which user runs the joiner does not change the data path (same files, same rsync, same
   * loopback); the donor stays root, as in the e2e fixture, for all.
   */
  user: string;
}

export const METHODS: Record<Method, MethodSpec> = {
  plain: { label: 'rsync (stock, plain)', sst: 'rsync', user: 'mysql' },
  stunnel: { label: 'rsync + stunnel (stock TLS)', sst: 'rsync', user: 'mysql' },
  ours: { label: 'rsync_tunnel (ours, TLS)', sst: 'rsync_tunnel', user: 'root' },
  previous: { label: 'rsync_tunnel, previous release', sst: 'rsync_tunnel', user: 'root' },
  'ours-rlimit': { label: 'rsync_tunnel + rlimit', sst: 'rsync_tunnel', user: 'root' },
};

/** Compares the previous release too, from now on, under its version. */
export function addPrevious(version: string): void {
  COMPARED.push('previous');
  METHODS.previous.label = `rsync_tunnel ${version} (previous release)`;
}

/**
 * The previous release's executable (scripts/previous-release, built by scripts/build-previous.sh
 * into build-cache/previous/), so the gains of this release are measured in the same run.
 * BENCH_PREVIOUS=off leaves it out.
 */
export function previousRelease(): { version: string; binary: string } | undefined {
  if ((process.env.BENCH_PREVIOUS ?? '').trim() === 'off') return undefined;
  const line = readFileSync(join(repo, 'scripts', 'previous-release'), 'utf8')
    .split('\n')
    .find((l) => /^[0-9a-f]{40} /.test(l));
  if (line === undefined) return undefined;
  const [commit, version] = line.split(' ') as [string, string];
  const binary = join(repo, 'build-cache', 'previous', commit, 'wsrep_sst_rsync_tunnel');
  if (!existsSync(binary)) spawnSync(join(repo, 'scripts', 'build-previous.sh'), [], { stdio: 'inherit' });
  if (!existsSync(binary)) {
    console.log(`previous release ${version}: not built (scripts/build-previous.sh failed), left out`);
    return undefined;
  }
  return { version, binary };
}

/** Round r runs the methods rotated by r (plus the dataset's index): each method goes first, middle and last. */
export function methodOrder(round: number, datasetIndex: number): Method[] {
  const k = (round + datasetIndex) % COMPARED.length;
  return [...COMPARED.slice(k), ...COMPARED.slice(0, k)];
}

export interface Tls {
  ca: string;
  cert: string;
  key: string;
  /** Key then certificate in one file, as ours takes it in tcert. */
  bundle: string;
}

/**
 * The [sst] section of both nodes per method. The joiner names the method in its request and the donor
 * runs that script, reading its own my.cnf at that moment. The stock script turns stunnel on as soon as
 * [sst] has a CA or a certificate, and ours refuses ssl-mode=DISABLED, so the plain run has none.
 */
export function sstSections(
  method: Method,
  donor: Tls,
  joiner: Tls,
  rlimit: string | undefined,
): { donor: Record<string, string>; joiner: Record<string, string> } {
  const stunnel = (t: Tls): Record<string, string> => ({
    tca: t.ca,
    tcert: t.cert,
    tkey: t.key,
    'ssl-mode': 'VERIFY_CA',
  });
  // The limited run copies everything under the lock (precopy=off): its rate is then the whole copy's.
  const ours = (t: Tls): Record<string, string> => ({
    tca: t.ca,
    tcert: t.bundle,
    ...(method === 'ours-rlimit' && rlimit !== undefined ? { rlimit, precopy: 'off' } : {}),
  });
  switch (method) {
    case 'plain':
      return { donor: {}, joiner: {} };
    case 'stunnel':
      return { donor: stunnel(donor), joiner: stunnel(joiner) };
    case 'ours':
    case 'previous':
    case 'ours-rlimit':
      return { donor: ours(donor), joiner: ours(joiner) };
  }
}
