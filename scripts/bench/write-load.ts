/**
 * `make bench`: a write load on the donor while a node joins, the case precopy is for
 * (docs/protocol.md §3.3.1). One background client calls a stored procedure that updates random
 * rows of a twentieth of the dataset's tables (2 of the 48 of "many") until bench_load.ctl says
 * stop, pausing 10 ms every 20 updates so it takes a share of a CPU, not all of it. mariadbd
 * holds its updates while the donor's tables are locked, as it would an application's.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import type { Cluster, ClusterNode } from '../../test/e2e/cluster';
import type { Dataset } from './datasets';
import { sleep } from './datasets';

/** The tables the load writes: a twentieth of the dataset's, at least 2; none when that is most of the data. */
export function loadedTables(d: Dataset): string[] {
  const n = Math.max(2, Math.round(d.tables.length / 20));
  return n * 4 > d.tables.length ? [] : d.tables.slice(0, n);
}

function procedure(tables: readonly string[]): string {
  // The row is picked first: RAND() in the WHERE clause would be evaluated per row, a scan of the table.
  const set = 'SET k = k + 1, payload = REPEAT(SHA1(i), 8)';
  const updates = tables
    .map((t, i) => `SET r = 1 + FLOOR(RAND() * rows_${i});\n    UPDATE ${t} ${set} WHERE id = r;`)
    .join('\n    ');
  const declares = tables.map((_, i) => `DECLARE rows_${i} INT DEFAULT 0;`).join('\n  ');
  const counts = tables.map((t, i) => `SET rows_${i} = (SELECT MAX(id) FROM ${t});`).join('\n  ');
  return `CREATE PROCEDURE bench_load.run()
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE r INT DEFAULT 0;
  ${declares}
  ${counts}
  WHILE (SELECT stop FROM bench_load.ctl) = 0 DO
    SET i = i + 1;
    ${updates}
    IF i MOD 20 = 0 THEN DO SLEEP(0.01); END IF;
  END WHILE;
  UPDATE bench_load.ctl SET updates = i;
END`;
}

export interface WriteLoad {
  tables: string[];
  /** Ends the load; how many rounds of updates it made. */
  stop: () => Promise<number>;
}

/** Starts the load on `donor`; resolves once its first updates are in. */
export async function startWriteLoad(c: Cluster, donor: ClusterNode, d: Dataset): Promise<WriteLoad> {
  const tables = loadedTables(d);
  c.sql(
    donor,
    'CREATE DATABASE IF NOT EXISTS bench_load; DROP PROCEDURE IF EXISTS bench_load.run; ' +
      'CREATE TABLE IF NOT EXISTS bench_load.ctl (id INT PRIMARY KEY, stop INT NOT NULL, updates INT NOT NULL) ' +
      'ENGINE=InnoDB; REPLACE INTO bench_load.ctl VALUES (1, 0, 0)',
  );
  // The client splits -e on `;`: the procedure's body goes in on stdin, after a DELIMITER line.
  const made = spawnSync('mariadb', ['--no-defaults', `--socket=${donor.socket}`, '-uroot'], {
    input: `DELIMITER //\n${procedure(tables)}//\n`,
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`creating the write load's procedure failed: ${made.stderr}`);
  const child = spawn(
    'mariadb',
    ['--no-defaults', `--socket=${donor.socket}`, '-uroot', '-N', '-B', '-e', 'CALL bench_load.run()'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ended = exitOf(child);
  const started = c.status(donor, 'Innodb_rows_updated');
  for (let i = 0; i < 100 && c.status(donor, 'Innodb_rows_updated') === started && child.exitCode === null; i++)
    await sleep(50);
  return {
    tables,
    stop: async () => {
      c.sql(donor, 'UPDATE bench_load.ctl SET stop = 1');
      const { code, stderr } = await ended;
      if (code !== 0) throw new Error(`the write load failed (exit ${String(code)}): ${stderr}`);
      return Number(c.sql(donor, 'SELECT updates FROM bench_load.ctl'));
    },
  };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

/** Once the joiner has applied every write the donor committed: both report the same wsrep_last_committed. */
export async function waitSameCommitted(c: Cluster, donor: ClusterNode, joiner: ClusterNode): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const d = c.status(donor, 'wsrep_last_committed');
    if (d !== undefined && d === c.status(joiner, 'wsrep_last_committed')) return;
    if (Date.now() > deadline) throw new Error(`the joiner did not catch up with the donor's writes in 10 min`);
    await sleep(200);
  }
}
