/**
 * End to end: real mariadbd + galera-4 nodes on 127.0.0.x join through
 * wsrep_sst_method=rsync_tunnel, and the data they end up with is compared
 * table by table.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { ClusterNode } from './cluster';
import {
  assertIstTaken,
  assertReplicates,
  assertSameData,
  bootstrap,
  destroyCluster,
  sstLines,
  waitFor,
} from './harness';

afterEach(() => destroyCluster());

describe('Galera cluster with rsync_tunnel', { timeout: 900_000 }, () => {
  test('plain full SST, bundle certificate: node 2 joins with identical data', async () => {
    const { c, nodes } = await bootstrap('plain', [
      { name: 'node1', ip: '127.0.0.11' },
      { name: 'node2', ip: '127.0.0.12' },
    ]);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    assert.equal(c.status(n1, 'wsrep_cluster_size'), '2');
    assertSameData(c, n1, n2);
    assertReplicates(c, n2, n1);
    assert.ok(
      sstLines(c, n2).some((l) => /SST completed/.test(l)),
      c.tail(n2),
    );
  });

  test('split tcert + tkey', async () => {
    const { c, nodes } = await bootstrap(
      'split',
      [
        { name: 'node1', ip: '127.0.0.21' },
        { name: 'node2', ip: '127.0.0.22' },
      ],
      (cl, ns) => {
        for (const n of ns) n.spec.sst = { tca: cl.pki.caCert, tcert: n.cert.cert, tkey: n.cert.key };
      },
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    assertReplicates(c, n2, n1);
  });

  test('binary log with a custom log-bin-index and log-basename', async () => {
    const { c, nodes } = await bootstrap(
      'binlog',
      [
        { name: 'node1', ip: '127.0.0.31' },
        { name: 'node2', ip: '127.0.0.32' },
      ],
      (_cl, ns) => {
        for (const n of ns)
          n.spec.mysqld = {
            log_basename: 'galera',
            log_bin: '',
            log_bin_index: 'binlogs-list',
            log_slave_updates: 'ON',
          };
        for (const n of ns) n.spec.sst = { tca: _cl.pki.caCert, tcert: n.cert.bundle, 'sst-max-binlogs': '2' };
      },
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.sql(n1, 'FLUSH BINARY LOGS; FLUSH BINARY LOGS; INSERT INTO shop.audit (t) VALUES ("after flush")');
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    // FLUSH TABLES WITH READ LOCK rotates the donor's binlog: it then sends its last two,
    // the newest just started. The joiner's index starts with them, in order.
    const donorLogs = c
      .sql(n1, 'SHOW BINARY LOGS')
      .split('\n')
      .map((l) => l.split('\t')[0] ?? '');
    const index = readFileSync(join(n2.datadir, 'binlogs-list.index'), 'utf8').split('\n');
    const sent = donorLogs.slice(-2);
    assert.deepEqual(
      index.slice(0, 2),
      sent.map((f) => `./${f}`),
      index.join('\n'),
    );
    assert.deepEqual(readFileSync(join(n2.datadir, sent[0] ?? '')), readFileSync(join(n1.datadir, sent[0] ?? '')));
    assert.ok(
      c.sql(n2, 'SHOW BINARY LOGS').includes(sent[0] ?? '?'),
      'the joiner serves the donor binlogs it received',
    );
    assertReplicates(c, n2, n1);
  });

  test('separate InnoDB data/log/undo (3 undo tablespaces) and Aria log directories on both nodes', async () => {
    const { c, nodes } = await bootstrap(
      'layout',
      [
        { name: 'node1', ip: '127.0.0.41' },
        { name: 'node2', ip: '127.0.0.42' },
      ],
      (_cl, ns) => {
        for (const n of ns) {
          n.spec.mysqld = {
            innodb_data_home_dir: join(n.dir, 'ibdata'),
            innodb_log_group_home_dir: join(n.dir, 'redo'),
            innodb_undo_directory: join(n.dir, 'undo'),
            innodb_undo_tablespaces: '3',
            aria_log_dir_path: join(n.dir, 'aria'),
          };
        }
        for (const n of ns.slice(0, 1))
          for (const d of ['ibdata', 'redo', 'undo', 'aria']) mkdirSync(join(n.dir, d), { recursive: true });
      },
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    for (const f of ['ibdata/ibdata1', 'redo/ib_logfile0', 'undo/undo001', 'undo/undo003', 'aria/aria_log_control']) {
      assert.ok(existsSync(join(n2.dir, f)), `${f} on the joiner`);
    }
    assert.equal(
      existsSync(join(n2.datadir, 'ibdata1')),
      false,
      'ibdata1 went to innodb_data_home_dir, not the datadir',
    );
    assertReplicates(c, n2, n1);
  });

  test('IST: node 2 stopped cleanly, writes on node 1, node 2 restarts through the bypass path', async () => {
    const { c, nodes } = await bootstrap('ist', [
      { name: 'node1', ip: '127.0.0.51' },
      { name: 'node2', ip: '127.0.0.52' },
    ]);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    await c.stop(n2);
    c.sql(n1, 'INSERT INTO shop.audit (t) SELECT CONCAT("ist-", seq) FROM shop.seq_1_to_500');
    const before = sstLines(c, n2).length;
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    assertIstTaken(c, n1, n2, before);
  });

  test('node 2 datadir wiped while it is down: restart forces a full SST', async () => {
    const { c, nodes } = await bootstrap('wiped', [
      { name: 'node1', ip: '127.0.0.61' },
      { name: 'node2', ip: '127.0.0.62' },
    ]);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    await c.stop(n2);
    rmSync(n2.datadir, { recursive: true, force: true });
    c.sql(n1, 'INSERT INTO shop.audit (t) VALUES ("while wiped")');
    const before = sstLines(c, n2).length;
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    assert.ok(
      sstLines(c, n2)
        .slice(before)
        .some((l) => /SST completed/.test(l)),
      c.tail(n2),
    );
  });

  test('node 2 killed with SIGKILL and restarted: it rejoins with identical data', async () => {
    const { c, nodes } = await bootstrap('sigkill', [
      { name: 'node1', ip: '127.0.0.71' },
      { name: 'node2', ip: '127.0.0.72' },
    ]);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    await c.kill(n2);
    // Alone, node 1 is half of the cluster and loses quorum: re-bootstrap it as a DBA would.
    await waitFor(
      () => c.status(n1, 'wsrep_cluster_size') === '1' || c.status(n1, 'wsrep_cluster_status') !== 'Primary',
      60_000,
    );
    if (c.status(n1, 'wsrep_cluster_status') !== 'Primary')
      c.sql(n1, "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'");
    await waitFor(
      () => c.status(n1, 'wsrep_cluster_status') === 'Primary' && c.status(n1, 'wsrep_ready') === 'ON',
      60_000,
    );
    c.sql(n1, 'INSERT INTO shop.audit (t) VALUES ("while dead")');
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    assertReplicates(c, n1, n2);
  });

  test('IPv6: both nodes on [::1] with different ports', async () => {
    const { c, nodes } = await bootstrap('ipv6', [
      { name: 'node1', ip: '::1' },
      { name: 'node2', ip: '::1' },
    ]);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    assertSameData(c, n1, n2);
    assert.ok(
      sstLines(c, n2).some((l) => /listening on \[::1\]:/.test(l)),
      c.tail(n2),
    );
  });

  test('three nodes: node 3 joins while node 2 is the donor', async () => {
    const { c, nodes } = await bootstrap('three', [
      { name: 'node1', ip: '127.0.0.81' },
      { name: 'node2', ip: '127.0.0.82' },
      { name: 'node3', ip: '127.0.0.83', mysqld: { wsrep_sst_donor: 'node2' } },
    ]);
    const [n1, n2, n3] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    c.start(n2);
    await c.waitSynced(n2);
    c.start(n3);
    await c.waitSynced(n3);
    assert.equal(c.status(n1, 'wsrep_cluster_size'), '3');
    assertSameData(c, n1, n3);
    assertSameData(c, n2, n3);
    assert.ok(
      sstLines(c, n2).some((l) => /starting as donor/.test(l)),
      'node 2 donated',
    );
    assertReplicates(c, n3, n1);
  });
});
