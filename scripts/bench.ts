/**
 * `make bench`: how much the TLS tunnel costs. One donor (node1, 127.0.0.31)
 * holds a generated dataset whose datadir is ~1 and ~2 GiB (BENCH_SIZES_GB,
 * default "1,2", in GiB; the datadir includes a 256 MiB redo log);
 * one joiner (node2, 127.0.0.32) joins it with an empty datadir through
 * wsrep_sst_method=rsync_tunnel (ours) and, in the same run and on the same
 * dataset, through MariaDB's stock wsrep_sst_method=rsync without TLS (the
 * speed of light: the same rsync passes, no encryption). Between the two it is
 * stopped and its datadir wiped, so both transfers start from the same donor
 * files, the same joiner address and my.cnf apart from the method and user,
 * a clean donor buffer pool, the donor files in the page cache and no pending
 * writeback.
 *
 * Prints per transfer: datadir size, seconds from the joiner's start to
 * Synced, the SST scripts' own durations from the error logs, throughput and
 * the ours/plain ratio; per program the peak RSS and CPU time of the SST
 * processes (sampled from /proc); the binary's start time and peak RSS; and
 * the machine. Stops everything it started and removes its working directory
 * (KEEP=1 keeps it). BENCH_ROUNDS=n (default 3) repeats each pair n times,
 * alternating which method goes first, and reports medians.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Cluster, type ClusterNode } from '../test/e2e/cluster';

const repo = resolve(__dirname, '..', '..');
const BIN = join(repo, 'dist', 'wsrep_sst_rsync_tunnel');
const MiB = 1024 * 1024;
/** Rows per INSERT … SELECT: ~100 MB each, so a size is hit within ~10 % and no statement runs for minutes. */
const CHUNK_ROWS = 250_000;
const TABLES = ['bench_a.t1', 'bench_a.t2', 'bench_b.t1', 'bench_b.t2'];
/** Same on both nodes: a joiner whose innodb_log_file_size differs from the copied redo log would resize it at startup. */
const REDO = '256M';

type Method = 'rsync_tunnel' | 'rsync';
const LABEL: Record<Method, string> = { rsync_tunnel: 'rsync_tunnel (ours, TLS)', rsync: 'rsync (stock, plain)' };

interface Usage {
  role: 'donor' | 'joiner';
  program: string;
  peakRssKiB: number;
  cpuSeconds: number;
}

interface Run {
  sizeGiB: number;
  method: Method;
  datadirBytes: number;
  /** Joiner mariadbd start to wsrep_local_state_comment=Synced. */
  toSynced: number;
  /** First to last WSREP_SST line of the joiner's / donor's script (ms timestamps, the same rule for both methods). */
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
}

// ---------------------------------------------------------------- small helpers

/**
 * The user the joiner's mariadbd runs as, per method: each needs a different one on this rsync (3.5.0).
 * - Stock rsync as root: its rsyncd.conf sets no uid, so the root-started daemon drops to `nobody` and
 *   cannot create the database directories ("mkdir "bench_a" (in rsync_sst) failed: Permission
 *   denied", rsync code 23). Packaged MariaDB runs as mysql, where it works.
 * - Ours as mysql: its rsyncd.conf always sets `gid = <own gid>`, and a non-root rsync daemon then
 *   fails with "@ERROR: setgroups failed" (rsync code 5), so only root works today.
 * Which user runs the joiner does not change the data path (same files, same rsync, same loopback);
 * the donor stays root, as in the e2e fixture, for both.
 */
const JOINER_USER: Record<Method, string> = { rsync_tunnel: 'root', rsync: 'mysql' };

function ids(user: string): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function envNumbers(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`${name} must be a comma-separated list of positive numbers, not '${raw}'`);
  return values;
}

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? '?';
}

function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?';
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const avail = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return [
    `machine: ${nproc} CPUs (${model}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM (${avail ? (Number(avail) / 1024 ** 2).toFixed(1) : '?'} GiB available), Linux ${release()}`,
    `load average (1/5/15 min) at start: ${load()}`,
    `mariadbd: ${firstLine('/usr/sbin/mariadbd', ['--version'])}`,
    `rsync: ${firstLine('rsync', ['--version'])}`,
    `socat: ${spawnSync('socat', ['-V'], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.startsWith('socat version'))?.trim() ?? '?'}`,
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

/** What a process is, in the terms of the report: our binary, socat, rsync, the stock shell script, or a helper. */
function programOf(pid: number): string {
  // " (deleted)": the file was replaced or removed since the process started it; the program is the same.
  const exe = basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
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
 * Grows the donor's dataset until its datadir (what an SST copies, redo log
 * included) reaches `targetBytes`. Session wsrep_on=OFF: node1 is alone in the
 * cluster and the joiner gets the files by SST, so replicating ~100 MB write
 * sets through Galera would only slow the load down.
 */
function grow(c: Cluster, n: ClusterNode, targetBytes: number, nextId: Map<string, number>): void {
  c.sql(n, 'SET SESSION wsrep_on=OFF; CREATE DATABASE IF NOT EXISTS bench_a; CREATE DATABASE IF NOT EXISTS bench_b');
  for (const t of TABLES) {
    // Wide rows (~330 bytes) of incompressible-looking text: TLS and rsync see real work per byte.
    c.sql(n, `SET SESSION wsrep_on=OFF; CREATE TABLE IF NOT EXISTS ${t} (id INT PRIMARY KEY, k INT NOT NULL, payload VARCHAR(400) NOT NULL) ENGINE=InnoDB`);
  }
  let i = 0;
  while (duBytes(n.datadir) < targetBytes) {
    // Round-robin over two databases: both methods copy database directories in parallel (backup-threads = nproc).
    const t = TABLES[i++ % TABLES.length]!;
    const from = nextId.get(t) ?? 0;
    c.sql(
      n,
      `SET SESSION wsrep_on=OFF; USE ${t.split('.')[0]}; ` +
        `INSERT INTO ${t} SELECT seq + ${from}, (seq * 7919) % 100003, REPEAT(SHA1(seq + ${from}), 8) FROM seq_1_to_${CHUNK_ROWS}`,
      600_000,
    );
    nextId.set(t, from + CHUNK_ROWS);
  }
}

/**
 * Waits until the donor has no dirty page left, so each transfer starts from the same state: otherwise the
 * first SST after a load would pay for flushing it while the donor holds its read lock.
 */
async function flushDonor(c: Cluster, n: ClusterNode): Promise<void> {
  c.sql(n, 'SET GLOBAL innodb_max_dirty_pages_pct_lwm=0; SET GLOBAL innodb_max_dirty_pages_pct=0');
  const deadline = Date.now() + 600_000;
  while (Number(c.status(n, 'Innodb_buffer_pool_pages_dirty') ?? '1') > 0) {
    if (Date.now() > deadline) throw new Error('donor still has dirty pages after 10 min');
    await sleep(1000);
  }
}

/**
 * Reads every donor file once. InnoDB writes with O_DIRECT (10.11's default), so after a load the files
 * are not in the page cache, and only the first transfer of each size would read them from disk (it
 * was ~1.5× slower, whichever method went first). Every transfer now reads from memory: the figures
 * compare the methods, not the disk.
 */
function warmCache(dir: string): void {
  const r = spawnSync('find', [dir, '-type', 'f', '-exec', 'cat', '{}', '+'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reading ${dir} failed: ${r.stderr}`);
}

function checksums(c: Cluster, n: ClusterNode): string {
  return c.sql(n, `CHECKSUM TABLE ${TABLES.join(', ')}`, 600_000).replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------- one transfer

async function joinOnce(c: Cluster, donor: ClusterNode, joiner: ClusterNode, method: Method, sizeGiB: number, expected: string): Promise<Run> {
  const tls = { tca: c.pki.caCert, tcert: joiner.cert.bundle };
  // The joiner names the method in its request and the donor runs that script, reading its own my.cnf at
  // that moment. Stock rsync turns TLS on (stunnel) as soon as [sst] has tca/tcert, and ours refuses
  // ssl-mode=DISABLED, so the [sst] section of both nodes is rewritten per method.
  const user = JOINER_USER[method];
  joiner.spec.mysqld = { ...joiner.spec.mysqld, wsrep_sst_method: method, user };
  joiner.spec.sst = method === 'rsync_tunnel' ? tls : {};
  donor.spec.sst = method === 'rsync_tunnel' ? { tca: c.pki.caCert, tcert: donor.cert.bundle } : {};
  c.writeConfigs();
  rmSync(joiner.datadir, { recursive: true, force: true });
  // An empty datadir, and the node directory (error log, gcache, socket) left by the previous run,
  // owned by the user this joiner runs as; the fixture would create the datadir root-owned.
  mkdirSync(joiner.datadir);
  const { uid, gid } = ids(user);
  execFileSync('chown', ['-R', `${uid}:${gid}`, joiner.dir]);
  await flushDonor(c, donor);
  warmCache(donor.datadir);
  // The previous joiner's gigabytes must not be written back during this transfer.
  execFileSync('sync');
  const datadirBytes = duBytes(donor.datadir);
  const offsets = { donor: logSize(donor), joiner: logSize(joiner) };
  const loadBefore = load();
  const sampler = new Sampler({ donor: () => donor.process?.pid, joiner: () => joiner.process?.pid });
  process.stdout.write(`  ${LABEL[method]}: joining ${(datadirBytes / MiB).toFixed(0)} MiB … `);
  let toSynced: number;
  try {
    const t0 = Date.now();
    c.start(joiner);
    let exited = false;
    void joiner.exited?.then(() => (exited = true));
    const deadline = t0 + 1_800_000;
    // Our own loop: Cluster.waitSynced polls every 500 ms, too coarse for a transfer of ~10 s.
    while (c.status(joiner, 'wsrep_local_state_comment') !== 'Synced') {
      if (exited) throw new Error(`node2 (${method}) exited before Synced\n${c.tail(joiner)}\n--- donor ---\n${c.tail(donor, 30)}`);
      if (Date.now() > deadline) throw new Error(`node2 (${method}) not Synced in 30 min\n${c.tail(joiner)}`);
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
  const got = checksums(c, joiner);
  const verified = got === expected;
  console.log(`Synced in ${toSynced.toFixed(1)} s, ${verified ? 'checksums equal' : 'CHECKSUMS DIFFER'}`);
  if (!verified) console.log(`    donor:  ${expected}\n    joiner: ${got}`);
  await c.stop(joiner);
  return {
    sizeGiB,
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
    load: `${loadBefore} → ${load()}`,
    verified,
  };
}

// ---------------------------------------------------------------- report

function report(runs: Run[]): void {
  const opt = (vs: (number | undefined)[]): number | undefined => (vs.length > 0 && vs.every((v) => v !== undefined) ? median(vs as number[]) : undefined);
  const per = (a?: number, b?: number): number | undefined => (a === undefined || b === undefined ? undefined : a / b);
  const ratio = (a?: number, b?: number): string => (a === undefined || b === undefined ? '-' : `×${(a / b).toFixed(2)}`);
  const rows: string[][] = [];
  for (const size of [...new Set(runs.map((r) => r.sizeGiB))]) {
    const summary = (m: Method): { mib: number; synced?: number; joiner?: number; donor?: number; copy?: number; self: string } => {
      const rs = runs.filter((r) => r.sizeGiB === size && r.method === m);
      return {
        mib: median(rs.map((r) => r.datadirBytes / MiB)),
        synced: opt(rs.map((r) => r.toSynced)),
        joiner: opt(rs.map((r) => r.joinerScript)),
        donor: opt(rs.map((r) => r.donorScript)),
        copy: opt(rs.map((r) => r.copy)),
        self: m === 'rsync_tunnel' ? `${fmt(opt(rs.map((r) => r.joinerSelf)))} / ${fmt(opt(rs.map((r) => r.donorSelf)))}` : '',
      };
    };
    const plain = summary('rsync');
    const ours = summary('rsync_tunnel');
    for (const [m, s] of [['rsync', plain], ['rsync_tunnel', ours]] as const) {
      rows.push([`${size} GiB`, LABEL[m], s.mib.toFixed(0), fmt(s.synced), fmt(per(s.mib, s.synced)), fmt(s.joiner), fmt(s.donor), fmt(s.copy), fmt(per(s.mib, s.copy)), s.self]);
    }
    rows.push([
      '',
      'ours / plain',
      '',
      ratio(ours.synced, plain.synced),
      ratio(per(ours.mib, ours.synced), per(plain.mib, plain.synced)),
      ratio(ours.joiner, plain.joiner),
      ratio(ours.donor, plain.donor),
      ratio(ours.copy, plain.copy),
      ratio(per(ours.mib, ours.copy), per(plain.mib, plain.copy)),
      '',
    ]);
  }
  const rounds = Math.max(...runs.map((r) => runs.filter((x) => x.sizeGiB === r.sizeGiB && x.method === r.method).length));
  console.log(`\n=== SST: node2 joins node1 with an empty datadir (${rounds > 1 ? `median of ${rounds} runs each` : 'one run each'}) ===`);
  console.log(
    table(['dataset', 'method', 'datadir MiB', 'start→Synced s', 'MiB/s', 'joiner script s', 'donor script s', 'data copy s', 'copy MiB/s', 'ours: joiner/donor finished in s'], rows),
  );
  console.log(
    'start→Synced: joiner mariadbd spawned until wsrep_local_state_comment=Synced (100 ms polling); MiB/s = donor datadir (du -sb) / seconds.\n' +
      "script s: first to last WSREP_SST line of that node's SST script (the scripts' own ms timestamps).\n" +
      'data copy s: donor log, tables flushed → last data pass done (the transfer itself, without either script\'s start-up and handshakes).\n' +
      'ratios: ours/plain for seconds and MiB/s (×1.20 s = 20 % slower; ×0.83 MiB/s = 17 % less throughput).',
  );
  if (rounds > 1) {
    console.log('\nall runs, in the order they ran (start→Synced s / data copy s):');
    for (const r of runs) console.log(`  ${r.sizeGiB} GiB  ${r.method.padEnd(12)}  ${fmt(r.toSynced)} / ${fmt(r.copy)}`);
  }

  // One block per size and method: programs that matter by name, helpers (ps, gawk, ss …) lumped together.
  console.log(`\n=== SST processes per transfer: peak RSS (VmHWM, max over runs) and CPU time (median over runs) ===`);
  console.log('sampled from /proc every 200 ms, so CPU is a lower bound (the last 200 ms of each process and short helpers are missed)');
  const urows: string[][] = [];
  const groups = new Map<string, Run[]>();
  for (const r of runs) groups.set(`${r.sizeGiB} GiB ${r.method}`, [...(groups.get(`${r.sizeGiB} GiB ${r.method}`) ?? []), r]);
  for (const [name, rs] of groups) {
    const perRun = rs.map((r) => {
      const rows = new Map<string, { rss: number; cpu: number; helpers: Set<string> }>();
      for (const u of r.usage) {
        const named = u.program.startsWith('wsrep_sst') || u.program === 'socat' || u.program === 'rsync';
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
    const keys = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort((x, y) => Number(x.includes('all SST')) - Number(y.includes('all SST')) || x.localeCompare(y));
    for (const k of keys) {
      const vals = perRun.map((m) => m.get(k)).filter((v) => v !== undefined);
      const helpers = [...new Set(vals.flatMap((v) => [...v.helpers]))].sort();
      const label = helpers.length > 0 ? `${k} (${helpers.join(', ')})`.slice(0, 64) : k;
      urows.push([name, label, (Math.max(...vals.map((v) => v.rss)) / 1024).toFixed(1), median(vals.map((v) => v.cpu)).toFixed(2)]);
    }
  }
  console.log(table(['transfer', 'role / program', 'peak RSS MiB', 'CPU s'], urows));

  console.log('\n=== load average (1/5/15 min) before → after each transfer ===');
  for (const r of runs) console.log(`${r.sizeGiB} GiB ${r.method.padEnd(12)} ${r.load}`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} missing: run make dist`);
  if (!existsSync('/usr/bin/wsrep_sst_rsync')) throw new Error('/usr/bin/wsrep_sst_rsync missing: the baseline needs mariadb-server');
  // The fixture links the executable it finds here into the nodes' PATH.
  process.env.SST_TEST_BINARY = BIN;
  const sizes = [...envNumbers('BENCH_SIZES_GB', '1,2')].sort((a, b) => a - b);
  // Three rounds by default: on a shared 2-CPU machine single transfers vary by tens of percent.
  const rounds = Math.max(1, Math.round(envNumbers('BENCH_ROUNDS', '3')[0]!));
  // Someone rebuilding dist/ during the run would mix two binaries in the figures: detect it.
  const binaryId = (): string => `${statSync(BIN).ino}:${statSync(BIN).mtimeMs}`;
  const binaryAtStart = binaryId();
  const started = Date.now();
  console.log(machine());
  console.log(startup());

  const work = mkdtempSync(join(tmpdir(), 'sst-bench-'));
  const c = new Cluster(work, `bench-${process.pid}`);
  // Ctrl-C or a kill of `make bench`: still stop both mariadbd and whatever they started.
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
  try {
    const donor = await c.addNode({
      name: 'node1',
      ip: '127.0.0.31',
      // Load speed only: a buffer pool that holds the data, no doublewrite, group commit to the OS, and a
      // page cleaner allowed to write at disk speed (the default io_capacity of 200 pages/s flushes 1 GiB
      // in ~5 minutes, and each transfer waits for a clean buffer pool).
      mysqld: {
        innodb_buffer_pool_size: '2G',
        innodb_io_capacity: '20000',
        innodb_io_capacity_max: '40000',
        innodb_log_file_size: REDO,
        innodb_doublewrite: '0',
        innodb_flush_log_at_trx_commit: '2',
      },
    });
    const joiner = await c.addNode({ name: 'node2', ip: '127.0.0.32', mysqld: { innodb_buffer_pool_size: '512M', innodb_log_file_size: REDO } });
    // mkdtemp makes the directory 0700; a joiner running as mysql must reach its node directory.
    chmodSync(work, 0o755);
    c.writeConfigs();
    console.log(`\nworking directory ${work}; node1 127.0.0.31 (donor), node2 127.0.0.32 (joiner); sizes ${sizes.join(', ')} GiB, ${rounds} round(s)`);
    c.initialise(donor);
    c.start(donor, ['--wsrep-new-cluster']);
    await c.waitSynced(donor);
    const nextId = new Map<string, number>();
    for (const [si, size] of sizes.entries()) {
      const t = Date.now();
      // Sizes ascend: each grows the previous dataset instead of starting over.
      grow(c, donor, size * 1024 ** 3, nextId);
      await flushDonor(c, donor);
      const expected = checksums(c, donor);
      const tables = duBytes(join(donor.datadir, 'bench_a')) + duBytes(join(donor.datadir, 'bench_b'));
      console.log(`\n${size} GiB: donor datadir ${(duBytes(donor.datadir) / MiB).toFixed(0)} MiB (tables ${(tables / MiB).toFixed(0)} MiB, ${[...nextId.values()].reduce((a, b) => a + b, 0)} rows) after ${((Date.now() - t) / 1000).toFixed(0)} s of loading and flushing`);
      for (let round = 0; round < rounds; round++) {
        // Alternate which method goes first, so neither always profits from (or pays for) the other's leftovers.
        const order: Method[] = (round + si) % 2 === 0 ? ['rsync_tunnel', 'rsync'] : ['rsync', 'rsync_tunnel'];
        for (const m of order) runs.push(await joinOnce(c, donor, joiner, m, size, expected));
      }
    }
  } finally {
    await cleanup();
  }
  report(runs);
  console.log(`\nload average at end: ${load()}; whole run ${((Date.now() - started) / 60_000).toFixed(1)} min; cluster stopped, ${process.env.KEEP === '1' ? `kept ${work}` : `${work} removed`}`);
  if (binaryId() !== binaryAtStart) console.log(`WARNING: ${BIN} was replaced during the run: the rsync_tunnel figures may mix two builds`);
  const ok = runs.every((r) => r.verified);
  console.log(ok ? 'BENCH OK' : 'BENCH FAILED: a joiner did not get the donor\'s data');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
