/** `make bench`: the closing tables, from every run of every dataset. */
import type { Dataset } from './datasets';
import { fmt, median, MiB, per, ratio, table } from './figures';
import { COMPARED, METHODS, type Method } from './methods';
import { summarise, TUNNEL_PROGRAMS, type Summary, type SummaryOf } from './summary';
import { lockTable } from './locks';
import { targets } from './targets';
import type { Run } from './transfer';

/** The methods of the tables, in their order: those compared, then the rate-limited run. */
const tabled = (): Method[] => [...COMPARED, 'ours-rlimit'];

function sstRow(
  d: Dataset,
  m: Method,
  s: Summary,
  baselines: { plain?: Summary; stunnel?: Summary },
  runs: readonly Run[],
): string[] {
  const { plain, stunnel } = baselines;
  const limitApplied = runs.some((r) => r.dataset === d.name && r.method === m && r.rateLimitLogged);
  return [
    `${d.name} ${d.gb} GB`,
    m === 'ours-rlimit' ? `${METHODS[m].label} (1 run${limitApplied ? '' : ', limit not applied'})` : METHODS[m].label,
    s.mib.toFixed(0),
    fmt(s.synced),
    m === 'plain' ? '' : ratio(s.synced, plain?.synced),
    m === 'plain' || m === 'stunnel' ? '' : ratio(s.synced, stunnel?.synced),
    fmt(per(s.mib, s.synced)),
    fmt(s.joiner, 2),
    m === 'plain' ? '' : ratio(s.joiner, plain?.joiner),
    fmt(s.donor, 2),
    fmt(s.copy, 2),
    fmt(per(s.mib, s.copy)),
    m.startsWith('ours') ? `${fmt(s.joinerSelf)} / ${fmt(s.donorSelf)}` : '',
  ];
}

function sstTable(ran: readonly Dataset[], sum: SummaryOf, runs: readonly Run[], rounds: number): void {
  console.log(
    `\n=== SST: node2 joins node1 with an empty datadir ` +
      `(${rounds > 1 ? `median of ${rounds} runs each` : 'one run each'}) ===`,
  );
  const rows: string[][] = [];
  for (const d of ran) {
    const baselines = { plain: sum(d, 'plain'), stunnel: sum(d, 'stunnel') };
    for (const m of tabled()) {
      const s = sum(d, m);
      if (s !== undefined) rows.push(sstRow(d, m, s, baselines, runs));
    }
  }
  console.log(
    table(
      [
        'dataset',
        'method',
        'datadir MiB',
        'start→Synced s',
        '×plain',
        '×stunnel',
        'MiB/s',
        'joiner script s',
        '×plain',
        'donor script s',
        'data copy s',
        'copy MiB/s',
        'ours: joiner/donor finished in s',
      ],
      rows,
    ),
  );
  console.log(
    'start→Synced: joiner mariadbd spawned until wsrep_local_state_comment=Synced (100 ms polling); MiB/s = ' +
      'donor datadir (du -sb) / seconds.\n' +
      "script s: first to last WSREP_SST line of that node's SST script (the scripts' own ms timestamps).\n" +
      'data copy s: donor log, tables flushed → last data pass done (the transfer itself, without either ' +
      "script's start-up and handshakes); '-' for ours with precopy, whose copy is online rounds and a " +
      'catch-up (the lock table below).\n' +
      'ratios: this method / the baseline in seconds (×1.20 = 20 % slower).',
  );
}

function cpuTable(ran: readonly Dataset[], sum: SummaryOf): void {
  console.log(
    '\n=== CPU seconds per GiB copied (datadir), per side and program (median over runs; sampled from /proc ' +
      'every 200 ms, a lower bound) ===',
  );
  const crow: string[][] = [];
  for (const d of ran) {
    for (const m of tabled()) {
      const s = sum(d, m);
      if (s === undefined) continue;
      const cell = (k: string): string => (s.cpu[k] === 0 ? '-' : fmt(s.cpu[k], 2));
      crow.push([
        `${d.name} ${d.gb} GB`,
        METHODS[m].label,
        ...['donor', 'joiner'].flatMap((role) => [
          ...TUNNEL_PROGRAMS.map((p) => cell(`${role} ${p}`)),
          cell(`${role} all`),
        ]),
      ]);
    }
  }
  console.log(
    table(
      [
        'dataset',
        'method',
        'donor socat',
        'donor rsync',
        'donor stunnel',
        'donor all SST',
        'joiner socat',
        'joiner rsync',
        'joiner stunnel',
        'joiner all SST',
      ],
      crow,
    ),
  );
  console.log(
    "all SST: every process under that mariadbd (the method's script or binary, its helpers, socat/stunnel, " +
      'rsync). A dataset of a few MB makes the per-GiB figures noise.',
  );
}

interface ProcessRow {
  rss: number;
  cpu: number;
  helpers: Set<string>;
}

/** One run's processes by role and program: programs that matter by name, helpers (ps, gawk, ss …) lumped together. */
function processRows(r: Run): Map<string, ProcessRow> {
  const rows = new Map<string, ProcessRow>();
  for (const u of r.usage) {
    const named = u.program.startsWith('wsrep_sst') || (TUNNEL_PROGRAMS as readonly string[]).includes(u.program);
    const key = `${u.role} ${named ? u.program : 'helpers'}`;
    const row = rows.get(key) ?? { rss: 0, cpu: 0, helpers: new Set<string>() };
    row.rss = Math.max(row.rss, u.peakRssKiB);
    row.cpu += u.cpuSeconds;
    if (!named) row.helpers.add(u.program);
    rows.set(key, row);
  }
  for (const role of ['donor', 'joiner'] as const) {
    rows.set(`${role} all SST processes (RSS: peak of the sum)`, {
      rss: r.peakTotalKiB[role],
      cpu: r.usage.filter((u) => u.role === role).reduce((x, u) => x + u.cpuSeconds, 0),
      helpers: new Set<string>(),
    });
  }
  return rows;
}

/** One block per dataset and method. */
function processTable(ran: readonly Dataset[], runs: readonly Run[]): void {
  console.log(`\n=== SST processes per transfer: peak RSS (VmHWM, max over runs) and CPU time (median over runs) ===`);
  const urows: string[][] = [];
  for (const d of ran) {
    for (const m of tabled()) {
      const rs = runs.filter((r) => r.dataset === d.name && r.method === m);
      if (rs.length === 0) continue;
      const perRun = rs.map(processRows);
      const keys = [...new Set(perRun.flatMap((p) => [...p.keys()]))].sort(
        (a, b) => Number(a.includes('all SST')) - Number(b.includes('all SST')) || a.localeCompare(b),
      );
      for (const k of keys) {
        const vals = perRun.map((p) => p.get(k)).filter((v) => v !== undefined);
        const helpers = [...new Set(vals.flatMap((v) => [...v.helpers]))].sort();
        const label = helpers.length > 0 ? `${k} (${helpers.join(', ')})`.slice(0, 64) : k;
        urows.push([
          `${d.name} ${METHODS[m].label}`,
          label,
          (Math.max(...vals.map((v) => v.rss)) / 1024).toFixed(1),
          median(vals.map((v) => v.cpu)).toFixed(2),
        ]);
      }
    }
  }
  console.log(table(['transfer', 'role / program', 'peak RSS MiB', 'CPU s'], urows));
}

function rateLines(runs: readonly Run[], rlimit: string, rate: number, rlimitSupported: boolean | undefined): void {
  console.log(`\n=== rate limit: [sst] rlimit=${rlimit} (${(rate / MiB).toFixed(1)} MiB/s) ===`);
  if (rlimitSupported === false)
    console.log(
      'not supported by this binary: no "rate limit" line in either error log of the limited run; the ' +
        'remaining limited runs were skipped',
    );
  for (const r of runs.filter((x) => x.method === 'ours-rlimit' && x.rateLimitLogged)) {
    const achieved = per(r.datadirBytes, r.copy);
    const within =
      achieved === undefined ? '' : Math.abs(achieved / rate - 1) <= 0.1 ? ' (within 10 %)' : ' (NOT within 10 %)';
    console.log(
      `${r.dataset.padEnd(5)} copy ${fmt(r.copy, 2)} s, achieved ` +
        `${fmt(achieved === undefined ? undefined : achieved / MiB)} MiB/s against the limit ` +
        `${(rate / MiB).toFixed(1)} MiB/s: ${ratio(achieved, rate)}` +
        within,
    );
  }
}

export function report(
  all: readonly Run[],
  datasets: readonly Dataset[],
  rlimit: string,
  rate: number | undefined,
  rlimitSupported: boolean | undefined,
): void {
  // The tables above the lock table are the no-load runs; the loaded ones appear in the lock table and targets.
  const runs = all.filter((r) => !r.loaded);
  const ran = datasets.filter((d) => all.some((r) => r.dataset === d.name));
  const sum: SummaryOf = (d, m) => summarise(runs.filter((r) => r.dataset === d.name && r.method === m));
  const rounds = Math.max(
    0,
    ...runs.map((r) => runs.filter((x) => x.dataset === r.dataset && x.method === r.method).length),
  );
  sstTable(ran, sum, runs, rounds);
  cpuTable(ran, sum);
  if (runs.length > ran.length * COMPARED.length) {
    console.log('\nall runs, in the order they ran (start→Synced s / joiner script s / data copy s):');
    for (const r of runs)
      console.log(
        `  ${r.dataset.padEnd(5)}  ${METHODS[r.method].label.padEnd(28)}  ${fmt(r.toSynced)} / ` +
          `${fmt(r.joinerScript, 2)} / ${fmt(r.copy, 2)}${r.verified ? '' : '  CHECKSUMS DIFFER'}`,
      );
  }
  processTable(ran, runs);
  console.log('\n=== load average (1/5/15 min) before → after each transfer ===');
  for (const r of runs) console.log(`${r.dataset.padEnd(5)} ${METHODS[r.method].label.padEnd(28)} ${r.load}`);
  if (rate !== undefined) rateLines(runs, rlimit, rate, rlimitSupported);
  lockTable(ran, all);
  targets(ran, sum, rate, all, rlimitSupported);
}
