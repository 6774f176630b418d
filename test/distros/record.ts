/**
 * Fixtures recorded from the real servers of make test-distros: how Debian's
 * MariaDB 10.5 and 11.8 start this program (the command line mariadbd logs, the
 * argv, the WSREP_* environment, stdin) and which option groups the program then
 * read. record-sst.pl sits in front of the executable during the first full SST;
 * the recording, with the run's own values (paths, ports, PIDs, UUID, secrets)
 * replaced by placeholders, must equal test/fixtures/mariadb/recorded/<suite>.json
 * (SST_RECORD_FIXTURES=1 rewrites that file), and the hand-written fixture of the
 * series in versions.ts must agree with it on what reaches the program.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseArgs } from '../../src/cli/args';
import type { Cluster, ClusterNode } from '../e2e/cluster';
import { sstLines } from '../e2e/harness';
import { MARIADB_FIXTURES } from '../fixtures/mariadb/versions';
import { repoRoot } from '../helpers/binary';
import type { DistroRelease } from './root';

const PROGRAM = 'wsrep_sst_rsync_tunnel';

export interface RecordedInvocation {
  /**
   * What mariadbd logged as `WSREP: Running: '…'`, the command line it hands to `sh -c`; null: it logs none (11.8's
   * donor).
   */
  commandLine: string | null;
  argv: string[];
  env: Record<string, string>;
  /** What mariadbd wrote on a stdin pipe; null: stdin was inherited, not a pipe. */
  stdin: string | null;
  /** The program's own log line naming the option groups it read, with the version it found. */
  optionGroups: string;
}

export interface RecordedFixture {
  suite: string;
  series: string;
  /** SELECT VERSION(): informative, not compared (a rebuilt cache may carry a later point release). */
  server: string;
  joiner: RecordedInvocation;
  donor: RecordedInvocation;
}

/**
 * Puts record-sst.pl in front of the cluster's executable; call before the configs are written (they chown the tree).
 */
export function installRecorder(c: Cluster): void {
  const real = join(c.bin, 'sst-real');
  fs.mkdirSync(real);
  fs.renameSync(join(c.bin, PROGRAM), join(real, PROGRAM));
  fs.copyFileSync(join(repoRoot(), 'test', 'distros', 'record-sst.pl'), join(c.bin, PROGRAM));
  fs.chmodSync(join(c.bin, PROGRAM), 0o755);
  fs.mkdirSync(join(c.bin, 'record'));
}

function placeholders(c: Cluster): (text: string) => string {
  const ports = c.nodes.flatMap(
    (n, i) =>
      [
        [n.port, `<port${i + 1}>`],
        [n.sstPort, `<sst-port${i + 1}>`],
        [n.galeraPort, `<galera-port${i + 1}>`],
        [n.istPort, `<ist-port${i + 1}>`],
      ] as const,
  );
  return (text) => {
    let s = text.replaceAll(c.inner(c.root), '/srv/cluster');
    s = s
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/<uuid>:\d+/g, '<uuid>:<seqno>');
    s = s.replace(/--parent '?\d+'?/g, '--parent <pid>').replace(/\/proc\/\d+\//g, '/proc/<pid>/');
    for (const [port, name] of ports) s = s.replace(new RegExp(`\\b${port}\\b`, 'g'), name);
    return s;
  };
}

/** Secrets and the temporary user's timestamp differ on every run. */
function withoutSecrets(
  env: Record<string, string>,
  stdin: string | null,
): { env: Record<string, string>; stdin: string | null } {
  const e = { ...env };
  if (e.WSREP_SST_OPT_REMOTE_AUTH !== undefined)
    e.WSREP_SST_OPT_REMOTE_AUTH = e.WSREP_SST_OPT_REMOTE_AUTH.replace(/:.*/, ':<secret>');
  const s = stdin
    ?.replace(/^sst_password=.*$/m, 'sst_password=<password>')
    .replace(/^sst_remote_password=.*$/m, 'sst_remote_password=<secret>')
    .replace(/^sst_user=wsrep\.sst\.\d{6}_\d{6}_/m, 'sst_user=wsrep.sst.<yymmdd_HHMMSS>_');
  return { env: e, stdin: s ?? null };
}

function invocation(c: Cluster, n: ClusterNode, role: 'joiner' | 'donor'): RecordedInvocation {
  const dir = join(c.bin, 'record');
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${role}-`) && f.endsWith('.json'));
  assert.ok(files.length >= 1, `no ${role} recording in ${dir}`);
  const raw = JSON.parse(fs.readFileSync(join(dir, files.sort()[0] ?? ''), 'utf8')) as {
    argv: string[];
    env: Record<string, string>;
    stdin: string | null;
  };
  const running = c
    .log(n)
    .split('\n')
    .map((l) => /WSREP: Running: '(.*)'\s*$/.exec(l)?.[1])
    .find((cmd) => cmd?.includes(`--role '${role}'`));
  const groups = sstLines(c, n)
    .map((l) => /option groups read: (.*?) \(\d{8} [\d:.]+\)\s*$/.exec(l)?.[1])
    .find((g) => g !== undefined);
  assert.ok(groups !== undefined, `no option-groups line on the ${role}\n${c.tail(n)}`);
  // Our parser reads the real argv, before the placeholders.
  const parsed = parseArgs(raw.argv);
  assert.ok(parsed.kind === 'sst' && parsed.args.role === role, `${role}: ${raw.argv.join(' ')}`);
  const p = placeholders(c);
  const { env, stdin } = withoutSecrets(raw.env, raw.stdin);
  return {
    commandLine: running === undefined ? null : p(running),
    argv: raw.argv.map((a, i) => (raw.argv[i - 1] === '--parent' ? '<pid>' : p(a))),
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, p(v)])),
    stdin: stdin === null ? null : p(stdin),
    optionGroups: p(groups),
  };
}

/** The first SST's recording, donor `d` to joiner `j`. */
export function recordedFixture(
  c: Cluster,
  d: ClusterNode,
  j: ClusterNode,
  server: string,
  release: DistroRelease,
): RecordedFixture {
  return {
    suite: release.suite,
    series: release.series,
    server,
    joiner: invocation(c, j, 'joiner'),
    donor: invocation(c, d, 'donor'),
  };
}

function stdinKeys(stdin: string | null): string[] | null {
  return stdin === null
    ? null
    : stdin
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/=.*/, ''));
}

export function checkFixture(rec: RecordedFixture, t: TestContext): void {
  const file = join(repoRoot(), 'test', 'fixtures', 'mariadb', 'recorded', `debian-${rec.suite}.json`);
  if (process.env.SST_RECORD_FIXTURES === '1') {
    fs.mkdirSync(join(file, '..'), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`);
    t.diagnostic(`recorded ${file}`);
  } else {
    assert.ok(fs.existsSync(file), `${file} missing: record it with SST_RECORD_FIXTURES=1 make test-distros`);
    const committed = JSON.parse(fs.readFileSync(file, 'utf8')) as RecordedFixture;
    if (committed.server !== rec.server) t.diagnostic(`recorded from ${committed.server}, this run has ${rec.server}`);
    assert.deepEqual(
      { ...rec, server: committed.server },
      committed,
      `MariaDB ${rec.server} no longer starts the program as ${file} says`,
    );
  }
  // The hand-written fixture of this series (versions.ts) must describe what reaches the program as the server does.
  const f = MARIADB_FIXTURES.find((x) => x.series === rec.series);
  assert.ok(f !== undefined, `versions.ts has no ${rec.series} fixture`);
  assert.deepEqual(Object.keys(rec.joiner.env).sort(), Object.keys(f.joiner.env).sort(), 'joiner environment');
  assert.deepEqual(Object.keys(rec.donor.env).sort(), Object.keys(f.donor.env).sort(), 'donor environment');
  assert.deepEqual(stdinKeys(rec.joiner.stdin), stdinKeys(f.joiner.stdin), 'joiner stdin');
  assert.deepEqual(stdinKeys(rec.donor.stdin), stdinKeys(f.donor.stdin), 'donor stdin');
  assert.equal(/^sst_user=wsrep\.sst\./m.test(rec.donor.stdin ?? ''), f.temporarySstUser, 'temporary SST user');
  assert.match(
    rec.joiner.optionGroups,
    new RegExp(`\\bmariadb-${rec.series.replace('.', '\\.')}\\b.*server version ${rec.series.replace('.', '\\.')} `),
  );
}
