/**
 * Progress and rate limit under a real cluster: what a DBA sees in the error logs while a node
 * joins with `[sst] progress-interval` and `rlimit` set, and with wsrep_debug on the donor (so
 * mariadbd passes `--progress 1` and reads our `total`/`complete` lines). The donor copies as by
 * default, online first (precopy=on): round 1 is the whole datadir, so its rate is the limit's.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ClusterNode } from './cluster';
import { assertReplicates, assertSameData, bootstrap, destroyCluster, sstLines } from './harness';

afterEach(() => destroyCluster());

const MiB = 1024 * 1024;
const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB, GiB: 1024 * MiB };
const bytes = (value: string, unit: string): number => Number(value) * (UNIT[unit] ?? NaN);
/** `[INFO] precopy round 1: sent 12.0 MiB of 40.0 MiB (30%), 8.0 MiB/s`: the phase, the bytes sent and their unit. */
const PROGRESS_LINE = new RegExp(
  String.raw`\] (?:(precopy [^:]+): )?sent ([\d.]+) (B|KiB|MiB|GiB) of [\d.]+ (?:B|KiB|MiB|GiB) \(\d+%\), ` +
    String.raw`[\d.]+ (?:B|KiB|MiB|GiB)\/s`,
);

describe('progress and rate limit in the error logs', { timeout: 600_000 }, () => {
  test(
    'rlimit=8m, progress-interval=2: the limit is announced, ' + 'progress lines come, the rate stays under the limit',
    async (t) => {
      const { c, nodes } = await bootstrap(
        'progress',
        [
          { name: 'node1', ip: '127.0.0.141' },
          { name: 'node2', ip: '127.0.0.142' },
        ],
        (cl, ns) => {
          for (const n of ns)
            n.spec.sst = { tca: cl.pki.caCert, tcert: n.cert.bundle, 'progress-interval': '2', rlimit: '8m' };
          const [donor] = ns as [ClusterNode];
          donor.spec.mysqld = { ...donor.spec.mysqld, wsrep_debug: '1' };
        },
      );
      const [n1, n2] = nodes as [ClusterNode, ClusterNode];
      c.start(n2);
      await c.waitSynced(n2);
      assertSameData(c, n1, n2);
      assertReplicates(c, n2, n1);

      const donor = sstLines(c, n1);
      const joiner = sstLines(c, n2);
      const context = `--- donor ---\n${donor.join('\n')}\n--- joiner ---\n${joiner.join('\n')}`;
      assert.ok(
        donor.some((l) => /rate limit 8\.0 MiB\/s for the whole SST \(rlimit\).*with this node writable/.test(l)),
        context,
      );
      // With precopy each round and the catch-up count their own bytes, and say which they are.
      const progress = donor.map((l) => PROGRESS_LINE.exec(l)).filter((m) => m !== null);
      assert.ok(progress.length >= 2, `at least two progress lines:\n${context}`);
      assert.ok(
        progress.every((m) => m[1] !== undefined),
        `every progress line names its precopy round or the catch-up:\n${context}`,
      );
      for (const phase of new Set(progress.map((m) => m[1]))) {
        const sent = progress.filter((m) => m[1] === phase).map((m) => bytes(m[2] as string, m[3] as string));
        assert.deepEqual(
          [...sent].sort((a, b) => a - b),
          sent,
          `the bytes sent in ${phase} only grow`,
        );
      }
      const copied = donor
        .map((l) => /precopy round 1 of at most \d+: sent \d+ files, ([\d.]+) (B|KiB|MiB|GiB) in ([\d.]+) s /.exec(l))
        .find((m) => m !== null);
      assert.ok(copied, context);
      const rate = bytes(copied[1] as string, copied[2] as string) / Number(copied[3]);
      t.diagnostic(
        `donor: ${progress.length} progress lines, last: ${progress.at(-1)?.[0] ?? '-'}; average ` +
          `${(rate / MiB).toFixed(2)} MiB/s for rlimit=8m`,
      );
      // Over the whole of round 1, the handshakes included: at most the limit (and its 0.2 s of credit).
      assert.ok(rate <= 8 * MiB * 1.1, `average ${(rate / MiB).toFixed(1)} MiB/s for a limit of 8 MiB/s\n${context}`);
      assert.ok(
        rate >= 8 * MiB * 0.5,
        `average ${(rate / MiB).toFixed(1)} MiB/s: the limit should not slow the copy far below itself\n${context}`,
      );
      assert.ok(
        joiner.some((l) => /\[INFO\] received [\d.]+ (B|KiB|MiB|GiB), [\d.]+ (B|KiB|MiB|GiB)\/s/.test(l)),
        `the joiner's progress lines:\n${context}`,
      );
      // wsrep_debug=1: mariadbd ran the donor with --progress 1 and took our progress lines as such, not as the final
      // line.
      assert.match(c.log(n1), /--progress 1/, 'mariadbd passed --progress 1');
    },
  );
});
