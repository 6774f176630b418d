/**
 * Another Debian release's root filesystem as a `System` for the e2e cluster:
 * scripts/distro-root.sh builds (once) and caches it as a tarball, this unpacks
 * it into a scratch directory and runs each program there through
 * `unshare --mount-proc --root`: a mount namespace of its own with /proc, so no
 * mount outlives the process, and the mysql user of that distribution's
 * /etc/passwd for mariadbd, as its systemd unit runs it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inRoot } from '../../scripts/distro/in-root';
import { repoRoot } from '../helpers/binary';
import type { System } from '../e2e/cluster';

export interface DistroRelease {
  /** Debian code name, as scripts/distro-root.sh takes it. */
  suite: 'bullseye' | 'trixie';
  label: string;
  /** The MariaDB series its mariadb-server package carries. */
  series: string;
  /** The loopback /24 this release's nodes use, so the two releases and other suites run side by side. */
  net: string;
  /** The socat and rsync versions the SST program reports finding there (its own tools, not the host's). */
  socat: string;
  rsync: string;
  /**
   * MTR_BUILD_THREAD of its MTR run (ports 10000 + 20 × thread on): apart from the other release and MTR's automatic
   * 300 and up.
   */
  mtrBuildThread: number;
}

export const BULLSEYE: DistroRelease = {
  suite: 'bullseye',
  label: 'Debian 11',
  series: '10.5',
  net: '127.0.5',
  socat: '1.7.4.1',
  rsync: '3.2.3',
  mtrBuildThread: 200,
};
export const TRIXIE: DistroRelease = {
  suite: 'trixie',
  label: 'Debian 13',
  series: '11.8',
  net: '127.0.6',
  socat: '1.8.0.3',
  rsync: '3.5.0',
  mtrBuildThread: 220,
};

export interface DistroRoot {
  system: System;
  /** Runs argv inside the root as root; throws with its stderr on failure. */
  run(argv: readonly string[]): string;
  remove(): void;
}

/** The cached tarball, or the reason there is none (one SKIP line for the caller). */
export function rootTarball(release: DistroRelease): { tarball: string } | { skip: string } {
  const r = spawnSync(join(repoRoot(), 'scripts', 'distro-root.sh'), [release.suite], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out = r.stdout.trim();
  if (r.status === 0) return { tarball: out };
  if (r.status === 77) return { skip: out.replace(/^SKIP: /, '') };
  throw new Error(`scripts/distro-root.sh ${release.suite} failed (${r.status}): ${out}`);
}

function idsOf(root: string, user: string): { uid: number; gid: number } {
  const line = fs
    .readFileSync(join(root, 'etc', 'passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no ${user} user in ${root}/etc/passwd`);
  return { uid: Number(uid), gid: Number(gid) };
}

/** Unpacks the tarball into a new directory under /var/tmp; `hosts` lines go to its /etc/hosts. */
export function unpackRoot(release: DistroRelease, tarball: string, hosts: readonly string[]): DistroRoot {
  const root = fs.mkdtempSync(`/var/tmp/sst-${release.suite}-`);
  const tar = spawnSync('tar', ['--zstd', '-xpf', tarball, '-C', root, '--numeric-owner'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`unpacking ${tarball}: ${tar.stderr}`);
  for (const dev of ['null', 'zero', 'urandom', 'random']) {
    if (!fs.existsSync(join(root, 'dev', dev))) throw new Error(`${tarball} has no /dev/${dev}`);
  }
  // mmdebstrap leaves no /etc/hosts; mariadb-install-db needs localhost and this machine's name to resolve.
  fs.writeFileSync(
    join(root, 'etc', 'hosts'),
    ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', `127.0.1.1 ${hostname()}`, ...hosts]
      .map((h) => `${h}\n`)
      .join(''),
  );
  const mysql = idsOf(root, 'mysql');
  const command = (argv: readonly string[], user?: string): string[] => {
    const as = user === undefined || user === 'root' ? undefined : user === 'mysql' ? mysql : idsOf(root, user);
    return inRoot(root, argv, { as });
  };
  return {
    system: {
      root,
      command,
      mysqlUser: 'mysql',
      owner: mysql,
      path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    },
    run(argv) {
      const [cmd, ...args] = command(argv);
      const r = spawnSync(cmd ?? '', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${root} failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    remove() {
      if (process.env.KEEP_E2E !== '1') fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * One program of the release, runnable on this host outside any chroot: its libraries and C
 * library are unpacked from the tarball into `dir`, and a copy of the program gets that
 * glibc's loader as interpreter and the unpacked library directories as DT_RPATH (which also
 * covers what glibc itself loads later, such as NSS modules), so it runs exactly the release's
 * code (Debian 11's socat on OpenSSL 1.1.1) with the host's paths and network.
 */
export function hostRunnable(tarball: string, program: string, dir: string): string {
  const tar = spawnSync(
    'tar',
    ['--zstd', '-xf', tarball, '-C', dir, `.${program}`, './lib', './usr/lib/x86_64-linux-gnu'],
    { encoding: 'utf8' },
  );
  if (tar.status !== 0) throw new Error(`unpacking ${tarball}: ${tar.stderr}`);
  const lib = join(dir, 'lib', 'x86_64-linux-gnu');
  const loader = fs.readdirSync(lib).find((f) => /^ld-[\d.]+\.so$/.test(f)) ?? 'ld-linux-x86-64.so.2';
  const out = join(dir, program.replace(/^.*\//, ''));
  fs.copyFileSync(join(dir, program), out);
  const patch = spawnSync(
    'patchelf',
    [
      '--set-interpreter',
      join(lib, loader),
      '--force-rpath',
      '--set-rpath',
      `${lib}:${join(dir, 'usr', 'lib', 'x86_64-linux-gnu')}`,
      out,
    ],
    { encoding: 'utf8' },
  );
  if (patch.error !== undefined || patch.status !== 0)
    throw new Error(`patchelf ${out}: ${patch.error?.message ?? patch.stderr}`);
  return out;
}
