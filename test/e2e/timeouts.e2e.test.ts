/**
 * The joiner's opt-in timeouts under a real cluster: a donor that never comes (its SST program
 * frozen with SIGSTOP before it connects) and a transfer frozen with SIGSTOP. Each time the
 * joiner's program exits 110, mariadbd logs that code, nothing of the SST is left running, and
 * the donor is Synced again with its data intact.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { listeningPortsOf, taggedProcesses } from '../helpers/procs';
import type { Cluster, ClusterNode } from './cluster';
import { bootstrap, destroyCluster, leftoverProcesses, TABLES, waitFor } from './harness';

const stopped = new Set<number>();

function signal(pids: Iterable<number>, sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Exited meanwhile.
    }
  }
}

/** Resumes every process a test froze. */
function thaw(): void {
  signal(stopped, 'SIGCONT');
  stopped.clear();
}

afterEach(async () => {
  thaw();
  await destroyCluster();
});

function checksums(c: Cluster, n: ClusterNode): string {
  return TABLES.map((t) => c.sql(n, `SELECT COUNT(*) FROM ${t}; CHECKSUM TABLE ${t}`)).join('\n');
}

/** `Process completed with error: wsrep_sst_rsync_tunnel --role 'joiner' …: N (…)`, as mariadbd logs our exit. */
function joinerExitLogged(c: Cluster, n: ClusterNode): number | undefined {
  const m = /Process completed with error: wsrep_sst_rsync_tunnel --role 'joiner'.*: (\d+) \(/.exec(c.log(n));
  return m ? Number(m[1]) : undefined;
}

const errorLines = (c: Cluster, n: ClusterNode): string[] =>
  c
    .log(n)
    .split('\n')
    .filter((l) => l.startsWith('WSREP_SST: [ERROR]'));

/** Our program's processes in one role (its real argv, not mariadbd's quoted command line). */
const programs = (c: Cluster, role: 'joiner' | 'donor'): number[] =>
  taggedProcesses(c.tag)
    .filter((t) => new RegExp(`wsrep_sst_rsync_tunnel --role ${role} `).test(t.cmdline))
    .map((t) => t.pid);

function twoNodes(
  name: string,
  joinerSst: Record<string, string>,
  octet: number,
  donorSst: Record<string, string> = {},
): Promise<{ c: Cluster; n1: ClusterNode; n2: ClusterNode }> {
  // Weight 2: the donor keeps quorum alone when the joiner aborts.
  return bootstrap(
    name,
    [
      { name: 'node1', ip: `127.0.2.${octet}`, provider: 'pc.weight=2' },
      { name: 'node2', ip: `127.0.2.${octet + 1}` },
    ],
    (c, ns) => {
      const [n1, n2] = [ns[0]!, ns[1]!];
      n1.spec.sst = { tca: c.pki.caCert, tcert: n1.cert.bundle, ...donorSst };
      n2.spec.sst = { tca: c.pki.caCert, tcert: n2.cert.bundle, ...joinerSst };
    },
  ).then(({ c, nodes }) => ({ c, n1: nodes[0]!, n2: nodes[1]! }));
}

/**
 * After the joiner gave up, with what was frozen resumed: 110 logged by mariadbd, one ERROR line, nothing left, the
 * donor Synced and intact.
 */
async function assertTimedOut(
  c: Cluster,
  n1: ClusterNode,
  n2: ClusterNode,
  before: string,
  message: RegExp,
): Promise<void> {
  thaw();
  const timer = setTimeout(() => void c.kill(n2), 180_000);
  await n2.exited;
  clearTimeout(timer);
  await waitFor(() => joinerExitLogged(c, n2) !== undefined, 30_000).catch(() => undefined);
  assert.equal(joinerExitLogged(c, n2), 110, c.tail(n2, 40));
  const errors = errorLines(c, n2);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0] ?? '', message);
  // mariadbd 10.11 logs "SST succeeded for position 00000000-…:-1" after a failed joiner script, then aborts.
  assert.doesNotMatch(
    c.log(n2),
    /rsync (SST|IST) completed on joiner|SST succeeded for position (?!00000000-0000-0000-0000-000000000000:-1)/,
    'the joiner must never report success',
  );
  await c.waitSynced(n1, 120_000);
  assert.deepEqual(await leftoverProcesses(c, 30_000), [], 'no socat, rsync or SST program may outlive the failed SST');
  assert.equal(listeningPortsOf(c.tag).includes(n2.sstPort), false, 'nothing of ours listens on the SST port any more');
  assert.equal(checksums(c, n1), before, 'the donor data is untouched');
}

describe('joiner timeouts in a real cluster', { timeout: 900_000 }, () => {
  test(
    'a donor that never comes (its SST program frozen with SIGSTOP before it connects) → the joiner exits 110 ' +
      'after sst-initial-timeout',
    async () => {
      const { c, n1, n2 } = await twoNodes('t-initial', { 'sst-initial-timeout': '5' }, 10);
      const before = checksums(c, n1);
      c.start(n2);
      // The donor's program needs about a second before its first connection: freeze it at once.
      const deadline = Date.now() + 180_000;
      while (stopped.size === 0 && Date.now() < deadline) {
        const pids = programs(c, 'donor');
        for (const p of pids) stopped.add(p);
        signal(pids, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(stopped.size > 0, "the donor's SST program was frozen");
      const frozenAt = Date.now();
      await waitFor(() => programs(c, 'joiner').length === 0, 60_000);
      const waited = (Date.now() - frozenAt) / 1000;
      assert.ok(waited < 15, `the joiner gave up ${waited} s after the donor's program was frozen`);
      assert.doesNotMatch(c.log(n2), /the donor connected and authenticated/);
      // Thawed, the donor finds no joiner, fails, and its node goes back to Synced.
      await assertTimedOut(
        c,
        n1,
        n2,
        before,
        new RegExp(
          String.raw`sst-initial-timeout=5: no donor connected and authenticated within 5 s of ready\. .*FLUSH ` +
            'TABLES WITH READ LOCK',
        ),
      );
      console.log(
        `# timeout 'donor never comes': the joiner gave up ${waited.toFixed(1)} s after the donor's program was frozen`,
      );
    },
  );

  test(
    'a transfer frozen with SIGSTOP → the joiner exits 110 ' +
      "after sst-idle-timeout; progress lines in the joiner's log",
    async () => {
      // rlimit holds the donor's copy (its redo log and system tablespace alone are 28 MiB) to at least 7 s
      // on any machine, so the freeze below lands mid-copy; the donor's program is frozen too, or its rate limiter
      // would resume its rsyncs.
      const { c, n1, n2 } = await twoNodes('t-idle', { 'sst-idle-timeout': '3', 'progress-interval': '1' }, 20, {
        rlimit: '4m',
      });
      const before = checksums(c, n1);
      const donorRsyncs = (): number[] =>
        taggedProcesses(c.tag)
          .filter((t) => /^\/usr\/bin\/rsync --password-file=/.test(t.cmdline))
          .map((t) => t.pid);
      c.start(n2);
      // Once the joiner has seen the donor authenticate, freeze the donor's program and every rsync of it, until the
      // joiner gives up.
      await waitFor(() => /the donor connected and authenticated/.test(c.log(n2)), 180_000);
      const frozenAt = Date.now();
      while (programs(c, 'joiner').length > 0 && Date.now() - frozenAt < 60_000) {
        const pids = [...programs(c, 'donor'), ...donorRsyncs()].filter((p) => !stopped.has(p));
        for (const p of pids) stopped.add(p);
        signal(pids, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 20));
      }
      const quiet = (Date.now() - frozenAt) / 1000;
      assert.ok(stopped.size > 0, 'a donor rsync was frozen');
      assert.ok(quiet >= 2.9, `the joiner gave up ${quiet} s after the freeze: too early`);
      assert.ok(quiet < 15, `the joiner gave up ${quiet} s after the freeze: too late`);
      await assertTimedOut(
        c,
        n1,
        n2,
        before,
        new RegExp(
          String.raw`sst-idle-timeout=3: nothing received for [\d.]+ s, .* received in the [\d.]+ s since the ` +
            "donor's first connection",
        ),
      );
      assert.match(
        c.log(n2),
        /WSREP_SST: \[INFO\] received [\d.]+ (B|KiB|MiB|GiB), [\d.]+ (B|KiB|MiB|GiB)\/s/,
        'progress lines in the joiner log',
      );
      console.log(`# timeout 'transfer frozen': the joiner gave up ${quiet.toFixed(1)} s after the freeze`);
    },
  );
});
