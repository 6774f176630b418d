/**
 * scripts/package-rpm.sh: the .rpm is reproducible, carries the executable untouched
 * (no strip, no debuginfo, no build-id links), requires socat, rsync, the C library
 * sonames and alternatives only, installs into a throw-away root, and its
 * alternatives setup lets it coexist with mariadb-server-galera's original script.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { findOnPath, run } from '../helpers/binary';
import {
  buildPackage,
  BUILD_TIMEOUT_MS,
  describeRun,
  elfArch,
  packageVersion,
  PKG_NAME,
  PROGRAM,
  runOk,
  sha256,
  snapshotBinary,
  TEST_SOURCE_DATE_EPOCH,
} from '../helpers/packages';
import { assertRequiresMatchBinary } from './floor';

const PROGDIR = `/usr/libexec/${PKG_NAME}`;
const LINK = `/usr/bin/${PROGRAM}`;
const OURS = `${PROGDIR}/${PROGRAM}`;
const SCRIPT = `${PROGDIR}/${PROGRAM}.script`;
const SETUP = `${PROGDIR}/alternatives-setup`;

let work = '';
let binary = '';
let rpmFile = '';
let rpmAgain = '';
let root = '';

/** rpm with the database inside the throw-away root (Debian's rpm defaults to ~/.rpmdb). */
function rpmRootArgs(): string[] {
  return [`--root=${root}`, '--dbpath=/var/lib/rpm'];
}

async function query(format: string): Promise<string> {
  return runOk('rpm', ['-qp', '--qf', format, rpmFile]);
}

describe('RPM package', { timeout: 2 * BUILD_TIMEOUT_MS + 300_000 }, () => {
  before(async () => {
    work = fs.mkdtempSync(join(tmpdir(), 'rpm-test-'));
    binary = snapshotBinary(join(work, 'bin-a'));
    const odd = snapshotBinary(join(work, 'bin-b'), 'odd-metadata');
    [rpmFile, rpmAgain] = await Promise.all([
      buildPackage('rpm', binary, join(work, 'out-a')),
      buildPackage('rpm', odd, join(work, 'out-b'), '077'),
    ]);
    root = join(work, 'root');
    fs.mkdirSync(root);
    await runOk('rpm', [...rpmRootArgs(), '--nodeps', '--noscripts', '--notriggers', '-i', rpmFile], {
      timeoutMs: 120_000,
    });
  });

  after(() => {
    if (work !== '') fs.rmSync(work, { recursive: true, force: true });
  });

  it('is named after package.json and the binary architecture', () => {
    assert.equal(rpmFile.split('/').pop(), `${PKG_NAME}-${packageVersion()}-1.${elfArch(binary).rpm}.rpm`);
  });

  it('is reproducible: two builds give the same bytes', () => {
    assert.equal(sha256(rpmAgain), sha256(rpmFile));
  });

  it('has the header rpm -qpi shows, with SOURCE_DATE_EPOCH as build time and a fixed build host', async () => {
    const info = await runOk('rpm', ['-qpi', rpmFile]);
    assert.match(info, new RegExp(`^Name +: ${PKG_NAME}$`, 'm'));
    assert.match(info, new RegExp(`^Version +: ${packageVersion().replace(/\./g, '\\.')}$`, 'm'));
    assert.match(info, /^Release +: 1$/m);
    assert.match(info, new RegExp(`^Architecture: ${elfArch(binary).rpm}$`, 'm'));
    assert.match(info, /^Build Host +: reproducible$/m);
    assert.match(info, /^License +: GPL-2\.0-only AND /m);
    assert.equal(await query('%{BUILDTIME}'), String(TEST_SOURCE_DATE_EPOCH));
  });

  it('lists exactly its files, root-owned, with fixed modes and clamped times (rpm -qpl)', async () => {
    const listed = (await runOk('rpm', ['-qpl', rpmFile])).trim().split('\n');
    assert.deepEqual(
      listed.sort(),
      [
        PROGDIR,
        SETUP,
        OURS,
        `/usr/share/doc/${PKG_NAME}`,
        `/usr/share/doc/${PKG_NAME}/README.md`,
        `/usr/share/licenses/${PKG_NAME}`,
        `/usr/share/licenses/${PKG_NAME}/COPYING`,
        `/usr/share/licenses/${PKG_NAME}/LICENSE.nodejs`,
        `/usr/share/licenses/${PKG_NAME}/copyright`,
        `/usr/share/man/man1/${PROGRAM}.1.gz`,
      ].sort(),
    );
    const rows = (await query('[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMTIMES} %{FILENAMES}\n]'))
      .trim()
      .split('\n');
    for (const row of rows) {
      const [mode, owner, mtime, path] = row.split(' ');
      assert.equal(owner, 'root:root', row);
      assert.equal(mtime, String(TEST_SOURCE_DATE_EPOCH), row);
      const expected =
        path === OURS || path === SETUP
          ? '-rwxr-xr-x'
          : path?.startsWith('/usr/share/') && !path.endsWith(PKG_NAME)
            ? '-rw-r--r--'
            : 'drwxr-xr-x';
      assert.equal(mode, expected, row);
    }
    const docs = (await runOk('rpm', ['-qpd', rpmFile])).trim().split('\n');
    assert.ok(docs.includes(`/usr/share/doc/${PKG_NAME}/README.md`), docs.join(', '));
    const licenses = (await runOk('rpm', ['-qpL', rpmFile])).trim().split('\n');
    assert.deepEqual(
      licenses.sort(),
      ['COPYING', 'LICENSE.nodejs', 'copyright'].map((f) => `/usr/share/licenses/${PKG_NAME}/${f}`),
    );
  });

  it('requires socat, rsync, alternatives and the C library sonames, nothing else (rpm -qpR)', async () => {
    const requires = (await runOk('rpm', ['-qpR', rpmFile])).trim().split('\n');
    const allowed = [
      /^socat$/,
      /^rsync$/,
      /^\/bin\/sh$/,
      /^\/usr\/sbin\/alternatives$/,
      new RegExp(
        String.raw`^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2` +
          String.raw`|ld-linux-aarch64\.so\.1)\((GLIBC_[0-9.]+)?\)(\(64bit\))?$`,
      ),
      /^libstdc\+\+\.so\.6\(((GLIBCXX|CXXABI)_[0-9.]+)?\)(\(64bit\))?$/,
      /^libgcc_s\.so\.1\((GCC_[0-9.]+)?\)(\(64bit\))?$/,
      /^rtld\(GNU_HASH\)$/,
      /^rpmlib\(\w+\) <= [0-9.-]+$/,
    ];
    for (const r of requires) {
      assert.ok(
        allowed.some((re) => re.test(r)),
        `unexpected requirement '${r}'`,
      );
    }
    for (const needed of ['socat', 'rsync', '/usr/sbin/alternatives'])
      assert.ok(requires.includes(needed), `no Requires: ${needed}`);
    // glibc 2.28 at most: RHEL/Alma/Rocky 8 must fit.
    const glibc = requires.flatMap((r) =>
      [...r.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const),
    );
    assert.ok(glibc.length > 0, 'no GLIBC_ symbol versions: automatic requirements are off');
    for (const [major, minor] of glibc)
      assert.ok(major < 2 || (major === 2 && minor <= 28), `needs GLIBC_${major}.${minor}`);
  });

  it("requires exactly the symbol versions the executable asks for, within RHEL 8's", async () => {
    await assertRequiresMatchBinary((await runOk('rpm', ['-qpR', rpmFile])).trim().split('\n'), binary);
  });

  it('runs alternatives-setup from its scriptlets and triggers on mariadb-server-galera', async () => {
    const scripts = await runOk('rpm', ['-qp', '--scripts', rpmFile]);
    assert.match(scripts, /^postinstall scriptlet \(using \/bin\/sh\):\n(?:.*\n)*?.*alternatives-setup install/m);
    assert.match(scripts, /^preuninstall scriptlet[^\n]*\n(?:.*\n)*?.*alternatives-setup remove/m);
    const triggers = await runOk('rpm', ['-qp', '--triggers', rpmFile]);
    assert.match(
      triggers,
      /^triggerin scriptlet \(using \/bin\/sh\) -- mariadb-server-galera\n(?:.*\n)*?.*alternatives-setup install/m,
    );
    assert.match(
      triggers,
      new RegExp(
        String.raw`^triggerpostun scriptlet \(using \/bin\/sh\) -- ` +
          String.raw`mariadb-server-galera\n(?:.*\n)*?.*alternatives-setup original-gone`,
        'm',
      ),
    );
  });

  it('installs into a throw-away root with the executable unchanged, and it runs from there', async () => {
    const listed = (await runOk('rpm', [...rpmRootArgs(), '-ql', PKG_NAME])).trim().split('\n');
    for (const path of listed) assert.ok(fs.existsSync(join(root, path)), `${path} listed but not installed`);
    assert.ok(!fs.existsSync(join(root, 'usr', 'lib', '.build-id')), 'build-id links were installed');
    // rpm -V: sizes, digests, modes, owners as recorded.
    const verify = await run('rpm', [...rpmRootArgs(), '-V', '--nodeps', PKG_NAME]);
    assert.equal(verify.code, 0, describeRun('rpm -V', verify));
    assert.equal(verify.stdout, '');
    const installed = join(root, OURS);
    assert.equal(sha256(installed), sha256(binary));
    assert.equal(fs.lstatSync(installed).mode & 0o7777, 0o755);
    const version = await runOk(installed, ['--version']);
    assert.match(version, new RegExp(`^${PROGRAM} ${packageVersion().replace(/\./g, '\\.')} `));
    const page = gunzipSync(fs.readFileSync(join(root, 'usr', 'share', 'man', 'man1', `${PROGRAM}.1.gz`))).toString(
      'utf8',
    );
    assert.match(page, /^\.TH WSREP_SST_RSYNC_TUNNEL 1 /m);
  });

  describe('alternatives-setup, run against the installed root with update-alternatives --root', () => {
    let altCmd = '';

    /** Runs the installed setup script as the scriptlets do, inside `root`. */
    async function setup(action: string): Promise<string> {
      return runOk('sh', [join(root, SETUP), '--root', root, '--alternatives', altCmd, action]);
    }

    function linkTarget(): string | undefined {
      const link = join(root, LINK);
      if (!fs.existsSync(link) && !isSymlink(link)) return undefined;
      if (!isSymlink(link)) return 'regular file';
      return fs.readlinkSync(join(root, fs.readlinkSync(link)));
    }

    function isSymlink(path: string): boolean {
      try {
        return fs.lstatSync(path).isSymbolicLink();
      } catch {
        return false;
      }
    }

    before(() => {
      // Debian's, from dpkg: same --install/--remove syntax and rules as the alternatives of RPM systems.
      const ua = findOnPath('update-alternatives');
      assert.ok(ua !== undefined, 'update-alternatives (dpkg) not found');
      for (const dir of ['usr/bin', 'etc/alternatives', 'var/lib/dpkg/alternatives', 'var/log'])
        fs.mkdirSync(join(root, dir), { recursive: true });
      altCmd = `${ua} --root ${root}`;
    });

    it(
      'without the original script: ' + '/usr/bin/wsrep_sst_rsync_tunnel is a link to ours; remove takes it away',
      async () => {
        await setup('install');
        assert.equal(linkTarget(), OURS);
        await setup('install');
        assert.equal(linkTarget(), OURS, 'a second install (upgrade) keeps the link');
        await setup('remove');
        assert.equal(linkTarget(), undefined);
      },
    );

    it(
      "with mariadb-server-galera's script: ours is preferred, the " +
        'script kept as the lower alternative and put back on removal',
      async () => {
        const original = '#!/bin/sh\necho original rsync_tunnel script\n';
        fs.writeFileSync(join(root, LINK), original);
        fs.chmodSync(join(root, LINK), 0o755);

        await setup('install');
        assert.equal(linkTarget(), OURS);
        assert.equal(fs.readFileSync(join(root, SCRIPT), 'utf8'), original);
        const query = await runOk('sh', ['-c', `${altCmd} --query ${PROGRAM}`]);
        assert.match(query, new RegExp(`Alternative: ${OURS}\nPriority: 100`));
        assert.match(query, new RegExp(`Alternative: ${SCRIPT}\nPriority: 10`));

        // mariadb-server-galera upgraded: rpm writes its script over the link, the trigger runs.
        fs.rmSync(join(root, LINK));
        fs.writeFileSync(join(root, LINK), `${original}# upgraded\n`);
        fs.chmodSync(join(root, LINK), 0o755);
        await setup('install');
        assert.equal(linkTarget(), OURS);
        assert.equal(fs.readFileSync(join(root, SCRIPT), 'utf8'), `${original}# upgraded\n`);

        // Our package removed: the script is back where mariadbd looks for it.
        await setup('remove');
        assert.ok(!isSymlink(join(root, LINK)));
        assert.equal(fs.readFileSync(join(root, LINK), 'utf8'), `${original}# upgraded\n`);
        assert.equal(fs.lstatSync(join(root, LINK)).mode & 0o777, 0o755);
        assert.ok(!fs.existsSync(join(root, SCRIPT)));
      },
    );

    it('mariadb-server-galera removed (its file, our link, deleted by rpm): the link comes back to ours', async () => {
      fs.writeFileSync(join(root, LINK), '#!/bin/sh\n');
      await setup('install');
      fs.rmSync(join(root, LINK));
      await setup('original-gone');
      assert.equal(linkTarget(), OURS);
      assert.ok(!fs.existsSync(join(root, SCRIPT)));
      const query = await runOk('sh', ['-c', `${altCmd} --query ${PROGRAM}`]);
      assert.doesNotMatch(query, /\.script/);
      await setup('remove');
      assert.equal(linkTarget(), undefined);
    });
  });
});
