/**
 * `make bench`: what the TLS tunnel costs, against the two ways MariaDB users copy a datadir with
 * rsync today. One donor (node1, 127.0.0.31) holds a generated dataset; one joiner (node2,
 * 127.0.0.32) joins it with an empty datadir, in the same run and on the same data, through:
 * - MariaDB's stock `rsync` method without TLS (the speed of light: the same rsync, no encryption);
 * - the stock `rsync` method with its own TLS: stunnel, switched on by `[sst] tca/tcert/tkey` and
 *   `ssl-mode=VERIFY_CA` on both nodes (how MariaDB users encrypt an rsync SST today);
 * - this method, `rsync_tunnel` (socat with OpenSSL).
 * Between two transfers the joiner is stopped and its datadir wiped, so every transfer starts from
 * the same donor files, joiner address and my.cnf apart from the method, a clean donor buffer pool,
 * the donor files in the page cache and no pending writeback.
 *
 * Datasets (BENCH_DATASETS, default "many:4,one:3,small:0.02": name:size of the tables in GB), run
 * smallest first, each loaded, measured and dropped before the next:
 * - many: 48 tables over 6 databases; one: a single table (one .ibd); small: 2 tables in 2
 *   databases, for the fixed cost of an SST.
 * Datasets of 1 GB or more run with a 256 MiB redo log, smaller ones with 16 MiB (a 256 MiB log
 * would be most of a 20 MB SST); the datadir size printed includes it.
 *
 * BENCH_ROUNDS=n (default 3) repeats each method n times per dataset, rotating the order of the
 * methods each round, and reports medians. BENCH_RLIMIT=RATE (default 50m; bytes per second, k/m/g
 * suffixes in 1024s as mariabackup's rlimit; "off" disables) adds one transfer of ours per dataset
 * with `[sst] rlimit=RATE` and prints the achieved copy rate against the limit; whether the binary
 * honours the key is read from its error logs ("rate limit"), and without that line the remaining
 * limited runs are skipped.
 *
 * Prints per dataset and method: start→Synced, the SST scripts' own durations from the error logs,
 * the donor's copy time, MiB/s, CPU seconds per GiB of socat, rsync and stunnel on each side
 * (sampled from /proc), peak RSS; the binary's start time and peak RSS; the machine; and a closing
 * table of the targets of docs/architecture.md §10.2, met or not. Stops everything it started (PIDs it tracks, never names)
 * and removes its working directory (KEEP=1 keeps it). A joiner whose table checksums differ from
 * the donor's fails the run (exit status 1) and is named in the closing lines.
 */
import { copyFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Cluster, type ClusterNode } from '../test/e2e/cluster';

const repo = resolve(__dirname, '..', '..');
const BIN = join(repo, 'dist', 'wsrep_sst_rsync_tunnel');
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const GB = 1e9;
/** Rows per INSERT … SELECT at most: ~100 MB, so no statement runs for minutes. */
const CHUNK_ROWS = 250_000;

type Method = 'plain' | 'stunnel' | 'ours' | 'previous' | 'ours-rlimit';
/**
 * The methods compared in every round; 'ours-rlimit' is the extra limited run. main() adds
 * 'previous' (this method as the previous release built it) when that build is at hand.
 */
const COMPARED: Method[] = ['plain', 'stunnel', 'ours'];

interface MethodSpec {
  label: string;
  sst: 'rsync' | 'rsync_tunnel';
  /**
   * The user the joiner's mariadbd runs as: each method needs a different one on this rsync (3.5.0).
   * - Stock rsync as root: its rsyncd.conf sets no uid, so the root-started daemon drops to `nobody`
   *   and cannot create the database directories (rsync code 23). Packaged MariaDB runs as mysql,
   *   where it works, with or without stunnel.
   * - Ours as mysql: its rsyncd.conf always sets `gid = <own gid>`, and a non-root rsync daemon then
   *   fails with "@ERROR: setgroups failed" (rsync code 5), so only root works today.
   * Which user runs the joiner does not change the data path (same files, same rsync, same
   * loopback); the donor stays root, as in the e2e fixture, for all.
   */
  user: string;
}

const METHODS: Record<Method, MethodSpec> = {
  plain: { label: 'rsync (stock, plain)', sst: 'rsync', user: 'mysql' },
  stunnel: { label: 'rsync + stunnel (stock TLS)', sst: 'rsync', user: 'mysql' },
  ours: { label: 'rsync_tunnel (ours, TLS)', sst: 'rsync_tunnel', user: 'root' },
  previous: { label: 'rsync_tunnel, previous release', sst: 'rsync_tunnel', user: 'root' },
  'ours-rlimit': { label: 'rsync_tunnel + rlimit', sst: 'rsync_tunnel', user: 'root' },
};

/**
 * The previous release's executable (scripts/previous-release, built by scripts/build-previous.sh
 * into build-cache/previous/), so the gains of this release are measured in the same run.
 * BENCH_PREVIOUS=off leaves it out.
 */
function previousRelease(): { version: string; binary: string } | undefined {
  if ((process.env.BENCH_PREVIOUS ?? '').trim() === 'off') return undefined;
  const line = readFileSync(join(repo, 'scripts', 'previous-release'), 'utf8').split('\n').find((l) => /^[0-9a-f]{40} /.test(l));
  if (line === undefined) return undefined;
  const [commit, version] = line.split(' ') as [string, string];
  const binary = join(repo, 'build-cache', 'previous', commit, 'wsrep_sst_rsync_tunnel');
  if (!existsSync(binary)) spawnSync(join(repo, 'scripts', 'build-previous.sh'), [], { stdio: 'inherit' });
  if (!existsSync(binary)) {
    console.log(`previous release ${version}: not built (scripts/build-previous.sh failed), left out`);
    return undefined;
  }
  return { version, binary };
}

interface Shape {
  databases: number;
  tablesPerDatabase: number;
}

const SHAPES: Record<string, Shape> = {
  many: { databases: 6, tablesPerDatabase: 8 },
  one: { databases: 1, tablesPerDatabase: 1 },
  // Two .ibd files: ~20 MB is about the floor of two freshly loaded tables (see loadDataset).
  small: { databases: 2, tablesPerDatabase: 1 },
};

interface Dataset {
  name: string;
  /** Size of the dataset's tables (their .ibd files), in GB (10^9 bytes). */
  gb: number;
  databases: string[];
  tables: string[];
  /** innodb_log_file_size on both nodes while this dataset runs. */
  redo: string;
}

interface Usage {
  role: 'donor' | 'joiner';
  program: string;
  peakRssKiB: number;
  cpuSeconds: number;
}

interface Run {
  dataset: string;
  method: Method;
  datadirBytes: number;
  /** Joiner mariadbd start to wsrep_local_state_comment=Synced. */
  toSynced: number;
  /** First to last WSREP_SST line of the joiner's / donor's script (ms timestamps, the same rule for every method). */
  joinerScript?: number;
  donorScript?: number;
  /** Donor: tables flushed and locked → all data passes done (the copy itself, lock held). */
  copy?: number;
  /** Ours only: "joiner finished in N s" / "donor finished in N s". */
  joinerSelf?: number;
  donorSelf?: number;
  usage: Usage[];
  /** Peak of the summed RSS of all SST processes of a role at one sample. */
  peakTotalKiB: Record<'donor' | 'joiner', number>;
  load: string;
  verified: boolean;
  /** A line of either node's log since the joiner started mentions a rate limit. */
  rateLimitLogged: boolean;
}

// ---------------------------------------------------------------- pure helpers

/** "many:4,one:3,small:0.02" → datasets, smallest first (failures surface early; the rate limit is probed cheaply). */
function parseDatasets(raw: string): Dataset[] {
  const out: Dataset[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, size, extra] = item.split(':');
    const gb = Number(size);
    const shape = name === undefined ? undefined : SHAPES[name];
    if (shape === undefined || extra !== undefined || !Number.isFinite(gb) || gb <= 0) {
      throw new Error(`BENCH_DATASETS: '${item}' is not name:GB with name one of ${Object.keys(SHAPES).join(', ')} and GB > 0`);
    }
    if (out.some((d) => d.name === name)) throw new Error(`BENCH_DATASETS: '${name}' given twice`);
    const databases = Array.from({ length: shape.databases }, (_, i) => `bench_${name}_${i + 1}`);
    const tables = databases.flatMap((db) => Array.from({ length: shape.tablesPerDatabase }, (_, i) => `${db}.t${i + 1}`));
    out.push({ name: name!, gb, databases, tables, redo: gb >= 1 ? '256M' : '16M' });
  }
  if (out.length === 0) throw new Error('BENCH_DATASETS is empty');
  return out.sort((a, b) => a.gb - b.gb);
}

/** mariabackup's rlimit units: bytes per second, k/m/g suffixes in 1024s; undefined for "off", "0" or unset. */
function parseRate(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '' || raw.trim() === 'off' || raw.trim() === '0') return undefined;
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(raw.trim());
  if (!m) throw new Error(`BENCH_RLIMIT must be bytes per second with an optional k/m/g suffix, or off, not '${raw}'`);
  const unit = { '': 1, k: 1024, m: MiB, g: GiB }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** Round r runs the methods rotated by r (plus the dataset's index): each method goes first, middle and last. */
function methodOrder(round: number, datasetIndex: number): Method[] {
  const k = (round + datasetIndex) % COMPARED.length;
  return [...COMPARED.slice(k), ...COMPARED.slice(0, k)];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The median when every run has the figure, else undefined (a missing log line must not pass unnoticed as a smaller sample). */
function medianOf(values: readonly (number | undefined)[]): number | undefined {
  return values.length > 0 && values.every((v) => v !== undefined) ? median(values as number[]) : undefined;
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const ratio = (a?: number, b?: number): string => (a === undefined || b === undefined ? '-' : `×${(a / b).toFixed(2)}`);
const per = (a?: number, b?: number): number | undefined => (a === undefined || b === undefined ? undefined : a / b);

function table(header: string[], rows: string[][], textColumns = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- small effects

function ids(user: string): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not '${raw}'`);
  return n;
}

function duBytes(...dirs: string[]): number {
  const present = dirs.filter((d) => existsSync(d));
  if (present.length === 0) return 0;
  return execFileSync('du', ['-sbc', ...present], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([, name]) => name === 'total')
    .reduce((sum, [n]) => sum + Number(n), 0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return `? (${r.error.message})`;
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? '?';
}

function machine(when: string): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?';
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const avail = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  // stunnel prints its version on stderr after an "Initializing inetd mode" line.
  const stunnel = spawnSync('stunnel', ['-version'], { encoding: 'utf8' });
  return [
    `machine: ${nproc} CPUs (${model}), ${(totalmem() / GiB).toFixed(1)} GiB RAM (${avail ? (Number(avail) / 1024 ** 2).toFixed(1) : '?'} GiB available), Linux ${release()}`,
    `load average (1/5/15 min) ${when}: ${loadAverage()}`,
    `mariadbd: ${firstLine('/usr/sbin/mariadbd', ['--version'])}`,
    `rsync: ${firstLine('rsync', ['--version'])}`,
    `socat: ${spawnSync('socat', ['-V'], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.startsWith('socat version'))?.trim() ?? '?'}`,
    `stunnel: ${`${stunnel.stdout ?? ''}${stunnel.stderr ?? ''}`.split('\n').find((l) => l.startsWith('stunnel '))?.trim() ?? '? (not installed: scripts/install-deps.sh installs stunnel4)'}`,
    `openssl: ${firstLine('openssl', ['version'])}`,
    `ours: ${firstLine(BIN, ['--version'])}`,
  ].join('\n');
}

// ---------------------------------------------------------------- binary start time and RSS

/** Wall clock of `--version`, the whole cost mariadbd pays to start the method before any work. */
function startup(): string {
  spawnSync(BIN, ['--version']); // Warm-up: the first run reads the 100 MB executable from disk.
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(BIN, ['--version'], { stdio: 'ignore' });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${BIN} --version exited ${r.status}`);
  }
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', BIN, '--version'], { encoding: 'utf8' });
    const kib = Number(r.stderr.trim().split('\n').pop());
    if (r.status !== 0 || !Number.isFinite(kib)) throw new Error(`/usr/bin/time failed (is Debian's 'time' installed?): ${r.stderr}`);
    rss.push(kib);
  }
  return (
    `binary: ${BIN} (${(statSync(BIN).size / MiB).toFixed(0)} MiB)\n` +
    `  --version wall clock over 20 runs: median ${median(ms).toFixed(1)} ms (min ${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)})\n` +
    `  --version peak RSS (/usr/bin/time %M, 5 runs): median ${(median(rss) / 1024).toFixed(1)} MiB`
  );
}

// ---------------------------------------------------------------- /proc sampler

/** Children of every thread of a process: mariadbd starts the SST script from a worker thread. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list !== '') out.push(...list.split(' ').map(Number));
    }
  } catch {
    // Exited meanwhile.
  }
  return out;
}

function descendants(root: number): number[] {
  const seen: number[] = [];
  const queue = childrenOf(root);
  while (queue.length > 0) {
    const pid = queue.shift()!;
    seen.push(pid);
    queue.push(...childrenOf(pid));
  }
  return seen;
}

/** What a process is, in the terms of the report: our binary, socat, rsync, stunnel, the stock shell script, or a helper. */
function programOf(pid: number): string {
  // " (deleted)": the file was replaced or removed since the process started it; the program is the same.
  const exe = basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  // Debian's /usr/bin/stunnel is a link to stunnel4.
  if (exe === 'stunnel4') return 'stunnel';
  if (exe === 'bash' || exe === 'dash' || exe === 'sh') {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const script = argv.slice(1).find((a) => a.includes('wsrep_sst_'));
    // The stock method is a bash script (plus its subshells); `sh -c` is mariadbd's wrapper, if any.
    return script !== undefined && !argv.includes('-c') ? `${basename(script)} (bash)` : exe;
  }
  return exe;
}

interface Seen {
  role: 'donor' | 'joiner';
  program: string;
  hwmKiB: number;
  cpuTicks: number;
}

/**
 * Samples the process trees under the donor's and the joiner's mariadbd every
 * 200 ms: VmHWM (peak RSS, monotonic, so the last sample is the peak) and
 * utime+stime per PID. A process's CPU time after its last sample, and
 * processes that live less than one interval, are missed: the CPU figures
 * are lower bounds.
 */
class Sampler {
  private readonly seen = new Map<number, Seen>();
  private readonly peakTotal = { donor: 0, joiner: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly tick = 100; // CLK_TCK on Linux.

  constructor(private readonly roots: { donor: () => number | undefined; joiner: () => number | undefined }) {
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    for (const role of ['donor', 'joiner'] as const) {
      const root = this.roots[role]();
      if (root === undefined) continue;
      let total = 0;
      for (const pid of descendants(root)) {
        try {
          const status = readFileSync(`/proc/${pid}/status`, 'utf8');
          const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const cpuTicks = Number(f[11]) + Number(f[12]); // utime, stime: fields 14 and 15.
          const prev = this.seen.get(pid);
          // Re-read each time: a PID first seen between fork and exec still shows its parent's program.
          const program = programOf(pid);
          this.seen.set(pid, { role, program, hwmKiB: Math.max(prev?.hwmKiB ?? 0, kib('VmHWM')), cpuTicks: Math.max(prev?.cpuTicks ?? 0, cpuTicks) });
          total += kib('VmRSS');
        } catch {
          // Exited between the listing and the read.
        }
      }
      this.peakTotal[role] = Math.max(this.peakTotal[role], total);
    }
  }

  /** True while the mariadbd has any child left (the donor's SST script may outlive the joiner's Synced by a moment). */
  static busy(root: number | undefined): boolean {
    return root !== undefined && descendants(root).length > 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  result(): { usage: Usage[]; peakTotalKiB: Record<'donor' | 'joiner', number> } {
    const byKey = new Map<string, Usage>();
    for (const s of this.seen.values()) {
      const key = `${s.role}\0${s.program}`;
      const u = byKey.get(key) ?? { role: s.role, program: s.program, peakRssKiB: 0, cpuSeconds: 0 };
      u.peakRssKiB = Math.max(u.peakRssKiB, s.hwmKiB);
      u.cpuSeconds += s.cpuTicks / this.tick;
      byKey.set(key, u);
    }
    const usage = [...byKey.values()].sort((a, b) => a.role.localeCompare(b.role) || b.cpuSeconds - a.cpuSeconds);
    return { usage, peakTotalKiB: { ...this.peakTotal } };
  }
}

// ---------------------------------------------------------------- error log parsing

/** What a node wrote to its error log since `offset` bytes. */
function logSince(n: ClusterNode, offset: number): string {
  return existsSync(n.errorLog) ? readFileSync(n.errorLog).subarray(offset).toString('utf8') : '';
}

const logSize = (n: ClusterNode): number => (existsSync(n.errorLog) ? statSync(n.errorLog).size : 0);

/** Seconds between the first and the last `WSREP_SST: … (YYYYMMDD HH:MM:SS.mmm)` line: both methods log this way. */
function scriptSpan(text: string): number | undefined {
  const times: number[] = [];
  for (const line of text.split('\n')) {
    const t = line.startsWith('WSREP_SST: ') ? stamp(line) : undefined;
    if (t !== undefined) times.push(t);
  }
  return times.length < 2 ? undefined : (times[times.length - 1]! - times[0]!) / 1000;
}

function stamp(line: string): number | undefined {
  const m = /\((\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})\)\s*$/.exec(line);
  return m ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime() : undefined;
}

/**
 * The donor's copy: from "tables flushed" (ours: "tables flushed and locked after", stock: "Tables
 * flushed") to the end of the last data pass (ours: "data copied in", stock: "Transfer of data done").
 * Without either script's start-up, handshakes and polling, this is the transfer proper.
 */
function copySpan(donorLog: string): number | undefined {
  const lines = donorLog.split('\n').filter((l) => l.startsWith('WSREP_SST: '));
  const from = lines.find((l) => /\] (tables flushed and locked after|Tables flushed \()/.test(l));
  const to = lines.find((l) => /\] (data copied in|Transfer of data done)/.test(l));
  const a = from === undefined ? undefined : stamp(from);
  const b = to === undefined ? undefined : stamp(to);
  return a === undefined || b === undefined ? undefined : (b - a) / 1000;
}

function selfReported(text: string, role: 'joiner' | 'donor'): number | undefined {
  const m = new RegExp(`WSREP_SST: \\[INFO\\] ${role} finished in ([\\d.]+) s`).exec(text);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------- dataset

/**
 * Loads a dataset on the donor until its tables take `gb` GB on disk, round-robin over its tables so
 * they grow alike. Session wsrep_on=OFF: node1 is alone in the cluster and the joiner gets the files
 * by SST, so replicating ~100 MB write sets through Galera would only slow the load down.
 */
function loadDataset(c: Cluster, n: ClusterNode, d: Dataset): number {
  const off = 'SET SESSION wsrep_on=OFF; ';
  c.sql(n, off + d.databases.map((db) => `CREATE DATABASE ${db}`).join('; '));
  // Wide rows (~330 bytes) of incompressible-looking text: TLS and rsync see real work per byte.
  c.sql(n, off + d.tables.map((t) => `CREATE TABLE ${t} (id INT PRIMARY KEY, k INT NOT NULL, payload VARCHAR(400) NOT NULL) ENGINE=InnoDB`).join('; '));
  const dirs = d.databases.map((db) => join(n.datadir, db));
  const target = d.gb * GB;
  const rows = new Map<string, number>(d.tables.map((t) => [t, 0]));
  // Bytes per row on disk, re-measured after every batch. An .ibd of a few thousand rows already takes
  // ~10 MiB (measured here: 48 tables of ~5k rows, 480 MiB; one of 364k rows, 144 MiB), so each batch
  // fills half of what is left and the size converges from below; a dataset smaller than ~10 MiB per
  // table comes out at that floor.
  let bytesPerRow = 400;
  for (let i = 0; ; ) {
    const remaining = target - duBytes(...dirs);
    if (remaining <= 0.02 * target) break;
    const chunk = Math.min(CHUNK_ROWS, Math.max(1000, Math.ceil(remaining / 2 / bytesPerRow / d.tables.length)));
    // Up to ~1 GB per client call: fewer client start-ups, no statement batch runs for many minutes.
    const batch: string[] = [];
    while (batch.length < d.tables.length && (batch.length + 1) * chunk * bytesPerRow <= Math.max(GB, chunk * bytesPerRow)) {
      const t = d.tables[i++ % d.tables.length]!;
      const from = rows.get(t)!;
      // seq_1_to_N lives in the current database: USE one.
      batch.push(`USE ${t.split('.')[0]}; INSERT INTO ${t} SELECT seq + ${from}, (seq * 7919) % 100003, REPEAT(SHA1(seq + ${from}), 8) FROM seq_1_to_${chunk}`);
      rows.set(t, from + chunk);
    }
    c.sql(n, off + batch.join('; '), 3_600_000);
    const total = [...rows.values()].reduce((a, b) => a + b, 0);
    bytesPerRow = Math.max(100, duBytes(...dirs) / total);
  }
  return [...rows.values()].reduce((a, b) => a + b, 0);
}

function drop(c: Cluster, n: ClusterNode, d: Dataset): void {
  c.sql(n, 'SET SESSION wsrep_on=OFF; ' + d.databases.map((db) => `DROP DATABASE IF EXISTS ${db}`).join('; '), 600_000);
}

/**
 * Waits until the donor has no dirty page left, so each transfer starts from the same state: otherwise the
 * first SST after a load would pay for flushing it while the donor holds its read lock.
 */
async function flushDonor(c: Cluster, n: ClusterNode): Promise<void> {
  c.sql(n, 'SET GLOBAL innodb_max_dirty_pages_pct_lwm=0; SET GLOBAL innodb_max_dirty_pages_pct=0');
  const deadline = Date.now() + 1_200_000;
  while (Number(c.status(n, 'Innodb_buffer_pool_pages_dirty') ?? '1') > 0) {
    if (Date.now() > deadline) throw new Error('donor still has dirty pages after 20 min');
    await sleep(1000);
  }
}

/**
 * Reads every donor file once. InnoDB writes with O_DIRECT (10.11's default), so after a load the files
 * are not in the page cache, and only the first transfer of a dataset would read them from disk (it
 * was ~1.5× slower, whichever method went first). Every transfer now reads from memory: the figures
 * compare the methods, not the disk.
 */
function warmCache(dir: string): void {
  const r = spawnSync('find', [dir, '-type', 'f', '-exec', 'cat', '{}', '+'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reading ${dir} failed: ${r.stderr}`);
}

function checksums(c: Cluster, n: ClusterNode, d: Dataset): string {
  return c.sql(n, `CHECKSUM TABLE ${d.tables.join(', ')}`, 1_800_000).replace(/\s+/g, ' ');
}

/** (Re)starts the donor as a one-node cluster with the dataset's redo log size (mariadbd resizes the log at start-up). */
async function startDonor(c: Cluster, donor: ClusterNode, redo: string): Promise<void> {
  await c.stop(donor);
  donor.spec.mysqld = { ...donor.spec.mysqld, innodb_log_file_size: redo };
  c.writeConfigs();
  c.start(donor, ['--wsrep-new-cluster']);
  await c.waitSynced(donor);
}

// ---------------------------------------------------------------- one transfer

interface Tls {
  ca: string;
  cert: string;
  key: string;
  /** Key then certificate in one file, as ours takes it in tcert. */
  bundle: string;
}

/**
 * The [sst] section of both nodes per method. The joiner names the method in its request and the donor
 * runs that script, reading its own my.cnf at that moment. The stock script turns stunnel on as soon as
 * [sst] has a CA or a certificate, and ours refuses ssl-mode=DISABLED, so the plain run has none.
 */
function sstSections(method: Method, donor: Tls, joiner: Tls, rlimit: string | undefined): { donor: Record<string, string>; joiner: Record<string, string> } {
  const stunnel = (t: Tls): Record<string, string> => ({ tca: t.ca, tcert: t.cert, tkey: t.key, 'ssl-mode': 'VERIFY_CA' });
  const ours = (t: Tls): Record<string, string> => ({ tca: t.ca, tcert: t.bundle, ...(method === 'ours-rlimit' && rlimit !== undefined ? { rlimit } : {}) });
  switch (method) {
    case 'plain':
      return { donor: {}, joiner: {} };
    case 'stunnel':
      return { donor: stunnel(donor), joiner: stunnel(joiner) };
    case 'ours':
    case 'previous':
    case 'ours-rlimit':
      return { donor: ours(donor), joiner: ours(joiner) };
  }
}

interface Transfer {
  c: Cluster;
  donor: ClusterNode;
  joiner: ClusterNode;
  tls: { donor: Tls; joiner: Tls };
  dataset: Dataset;
  expected: string;
  rlimit: string | undefined;
  /** The previous release's executable, when it runs as the 'previous' method. */
  previousBinary?: string;
}

async function joinOnce(x: Transfer, method: Method): Promise<Run> {
  const { c, donor, joiner, dataset } = x;
  const spec = METHODS[method];
  joiner.spec.mysqld = { ...joiner.spec.mysqld, wsrep_sst_method: spec.sst, user: spec.user, innodb_log_file_size: dataset.redo };
  const sections = sstSections(method, x.tls.donor, x.tls.joiner, x.rlimit);
  // mariadbd finds the program on the fixture's PATH: point it at the build this method runs.
  const program = join(c.bin, 'wsrep_sst_rsync_tunnel');
  rmSync(program, { force: true });
  symlinkSync(method === 'previous' && x.previousBinary !== undefined ? x.previousBinary : BIN, program);
  donor.spec.sst = sections.donor;
  joiner.spec.sst = sections.joiner;
  c.writeConfigs();
  rmSync(joiner.datadir, { recursive: true, force: true });
  // An empty datadir, and the node directory (error log, gcache, socket, its TLS files) left by the
  // previous run, owned by the user this joiner runs as; the fixture would create the datadir root-owned.
  mkdirSync(joiner.datadir);
  const { uid, gid } = ids(spec.user);
  execFileSync('chown', ['-R', `${uid}:${gid}`, joiner.dir]);
  await flushDonor(c, donor);
  warmCache(donor.datadir);
  // The previous joiner's gigabytes must not be written back during this transfer.
  execFileSync('sync');
  const datadirBytes = duBytes(donor.datadir);
  const offsets = { donor: logSize(donor), joiner: logSize(joiner) };
  const loadBefore = loadAverage();
  const sampler = new Sampler({ donor: () => donor.process?.pid, joiner: () => joiner.process?.pid });
  process.stdout.write(`  ${spec.label}${method === 'ours-rlimit' ? ` ${x.rlimit}` : ''}: joining ${(datadirBytes / MiB).toFixed(0)} MiB … `);
  let toSynced: number;
  try {
    const t0 = Date.now();
    c.start(joiner);
    let exited = false;
    void joiner.exited?.then(() => (exited = true));
    const deadline = t0 + 3_600_000;
    // Our own loop: Cluster.waitSynced polls every 500 ms, too coarse for a transfer of a few seconds.
    while (c.status(joiner, 'wsrep_local_state_comment') !== 'Synced') {
      if (exited) throw new Error(`node2 (${spec.label}) exited before Synced\n${c.tail(joiner)}\n--- donor ---\n${c.tail(donor, 30)}`);
      if (Date.now() > deadline) throw new Error(`node2 (${spec.label}) not Synced in 60 min\n${c.tail(joiner)}`);
      await sleep(100);
    }
    toSynced = (Date.now() - t0) / 1000;
    // The donor's script may still be cleaning up: its figures count too.
    for (let i = 0; i < 100 && Sampler.busy(donor.process?.pid); i++) await sleep(100);
  } finally {
    // Also on failure: a live interval would keep this process from ever exiting.
    sampler.stop();
  }
  const { usage, peakTotalKiB } = sampler.result();
  const jlog = logSince(joiner, offsets.joiner);
  const dlog = logSince(donor, offsets.donor);
  // A TLS setting the stock script does not take would silently leave the "stunnel" run unencrypted.
  const stunnelUsed = /Using stunnel for SSL encryption/.test(jlog) && /Using stunnel for SSL encryption/.test(dlog);
  if (stunnelUsed !== (method === 'stunnel')) throw new Error(`${spec.label}: the stock script ${stunnelUsed ? 'used' : 'did not use'} stunnel on both nodes\n${c.tail(joiner, 30)}\n--- donor ---\n${c.tail(donor, 30)}`);
  const got = checksums(c, joiner, dataset);
  const verified = got === x.expected;
  console.log(`Synced in ${toSynced.toFixed(1)} s, ${verified ? 'checksums equal' : '*** CHECKSUMS DIFFER ***'}`);
  if (!verified) console.log(`    donor:  ${x.expected}\n    joiner: ${got}`);
  await c.stop(joiner);
  return {
    dataset: dataset.name,
    method,
    datadirBytes,
    toSynced,
    joinerScript: scriptSpan(jlog),
    donorScript: scriptSpan(dlog),
    copy: copySpan(dlog),
    joinerSelf: selfReported(jlog, 'joiner'),
    donorSelf: selfReported(dlog, 'donor'),
    usage,
    peakTotalKiB,
    load: `${loadBefore} → ${loadAverage()}`,
    verified,
    rateLimitLogged: /rate limit/i.test(`${jlog}\n${dlog}`),
  };
}

// ---------------------------------------------------------------- report

const TUNNEL_PROGRAMS = ['socat', 'rsync', 'stunnel'] as const;

/** CPU seconds per GiB copied of one program on one side in one run; 0 when the method does not run it. */
function cpuPerGiB(r: Run, role: 'donor' | 'joiner', program: string): number {
  const s = r.usage.filter((u) => u.role === role && u.program === program).reduce((a, u) => a + u.cpuSeconds, 0);
  return s / (r.datadirBytes / GiB);
}

interface Summary {
  n: number;
  mib: number;
  synced?: number;
  joiner?: number;
  donor?: number;
  copy?: number;
  joinerSelf?: number;
  donorSelf?: number;
  cpu: Record<string, number>;
}

function summarise(rs: readonly Run[]): Summary | undefined {
  if (rs.length === 0) return undefined;
  const cpu: Record<string, number> = {};
  for (const role of ['donor', 'joiner'] as const) {
    for (const p of TUNNEL_PROGRAMS) cpu[`${role} ${p}`] = median(rs.map((r) => cpuPerGiB(r, role, p)));
    cpu[`${role} all`] = median(rs.map((r) => r.usage.filter((u) => u.role === role).reduce((a, u) => a + u.cpuSeconds, 0) / (r.datadirBytes / GiB)));
  }
  return {
    n: rs.length,
    mib: median(rs.map((r) => r.datadirBytes / MiB)),
    synced: medianOf(rs.map((r) => r.toSynced)),
    joiner: medianOf(rs.map((r) => r.joinerScript)),
    donor: medianOf(rs.map((r) => r.donorScript)),
    copy: medianOf(rs.map((r) => r.copy)),
    joinerSelf: medianOf(rs.map((r) => r.joinerSelf)),
    donorSelf: medianOf(rs.map((r) => r.donorSelf)),
    cpu,
  };
}

function report(runs: readonly Run[], datasets: readonly Dataset[], rlimit: string, rate: number | undefined, rlimitSupported: boolean | undefined): void {
  const ran = datasets.filter((d) => runs.some((r) => r.dataset === d.name));
  const sum = (d: Dataset, m: Method): Summary | undefined => summarise(runs.filter((r) => r.dataset === d.name && r.method === m));
  const rounds = Math.max(0, ...runs.map((r) => runs.filter((x) => x.dataset === r.dataset && x.method === r.method).length));

  console.log(`\n=== SST: node2 joins node1 with an empty datadir (${rounds > 1 ? `median of ${rounds} runs each` : 'one run each'}) ===`);
  const rows: string[][] = [];
  for (const d of ran) {
    const plain = sum(d, 'plain');
    const stunnel = sum(d, 'stunnel');
    for (const m of [...COMPARED, 'ours-rlimit'] as const) {
      const s = sum(d, m);
      if (s === undefined) continue;
      rows.push([
        `${d.name} ${d.gb} GB`,
        m === 'ours-rlimit' ? `${METHODS[m].label} (1 run${runs.some((r) => r.dataset === d.name && r.method === m && r.rateLimitLogged) ? '' : ', limit not applied'})` : METHODS[m].label,
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
      ]);
    }
  }
  console.log(
    table(
      ['dataset', 'method', 'datadir MiB', 'start→Synced s', '×plain', '×stunnel', 'MiB/s', 'joiner script s', '×plain', 'donor script s', 'data copy s', 'copy MiB/s', 'ours: joiner/donor finished in s'],
      rows,
    ),
  );
  console.log(
    'start→Synced: joiner mariadbd spawned until wsrep_local_state_comment=Synced (100 ms polling); MiB/s = donor datadir (du -sb) / seconds.\n' +
      "script s: first to last WSREP_SST line of that node's SST script (the scripts' own ms timestamps).\n" +
      "data copy s: donor log, tables flushed → last data pass done (the transfer itself, without either script's start-up and handshakes).\n" +
      'ratios: this method / the baseline in seconds (×1.20 = 20 % slower).',
  );

  console.log('\n=== CPU seconds per GiB copied (datadir), per side and program (median over runs; sampled from /proc every 200 ms, a lower bound) ===');
  const crow: string[][] = [];
  for (const d of ran) {
    for (const m of [...COMPARED, 'ours-rlimit'] as const) {
      const s = sum(d, m);
      if (s === undefined) continue;
      const cell = (k: string): string => (s.cpu[k] === 0 ? '-' : fmt(s.cpu[k], 2));
      crow.push([`${d.name} ${d.gb} GB`, METHODS[m].label, ...['donor', 'joiner'].flatMap((role) => [...TUNNEL_PROGRAMS.map((p) => cell(`${role} ${p}`)), cell(`${role} all`)])]);
    }
  }
  console.log(
    table(['dataset', 'method', 'donor socat', 'donor rsync', 'donor stunnel', 'donor all SST', 'joiner socat', 'joiner rsync', 'joiner stunnel', 'joiner all SST'], crow),
  );
  console.log('all SST: every process under that mariadbd (the method\'s script or binary, its helpers, socat/stunnel, rsync). A dataset of a few MB makes the per-GiB figures noise.');

  if (runs.length > ran.length * COMPARED.length) {
    console.log('\nall runs, in the order they ran (start→Synced s / joiner script s / data copy s):');
    for (const r of runs) console.log(`  ${r.dataset.padEnd(5)}  ${METHODS[r.method].label.padEnd(28)}  ${fmt(r.toSynced)} / ${fmt(r.joinerScript, 2)} / ${fmt(r.copy, 2)}${r.verified ? '' : '  CHECKSUMS DIFFER'}`);
  }

  // One block per dataset and method: programs that matter by name, helpers (ps, gawk, ss …) lumped together.
  console.log(`\n=== SST processes per transfer: peak RSS (VmHWM, max over runs) and CPU time (median over runs) ===`);
  const urows: string[][] = [];
  for (const d of ran) {
    for (const m of [...COMPARED, 'ours-rlimit'] as const) {
      const rs = runs.filter((r) => r.dataset === d.name && r.method === m);
      if (rs.length === 0) continue;
      const perRun = rs.map((r) => {
        const rows = new Map<string, { rss: number; cpu: number; helpers: Set<string> }>();
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
      });
      const keys = [...new Set(perRun.flatMap((p) => [...p.keys()]))].sort((a, b) => Number(a.includes('all SST')) - Number(b.includes('all SST')) || a.localeCompare(b));
      for (const k of keys) {
        const vals = perRun.map((p) => p.get(k)).filter((v) => v !== undefined);
        const helpers = [...new Set(vals.flatMap((v) => [...v.helpers]))].sort();
        const label = helpers.length > 0 ? `${k} (${helpers.join(', ')})`.slice(0, 64) : k;
        urows.push([`${d.name} ${METHODS[m].label}`, label, (Math.max(...vals.map((v) => v.rss)) / 1024).toFixed(1), median(vals.map((v) => v.cpu)).toFixed(2)]);
      }
    }
  }
  console.log(table(['transfer', 'role / program', 'peak RSS MiB', 'CPU s'], urows));

  console.log('\n=== load average (1/5/15 min) before → after each transfer ===');
  for (const r of runs) console.log(`${r.dataset.padEnd(5)} ${METHODS[r.method].label.padEnd(28)} ${r.load}`);

  if (rate !== undefined) {
    console.log(`\n=== rate limit: [sst] rlimit=${rlimit} (${(rate / MiB).toFixed(1)} MiB/s) ===`);
    if (rlimitSupported === false) console.log('not supported by this binary: no "rate limit" line in either error log of the limited run; the remaining limited runs were skipped');
    for (const r of runs.filter((x) => x.method === 'ours-rlimit' && x.rateLimitLogged)) {
      const achieved = per(r.datadirBytes, r.copy);
      console.log(
        `${r.dataset.padEnd(5)} copy ${fmt(r.copy, 2)} s, achieved ${fmt(achieved === undefined ? undefined : achieved / MiB)} MiB/s against the limit ${(rate / MiB).toFixed(1)} MiB/s: ${ratio(achieved, rate)}` +
          `${achieved === undefined ? '' : Math.abs(achieved / rate - 1) <= 0.1 ? ' (within 10 %)' : ' (NOT within 10 %)'}`,
      );
    }
  }

  targets(ran, sum, rate, runs, rlimitSupported);
}

/** The targets of docs/architecture.md §10.2, judged by this run. */
function targets(
  ran: readonly Dataset[],
  sum: (d: Dataset, m: Method) => Summary | undefined,
  rate: number | undefined,
  runs: readonly Run[],
  rlimitSupported: boolean | undefined,
): void {
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'MET' : 'NOT MET');
  const sizeNote = (d: Dataset, want: number): string => (Math.abs(d.gb / want - 1) > 0.25 ? ` [dataset ${d.gb} GB, not ~${want} GB: indicative only]` : '');
  const rows: string[][] = [];
  const many = ran.find((d) => d.name === 'many');
  const one = ran.find((d) => d.name === 'one');
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
    rows.push([`${scope}: ours ≤ 1.15 × plain rsync (start→Synced)`, `${fmt(o)} s vs ${fmt(p)} s (${ratio(o, p)})${sizeNote(d, want)}`, verdict(o === undefined || p === undefined ? undefined : o <= 1.15 * p)]);
  }
  const small = ran.find((d) => d.name === 'small');
  if (small !== undefined) {
    const [p, o] = [sum(small, 'plain')?.joiner, sum(small, 'ours')?.joiner];
    rows.push(['~20 MB: ours joiner script ≤ 0.7 × plain rsync\'s', `${fmt(o, 2)} s vs ${fmt(p, 2)} s (${ratio(o, p)})${sizeNote(small, 0.02)}`, verdict(o === undefined || p === undefined ? undefined : o <= 0.7 * p)]);
  } else {
    rows.push(['~20 MB: ours joiner script ≤ 0.7 × plain rsync\'s', 'dataset "small" not run', verdict(undefined)]);
  }
  const big = many ?? one;
  if (big !== undefined) {
    const o = sum(big, 'ours')?.cpu;
    const s = sum(big, 'stunnel')?.cpu;
    rows.push([
      `tunnel CPU-s per GiB reported (${big.name}; "lowered": compare with the previous release's run)`,
      `socat donor ${fmt(o?.['donor socat'], 2)}, joiner ${fmt(o?.['joiner socat'], 2)}; stunnel donor ${fmt(s?.['donor stunnel'], 2)}, joiner ${fmt(s?.['joiner stunnel'], 2)}`,
      o === undefined ? verdict(undefined) : 'REPORTED',
    ]);
  }
  for (const d of ran) {
    const [o, v] = [sum(d, 'ours'), sum(d, 'previous')];
    if (v === undefined) continue;
    rows.push([`${d.name}: this release against the previous one (start→Synced; joiner script)`, `${fmt(o?.synced)} s vs ${fmt(v.synced)} s (${ratio(o?.synced, v.synced)}); ${fmt(o?.joiner, 2)} s vs ${fmt(v.joiner, 2)} s (${ratio(o?.joiner, v.joiner)})`, 'INFO']);
  }
  if (big !== undefined && sum(big, 'previous') !== undefined) {
    const tunnel = (m: Method): number | undefined => {
      const cpu = sum(big, m)?.cpu;
      const [d, j] = [cpu?.['donor socat'], cpu?.['joiner socat']];
      return d === undefined || j === undefined ? undefined : d + j;
    };
    const [o, v] = [tunnel('ours'), tunnel('previous')];
    // Runs of one build differ by a few percent: only a lower figure past that counts as lowered.
    rows.push([`tunnel CPU-s per GiB lowered by over 5 % (${big.name}): socat, donor + joiner, against the previous release`, `${fmt(o, 2)} vs ${fmt(v, 2)} (${ratio(o, v)})`, verdict(o === undefined || v === undefined ? undefined : o < 0.95 * v)]);
  }
  if (rate !== undefined) {
    const limited = runs.filter((r) => r.method === 'ours-rlimit' && r.rateLimitLogged && r.copy !== undefined);
    const largest = limited.sort((a, b) => b.datadirBytes - a.datadirBytes)[0];
    const achieved = largest === undefined ? undefined : per(largest.datadirBytes, largest.copy);
    rows.push([
      `rate limit: achieved copy rate within 10 % of rlimit (largest dataset)`,
      rlimitSupported === false
        ? 'binary does not log a rate limit: not supported'
        : `${largest?.dataset ?? '-'}: ${fmt(achieved === undefined ? undefined : achieved / MiB)} MiB/s vs ${(rate / MiB).toFixed(1)} MiB/s (${ratio(achieved, rate)})`,
      verdict(achieved === undefined ? undefined : Math.abs(achieved / rate - 1) <= 0.1),
    ]);
  }
  console.log('\n=== targets (docs/architecture.md §10.2), judged by this run ===');
  console.log(table(['target', 'measured (medians)', 'verdict'], rows, 3));
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} missing: run make dist`);
  if (!existsSync('/usr/bin/wsrep_sst_rsync')) throw new Error('/usr/bin/wsrep_sst_rsync missing: the baseline needs mariadb-server');
  if (spawnSync('stunnel', ['-version']).error) throw new Error('stunnel missing: scripts/install-deps.sh installs stunnel4 (the stock method\'s TLS)');
  // The fixture links the executable it finds here into the nodes' PATH.
  process.env.SST_TEST_BINARY = BIN;
  const previous = previousRelease();
  if (previous !== undefined) {
    COMPARED.push('previous');
    METHODS.previous.label = `rsync_tunnel ${previous.version} (previous release)`;
  }
  if (process.env.BENCH_SIZES_GB !== undefined) throw new Error('BENCH_SIZES_GB is gone: use BENCH_DATASETS, e.g. many:4,one:3,small:0.02 (GB of tables)');
  const datasets = parseDatasets(process.env.BENCH_DATASETS ?? 'many:4,one:3,small:0.02');
  // Three rounds by default: on a shared 2-CPU machine single transfers vary by tens of percent.
  const rounds = positiveInt('BENCH_ROUNDS', 3);
  const rlimit = process.env.BENCH_RLIMIT ?? '50m';
  const rate = parseRate(rlimit);
  // Someone rebuilding dist/ during the run would mix two builds in the figures: detect it.
  const binaryId = (): string => `${statSync(BIN).ino}:${statSync(BIN).mtimeMs}`;
  const binaryAtStart = binaryId();
  const started = Date.now();
  console.log(machine('at start'));
  console.log(startup());

  const work = mkdtempSync(join(tmpdir(), 'sst-bench-'));
  const c = new Cluster(work, `bench-${process.pid}`);
  // Ctrl-C or a kill of `make bench`: still stop both mariadbd and whatever they started (by PID and tag).
  let stopping: Promise<void> | undefined;
  const cleanup = async (): Promise<void> => {
    stopping ??= c.destroy().finally(() => {
      if (process.env.KEEP !== '1') rmSync(work, { recursive: true, force: true });
    });
    await stopping;
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping the cluster`);
      void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  const runs: Run[] = [];
  let rlimitSupported: boolean | undefined;
  try {
    const donor = await c.addNode({
      name: 'node1',
      ip: '127.0.0.31',
      // Load speed only: a buffer pool that holds much of the data, no doublewrite, group commit to the
      // OS, and a page cleaner allowed to write at disk speed (the default io_capacity of 200 pages/s
      // flushes 1 GiB in ~5 minutes, and each transfer waits for a clean buffer pool).
      mysqld: {
        innodb_buffer_pool_size: '2G',
        innodb_io_capacity: '20000',
        innodb_io_capacity_max: '40000',
        innodb_doublewrite: '0',
        innodb_flush_log_at_trx_commit: '2',
      },
    });
    const joiner = await c.addNode({ name: 'node2', ip: '127.0.0.32', mysqld: { innodb_buffer_pool_size: '512M' } });
    // mkdtemp makes the directory 0700; a joiner running as mysql must reach its node directory.
    chmodSync(work, 0o755);
    // The stock joiner runs as mysql and its stunnel reads the key: copies inside the joiner's
    // directory, which is handed to the joiner's user before each transfer.
    const jtls = join(joiner.dir, 'tls');
    mkdirSync(jtls);
    const copy = (from: string): string => {
      const to = join(jtls, basename(from));
      copyFileSync(from, to);
      return to;
    };
    const tls = {
      donor: { ca: c.pki.caCert, cert: donor.cert.cert, key: donor.cert.key, bundle: donor.cert.bundle },
      joiner: { ca: copy(c.pki.caCert), cert: copy(joiner.cert.cert), key: copy(joiner.cert.key), bundle: copy(joiner.cert.bundle) },
    };
    console.log(
      `\nworking directory ${work}; node1 127.0.0.31 (donor), node2 127.0.0.32 (joiner); datasets ${datasets.map((d) => `${d.name} ${d.gb} GB`).join(', ')}; ` +
        `${rounds} round(s); rate-limited run: ${rate === undefined ? 'off' : rlimit}`,
    );
    donor.spec.mysqld = { ...donor.spec.mysqld, innodb_log_file_size: datasets[0]!.redo };
    c.writeConfigs();
    c.initialise(donor);
    let redo: string | undefined;
    for (const [di, d] of datasets.entries()) {
      const t = Date.now();
      if (redo !== d.redo) await startDonor(c, donor, d.redo);
      redo = d.redo;
      const rows = loadDataset(c, donor, d);
      await flushDonor(c, donor);
      const expected = checksums(c, donor, d);
      const tables = duBytes(...d.databases.map((db) => join(donor.datadir, db)));
      console.log(
        `\n${d.name} ${d.gb} GB: ${d.tables.length} tables in ${d.databases.length} database(s), ${(tables / MiB).toFixed(0)} MiB of tables (${rows} rows); ` +
          `donor datadir ${(duBytes(donor.datadir) / MiB).toFixed(0)} MiB with a ${d.redo} redo log; loaded and flushed in ${((Date.now() - t) / 1000).toFixed(0)} s`,
      );
      const x: Transfer = { c, donor, joiner, tls, dataset: d, expected, rlimit, previousBinary: previous?.binary };
      for (let round = 0; round < rounds; round++) {
        for (const m of methodOrder(round, di)) runs.push(await joinOnce(x, m));
      }
      if (rate !== undefined && rlimitSupported !== false) {
        const r = await joinOnce(x, 'ours-rlimit');
        runs.push(r);
        rlimitSupported = r.rateLimitLogged;
        if (!rlimitSupported) console.log(`  no "rate limit" line in either error log: this binary does not support [sst] rlimit; no further limited runs`);
      }
      drop(c, donor, d);
    }
  } finally {
    await cleanup();
  }
  report(runs, datasets, rlimit, rate, rlimitSupported);
  console.log(`\n${machine('at end')}`);
  console.log(`whole run ${((Date.now() - started) / 60_000).toFixed(1)} min; cluster stopped, ${process.env.KEEP === '1' ? `kept ${work}` : `${work} removed`}`);
  if (binaryId() !== binaryAtStart) console.log(`WARNING: ${BIN} was replaced during the run: the rsync_tunnel figures may mix two builds`);
  const bad = runs.filter((r) => !r.verified);
  if (bad.length === 0) {
    console.log('BENCH OK: every joiner had the donor\'s checksums');
  } else {
    console.log(`\n${'!'.repeat(72)}\nBENCH FAILED: ${bad.length} joiner(s) did not get the donor's data (CHECKSUM TABLE differs):`);
    for (const r of bad) console.log(`  ${r.dataset} ${METHODS[r.method].label}`);
    console.log('!'.repeat(72));
  }
  process.exitCode = bad.length === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
