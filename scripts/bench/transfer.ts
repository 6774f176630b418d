/** `make bench`: one transfer, node2 joining node1 with an empty datadir by one method, measured. */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Cluster, ClusterNode } from '../../test/e2e/cluster';
import { checksums, duBytes, flushDonor, sleep, warmCache, type Dataset } from './datasets';
import { MiB } from './figures';
import { copySpan, logSince, logSize, scriptLockSpan, scriptSpan, selfReported, serverLockSpan } from './logs';
import { loadAverage } from './machine';
import { BIN, METHODS, sstSections, type Method, type Tls } from './methods';
import { Sampler, type Usage } from './sampler';
import { startWriteLoad, waitSameCommitted } from './write-load';

export interface Run {
  dataset: string;
  method: Method;
  datadirBytes: number;
  /** Joiner mariadbd start to wsrep_local_state_comment=Synced. */
  toSynced: number;
  /** First to last WSREP_SST line of the joiner's / donor's script (ms timestamps, the same rule for every method). */
  joinerScript?: number;
  donorScript?: number;
  /** Donor: tables flushed and locked → all data passes done (the copy itself, lock held). */
  copy?: number;
  /** The donor's tables locked: mariadbd's "Provider paused" → "Provider resumed" (whole seconds). */
  lockServer?: number;
  /** The same lock as the donor's script measured it (ms time stamps; logs.ts scriptLockSpan). */
  lockScript?: number;
  /** A write load ran on the donor during this transfer (write-load.ts). */
  loaded: boolean;
  /** Ours only: "joiner finished in N s" / "donor finished in N s". */
  joinerSelf?: number;
  donorSelf?: number;
  usage: Usage[];
  /** Peak of the summed RSS of all SST processes of a role at one sample. */
  peakTotalKiB: Record<'donor' | 'joiner', number>;
  load: string;
  verified: boolean;
  /** A line of either node's log since the joiner started mentions a rate limit. */
  rateLimitLogged: boolean;
}

export interface Transfer {
  c: Cluster;
  donor: ClusterNode;
  joiner: ClusterNode;
  tls: { donor: Tls; joiner: Tls };
  dataset: Dataset;
  expected: string;
  rlimit: string | undefined;
  /** The previous release's executable, when it runs as the 'previous' method. */
  previousBinary?: string;
}

/** What each node's SST script wrote during one transfer. */
interface Logs {
  joiner: string;
  donor: string;
}

function ids(user: string): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Both nodes' my.cnf for `method`, the program it runs on the fixture's PATH, and an empty joiner datadir. */
function prepareJoiner(x: Transfer, method: Method): void {
  const { c, donor, joiner, dataset } = x;
  const spec = METHODS[method];
  joiner.spec.mysqld = {
    ...joiner.spec.mysqld,
    wsrep_sst_method: spec.sst,
    user: spec.user,
    innodb_log_file_size: dataset.redo,
  };
  const sections = sstSections(method, x.tls.donor, x.tls.joiner, x.rlimit);
  // mariadbd finds the program on the fixture's PATH: point it at the build this method runs.
  const program = join(c.bin, 'wsrep_sst_rsync_tunnel');
  rmSync(program, { force: true });
  symlinkSync(method === 'previous' && x.previousBinary !== undefined ? x.previousBinary : BIN, program);
  donor.spec.sst = sections.donor;
  joiner.spec.sst = sections.joiner;
  c.writeConfigs();
  rmSync(joiner.datadir, { recursive: true, force: true });
  // An empty datadir, and the node directory (error log, gcache, socket, its TLS files) left by the
  // previous run, owned by the user this joiner runs as; the fixture would create the datadir root-owned.
  mkdirSync(joiner.datadir);
  const { uid, gid } = ids(spec.user);
  execFileSync('chown', ['-R', `${uid}:${gid}`, joiner.dir]);
}

/** Starts the joiner; seconds until it is Synced, after which the donor's script may finish too. */
async function syncJoiner(x: Transfer, label: string): Promise<number> {
  const { c, donor, joiner } = x;
  const t0 = Date.now();
  c.start(joiner);
  let exited = false;
  void joiner.exited?.then(() => (exited = true));
  const deadline = t0 + 3_600_000;
  // Our own loop: Cluster.waitSynced polls every 500 ms, too coarse for a transfer of a few seconds.
  while (c.status(joiner, 'wsrep_local_state_comment') !== 'Synced') {
    if (exited)
      throw new Error(`node2 (${label}) exited before Synced\n${c.tail(joiner)}\n--- donor ---\n${c.tail(donor, 30)}`);
    if (Date.now() > deadline) throw new Error(`node2 (${label}) not Synced in 60 min\n${c.tail(joiner)}`);
    await sleep(100);
  }
  const toSynced = (Date.now() - t0) / 1000;
  // The donor's script may still be cleaning up: its figures count too.
  for (let i = 0; i < 100 && Sampler.busy(donor.process?.pid); i++) await sleep(100);
  return toSynced;
}

/** A TLS setting the stock script does not take would silently leave the "stunnel" run unencrypted. */
function checkStunnel(x: Transfer, method: Method, logs: Logs): void {
  const stunnelUsed =
    /Using stunnel for SSL encryption/.test(logs.joiner) && /Using stunnel for SSL encryption/.test(logs.donor);
  if (stunnelUsed !== (method === 'stunnel')) {
    throw new Error(
      `${METHODS[method].label}: the stock script ${stunnelUsed ? 'used' : 'did not use'} stunnel on both ` +
        `nodes\n${x.c.tail(x.joiner, 30)}\n--- donor ---\n${x.c.tail(x.donor, 30)}`,
    );
  }
}

/**
 * The joiner's tables against the donor's, printed; then the joiner is stopped. After a write load the donor's
 * tables are read again, once the joiner has applied every write the donor committed.
 */
async function verify(x: Transfer, toSynced: number, loaded: boolean): Promise<boolean> {
  if (loaded) await waitSameCommitted(x.c, x.donor, x.joiner);
  const expected = loaded ? checksums(x.c, x.donor, x.dataset) : x.expected;
  const got = checksums(x.c, x.joiner, x.dataset);
  const verified = got === expected;
  console.log(`Synced in ${toSynced.toFixed(1)} s, ${verified ? 'checksums equal' : '*** CHECKSUMS DIFFER ***'}`);
  if (!verified) console.log(`    donor:  ${expected}\n    joiner: ${got}`);
  await x.c.stop(x.joiner);
  return verified;
}

/** One join by `method`; with `loaded`, while the write load of write-load.ts runs on the donor. */
export async function joinOnce(x: Transfer, method: Method, loaded = false): Promise<Run> {
  const { c, donor, joiner, dataset } = x;
  const spec = METHODS[method];
  prepareJoiner(x, method);
  await flushDonor(c, donor);
  warmCache(donor.datadir);
  // The previous joiner's gigabytes must not be written back during this transfer.
  execFileSync('sync');
  const datadirBytes = duBytes(donor.datadir);
  const offsets = { donor: logSize(donor), joiner: logSize(joiner) };
  const loadBefore = loadAverage();
  const sampler = new Sampler({ donor: () => donor.process?.pid, joiner: () => joiner.process?.pid });
  process.stdout.write(
    `  ${spec.label}${method === 'ours-rlimit' ? ` ${x.rlimit}` : ''}: joining ` +
      `${(datadirBytes / MiB).toFixed(0)} MiB${loaded ? ' under a write load' : ''} … `,
  );
  const load = loaded ? await startWriteLoad(c, donor, dataset) : undefined;
  let toSynced: number;
  try {
    toSynced = await syncJoiner(x, spec.label);
  } finally {
    // Also on failure: a live interval would keep this process from ever exiting.
    sampler.stop();
    const updates = await load?.stop();
    if (updates !== undefined) process.stdout.write(`${updates} update rounds on ${load?.tables.join(', ')}; `);
  }
  const { usage, peakTotalKiB } = sampler.result();
  const logs: Logs = { joiner: logSince(joiner, offsets.joiner), donor: logSince(donor, offsets.donor) };
  checkStunnel(x, method, logs);
  const verified = await verify(x, toSynced, loaded);
  return {
    dataset: dataset.name,
    method,
    datadirBytes,
    toSynced,
    joinerScript: scriptSpan(logs.joiner),
    donorScript: scriptSpan(logs.donor),
    copy: copySpan(logs.donor),
    lockServer: serverLockSpan(logs.donor),
    lockScript: scriptLockSpan(logs.donor),
    loaded,
    joinerSelf: selfReported(logs.joiner, 'joiner'),
    donorSelf: selfReported(logs.donor, 'donor'),
    usage,
    peakTotalKiB,
    load: `${loadBefore} → ${loadAverage()}`,
    verified,
    rateLimitLogged: /rate limit/i.test(`${logs.joiner}\n${logs.donor}`),
  };
}
