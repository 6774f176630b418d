/** `make bench`: the datasets, and loading, flushing, reading and dropping them on the donor. */
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Cluster, ClusterNode } from '../../test/e2e/cluster';
import { GB } from './figures';

/** Rows per INSERT … SELECT at most: ~100 MB, so no statement runs for minutes. */
const CHUNK_ROWS = 250_000;

interface Shape {
  databases: number;
  tablesPerDatabase: number;
}

const SHAPES: Record<string, Shape> = {
  many: { databases: 6, tablesPerDatabase: 8 },
  one: { databases: 1, tablesPerDatabase: 1 },
  // Two .ibd files: ~20 MB is about the floor of two freshly loaded tables (see loadDataset).
  small: { databases: 2, tablesPerDatabase: 1 },
};

export interface Dataset {
  name: string;
  /** Size of the dataset's tables (their .ibd files), in GB (10^9 bytes). */
  gb: number;
  databases: string[];
  tables: string[];
  /** innodb_log_file_size on both nodes while this dataset runs. */
  redo: string;
}

/** "many:4,one:3,small:0.02" → datasets, smallest first (failures surface early; the rate limit is probed cheaply). */
export function parseDatasets(raw: string): Dataset[] {
  const out: Dataset[] = [];
  for (const item of raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const [name, size, extra] = item.split(':');
    const gb = Number(size);
    const shape = name === undefined ? undefined : SHAPES[name];
    if (shape === undefined || extra !== undefined || !Number.isFinite(gb) || gb <= 0) {
      throw new Error(
        `BENCH_DATASETS: '${item}' is not name:GB with name one of ${Object.keys(SHAPES).join(', ')} and GB > 0`,
      );
    }
    if (out.some((d) => d.name === name)) throw new Error(`BENCH_DATASETS: '${name}' given twice`);
    const databases = Array.from({ length: shape.databases }, (_, i) => `bench_${name}_${i + 1}`);
    const tables = databases.flatMap((db) =>
      Array.from({ length: shape.tablesPerDatabase }, (_, i) => `${db}.t${i + 1}`),
    );
    out.push({ name: name!, gb, databases, tables, redo: gb >= 1 ? '256M' : '16M' });
  }
  if (out.length === 0) throw new Error('BENCH_DATASETS is empty');
  return out.sort((a, b) => a.gb - b.gb);
}

export function duBytes(...dirs: string[]): number {
  const present = dirs.filter((d) => existsSync(d));
  if (present.length === 0) return 0;
  return execFileSync('du', ['-sbc', ...present], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([, name]) => name === 'total')
    .reduce((sum, [n]) => sum + Number(n), 0);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Loads a dataset on the donor until its tables take `gb` GB on disk, round-robin over its tables so
 * they grow alike. Session wsrep_on=OFF: node1 is alone in the cluster and the joiner gets the files
 * by SST, so replicating ~100 MB write sets through Galera would only slow the load down.
 */
export function loadDataset(c: Cluster, n: ClusterNode, d: Dataset): number {
  const off = 'SET SESSION wsrep_on=OFF; ';
  c.sql(n, off + d.databases.map((db) => `CREATE DATABASE ${db}`).join('; '));
  // Wide rows (~330 bytes) of incompressible-looking text: TLS and rsync see real work per byte.
  c.sql(
    n,
    off +
      d.tables
        .map(
          (t) => `CREATE TABLE ${t} (id INT PRIMARY KEY, k INT NOT NULL, payload VARCHAR(400) NOT NULL) ENGINE=InnoDB`,
        )
        .join('; '),
  );
  const dirs = d.databases.map((db) => join(n.datadir, db));
  const target = d.gb * GB;
  const rows = new Map<string, number>(d.tables.map((t) => [t, 0]));
  // Bytes per row on disk, re-measured after every batch. An .ibd of a few thousand rows already takes
  // ~10 MiB (measured here: 48 tables of ~5k rows, 480 MiB; one of 364k rows, 144 MiB), so each batch
  // fills half of what is left and the size converges from below; a dataset smaller than ~10 MiB per
  // table comes out at that floor.
  let bytesPerRow = 400;
  for (let i = 0; ; ) {
    const remaining = target - duBytes(...dirs);
    if (remaining <= 0.02 * target) break;
    const chunk = Math.min(CHUNK_ROWS, Math.max(1000, Math.ceil(remaining / 2 / bytesPerRow / d.tables.length)));
    // Up to ~1 GB per client call: fewer client start-ups, no statement batch runs for many minutes.
    const batch: string[] = [];
    while (
      batch.length < d.tables.length &&
      (batch.length + 1) * chunk * bytesPerRow <= Math.max(GB, chunk * bytesPerRow)
    ) {
      const t = d.tables[i++ % d.tables.length]!;
      const from = rows.get(t)!;
      // seq_1_to_N lives in the current database: USE one.
      batch.push(
        `USE ${t.split('.')[0]}; INSERT INTO ${t} SELECT seq + ${from}, (seq * 7919) % 100003, ` +
          `REPEAT(SHA1(seq + ${from}), 8) FROM seq_1_to_${chunk}`,
      );
      rows.set(t, from + chunk);
    }
    c.sql(n, off + batch.join('; '), 3_600_000);
    const total = [...rows.values()].reduce((a, b) => a + b, 0);
    bytesPerRow = Math.max(100, duBytes(...dirs) / total);
  }
  return [...rows.values()].reduce((a, b) => a + b, 0);
}

export function drop(c: Cluster, n: ClusterNode, d: Dataset): void {
  c.sql(n, `SET SESSION wsrep_on=OFF; ${d.databases.map((db) => `DROP DATABASE IF EXISTS ${db}`).join('; ')}`, 600_000);
}

/**
 * Waits until the donor has no dirty page left, so each transfer starts from the same state: otherwise the
 * first SST after a load would pay for flushing it while the donor holds its read lock.
 */
export async function flushDonor(c: Cluster, n: ClusterNode): Promise<void> {
  c.sql(n, 'SET GLOBAL innodb_max_dirty_pages_pct_lwm=0; SET GLOBAL innodb_max_dirty_pages_pct=0');
  const deadline = Date.now() + 1_200_000;
  while (Number(c.status(n, 'Innodb_buffer_pool_pages_dirty') ?? '1') > 0) {
    if (Date.now() > deadline) throw new Error('donor still has dirty pages after 20 min');
    await sleep(1000);
  }
}

/**
 * Reads every donor file once. InnoDB writes with O_DIRECT (10.11's default), so after a load the files
 * are not in the page cache, and only the first transfer of a dataset would read them from disk (it
 * was ~1.5× slower, whichever method went first). Every transfer now reads from memory: the figures
 * compare the methods, not the disk.
 */
export function warmCache(dir: string): void {
  const r = spawnSync('find', [dir, '-type', 'f', '-exec', 'cat', '{}', '+'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`reading ${dir} failed: ${r.stderr}`);
}

export function checksums(c: Cluster, n: ClusterNode, d: Dataset): string {
  return c.sql(n, `CHECKSUM TABLE ${d.tables.join(', ')}`, 1_800_000).replace(/\s+/g, ' ');
}

/**
 * (Re)starts the donor as a one-node cluster with the dataset's redo log size (mariadbd resizes the log at start-up).
 */
export async function startDonor(c: Cluster, donor: ClusterNode, redo: string): Promise<void> {
  await c.stop(donor);
  donor.spec.mysqld = { ...donor.spec.mysqld, innodb_log_file_size: redo };
  c.writeConfigs();
  c.start(donor, ['--wsrep-new-cluster']);
  await c.waitSynced(donor);
}
