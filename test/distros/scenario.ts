/**
 * What `make test-distros` checks on each Debian release's own stack (its
 * mariadbd, galera-4, socat, rsync, OpenSSL and glibc, run chrooted as its
 * mysql user) with the executable this tree built: a 2-node cluster joining
 * through a full SST with TLS VERIFY_IDENTITY by IP and by host name, then an
 * IST after a restart, with InnoDB data, redo and undo in directories of their
 * own, a symlinked database directory and binary logs; COUNT(*) and CHECKSUM
 * TABLE of every table compared on both nodes. Then MariaDB's own galera MTR
 * tests of that release that use wsrep_sst_method=rsync, as rsync_tunnel twins
 * (scripts/mtr.ts with SST_MTR_ROOT), in the same root.
 */
import assert from 'node:assert/strict';
import { lchownSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Cluster, ClusterNode } from '../e2e/cluster';
import { assertIstTaken, assertReplicates, assertSameData, bootstrap, destroyCluster, sstLines } from '../e2e/harness';
import { binaryPath, repoRoot, run } from '../helpers/binary';
import { installRecorder, recordedFixture, checkFixture } from './record';
import { rootTarball, unpackRoot, type DistroRelease, type DistroRoot } from './root';

/** The symlinked database: its directory lives next to the datadir, the datadir holds a link to it. */
const LINKED_TABLE = 'linked.t';

function everyTable(c: Cluster, n: ClusterNode): string[] {
  const rows = c.sql(
    n,
    "SELECT CONCAT('`', table_schema, '`.`', table_name, '`') FROM information_schema.tables WHERE " +
      "table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', " +
      "'information_schema', 'performance_schema', 'sys') ORDER BY 1",
  );
  return rows.split('\n').filter((r) => r !== '');
}

/** COUNT(*) and CHECKSUM TABLE of every user table are the same on both nodes, and both have the same tables. */
function assertEveryTable(c: Cluster, a: ClusterNode, b: ClusterNode): void {
  const tables = everyTable(c, a);
  assert.deepEqual(everyTable(c, b), tables, 'the same tables on both nodes');
  assert.ok(tables.length >= 4, tables.join(', '));
  for (const t of tables) {
    const q = `SELECT COUNT(*) FROM ${t}; CHECKSUM TABLE ${t}`;
    assert.equal(c.sql(b, q), c.sql(a, q), `${t} differs between ${a.spec.name} and ${b.spec.name}`);
  }
  assertSameData(c, a, b);
}

function uidOf(n: ClusterNode): number | undefined {
  const line = readFileSync(`/proc/${n.process?.pid ?? 0}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return line === undefined ? undefined : Number(line.split(/\s+/)[1]);
}

function serverVersion(c: Cluster, n: ClusterNode): string {
  return c.sql(n, 'SELECT VERSION()');
}

export function distroSuite(release: DistroRelease): void {
  const ip = (last: number): string => `${release.net}.${last}`;
  const name = (node: string): string => `${node}.${release.suite}.sst-test`;
  let root: DistroRoot | undefined;
  let skip: string | undefined;

  describe(`${release.label} (MariaDB ${release.series}) in its own root filesystem`, { timeout: 3_600_000 }, () => {
    before(() => {
      const got = rootTarball(release);
      if ('skip' in got) {
        skip = got.skip;
        console.log(`SKIP make test-distros ${release.label}: ${skip}`);
        return;
      }
      root = unpackRoot(release, got.tarball, [`${ip(21)} ${name('node1')}`, `${ip(22)} ${name('node2')}`]);
    });
    after(async () => {
      await destroyCluster();
      root?.remove();
    });

    test(
      'full SST, VERIFY_IDENTITY by IP; separate InnoDB data/log/undo, ' +
        'a symlinked database, binlogs; then IST after a restart',
      async (t) => {
        if (root === undefined) return t.skip(skip);
        const system = root.system;
        const { c, nodes } = await bootstrap(
          `${release.suite}-ip`,
          [
            { name: 'node1', ip: ip(11) },
            { name: 'node2', ip: ip(12) },
          ],
          (cl, ns) => {
            for (const n of ns) {
              n.spec.mysqld = {
                log_basename: 'galera',
                log_bin: '',
                log_slave_updates: 'ON',
                innodb_data_home_dir: join(n.dir, 'ibdata'),
                innodb_log_group_home_dir: join(n.dir, 'redo'),
                innodb_undo_directory: join(n.dir, 'undo'),
                innodb_undo_tablespaces: '3',
              };
              n.spec.sst = { tca: cl.pki.caCert, tcert: n.cert.bundle, 'sst-max-binlogs': '2' };
              for (const d of ['ibdata', 'redo', 'undo']) mkdirSync(join(n.dir, d), { recursive: true });
            }
            installRecorder(cl);
          },
          system,
        );
        const [n1, n2] = nodes as [ClusterNode, ClusterNode];
        // The database directory of `linked` lives outside the datadir, owned by mysql as a DBA would leave it.
        const owner = system.owner ?? { uid: 0, gid: 0 };
        mkdirSync(join(n1.dir, 'linked-db'));
        symlinkSync(join(c.inner(n1.dir), 'linked-db'), join(n1.datadir, 'linked'));
        lchownSync(join(n1.dir, 'linked-db'), owner.uid, owner.gid);
        lchownSync(join(n1.datadir, 'linked'), owner.uid, owner.gid);
        c.sql(
          n1,
          `CREATE TABLE ${LINKED_TABLE} (a INT PRIMARY KEY, b VARCHAR(40)) ENGINE=InnoDB; INSERT INTO ` +
            `${LINKED_TABLE} SELECT seq, SHA1(seq) FROM shop.seq_1_to_2000`,
        );
        c.sql(n1, 'FLUSH BINARY LOGS; INSERT INTO shop.audit (t) VALUES ("after flush")');

        c.start(n2);
        await c.waitSynced(n2);
        t.diagnostic(`${release.label}: ${serverVersion(c, n1)} and ${serverVersion(c, n2)}`);
        assert.ok(serverVersion(c, n2).startsWith(`${release.series}.`), serverVersion(c, n2));
        for (const n of nodes)
          assert.equal(uidOf(n), system.owner?.uid, `${n.spec.name}'s mariadbd runs as the release's mysql user`);
        for (const n of nodes)
          assert.ok(
            sstLines(c, n).some((l) =>
              l.includes(`using socat ${release.socat} (/usr/bin/socat) and rsync ${release.rsync} (/usr/bin/rsync)`),
            ),
            c.tail(n),
          );
        assert.ok(
          sstLines(c, n2).some((l) => /SST completed/.test(l)),
          c.tail(n2),
        );
        assert.ok(
          sstLines(c, n1).some((l) => l.includes(`the joiner's certificate must name '${ip(12)}'`)),
          c.tail(n1),
        );
        assertEveryTable(c, n1, n2);
        checkFixture(recordedFixture(c, n1, n2, serverVersion(c, n2), release), t);
        for (const f of ['ibdata/ibdata1', 'redo/ib_logfile0', 'undo/undo001', 'undo/undo003'])
          assert.ok(readFileSync(join(n2.dir, f)).length > 0, `${f} on the joiner`);
        assert.ok(readFileSync(join(n2.datadir, 'linked', 't.ibd')).length > 0, 'the symlinked database arrived');
        // The donor sends its newest two binary logs; the joiner's index starts with them and serves them.
        const donorLogs = c
          .sql(n1, 'SHOW BINARY LOGS')
          .split('\n')
          .map((l) => l.split('\t')[0] ?? '');
        const index = readFileSync(join(n2.datadir, 'galera-bin.index'), 'utf8').split('\n');
        const sent = index
          .filter((l) => l !== '')
          .map((l) => l.replace(/^\.\//, ''))
          .filter((f) => donorLogs.includes(f));
        assert.ok(
          sent.length >= 1 && sent.length <= 2,
          `binary logs received: ${index.join(' ')}; donor: ${donorLogs.join(' ')}`,
        );
        assert.deepEqual(readFileSync(join(n2.datadir, sent[0] ?? '')), readFileSync(join(n1.datadir, sent[0] ?? '')));
        assert.ok(
          c.sql(n2, 'SHOW BINARY LOGS').includes(sent[0] ?? '?'),
          'the joiner serves the donor binlogs it received',
        );
        assertReplicates(c, n2, n1);

        await c.stop(n2);
        c.sql(
          n1,
          `INSERT INTO shop.audit (t) SELECT CONCAT("ist-", seq) FROM shop.seq_1_to_500; UPDATE ` +
            `${LINKED_TABLE} SET b = 'ist' WHERE a % 7 = 0`,
        );
        const before = sstLines(c, n2).length;
        c.start(n2);
        await c.waitSynced(n2);
        assertIstTaken(c, n1, n2, before);
        assertEveryTable(c, n1, n2);
        assertReplicates(c, n1, n2);
        await destroyCluster();
      },
    );

    test(
      'full SST, VERIFY_IDENTITY by host name (DNS ' + "subjectAltName, resolved by the release's /etc/hosts)",
      async (t) => {
        if (root === undefined) return t.skip(skip);
        const { c, nodes } = await bootstrap(
          `${release.suite}-name`,
          [
            { name: 'node1', ip: ip(21), hostName: name('node1') },
            { name: 'node2', ip: ip(22), hostName: name('node2') },
          ],
          (cl, ns) => {
            for (const n of ns)
              n.spec.sst = { tca: cl.pki.caCert, tcert: n.cert.cert, tkey: n.cert.key, 'ssl-mode': 'VERIFY_IDENTITY' };
          },
          root.system,
        );
        const [n1, n2] = nodes as [ClusterNode, ClusterNode];
        c.start(n2);
        await c.waitSynced(n2);
        assert.ok(
          sstLines(c, n1).some((l) => l.includes(`the joiner's certificate must name '${name('node2')}'`)),
          c.tail(n1),
        );
        assertEveryTable(c, n1, n2);
        assertReplicates(c, n2, n1);
        await destroyCluster();
      },
    );

    test("MariaDB's own galera MTR tests of wsrep_sst_method=rsync, as rsync_tunnel twins", async (t) => {
      if (root === undefined) return t.skip(skip);
      const r = await run(process.execPath, [join(repoRoot(), 'build', 'scripts', 'mtr.js')], {
        env: {
          ...process.env,
          SST_MTR_ROOT: root.system.root,
          SST_TEST_BINARY: binaryPath(),
          MTR_BUILD_THREAD: String(release.mtrBuildThread),
          MTR_PARALLEL: process.env.MTR_PARALLEL ?? '1',
        },
        timeoutMs: 2_700_000,
      });
      // One line per twin (PASS, FAIL, SKIP with MTR's reason, N/A with ours) and the summary.
      for (const line of r.stdout.split('\n'))
        if (/^(PASS|FAIL|SKIP|N\/A)\b|passed|kept /.test(line)) t.diagnostic(line);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /\d+ passed, 0 failed/, r.stdout);
    });
  });
}
