/**
 * The precopy gate (docs/protocol.md §3.3.1) on a real cluster: clients write to the donor
 * without pause while it donates with precopy=on (hot-row updates, inserts that grow files,
 * deletes, a table created, one dropped, one renamed, an ALTER that rebuilds, a TRUNCATE, Aria
 * and MyISAM writes, replicated through wsrep_mode). After the joiner is Synced the load stops,
 * both nodes reach the same wsrep_last_committed, and every table of every user database must
 * be equal (COUNT(*) + CHECKSUM TABLE) and pass CHECK TABLE on the joiner, whose log must show
 * no InnoDB error. One cluster serves every SST: the joiner's datadir is wiped between them.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Cluster, ClusterNode } from './cluster';
import { bootstrap, destroyCluster, sstLines, waitFor } from './harness';

/** One load: how many rows each insert adds, how often the DDL runs, and the data size before the SST. */
interface Load {
  name: string;
  /** Rows of `wl.grow` per insert (each ~230 bytes). */
  batch: number;
  /** DDL (create, drop, rename, ALTER … FORCE, TRUNCATE) every this many iterations. */
  ddlEvery: number;
  /** Rows of shop.orders before the SST, so sizes differ from one SST to the next (~1.6 KB each). */
  bigRows: number;
  /** precopy-rounds. */
  rounds: number;
  mode: 'on' | 'verify';
}

const LOADS: readonly Load[] = [
  { name: 'light writes, 2 rounds', batch: 1, ddlEvery: 50, bigRows: 0, rounds: 2, mode: 'on' },
  { name: 'inserts that grow files fast', batch: 50, ddlEvery: 40, bigRows: 0, rounds: 2, mode: 'on' },
  { name: 'DDL-heavy', batch: 2, ddlEvery: 3, bigRows: 0, rounds: 2, mode: 'on' },
  { name: 'one round only', batch: 10, ddlEvery: 10, bigRows: 0, rounds: 1, mode: 'on' },
  { name: 'bigger datadir', batch: 10, ddlEvery: 20, bigRows: 20_000, rounds: 2, mode: 'on' },
  { name: 'verify', batch: 10, ddlEvery: 10, bigRows: 0, rounds: 2, mode: 'verify' },
  { name: 'three rounds', batch: 5, ddlEvery: 15, bigRows: 0, rounds: 3, mode: 'on' },
  { name: 'hot rows only', batch: 0, ddlEvery: 1000, bigRows: 0, rounds: 2, mode: 'on' },
  { name: 'bigger datadir, heavy inserts', batch: 40, ddlEvery: 25, bigRows: 20_000, rounds: 2, mode: 'on' },
  { name: 'ten rounds allowed', batch: 3, ddlEvery: 7, bigRows: 0, rounds: 10, mode: 'on' },
];

let c: Cluster;
let donor: ClusterNode;
let joiner: ClusterNode;

const SCHEMA = [
  'CREATE DATABASE IF NOT EXISTS wl',
  // The Sequence engine's seq_1_to_N tables live in the current database.
  'USE wl',
  'CREATE TABLE wl.ctl (stop INT NOT NULL) ENGINE=InnoDB',
  'INSERT INTO wl.ctl VALUES (0)',
  'CREATE TABLE wl.hot (id INT PRIMARY KEY, v BIGINT NOT NULL, pad VARCHAR(200)) ENGINE=InnoDB',
  'INSERT INTO wl.hot SELECT seq, 0, REPEAT("x", 100) FROM seq_1_to_200',
  'CREATE TABLE wl.grow (id INT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(255)) ENGINE=InnoDB',
  'CREATE TABLE wl.aria (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=Aria',
  'CREATE TABLE wl.myisam (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=MyISAM',
  'CREATE TABLE wl.rebuilt (id INT PRIMARY KEY, v INT) ENGINE=InnoDB',
  'INSERT INTO wl.rebuilt SELECT seq, seq FROM seq_1_to_2000',
  'CREATE TABLE wl.trunc (id INT PRIMARY KEY, v INT) ENGINE=InnoDB',
  'CREATE TABLE wl.ren_a (id INT PRIMARY KEY) ENGINE=InnoDB',
  'INSERT INTO wl.ren_a SELECT seq FROM seq_1_to_50',
].join(';');

/** The load, as one stored procedure a background client calls: it runs until wl.ctl says stop. */
const PROCEDURE = `CREATE PROCEDURE wl.run(IN batch INT, IN ddl_every INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE (SELECT stop FROM wl.ctl) = 0 DO
    SET i = i + 1;
    UPDATE wl.hot SET v = v + 1, pad = MD5(i) WHERE id = 1 + (i MOD 200);
    UPDATE wl.hot SET v = v + 1 WHERE id = 1;
    IF batch > 0 THEN
      INSERT INTO wl.grow (pad) SELECT REPEAT(MD5(seq + i), 7) FROM seq_1_to_1000 WHERE seq <= batch;
      DELETE FROM wl.grow WHERE id MOD 11 = i MOD 11 ORDER BY id LIMIT 2;
    END IF;
    INSERT INTO wl.aria (v) VALUES (i);
    INSERT INTO wl.myisam (v) VALUES (i);
    UPDATE wl.rebuilt SET v = v + 1 WHERE id = 1 + (i MOD 2000);
    IF i MOD ddl_every = 0 THEN
      CREATE TABLE IF NOT EXISTS wl.created (id INT PRIMARY KEY) ENGINE=InnoDB;
      INSERT IGNORE INTO wl.created VALUES (i);
      DROP TABLE IF EXISTS wl.dropped;
      CREATE TABLE wl.dropped (id INT PRIMARY KEY, pad VARCHAR(100)) ENGINE=InnoDB;
      INSERT INTO wl.dropped VALUES (i, MD5(i));
      IF (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'wl' AND table_name = 'ren_a') = 1 THEN
        RENAME TABLE wl.ren_a TO wl.ren_b;
      ELSE
        RENAME TABLE wl.ren_b TO wl.ren_a;
      END IF;
      ALTER TABLE wl.rebuilt FORCE;
      TRUNCATE TABLE wl.trunc;
      INSERT INTO wl.trunc SELECT seq, i FROM seq_1_to_100;
    END IF;
  END WHILE;
END`;

/** A background client running the load on the donor; resolves when the procedure returns. */
function startLoad(l: Load): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  c.sql(donor, 'UPDATE wl.ctl SET stop = 0');
  const child = spawn(
    'mariadb',
    ['--no-defaults', `--socket=${donor.socket}`, '-uroot', '-N', '-B', '-e', `CALL wl.run(${l.batch}, ${l.ddlEvery})`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  return { child, done };
}

const SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')";

function userTables(n: ClusterNode): string[] {
  const out = c.sql(
    n,
    `SELECT CONCAT('\`', table_schema, '\`.\`', table_name, '\`') FROM information_schema.tables ` +
      `WHERE table_schema NOT IN ${SYSTEM} AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return out === '' ? [] : out.split('\n');
}

function assertEqualEverywhere(context: string): void {
  const tables = userTables(donor);
  assert.deepEqual(userTables(joiner), tables, `the same tables on both nodes\n${context}`);
  assert.ok(tables.length >= 10, `the load's tables are there: ${tables.join(', ')}`);
  for (const t of tables) {
    const q = `SELECT COUNT(*) FROM ${t}; CHECKSUM TABLE ${t}`;
    assert.equal(c.sql(joiner, q), c.sql(donor, q), `${t} differs between donor and joiner\n${context}`);
    const check = c.sql(joiner, `CHECK TABLE ${t}`);
    assert.match(check, /\tstatus\tOK$/m, `CHECK TABLE ${t} on the joiner: ${check}`);
  }
}

before(async () => {
  ({ c } = await bootstrap(
    'precopy',
    [
      { name: 'node1', ip: '127.0.0.151' },
      { name: 'node2', ip: '127.0.0.152' },
    ],
    (_c, ns) => {
      for (const n of ns) {
        n.spec.mysqld = {
          ...n.spec.mysqld,
          wsrep_mode: 'REPLICATE_MYISAM,REPLICATE_ARIA',
          log_bin: '',
          wsrep_sst_donor: 'node1',
        };
      }
    },
  ));
  [donor, joiner] = c.nodes as [ClusterNode, ClusterNode];
  c.sql(donor, SCHEMA);
  // The client splits -e on `;`: the procedure's body goes in on stdin, after a DELIMITER line.
  const r = spawnSync('mariadb', ['--no-defaults', `--socket=${donor.socket}`, '-uroot', 'wl'], {
    input: `DELIMITER //\n${PROCEDURE}//\n`,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});

after(() => destroyCluster());

describe('precopy under a write load on the donor: the joiner equals the donor', { timeout: 3_600_000 }, () => {
  for (const [i, l] of LOADS.entries()) {
    test(`SST ${i + 1}: ${l.name}`, async () => {
      if (joiner.process !== undefined) {
        await c.stop(joiner);
        rmSync(joiner.datadir, { recursive: true, force: true });
      }
      donor.spec.sst = {
        tca: c.pki.caCert,
        tcert: donor.cert.bundle,
        precopy: l.mode,
        'precopy-rounds': String(l.rounds),
      };
      c.writeConfigs();
      if (l.bigRows > 0)
        c.sql(
          donor,
          `USE shop; INSERT INTO shop.orders SELECT seq + 1000000 * ${i}, seq % 977, REPEAT(SHA1(seq), 6) ` +
            `FROM seq_1_to_${l.bigRows}`,
        );
      const donorLinesBefore = sstLines(c, donor).length;
      const joinerLogBefore = c.log(joiner).length;
      const load = startLoad(l);
      // The load is running before the joiner asks for its SST.
      await waitFor(
        () => Number(c.sql(donor, 'SELECT COUNT(*) FROM wl.myisam')) > 0 || load.child.exitCode !== null,
        30_000,
      );
      c.start(joiner);
      await c.waitSynced(joiner);
      c.sql(donor, 'UPDATE wl.ctl SET stop = 1');
      const ended = await load.done;
      const donorLog = sstLines(c, donor).slice(donorLinesBefore).join('\n');
      const context = `--- donor SST lines ---\n${donorLog}\n--- joiner tail ---\n${c.tail(joiner, 40)}`;
      assert.equal(ended.code, 0, `the load ran without error: ${ended.stderr}`);
      await waitFor(
        () => c.status(joiner, 'wsrep_last_committed') === c.status(donor, 'wsrep_last_committed'),
        120_000,
      );
      assert.match(donorLog, /precopy round 1 of at most \d+: .*donor writable/, context);
      assert.match(donorLog, /tables were locked for [\d.]+ s \(precopy/, context);
      if (l.mode === 'verify') assert.doesNotMatch(donorLog, /precopy verify: (?!%n)\S.* differed/, context);
      assertEqualEverywhere(context);
      const joinerLog = c.log(joiner).slice(joinerLogBefore);
      assert.doesNotMatch(joinerLog, /\[ERROR\] InnoDB|corrupt/i, `no InnoDB error on the joiner\n${context}`);
      const locked = /tables were locked for ([\d.]+) s/.exec(donorLog)?.[1];
      console.log(
        `# SST ${i + 1} (${l.name}): tables locked ${locked} s; ${donorLog
          .split('\n')
          .filter((x) => /precopy (round|catch-up under)/.test(x))
          .map((x) => x.replace(/^.*WSREP_SST: \[INFO\] /, '').replace(/ \(\d{8} [\d:.]+\)$/, ''))
          .join(' | ')}`,
      );
    });
  }
});
