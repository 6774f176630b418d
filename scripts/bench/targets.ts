/** `make bench`: the targets of docs/architecture.md §10.2, judged by this run. */
import type { Dataset } from './datasets';
import { fmt, MiB, per, ratio, table } from './figures';
import type { Method } from './methods';
import type { SummaryOf } from './summary';
import { lockTargetRows } from './locks';
import type { Run } from './transfer';

const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'MET' : 'NOT MET');
const sizeNote = (d: Dataset, want: number): string =>
  Math.abs(d.gb / want - 1) > 0.25 ? ` [dataset ${d.gb} GB, not ~${want} GB: indicative only]` : '';

/** At ~4 GB (and, informative, ~3 GB in one table): faster than rsync + stunnel, at most 1.15× plain rsync. */
function speedRows(many: Dataset | undefined, one: Dataset | undefined, sum: SummaryOf): string[][] {
  const rows: string[][] = [];
  if (many === undefined) rows.push(['~4 GB, many tables', 'dataset "many" not run', verdict(undefined)]);
  for (const d of [many, one]) {
    if (d === undefined) continue;
    const [p, s, o] = [sum(d, 'plain')?.synced, sum(d, 'stunnel')?.synced, sum(d, 'ours')?.synced];
    const scope = d.name === 'many' ? '~4 GB, many tables' : '~3 GB, one table (informative)';
    const want = d.name === 'many' ? 4 : 3;
    rows.push([
      `${scope}: ours faster than rsync + stunnel (start→Synced)`,
      `${fmt(o)} s vs ${fmt(s)} s (${ratio(o, s)})${sizeNote(d, want)}`,
      verdict(o === undefined || s === undefined ? undefined : o < s),
    ]);
    rows.push([
      `${scope}: ours ≤ 1.15 × plain rsync (start→Synced)`,
      `${fmt(o)} s vs ${fmt(p)} s (${ratio(o, p)})${sizeNote(d, want)}`,
      verdict(o === undefined || p === undefined ? undefined : o <= 1.15 * p),
    ]);
  }
  return rows;
}

/** At ~20 MB: our joiner script at most 0.7× plain rsync's. */
function smallRow(small: Dataset | undefined, sum: SummaryOf): string[] {
  if (small === undefined)
    return ["~20 MB: ours joiner script ≤ 0.7 × plain rsync's", 'dataset "small" not run', verdict(undefined)];
  const [p, o] = [sum(small, 'plain')?.joiner, sum(small, 'ours')?.joiner];
  return [
    "~20 MB: ours joiner script ≤ 0.7 × plain rsync's",
    `${fmt(o, 2)} s vs ${fmt(p, 2)} s (${ratio(o, p)})${sizeNote(small, 0.02)}`,
    verdict(o === undefined || p === undefined ? undefined : o <= 0.7 * p),
  ];
}

/** The tunnel's CPU per GiB on the largest dataset, and this release against the previous one. */
function releaseRows(ran: readonly Dataset[], big: Dataset | undefined, sum: SummaryOf): string[][] {
  const rows: string[][] = [];
  if (big !== undefined) {
    const o = sum(big, 'ours')?.cpu;
    const s = sum(big, 'stunnel')?.cpu;
    rows.push([
      `tunnel CPU-s per GiB reported (${big.name}; "lowered": compare with the previous release's run)`,
      `socat donor ${fmt(o?.['donor socat'], 2)}, joiner ${fmt(o?.['joiner socat'], 2)}; stunnel donor ` +
        `${fmt(s?.['donor stunnel'], 2)}, joiner ${fmt(s?.['joiner stunnel'], 2)}`,
      o === undefined ? verdict(undefined) : 'REPORTED',
    ]);
  }
  for (const d of ran) {
    const [o, v] = [sum(d, 'ours'), sum(d, 'previous')];
    if (v === undefined) continue;
    rows.push([
      `${d.name}: this release against the previous one (start→Synced; joiner script)`,
      `${fmt(o?.synced)} s vs ${fmt(v.synced)} s (${ratio(o?.synced, v.synced)}); ${fmt(o?.joiner, 2)} s vs ` +
        `${fmt(v.joiner, 2)} s (${ratio(o?.joiner, v.joiner)})`,
      'INFO',
    ]);
  }
  if (big !== undefined && sum(big, 'previous') !== undefined) {
    const tunnel = (m: Method): number | undefined => {
      const cpu = sum(big, m)?.cpu;
      const [d, j] = [cpu?.['donor socat'], cpu?.['joiner socat']];
      return d === undefined || j === undefined ? undefined : d + j;
    };
    const [o, v] = [tunnel('ours'), tunnel('previous')];
    // Runs of one build differ by a few percent: only a lower figure past that counts as lowered.
    rows.push([
      `tunnel CPU-s per GiB lowered by over 5 % (${big.name}): socat, donor + joiner, against the previous release`,
      `${fmt(o, 2)} vs ${fmt(v, 2)} (${ratio(o, v)})`,
      verdict(o === undefined || v === undefined ? undefined : o < 0.95 * v),
    ]);
  }
  return rows;
}

/** The rate-limited run of the largest dataset: achieved copy rate within 10 % of rlimit. */
function rateRow(runs: readonly Run[], rate: number, rlimitSupported: boolean | undefined): string[] {
  const limited = runs.filter((r) => r.method === 'ours-rlimit' && r.rateLimitLogged && r.copy !== undefined);
  const largest = limited.sort((a, b) => b.datadirBytes - a.datadirBytes)[0];
  const achieved = largest === undefined ? undefined : per(largest.datadirBytes, largest.copy);
  return [
    `rate limit: achieved copy rate within 10 % of rlimit (largest dataset)`,
    rlimitSupported === false
      ? 'binary does not log a rate limit: not supported'
      : `${largest?.dataset ?? '-'}: ${fmt(achieved === undefined ? undefined : achieved / MiB)} MiB/s vs ` +
        `${(rate / MiB).toFixed(1)} MiB/s (${ratio(achieved, rate)})`,
    verdict(achieved === undefined ? undefined : Math.abs(achieved / rate - 1) <= 0.1),
  ];
}

export function targets(
  ran: readonly Dataset[],
  sum: SummaryOf,
  rate: number | undefined,
  runs: readonly Run[],
  rlimitSupported: boolean | undefined,
): void {
  const many = ran.find((d) => d.name === 'many');
  const one = ran.find((d) => d.name === 'one');
  const rows = [
    ...speedRows(many, one, sum),
    smallRow(
      ran.find((d) => d.name === 'small'),
      sum,
    ),
    ...releaseRows(ran, many ?? one, sum),
    ...(rate === undefined ? [] : [rateRow(runs, rate, rlimitSupported)]),
    ...lockTargetRows(many, runs),
  ];
  console.log('\n=== targets (docs/architecture.md §10.2), judged by this run ===');
  console.log(table(['target', 'measured (medians)', 'verdict'], rows, 3));
}
