/**
 * scripts/package-deb.sh: the .deb installs what docs/architecture.md §9.4 lists (program, man page,
 * README, DEP-5 copyright, changelog), depends on socat, rsync and the C libraries
 * only, is byte-for-byte reproducible, carries the executable untouched, and
 * lintian finds no error in it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { findOnPath, run } from '../helpers/binary';
import {
  buildEnv,
  buildPackage,
  BUILD_TIMEOUT_MS,
  describeRun,
  elfArch,
  licenseNames,
  nodeLicenseComponents,
  packageVersion,
  parseDep5,
  PKG_NAME,
  PROGRAM,
  runOk,
  sha256,
  snapshotBinary,
  TEST_SOURCE_DATE_EPOCH,
} from '../helpers/packages';
import { assertDependsMatchBinary } from './floor';

const DOC = `./usr/share/doc/${PKG_NAME}`;

let work = '';
let binary = '';
let deb = '';
let debAgain = '';
let tree = '';

/** `dpkg-deb -c` lines: mode, owner, size, date, time, path. */
interface Entry {
  mode: string;
  owner: string;
  size: number;
  stamp: string;
  path: string;
}

function parseListing(text: string): Entry[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^(\S+) (\S+)\s+(\d+) (\S+ \S+) (.+)$/.exec(line);
      assert.ok(m !== null, `unexpected dpkg-deb -c line: ${line}`);
      return { mode: m[1] ?? '', owner: m[2] ?? '', size: Number(m[3]), stamp: m[4] ?? '', path: m[5] ?? '' };
    });
}

function controlField(control: string, name: string): string {
  const m = new RegExp(`^${name}: (.*)$`, 'm').exec(control);
  assert.ok(m !== null, `control has no ${name}`);
  return m[1] ?? '';
}

describe('Debian package', { timeout: 2 * BUILD_TIMEOUT_MS + 300_000 }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'deb-test-'));
    binary = snapshotBinary(join(work, 'bin-a'));
    const odd = snapshotBinary(join(work, 'bin-b'), 'odd-metadata');
    // Two builds at once (two output directories, other umask and input metadata).
    [deb, debAgain] = await Promise.all([
      buildPackage('deb', binary, join(work, 'out-a')),
      buildPackage('deb', odd, join(work, 'out-b'), '077'),
    ]);
    tree = join(work, 'tree');
    await runOk('dpkg-deb', ['-x', deb, tree]);
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('is named after package.json and the binary architecture', () => {
    assert.equal(deb.split('/').pop(), `${PKG_NAME}_${packageVersion()}_${elfArch(binary).deb}.deb`);
  });

  it('is reproducible: two builds give the same bytes', () => {
    assert.equal(sha256(debAgain), sha256(deb));
  });

  it('has the control fields and the dependencies the issue allows', async () => {
    const control = await runOk('dpkg-deb', ['-f', deb]);
    assert.equal(controlField(control, 'Package'), PKG_NAME);
    assert.equal(controlField(control, 'Version'), packageVersion());
    assert.equal(controlField(control, 'Architecture'), elfArch(binary).deb);
    assert.match(controlField(control, 'Installed-Size'), /^\d+$/);
    const depends = controlField(control, 'Depends').split(/,\s*/);
    const names = depends.map((d) => d.split(' ')[0]);
    assert.deepEqual([...names].sort(), ['libc6', 'libgcc-s1', 'libstdc++6', 'rsync', 'socat']);
    // glibc 2.28 is what the Node.js binary asks for: Debian 11 and Ubuntu 20.04 must fit.
    assert.ok(depends.includes('libc6 (>= 2.28)'), `Depends: ${depends.join(', ')}`);
    assert.match(control, /^Description: .+\n( .+\n)+/m);
  });

  it(
    'declares the floor of the executable it carries: libc6, ' +
      "libstdc++6, libgcc-s1 from its symbol versions, within RHEL 8's",
    async () => {
      const control = await runOk('dpkg-deb', ['-f', deb]);
      await assertDependsMatchBinary(controlField(control, 'Depends'), binary);
    },
  );

  it(
    'contains exactly the program, the man page, the docs and ' +
      'the lintian overrides, root-owned, with fixed modes and times',
    async () => {
      const entries = parseListing(await runOk('dpkg-deb', ['-c', deb], { env: { ...buildEnv(), TZ: 'UTC' } }));
      const files = entries.filter((e) => !e.mode.startsWith('d'));
      assert.deepEqual(
        files.map((e) => `${e.mode} ${e.path}`).sort(),
        [
          `-rwxr-xr-x ./usr/bin/${PROGRAM}`,
          `-rw-r--r-- ${DOC}/LICENSE.nodejs.gz`,
          `-rw-r--r-- ${DOC}/README.md.gz`,
          `-rw-r--r-- ${DOC}/changelog.gz`,
          `-rw-r--r-- ${DOC}/copyright`,
          `-rw-r--r-- ./usr/share/lintian/overrides/${PKG_NAME}`,
          `-rw-r--r-- ./usr/share/man/man1/${PROGRAM}.1.gz`,
        ].sort(),
      );
      const stamp = new Date(TEST_SOURCE_DATE_EPOCH * 1000).toISOString().slice(0, 16).replace('T', ' ');
      for (const e of entries) {
        assert.equal(e.owner, 'root/root', e.path);
        assert.equal(e.stamp, stamp, `${e.path} has time ${e.stamp}`);
        if (e.mode.startsWith('d')) assert.equal(e.mode, 'drwxr-xr-x', e.path);
      }
    },
  );

  it('ships the executable unchanged (no strip, no post-processing), and it runs', async () => {
    const installed = join(tree, 'usr', 'bin', PROGRAM);
    assert.equal(sha256(installed), sha256(binary));
    const version = await runOk(installed, ['--version']);
    assert.match(
      version,
      new RegExp(`^${PROGRAM} ${packageVersion().replace(/\./g, '\\.')} \\(Node\\.js \\S+, OpenSSL \\S+\\)`),
    );
  });

  it('has md5sums for every file', async () => {
    const md5sums = await runOk('dpkg-deb', ['-I', deb, 'md5sums']);
    const listed = md5sums
      .trim()
      .split('\n')
      .map((l) => l.replace(/^[0-9a-f]{32} {2}/, ''));
    const files = parseListing(await runOk('dpkg-deb', ['-c', deb]))
      .filter((e) => !e.mode.startsWith('d'))
      .map((e) => e.path.replace(/^\.\//, ''));
    assert.deepEqual(listed.sort(), files.sort());
    for (const line of md5sums.trim().split('\n')) {
      const [sum, file] = line.split(/ {2}/);
      assert.equal(
        createHash('md5')
          .update(readFileSync(join(tree, file ?? '')))
          .digest('hex'),
        sum,
        file,
      );
    }
  });

  it('has a DEP-5 copyright listing every component of the embedded Node.js runtime', () => {
    const text = readFileSync(join(tree, 'usr', 'share', 'doc', PKG_NAME, 'copyright'), 'utf8');
    const paragraphs = parseDep5(text);
    const header = paragraphs[0]?.fields;
    assert.equal(header?.get('Format'), 'https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/');
    const files = paragraphs.filter((p) => p.fields.has('Files'));
    const standalone = new Set(
      paragraphs
        .filter((p) => !p.fields.has('Files') && p.fields.has('License'))
        .map((p) => (p.fields.get('License') ?? '').split('\n')[0] ?? ''),
    );
    for (const p of files) {
      assert.ok(p.fields.has('Copyright'), `Files: ${p.fields.get('Files') ?? ''} has no Copyright`);
      for (const name of licenseNames(p.fields.get('License') ?? '')) {
        assert.ok(
          standalone.has(name),
          `license ${name} (Files: ${p.fields.get('Files') ?? ''}) has no License paragraph`,
        );
      }
    }
    const byFiles = new Map(
      files.map((p) => [p.fields.get('Files') ?? '', licenseNames(p.fields.get('License') ?? '')]),
    );
    assert.deepEqual(byFiles.get('*'), ['GPL-2']);
    assert.deepEqual(byFiles.get('node_modules/minimist/*'), ['Expat']);
    assert.deepEqual(byFiles.get('nodejs/*'), ['Expat']);
    assert.deepEqual(byFiles.get('nodejs/deps/openssl/*'), ['Apache-2.0']);
    assert.deepEqual(byFiles.get('nodejs/deps/v8/*'), ['BSD-3-clause']);
    assert.deepEqual(byFiles.get('nodejs/deps/zlib/*'), ['Zlib']);
    assert.deepEqual(byFiles.get('nodejs/deps/uv/*'), ['Expat']);
    assert.ok(byFiles.get('nodejs/deps/icu-small/*')?.includes('Unicode-3.0'));
    // A Node.js update that brings a new component must bring a paragraph (or a note) for it.
    const lower = text.toLowerCase();
    for (const component of nodeLicenseComponents()) {
      assert.ok(
        lower.includes(component.toLowerCase()),
        `copyright does not mention ${component}, listed in Node.js's LICENSE`,
      );
    }
    // Debian policy: GPL and Apache texts by reference to common-licenses.
    assert.match(text, /\/usr\/share\/common-licenses\/GPL-2\b/);
    assert.match(text, /\/usr\/share\/common-licenses\/Apache-2\.0\b/);
  });

  it('ships the changelog, README and the Node.js LICENSE compressed, and a gzipped man page', () => {
    const doc = join(tree, 'usr', 'share', 'doc', PKG_NAME);
    const changelog = gunzipSync(readFileSync(join(doc, 'changelog.gz'))).toString('utf8');
    assert.match(changelog, new RegExp(`^${PKG_NAME} \\(${packageVersion().replace(/\./g, '\\.')}\\) `));
    assert.match(gunzipSync(readFileSync(join(doc, 'README.md.gz'))).toString('utf8'), /^# wsrep_sst_rsync_tunnel/);
    assert.match(gunzipSync(readFileSync(join(doc, 'LICENSE.nodejs.gz'))).toString('utf8'), /^Node\.js is licensed/);
    assert.match(
      gunzipSync(readFileSync(join(tree, 'usr', 'share', 'man', 'man1', `${PROGRAM}.1.gz`))).toString('utf8'),
      /^\.TH WSREP_SST_RSYNC_TUNNEL 1 /m,
    );
  });

  it('passes lintian without errors', async (t) => {
    if (findOnPath('lintian') === undefined) {
      assert.fail('lintian is not installed (scripts/install-deps.sh installs it)');
    }
    const r = await run('lintian', ['--display-info', '--pedantic', deb], { env: buildEnv(), timeoutMs: 300_000 });
    t.diagnostic(`lintian output:\n${r.stdout}${r.stderr}`);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('E: '));
    assert.deepEqual(errors, [], describeRun('lintian', r));
    // Exit 0 means no error-severity tag (overridden tags do not count).
    assert.equal(r.code, 0, describeRun('lintian', r));
  });
});
