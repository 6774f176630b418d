/**
 * `make bench`: what the TLS tunnel costs, against the two ways MariaDB users copy a datadir with
 * rsync today. One donor (node1, 127.0.0.31) holds a generated dataset; one joiner (node2,
 * 127.0.0.32) joins it with an empty datadir, in the same run and on the same data, through:
 * - MariaDB's stock `rsync` method without TLS (the speed of light: the same rsync, no encryption);
 * - the stock `rsync` method with its own TLS: stunnel, switched on by `[sst] tca/tcert/tkey` and
 *   `ssl-mode=VERIFY_CA` on both nodes (how MariaDB users encrypt an rsync SST today);
 * - this method, `rsync_tunnel` (socat with OpenSSL).
 * Between two transfers the joiner is stopped and its datadir wiped, so every transfer starts from
 * the same donor files, joiner address and my.cnf apart from the method, a clean donor buffer pool,
 * the donor files in the page cache and no pending writeback.
 *
 * Datasets (BENCH_DATASETS, default "many:4,one:3,small:0.02": name:size of the tables in GB), run
 * smallest first, each loaded, measured and dropped before the next:
 * - many: 48 tables over 6 databases; one: a single table (one .ibd); small: 2 tables in 2
 *   databases, for the fixed cost of an SST.
 * Datasets of 1 GB or more run with a 256 MiB redo log, smaller ones with 16 MiB (a 256 MiB log
 * would be most of a 20 MB SST); the datadir size printed includes it.
 *
 * BENCH_ROUNDS=n (default 3) repeats each method n times per dataset, rotating the order of the
 * methods each round, and reports medians. BENCH_RLIMIT=RATE (default 50m; bytes per second, k/m/g
 * suffixes in 1024s as mariabackup's rlimit; "off" disables) adds one transfer of ours per dataset
 * with `[sst] rlimit=RATE` and prints the achieved copy rate against the limit; whether the binary
 * honours the key is read from its error logs ("rate limit"), and without that line the remaining
 * limited runs are skipped.
 *
 * Prints per dataset and method: start→Synced, the SST scripts' own durations from the error logs,
 * the donor's copy time, MiB/s, CPU seconds per GiB of socat, rsync and stunnel on each side
 * (sampled from /proc), peak RSS; the binary's start time and peak RSS; the machine; and a closing
 * table of the targets of docs/architecture.md §10.2, met or not. Stops everything it started (PIDs it tracks, never
 * names) and removes its working directory (KEEP=1 keeps it). A joiner whose table checksums differ from
 * the donor's fails the run (exit status 1) and is named in the closing lines.
 *
 * This file is the run's order; the parts are under scripts/bench/: datasets (load, flush, drop),
 * methods (the methods and their [sst] sections), transfer (one join, measured), sampler (/proc),
 * logs (the scripts' figures), summary, report and targets (the tables), machine, options.
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Cluster, type ClusterNode } from '../test/e2e/cluster';
import { checksums, drop, duBytes, flushDonor, loadDataset, startDonor, type Dataset } from './bench/datasets';
import { MiB } from './bench/figures';
import { machine, startup } from './bench/machine';
import { addPrevious, BIN, METHODS, methodOrder, previousRelease, type Tls } from './bench/methods';
import { options, type Options } from './bench/options';
import { report } from './bench/report';
import { joinOnce, type Run, type Transfer } from './bench/transfer';
import { loadedTables } from './bench/write-load';

interface Nodes {
  donor: ClusterNode;
  joiner: ClusterNode;
  tls: { donor: Tls; joiner: Tls };
}

function preflight(): void {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} missing: run make dist`);
  if (!fs.existsSync('/usr/bin/wsrep_sst_rsync'))
    throw new Error('/usr/bin/wsrep_sst_rsync missing: the baseline needs mariadb-server');
  if (spawnSync('stunnel', ['-version']).error)
    throw new Error("stunnel missing: scripts/install-deps.sh installs stunnel4 (the stock method's TLS)");
  // The fixture links the executable it finds here into the nodes' PATH.
  process.env.SST_TEST_BINARY = BIN;
}

/** Ctrl-C or a kill of `make bench`: still stop both mariadbd and whatever they started (by PID and tag). */
function cleanupOnSignals(c: Cluster, work: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const cleanup = async (): Promise<void> => {
    stopping ??= c.destroy().finally(() => {
      if (process.env.KEEP !== '1') fs.rmSync(work, { recursive: true, force: true });
    });
    await stopping;
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping the cluster`);
      void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  return cleanup;
}

async function addNodes(c: Cluster, work: string): Promise<Nodes> {
  const donor = await c.addNode({
    name: 'node1',
    ip: '127.0.0.31',
    // Load speed only: a buffer pool that holds much of the data, no doublewrite, group commit to the
    // OS, and a page cleaner allowed to write at disk speed (the default io_capacity of 200 pages/s
    // flushes 1 GiB in ~5 minutes, and each transfer waits for a clean buffer pool).
    mysqld: {
      innodb_buffer_pool_size: '2G',
      innodb_io_capacity: '20000',
      innodb_io_capacity_max: '40000',
      innodb_doublewrite: '0',
      innodb_flush_log_at_trx_commit: '2',
    },
  });
  const joiner = await c.addNode({ name: 'node2', ip: '127.0.0.32', mysqld: { innodb_buffer_pool_size: '512M' } });
  // mkdtemp makes the directory 0700; a joiner running as mysql must reach its node directory.
  fs.chmodSync(work, 0o755);
  // The stock joiner runs as mysql and its stunnel reads the key: copies inside the joiner's
  // directory, which is handed to the joiner's user before each transfer.
  const jtls = join(joiner.dir, 'tls');
  fs.mkdirSync(jtls);
  const copy = (from: string): string => {
    const to = join(jtls, basename(from));
    fs.copyFileSync(from, to);
    return to;
  };
  const tls = {
    donor: { ca: c.pki.caCert, cert: donor.cert.cert, key: donor.cert.key, bundle: donor.cert.bundle },
    joiner: {
      ca: copy(c.pki.caCert),
      cert: copy(joiner.cert.cert),
      key: copy(joiner.cert.key),
      bundle: copy(joiner.cert.bundle),
    },
  };
  return { donor, joiner, tls };
}

/** Loads dataset `d` on the donor and flushes it; its tables' checksums. `since`: when the dataset's turn began. */
async function load(c: Cluster, donor: ClusterNode, d: Dataset, since: number): Promise<string> {
  const rows = loadDataset(c, donor, d);
  await flushDonor(c, donor);
  const expected = checksums(c, donor, d);
  const tables = duBytes(...d.databases.map((db) => join(donor.datadir, db)));
  console.log(
    `\n${d.name} ${d.gb} GB: ${d.tables.length} tables in ${d.databases.length} database(s), ` +
      `${(tables / MiB).toFixed(0)} MiB of tables (${rows} rows); ` +
      `donor datadir ${(duBytes(donor.datadir) / MiB).toFixed(0)} MiB with a ${d.redo} redo log; loaded and ` +
      `flushed in ${((Date.now() - since) / 1000).toFixed(0)} s`,
  );
  return expected;
}

/** Every dataset in turn: loaded, joined by each method each round (and once rate-limited), dropped. */
async function runDatasets(
  c: Cluster,
  nodes: Nodes,
  o: Options,
  previousBinary: string | undefined,
): Promise<{ runs: Run[]; rlimitSupported?: boolean }> {
  const { donor, joiner, tls } = nodes;
  const runs: Run[] = [];
  let rlimitSupported: boolean | undefined;
  donor.spec.mysqld = { ...donor.spec.mysqld, innodb_log_file_size: o.datasets[0]!.redo };
  c.writeConfigs();
  c.initialise(donor);
  let redo: string | undefined;
  for (const [di, d] of o.datasets.entries()) {
    // A restart of the donor for another redo log size counts in "loaded and flushed in".
    const started = Date.now();
    if (redo !== d.redo) await startDonor(c, donor, d.redo);
    redo = d.redo;
    const expected = await load(c, donor, d, started);
    const x: Transfer = { c, donor, joiner, tls, dataset: d, expected, rlimit: o.rlimit, previousBinary };
    for (let round = 0; round < o.rounds; round++) {
      for (const m of methodOrder(round, di)) runs.push(await joinOnce(x, m));
    }
    if (o.rate !== undefined && rlimitSupported !== false) {
      const r = await joinOnce(x, 'ours-rlimit');
      runs.push(r);
      rlimitSupported = r.rateLimitLogged;
      if (!rlimitSupported)
        console.log(
          `  no "rate limit" line in either error log: this binary ` +
            `does not support [sst] rlimit; no further limited runs`,
        );
    }
    // Last: a write load changes the donor's tables, so `expected` no longer holds after it. Only where it
    // touches a small share of them.
    const loadRounds = loadedTables(d).length > 0 ? o.loadRounds : 0;
    for (let round = 0; round < loadRounds; round++) {
      for (const m of methodOrder(round + 1, di)) runs.push(await joinOnce(x, m, true));
    }
    drop(c, donor, d);
  }
  return { runs, rlimitSupported };
}

/** The closing lines; exit status 1 when a joiner did not get the donor's data. */
function verdict(runs: readonly Run[], work: string, started: number, binaryReplaced: () => boolean): void {
  console.log(`\n${machine('at end')}`);
  console.log(
    `whole run ${((Date.now() - started) / 60_000).toFixed(1)} min; cluster stopped, ` +
      `${process.env.KEEP === '1' ? `kept ${work}` : `${work} removed`}`,
  );
  if (binaryReplaced())
    console.log(`WARNING: ${BIN} was replaced during the run: the rsync_tunnel figures may mix two builds`);
  const bad = runs.filter((r) => !r.verified);
  if (bad.length === 0) {
    console.log("BENCH OK: every joiner had the donor's checksums");
  } else {
    console.log(
      `\n${'!'.repeat(72)}\nBENCH FAILED: ${bad.length} joiner(s) ` +
        `did not get the donor's data (CHECKSUM TABLE differs):`,
    );
    for (const r of bad) console.log(`  ${r.dataset} ${METHODS[r.method].label}`);
    console.log('!'.repeat(72));
  }
  process.exitCode = bad.length === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  preflight();
  const previous = previousRelease();
  if (previous !== undefined) addPrevious(previous.version);
  const o = options();
  // Someone rebuilding dist/ during the run would mix two builds in the figures: detect it.
  const binaryId = (): string => `${fs.statSync(BIN).ino}:${fs.statSync(BIN).mtimeMs}`;
  const binaryAtStart = binaryId();
  const started = Date.now();
  console.log(machine('at start'));
  console.log(startup());

  const work = fs.mkdtempSync(join(tmpdir(), 'sst-bench-'));
  const c = new Cluster(work, `bench-${process.pid}`);
  const cleanup = cleanupOnSignals(c, work);
  let result: { runs: Run[]; rlimitSupported?: boolean };
  try {
    const nodes = await addNodes(c, work);
    console.log(
      `\nworking directory ${work}; node1 127.0.0.31 (donor), node2 127.0.0.32 (joiner); datasets ` +
        `${o.datasets.map((d) => `${d.name} ${d.gb} GB`).join(', ')}; ` +
        `${o.rounds} round(s); rate-limited run: ${o.rate === undefined ? 'off' : o.rlimit}; ` +
        `${o.loadRounds} round(s) under a write load on datasets of many tables`,
    );
    result = await runDatasets(c, nodes, o, previous?.binary);
  } finally {
    await cleanup();
  }
  report(result.runs, o.datasets, o.rlimit, o.rate, result.rlimitSupported);
  verdict(result.runs, work, started, () => binaryId() !== binaryAtStart);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
