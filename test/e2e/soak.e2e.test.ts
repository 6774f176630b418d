/**
 * Soak: ten full SSTs back to back on one pair of nodes (docs/architecture.md §8.7). Whatever an SST leaks
 * (a descriptor inherited by mariadbd, a straggling socat or rsync, a temp directory, a socket
 * still listening) adds up over rounds, so after each round the same four things are measured
 * and the last round is compared with the first.
 *
 * Each round stops node 2, removes its grastate.dat (so mariadbd asks for a full SST instead of
 * IST) and restarts it. The cluster gets a TMPDIR of its own: other test runs on the machine
 * create `wsrep_sst_rsync_tunnel.*` in /tmp at the same time, and only a private one makes the
 * count exact.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { listenersOf, taggedProcesses } from '../helpers/procs';
import { PROVIDER, type Cluster, type ClusterNode } from './cluster';
import { bootstrap, destroyCluster, sstLines, waitFor } from './harness';
import { toolSkip } from '../helpers/tool-skip';

const ROUNDS = 10;
/**
 * mariadbd's own descriptors move between rounds without any leak: the table cache opens .frm/.ibd
 * files as our queries touch them, InnoDB and the binlog rotate files, galera opens and closes
 * connections to the peer. Measured with 10.11.19 on Debian 12: the same count after every round
 * (41 on the donor, 64 on the joiner), the margin is for that noise. A leak of ours costs at least
 * one descriptor per SST (a pipe end to the SST program), i.e. ≥ 9 over the rounds after the first.
 */
const FD_TOLERANCE = 6;

const MISSING = ['/usr/sbin/mariadbd', PROVIDER].filter((f) => !existsSync(f));
const skip = toolSkip('soak', MISSING.length > 0 && `${MISSING.join(', ')} not installed`);

const privateTmp = mkdtempSync(join(tmpdir(), 'e2e-soak-tmp-'));
const savedTmp = process.env.TMPDIR;
afterEach(() => destroyCluster());
after(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(privateTmp, { recursive: true, force: true });
});

interface Sample {
  round: number;
  seconds: number;
  /** Open descriptors of each node's mariadbd. */
  fds: [number, number];
  /** Tagged processes other than the two mariadbd: SST programs, socat, rsync, guards. */
  strays: string[];
  tempDirs: string[];
  /** Listening sockets held by anything of ours but mariadbd. */
  listeners: string[];
}

function fdCount(n: ClusterNode): number {
  const pid = n.process?.pid;
  assert.ok(pid !== undefined, `${n.spec.name} has no mariadbd`);
  return readdirSync(`/proc/${pid}/fd`).length;
}

function measure(c: Cluster, nodes: readonly [ClusterNode, ClusterNode], round: number, seconds: number): Sample {
  const servers = new Set(nodes.map((n) => n.process?.pid));
  return {
    round,
    seconds,
    fds: [fdCount(nodes[0]), fdCount(nodes[1])],
    strays: taggedProcesses(c.tag)
      .filter((p) => !servers.has(p.pid))
      .map((p) => `${p.pid} ${p.cmdline}`),
    tempDirs: readdirSync(privateTmp).filter((f) => f.startsWith('wsrep_sst_rsync_tunnel.')),
    listeners: listenersOf(c.tag)
      .filter((l) => !servers.has(l.pid))
      .map((l) => `${l.pid} ${l.cmdline} :${l.port}`),
  };
}

describe('soak', { skip, timeout: 600_000 }, () => {
  const title = `${ROUNDS} back-to-back full SSTs: descriptors, processes, temp directories and listeners do not grow`;
  test(title, async () => {
    process.env.TMPDIR = privateTmp;
    const { c, nodes } = await bootstrap('soak', [
      { name: 'node1', ip: '127.0.0.91' },
      { name: 'node2', ip: '127.0.0.92' },
    ]);
    const pair = nodes as [ClusterNode, ClusterNode];
    const [n1, n2] = pair;
    const samples: Sample[] = [];
    let sawTempDir = false;
    for (let round = 1; round <= ROUNDS; round++) {
      const started = Date.now();
      if (round > 1) {
        await c.stop(n2);
        rmSync(join(n2.datadir, 'grastate.dat'), { force: true });
        c.sql(n1, `INSERT INTO shop.audit (t) VALUES ('soak round ${round}')`);
      }
      const before = sstLines(c, n2).length;
      // Seen while the SST runs, so that "none left" below is known to look at the right place.
      const watch = setInterval(
        () => (sawTempDir ||= readdirSync(privateTmp).some((f) => f.startsWith('wsrep_sst_rsync_tunnel.'))),
        100,
      );
      c.start(n2);
      await c.waitSynced(n2).finally(() => clearInterval(watch));
      assert.ok(
        sstLines(c, n2)
          .slice(before)
          .some((l) => /rsync SST completed on joiner/.test(l)),
        `round ${round} was no full SST\n${c.tail(n2)}`,
      );
      assert.equal(
        c.sql(n2, `SELECT COUNT(*) FROM shop.audit WHERE t LIKE 'soak round %'`),
        String(Math.max(0, round - 1)),
      );
      // The donor's program may still be removing its directory when the joiner is Synced.
      await waitFor(() => {
        const s = measure(c, pair, round, 0);
        return s.strays.length === 0 && s.tempDirs.length === 0 && s.listeners.length === 0;
      }, 15_000).catch(() => undefined);
      const sample = measure(c, pair, round, (Date.now() - started) / 1000);
      samples.push(sample);
      console.log(
        `soak round ${round}: ${sample.seconds.toFixed(1)} s, fds node1=${sample.fds[0]} node2=` +
          `${sample.fds[1]}, strays=${sample.strays.length}, temp dirs=${sample.tempDirs.length}, listeners=` +
          `${sample.listeners.length}`,
      );
      assert.deepEqual(sample.strays, [], `round ${round}: processes of ours left running`);
      assert.deepEqual(sample.tempDirs, [], `round ${round}: temp directories left behind`);
      assert.deepEqual(sample.listeners, [], `round ${round}: sockets of ours still listening`);
    }
    assert.ok(sawTempDir, `no SST program made its directory in ${privateTmp}: TMPDIR did not reach it`);
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    for (const i of [0, 1] as const) {
      assert.ok(
        last.fds[i] - first.fds[i] <= FD_TOLERANCE,
        `node${i + 1} mariadbd descriptors grew from ${first.fds[i]} to ${last.fds[i]}: ` +
          `${samples.map((s) => s.fds[i]).join(' ')}`,
      );
    }
  });
});
