/**
 * The .deb as an operator uses it: dpkg -i, then a real two-node Galera SST in
 * which mariadbd finds /usr/bin/wsrep_sst_rsync_tunnel on its own PATH, then
 * dpkg -r.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Cluster, type ClusterNode } from '../e2e/cluster';
import { assertSameData, loadData } from '../e2e/harness';
import { BUILD_TIMEOUT_MS, buildPackage, PKG_NAME, sha256, snapshotBinary } from '../helpers/packages';

const INSTALLED = '/usr/bin/wsrep_sst_rsync_tunnel';

function dpkg(args: string[]): void {
  const r = spawnSync('dpkg', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `dpkg ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
}

test('dpkg -i, one real-cluster SST with the installed program, dpkg -r', {
  timeout: BUILD_TIMEOUT_MS + 300_000,
}, async () => {
  assert.equal(existsSync(INSTALLED), false, `${INSTALLED} exists before the test: remove the package first`);
  const root = mkdtempSync(join(tmpdir(), 'pkg-install-'));
  const binary = snapshotBinary(root);
  const deb = await buildPackage('deb', binary, join(root, 'out'));
  let cluster: Cluster | undefined;
  try {
    dpkg(['-i', deb]);
    assert.equal(sha256(INSTALLED), sha256(binary), 'the package installs the binary untouched');
    cluster = new Cluster(join(root, 'cluster'), `pkg-${process.pid}`, 'installed');
    const c = cluster;
    const n1 = await c.addNode({ name: 'node1', ip: '127.0.3.10' });
    const n2 = await c.addNode({ name: 'node2', ip: '127.0.3.11' });
    c.writeConfigs();
    c.initialise(n1);
    c.start(n1, ['--wsrep-new-cluster']);
    await c.waitSynced(n1);
    loadData(c, n1, 20_000);
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1 as ClusterNode, n2 as ClusterNode);
    assert.match(c.log(n2), /WSREP_SST: \[INFO\] wsrep_sst_rsync_tunnel [\d.]+ starting as joiner/);
    assert.match(c.log(n2), /WSREP_SST: \[INFO\] rsync SST completed on joiner/);
  } finally {
    await cluster?.destroy();
    spawnSync('dpkg', ['-r', PKG_NAME]);
    rmSync(root, { recursive: true, force: true });
  }
  assert.equal(existsSync(INSTALLED), false, 'dpkg -r removes the program');
});
