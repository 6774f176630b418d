/**
 * `make bench`: how long each method kept the donor's tables locked, with and without a write load
 * (write-load.ts), and issue 15's targets for it (docs/protocol.md §3.3.1). Pure but for printing.
 */
import type { Dataset } from './datasets';
import { fmt, medianOf, ratio, table } from './figures';
import { COMPARED, METHODS, type Method } from './methods';
import type { Run } from './transfer';

interface Locks {
  n: number;
  server?: number;
  script?: number;
  synced?: number;
}

function locks(runs: readonly Run[], d: Dataset, m: Method, loaded: boolean): Locks | undefined {
  const rs = runs.filter((r) => r.dataset === d.name && r.method === m && r.loaded === loaded);
  if (rs.length === 0) return undefined;
  return {
    n: rs.length,
    server: medianOf(rs.map((r) => r.lockServer)),
    script: medianOf(rs.map((r) => r.lockScript)),
    synced: medianOf(rs.map((r) => r.toSynced)),
  };
}

export function lockTable(ran: readonly Dataset[], runs: readonly Run[]): void {
  console.log("\n=== the donor's tables locked (median over runs) ===");
  const rows: string[][] = [];
  for (const d of ran) {
    for (const loaded of [false, true]) {
      const plain = locks(runs, d, 'plain', loaded);
      const stunnel = locks(runs, d, 'stunnel', loaded);
      for (const m of COMPARED) {
        const l = locks(runs, d, m, loaded);
        if (l === undefined) continue;
        rows.push([
          `${d.name} ${d.gb} GB`,
          METHODS[m].label,
          loaded ? 'writes' : 'none',
          String(l.n),
          fmt(l.server, 0),
          fmt(l.script, 2),
          m === 'plain' ? '' : ratio(l.server, plain?.server),
          m === 'plain' || m === 'stunnel' ? '' : ratio(l.server, stunnel?.server),
          fmt(l.synced),
          m === 'plain' ? '' : ratio(l.synced, plain?.synced),
        ]);
      }
    }
  }
  console.log(
    table(
      [
        'dataset',
        'method',
        'load',
        'runs',
        'locked s (mariadbd)',
        'locked s (script)',
        '×plain',
        '×stunnel',
        'start→Synced s',
        '×plain',
      ],
      rows,
      3,
    ),
  );
  console.log(
    'locked s (mariadbd): the donor\'s error log, "WSREP: Provider paused at" → "WSREP: Provider resumed", ' +
      'lines every method shares, in whole seconds (±1 s); the ratios use it.\n' +
      'locked s (script): ours with precopy, its "tables were locked for N s"; the stock script and ours ' +
      "without precopy, the locked copy (tables flushed → last data pass, the script's ms time stamps).\n" +
      "load writes: updates of random rows of 2 of the dataset's 48 tables during the transfer (write-load.ts).",
  );
}

const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'MET' : 'NOT MET');

/** At ~4 GB under the write load: locked ≤ 0.15× stunnel's and ≤ 0.2× plain's; start→Synced ≤ 1.5× plain's. */
export function lockTargetRows(many: Dataset | undefined, runs: readonly Run[]): string[][] {
  const at = (m: Method): Locks | undefined => (many === undefined ? undefined : locks(runs, many, m, true));
  const [p, s, o] = [at('plain'), at('stunnel'), at('ours')];
  const size = many === undefined || Math.abs(many.gb / 4 - 1) <= 0.25 ? '' : ` [dataset ${many.gb} GB: indicative]`;
  const row = (what: string, a?: number, b?: number, bound?: number): string[] => [
    `~4 GB under writes: ${what}`,
    `${fmt(a, 1)} s vs ${fmt(b, 1)} s (${ratio(a, b)})${size}`,
    verdict(a === undefined || b === undefined || bound === undefined ? undefined : a <= bound * b),
  ];
  return [
    row('ours locked ≤ 0.15 × rsync + stunnel (mariadbd)', o?.server, s?.server, 0.15),
    row('ours locked ≤ 0.2 × plain rsync (mariadbd)', o?.server, p?.server, 0.2),
    row('ours start→Synced ≤ 1.5 × plain rsync', o?.synced, p?.synced, 1.5),
  ];
}
