/**
 * `make demo`: a two-node MariaDB Galera cluster on 127.0.0.11/12 (Debian's
 * mariadbd and galera-4, own datadirs, ports and my.cnf under ./demo-run),
 * node 2 joining through wsrep_sst_method=rsync_tunnel with the single
 * executable from dist/. Prints the SST log lines mariadbd wrote, the size,
 * the duration and the verification, then stops everything it started and
 * removes ./demo-run (KEEP=1 keeps it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Cluster, type ClusterNode } from '../test/e2e/cluster';
import { loadData, TABLES } from '../test/e2e/harness';

const repo = resolve(__dirname, '..', '..');
const work = join(repo, 'demo-run');

function mib(dir: string): string {
  return (Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]) / 1048576).toFixed(1);
}

function sstLog(c: Cluster, n: ClusterNode): string {
  return c
    .log(n)
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('WSREP_SST:') ||
        /WSREP: (Running: 'wsrep_sst|SST (received|succeeded|sent)|State transfer)/.test(l),
    )
    .join('\n');
}

async function main(): Promise<void> {
  process.env.SST_TEST_BINARY = join(repo, 'dist', 'wsrep_sst_rsync_tunnel');
  if (!existsSync(process.env.SST_TEST_BINARY)) throw new Error('dist/wsrep_sst_rsync_tunnel missing: run make dist');
  rmSync(work, { recursive: true, force: true });
  const c = new Cluster(work, `demo-${process.pid}`);
  let ok = false;
  try {
    const n1 = await c.addNode({ name: 'node1', ip: '127.0.0.11' });
    const n2 = await c.addNode({ name: 'node2', ip: '127.0.0.12' });
    c.writeConfigs();
    console.log(`node1 127.0.0.11 (bootstraps the cluster), node2 127.0.0.12 (joins), configs in ${work}`);
    c.initialise(n1);
    c.start(n1, ['--wsrep-new-cluster']);
    await c.waitSynced(n1);
    loadData(c, n1, 200_000);
    console.log(`node1 Synced with sample data: datadir ${mib(n1.datadir)} MiB`);
    const t0 = Date.now();
    c.start(n2);
    await c.waitSynced(n2);
    const seconds = (Date.now() - t0) / 1000;
    console.log('\n--- donor (node1) error log, SST lines ---');
    console.log(sstLog(c, n1));
    console.log('\n--- joiner (node2) error log, SST lines ---');
    console.log(sstLog(c, n2));
    console.log('\n--- verification ---');
    let same = true;
    for (const t of TABLES) {
      const q = `SELECT COUNT(*) FROM ${t}; CHECKSUM TABLE ${t}`;
      const a = c.sql(n1, q).replace(/\s+/g, ' ');
      const b = c.sql(n2, q).replace(/\s+/g, ' ');
      same &&= a === b;
      console.log(`${a === b ? 'same' : 'DIFFERENT'}  ${t}: ${b}`);
    }
    console.log(
      `cluster size ${c.status(n1, 'wsrep_cluster_size')}, state uuid equal: ` +
        `${c.status(n1, 'wsrep_cluster_state_uuid') === c.status(n2, 'wsrep_cluster_state_uuid')}`,
    );
    console.log(`node2 joined in ${seconds.toFixed(1)} s (start to Synced); its datadir is ${mib(n2.datadir)} MiB`);
    ok = same && c.status(n1, 'wsrep_cluster_size') === '2';
  } finally {
    await c.destroy();
    if (process.env.KEEP !== '1') rmSync(work, { recursive: true, force: true });
  }
  console.log(ok ? 'DEMO OK: both nodes stopped, nothing left running' : 'DEMO FAILED');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
