/**
 * `make test-mtr`: MariaDB's own `galera` MTR tests that use wsrep_sst_method=rsync (Debian's
 * mariadb-test package), run as twins that use rsync_tunnel and the single executable from
 * dist/. Prints one PASS / FAIL / SKIP / N/A line per test and `N passed, N failed[, …]`;
 * exits 1 when a test fails. MTR runs as an unprivileged user (`sst-mtr`, created when
 * absent) because mariadbd refuses root. MTR_PARALLEL (default 2), MTR_BUILD_THREAD (default:
 * MTR picks free ports), MTR_TESTS=a,b runs only those (while developing), KEEP=1 keeps the
 * work directory, VERBOSE=1 shows MTR's output.
 *
 * SST_MTR_ROOT=<dir> runs the mariadb-test of another distribution's root filesystem
 * (make test-distros): every path below is then one inside that root, every program (useradd,
 * chown, MTR) runs chrooted through scripts/distro/in-root.ts, and the work directory is in
 * the root's /tmp.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { inRoot } from './distro/in-root';
import { completeResults, formatResult, parseMtrOutput, summary } from './mtr/report';
import {
  NOT_APPLICABLE,
  TWIN_SUITE,
  twinBaseOptionFile,
  twinCnf,
  twinCombinations,
  twinSuitePm,
  twinTest,
  usesRsyncMethod,
} from './mtr/twin';

const repo = resolve(__dirname, '..', '..');
const MTR_USER = 'sst-mtr';
const BINARY_NAME = 'wsrep_sst_rsync_tunnel';
const ROOT = process.env.SST_MTR_ROOT ?? '/';

/** The host path of a path inside the system the tests run in. */
function host(path: string): string {
  return ROOT === '/' ? path : join(ROOT, path);
}

// Debian's mariadb-test moved from /usr/share/mysql/mysql-test (up to 11.4) to /usr/share/mariadb/mariadb-test (11.8).
const MYSQL_TEST =
  ['/usr/share/mysql/mysql-test', '/usr/share/mariadb/mariadb-test'].find((d) => fs.existsSync(host(d))) ??
  '/usr/share/mysql/mysql-test';
const GALERA = join(MYSQL_TEST, 'suite', 'galera');

/** The path inside the system of a host path under its root. */
function inner(hostPath: string): string {
  return ROOT === '/' ? hostPath : hostPath.slice(resolve(ROOT).length);
}

/** argv that runs there, as root, in `wd`. */
function there(argv: readonly string[], wd = '/'): string[] {
  return ROOT === '/' ? [...argv] : inRoot(resolve(ROOT), argv, { wd });
}

function runThere(argv: readonly string[], options: { stdio?: 'ignore' } = {}): void {
  const [command, ...args] = there(argv);
  execFileSync(command ?? '', args, options);
}

/** Test names of the galera suite whose option or combinations files select the stock rsync method. */
function rsyncTests(): string[] {
  const files = fs.readdirSync(host(join(GALERA, 't')));
  const selecting = files.filter(
    (f) => /\.(cnf|combinations)$/.test(f) && usesRsyncMethod(fs.readFileSync(host(join(GALERA, 't', f)), 'utf8')),
  );
  return [...new Set(selecting.map((f) => f.replace(/\.(cnf|combinations)$/, '')))]
    .filter((t) => files.includes(`${t}.test`))
    .sort();
}

/** A test's own files: `t.test`, `t.cnf`, `t-master.opt`, `t.result`, `t,debug.rdiff`, … */
function ownFiles(dir: string, test: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${test}.`) || f.startsWith(`${test},`) || f.startsWith(`${test}-`));
}

function twinFile(test: string, file: string, text: string): string {
  if (file.endsWith('.cnf')) return twinCnf(test, text);
  if (file.endsWith('.combinations')) return twinCombinations(text);
  if (file.endsWith('.test')) return twinTest(text);
  return text;
}

/**
 * `<work>/suite/` holds the twins' suite next to links to every other suite, so relative
 * includes such as `../encryption/include/…` resolve as in the original.
 */
function buildSuite(work: string, binDir: string, tests: readonly string[]): string {
  const suites = join(work, 'suite');
  const suite = join(suites, TWIN_SUITE);
  fs.mkdirSync(join(suite, 't'), { recursive: true });
  fs.mkdirSync(join(suite, 'r'), { recursive: true });
  // The links name the suites as MTR sees them, inside the root.
  for (const other of fs.readdirSync(host(join(MYSQL_TEST, 'suite'))))
    fs.symlinkSync(join(MYSQL_TEST, 'suite', other), join(suites, other));
  const galera = host(GALERA);
  for (const entry of fs.readdirSync(galera)) {
    const from = join(galera, entry);
    if (entry === 't' || entry === 'r' || entry === 'disabled.def') continue;
    if (fs.statSync(from).isDirectory()) fs.cpSync(from, join(suite, entry), { recursive: true });
    else if (entry === 'suite.pm')
      fs.writeFileSync(join(suite, entry), twinSuitePm(fs.readFileSync(from, 'utf8'), inner(binDir)));
    else if (entry.endsWith('.cnf'))
      fs.writeFileSync(join(suite, entry), twinBaseOptionFile(fs.readFileSync(from, 'utf8')));
    else fs.copyFileSync(from, join(suite, entry));
  }
  for (const test of tests) {
    for (const f of ownFiles(join(galera, 't'), test))
      fs.writeFileSync(join(suite, 't', f), twinFile(test, f, fs.readFileSync(join(galera, 't', f), 'utf8')));
    for (const f of ownFiles(join(galera, 'r'), test)) fs.copyFileSync(join(galera, 'r', f), join(suite, 'r', f));
  }
  return suite;
}

function ensureUser(): void {
  try {
    runThere(['id', '-u', MTR_USER], { stdio: 'ignore' });
  } catch {
    runThere([
      'useradd',
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      MTR_USER,
    ]);
  }
}

/** Runs MTR (as MTR_USER when we are root), its output to `log`; resolves with the output and exit code. */
function runMtr(args: readonly string[], log: string, asRoot: boolean): Promise<{ output: string; code: number }> {
  const command = there(asRoot ? ['runuser', '-u', MTR_USER, '--', 'perl', ...args] : ['perl', ...args], MYSQL_TEST);
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: host(MYSQL_TEST),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = fs.createWriteStream(log);
  const chunks: string[] = [];
  const stop = (): void => {
    // MTR ends the servers it started when its process group is signalled.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  let pending = '';
  const onData = (b: Buffer): void => {
    const text = b.toString();
    chunks.push(text);
    out.write(text);
    if (process.env.VERBOSE === '1') process.stdout.write(text);
    else {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (/\[ (pass|fail|skipped) \]/.test(l)) console.log(`  mtr: ${l.replace(/^.*\//, '')}`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((done) => {
    child.on('close', (code, signal) => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      out.end();
      done({ output: chunks.join(''), code: code ?? (signal ? 128 : 1) });
    });
  });
}

async function main(): Promise<number> {
  const binary = process.env.SST_TEST_BINARY ?? join(repo, 'dist', BINARY_NAME);
  if (!fs.existsSync(binary)) throw new Error(`${binary} missing: run make dist`);
  if (!fs.existsSync(host(join(GALERA, 't')))) {
    console.log(`SKIP make test-mtr: ${host(GALERA)} not found (Debian package mariadb-test)`);
    return 0;
  }
  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensureUser();
  // MTR reads a suite path with '-' as "suite-overlay": the work path must have none.
  const work = fs.mkdtempSync(host('/tmp/sstmtr'));
  const binDir = join(work, 'bin');
  fs.mkdirSync(binDir);
  fs.copyFileSync(binary, join(binDir, BINARY_NAME));
  fs.chmodSync(binDir, 0o755);
  fs.chmodSync(join(binDir, BINARY_NAME), 0o755);

  const only = process.env.MTR_TESTS?.split(',').filter((t) => t !== '');
  const all = rsyncTests().filter((t) => only === undefined || only.includes(t));
  const run = all.filter((t) => NOT_APPLICABLE[t] === undefined);
  const notApplicable = Object.fromEntries(Object.entries(NOT_APPLICABLE).filter(([t]) => all.includes(t)));
  const suite = buildSuite(work, binDir, run);
  if (asRoot) runThere(['chown', '-R', `${MTR_USER}:`, inner(work)]);
  fs.chmodSync(work, 0o755);

  const parallel = process.env.MTR_PARALLEL ?? '2';
  const args = [
    // 10.5 has only the old name.
    fs.existsSync(host(join(MYSQL_TEST, 'mariadb-test-run.pl'))) ? 'mariadb-test-run.pl' : 'mysql-test-run.pl',
    `--vardir=${inner(join(work, 'var'))}`,
    `--suite=${inner(suite)}`,
    `--parallel=${parallel}`,
    '--big-test',
    '--force',
    '--retry=0',
    '--max-test-fail=0',
    '--testcase-timeout=8',
    '--suite-timeout=40',
    ...(process.env.MTR_BUILD_THREAD ? [`--build-thread=${process.env.MTR_BUILD_THREAD}`] : []),
    ...run,
  ];
  console.log(
    `MTR: ${run.length} rsync_tunnel twins of the galera suite's rsync tests, --parallel=${parallel}, as ` +
      `${asRoot ? MTR_USER : 'the current user'}; work ${work}`,
  );
  const started = Date.now();
  const { output, code } = await runMtr(args, join(work, 'mtr.log'), asRoot);
  const results = completeResults(run, parseMtrOutput(output, TWIN_SUITE), notApplicable);
  console.log('');
  for (const r of results) console.log(formatResult(r));
  // MTR can fail outside any test (a server that would not bootstrap, a check at the end).
  const failed = results.some((r) => r.outcome === 'FAIL') || code !== 0;
  console.log(`${summary(results)} (MTR exit ${code}, ${((Date.now() - started) / 1000).toFixed(0)} s wall)`);
  if (failed || process.env.KEEP === '1')
    console.log(`kept ${work} (MTR log: ${join(work, 'mtr.log')}, server logs under ${join(work, 'var')})`);
  else fs.rmSync(work, { recursive: true, force: true });
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`test-mtr: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
