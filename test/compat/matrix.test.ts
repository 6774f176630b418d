/**
 * Compatibility matrix: the integration SST (a driver playing mariadbd, the real program, real
 * socat and rsync, a byte-identical check) with the socat and rsync builds other distributions
 * ship (../shared/compat/bin, README there), donor and joiner on different versions, as in a
 * cluster upgraded one node at a time.
 *
 * Pairwise, not cartesian. Six socat builds, six rsync builds and seven TLS cases form a grid
 * (row: TLS case, column: the joiner's socat): the donor's socat is column + row (mod 6), so every
 * socat meets every other in both roles at least once, and every TLS case runs with every socat on
 * each side. Each node runs the rsync of the same index as its socat (a distribution's pair:
 * RHEL 8, RHEL 9, Ubuntu 24.04, Debian 13, upstream, this machine), which makes every ordered
 * rsync donor→joiner pair occur at least once too. Every donor datadir has a symlinked database
 * directory. Cases that cannot work end with their documented error, asserted here.
 *
 * SST_COMPAT_BIN names the directory (default ../shared/compat/bin beside the checkout); without
 * it the suite prints one SKIP line.
 *
 * Those builds all link this machine's OpenSSL 3. Debian 11's own socat 1.7.4.1, linked to
 * OpenSSL 1.1.1 (as RHEL 8 and SLES 15 ship it too), runs every TLS case against this machine's
 * socat in both roles, taken from the Debian 11 root filesystem of make test-distros
 * (scripts/distro-root.sh; its cache, built when missing; one SKIP line when it cannot be).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../helpers/binary';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { runSst, startRole, joinerArgv, STATE_UUID, type NodeSide } from '../helpers/driver';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, waitNoTagged } from '../helpers/procs';
import { BULLSEYE, hostRunnable, rootTarball } from '../distros/root';

const COMPAT_BIN = resolve(process.env.SST_COMPAT_BIN ?? join(repoRoot(), '..', 'shared', 'compat', 'bin'));
const SYSTEM = 'system';
/** Debian 11's socat 1.7.4.1 on its OpenSSL 1.1.1w: a 1.7.4.1 to the program and to expectedFailure. */
const DEBIAN11 = 'debian11-1.7.4.1';
let debian11Socat: string | undefined;

/** Index i of both lists is one distribution's pair. */
const SOCATS = ['1.7.3.3', '1.7.4.1', '1.8.0.0', '1.8.0.3', '1.8.1.3', SYSTEM] as const;
const RSYNCS = ['3.1.3', '3.2.3', '3.2.7', '3.4.1', '3.5.0', SYSTEM] as const;
const TLS_CASES = [
  'ip-san-only',
  'dns-name',
  'donor-ipv6-san',
  'verify-ca',
  'required',
  'ipv6-address',
  'ipv6-donor-ipv6-san',
] as const;
type TlsCase = (typeof TLS_CASES)[number];

const JOINER_IP = '127.0.0.2';
const DONOR_IP = '127.0.0.3';
/** Parallel SSTs: each has its own port and directories; two cores keep this modest. */
const CONCURRENCY = 4;

interface Case {
  tls: TlsCase;
  joiner: { socat: string; rsync: string };
  donor: { socat: string; rsync: string };
}

export function matrix(): Case[] {
  const cases: Case[] = [];
  TLS_CASES.forEach((tls, row) => {
    SOCATS.forEach((_, column) => {
      const d = (row + column) % SOCATS.length;
      cases.push({
        tls,
        joiner: { socat: SOCATS[column] ?? SYSTEM, rsync: RSYNCS[column] ?? SYSTEM },
        donor: { socat: SOCATS[d] ?? SYSTEM, rsync: RSYNCS[d] ?? SYSTEM },
      });
    });
  });
  return cases;
}

const skipReason = existsSync(COMPAT_BIN) ? undefined : `no compat binaries at ${COMPAT_BIN} (set SST_COMPAT_BIN)`;
if (skipReason) console.log(`SKIP compatibility matrix: ${skipReason}`);

let root: string;
let pki: Pki;
const certs = new Map<string, NodeCert>();
/** version → a directory holding `socat` or `rsync` of that version, for the node's PATH. */
const toolDirs = new Map<string, string>();

function systemTool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.stdout.trim();
}

function toolDir(tool: 'socat' | 'rsync', version: string): string {
  const key = `${tool}-${version}`;
  const known = toolDirs.get(key);
  if (known) return known;
  const dir = join(root, 'tools', key);
  mkdirSync(dir, { recursive: true });
  symlinkSync(
    version === SYSTEM
      ? systemTool(tool)
      : version === DEBIAN11 && debian11Socat !== undefined
        ? debian11Socat
        : join(COMPAT_BIN, key),
    join(dir, tool),
  );
  toolDirs.set(key, dir);
  return dir;
}

function nodePath(side: { socat: string; rsync: string }): string {
  return `${toolDir('socat', side.socat)}:${toolDir('rsync', side.rsync)}:${process.env.PATH ?? ''}`;
}

function cert(name: string, o: Parameters<typeof issueCert>[1]): NodeCert {
  const known = certs.get(name);
  if (known) return known;
  const made = issueCert(pki, { ...o, name });
  certs.set(name, made);
  return made;
}

/** Per TLS case: where the joiner is, the certificates and the ssl-mode both nodes use. */
function tlsSetup(tls: TlsCase): { host: string; joinerCert: NodeCert; donorCert: NodeCert; mode?: string } {
  const donorCert = cert('donor', { cn: DONOR_IP, ips: [DONOR_IP] });
  switch (tls) {
    case 'ip-san-only':
      return { host: JOINER_IP, joinerCert: cert('joiner-ip-san', { cn: 'joiner-node', ips: [JOINER_IP] }), donorCert };
    case 'dns-name':
      return { host: 'localhost', joinerCert: cert('joiner-dns', { cn: 'localhost', dns: ['localhost'] }), donorCert };
    case 'donor-ipv6-san':
      return {
        host: JOINER_IP,
        joinerCert: cert('joiner', { cn: JOINER_IP, ips: [JOINER_IP] }),
        donorCert: cert('donor-ipv6-san', { cn: DONOR_IP, ips: [DONOR_IP, 'fd00::3'] }),
      };
    case 'verify-ca':
      return {
        host: JOINER_IP,
        joinerCert: cert('joiner-other-name', { cn: 'somewhere-else', dns: ['somewhere-else'] }),
        donorCert,
        mode: 'VERIFY_CA',
      };
    case 'required':
      return {
        host: JOINER_IP,
        joinerCert: cert('joiner-other-name', { cn: 'somewhere-else', dns: ['somewhere-else'] }),
        donorCert,
        mode: 'REQUIRED',
      };
    case 'ipv6-address':
      return { host: '[::1]', joinerCert: cert('joiner-ipv6', { cn: '::1', ips: ['::1'] }), donorCert };
    case 'ipv6-donor-ipv6-san':
      // With an IPv4 SAN listed first, 1.7.4.1 happened to pass; an IPv6 one alone never does.
      return {
        host: '[::1]',
        joinerCert: cert('joiner-ipv6', { cn: '::1', ips: ['::1'] }),
        donorCert: cert('donor-ipv6-only', { cn: DONOR_IP, ips: ['fd00::3'] }),
      };
  }
}

function cnf(dir: string, c: NodeCert, mode: string | undefined): string {
  const file = join(dir, 'my.cnf');
  writeFileSync(file, `[mysqld]\n\n[sst]\ntca=${pki.caCert}\ntcert=${c.bundle}\n${mode ? `ssl-mode=${mode}\n` : ''}`);
  return file;
}

/**
 * The documented failures: socat < 1.7.4 checks a server certificate's CN only (an IP in a SAN
 * is not seen); socat 1.7.4.0/1.7.4.1 cannot take a client certificate with an IPv6 SAN on an
 * IPv6 listener. Each names its reason and remedy on the side that knows it.
 */
function expectedFailure(c: Case): { code: number; side: 'donor' | 'joiner'; message: RegExp } | undefined {
  const version = (socat: string): string => (socat === DEBIAN11 ? '1.7.4.1' : socat);
  if (version(c.donor.socat) === '1.7.3.3' && c.tls === 'ip-san-only') {
    return {
      code: 13,
      side: 'donor',
      message: /\[ERROR\] .*socat 1\.7\.3\.3 .*checks only the certificate's CN .* install socat 1\.7\.4 or later/,
    };
  }
  if (version(c.joiner.socat) === '1.7.4.1' && c.tls === 'ipv6-donor-ipv6-san') {
    return {
      code: 255,
      side: 'joiner',
      message: new RegExp(
        String.raw`\[WARNING\] socat 1\.7\.4\.1 listening on IPv6 cannot accept a donor certificate that has ` +
          String.raw`an IPv6 subjectAltName .* install socat 1\.7\.4\.2 or later`,
      ),
    };
  }
  return undefined;
}

interface Node {
  side: NodeSide;
  tag: string;
}

async function nodes(c: Case, name: string): Promise<{ joiner: Node; donor: Node; address: string; linkedDb: string }> {
  const tag = `compat-${name}-${randomBytes(3).toString('hex')}`;
  const base = join(root, tag);
  const setup = tlsSetup(c.tls);
  const jdir = join(base, 'joiner');
  const ddir = join(base, 'donor');
  mkdirSync(jdir, { recursive: true });
  mkdirSync(ddir, { recursive: true });
  const port = await freePort(setup.host === '[::1]' ? '::1' : setup.host === 'localhost' ? '127.0.0.1' : setup.host);
  const donorData = join(ddir, 'data');
  makeDatadir(donorData, { bigTable: 256 * 1024 });
  // A database directory kept elsewhere, as DBAs do to move one schema to another disk.
  const linkedDb = join(ddir, 'elsewhere', 'linked_db');
  mkdirSync(join(linkedDb, 'sub'), { recursive: true });
  writeFileSync(join(linkedDb, 't1.ibd'), randomBytes(40 * 1024));
  writeFileSync(join(linkedDb, 'sub', 'x.bin'), randomBytes(100));
  symlinkSync(linkedDb, join(donorData, 'linked_db'));
  return {
    joiner: {
      tag,
      side: {
        datadir: join(jdir, 'data'),
        cnf: cnf(jdir, setup.joinerCert, setup.mode),
        env: { SST_TEST_TAG: tag, PATH: nodePath(c.joiner) },
      },
    },
    donor: {
      tag,
      side: {
        datadir: donorData,
        cnf: cnf(ddir, setup.donorCert, setup.mode),
        env: { SST_TEST_TAG: tag, PATH: nodePath(c.donor) },
      },
    },
    address: `${setup.host}:${port}`,
    linkedDb,
  };
}

const copied = (rel: string): boolean => !STAYS_HOME.test(rel) && rel !== 'linked_db' && !rel.startsWith('linked_db/');

function caseName(c: Case): string {
  return (
    `${c.tls}: joiner socat ${c.joiner.socat} + rsync ${c.joiner.rsync} ` +
    `← donor socat ${c.donor.socat} + rsync ${c.donor.rsync}`
  );
}

async function runCase(c: Case, index: number): Promise<void> {
  const n = await nodes(c, String(index));
  try {
    const r = await runSst({ joiner: n.joiner.side, donor: n.donor.side, address: n.address });
    const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
    const failure = expectedFailure(c);
    if (failure) {
      assert.equal(r.donorCode, failure.code, detail);
      assert.match(failure.side === 'donor' ? (r.donor?.stderr() ?? '') : r.joiner.stderr(), failure.message, detail);
      assert.notEqual(r.joinerCode, 0, detail);
      assert.equal(r.joinerFinal, undefined, detail);
    } else {
      assert.equal(r.donorCode, 0, detail);
      assert.equal(r.joinerCode, 0, detail);
      assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`, detail);
      assert.deepEqual(treeDigest(n.joiner.side.datadir, copied), treeDigest(n.donor.side.datadir, copied), detail);
      assert.deepEqual(
        treeDigest(join(n.joiner.side.datadir, 'linked_db')),
        treeDigest(n.linkedDb),
        `symlinked database directory\n${detail}`,
      );
      // socat's warnings that every 1.8 connection prints are summed up in one line, not passed on one by one.
      for (const [side, text] of [
        [c.joiner, r.joiner.stderr()],
        [c.donor, r.donor?.stderr() ?? ''],
      ] as const) {
        assert.doesNotMatch(
          text,
          / W (OpenSSL: Warning: this implementation does not check CRLs|refusing to set empty SNI host name)/,
          detail,
        );
        const summaries = text.match(/\[INFO\] socat: \d+ expected warnings not logged one by one/g) ?? [];
        assert.equal(summaries.length, side.socat.startsWith('1.8') ? 1 : 0, detail);
      }
    }
    assert.deepEqual(await waitNoTagged(n.joiner.tag, 15_000), [], 'no process of the SST may survive it');
  } finally {
    killTagged(n.joiner.tag);
  }
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'sst-compat-'));
  pki = createCa(join(root, 'pki'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('compatibility matrix (socat × TLS case × rsync pairs)', {
  skip: skipReason,
  concurrency: CONCURRENCY,
}, () => {
  matrix().forEach((c, i) => {
    test(caseName(c), () => runCase(c, i));
  });
});

describe(`${BULLSEYE.label}'s socat 1.7.4.1 (OpenSSL 1.1.1) against this machine's socat, every TLS case, both roles`, {
  concurrency: CONCURRENCY,
}, () => {
  let skip: string | undefined;
  before(() => {
    const got = rootTarball(BULLSEYE);
    if ('skip' in got) {
      skip = got.skip;
      console.log(`SKIP ${BULLSEYE.label} socat in the compatibility matrix: ${skip}`);
      return;
    }
    const dir = join(root, 'debian11');
    mkdirSync(dir);
    debian11Socat = hostRunnable(got.tarball, '/usr/bin/socat', dir);
  });
  const cases = TLS_CASES.flatMap((tls): Case[] => [
    { tls, joiner: { socat: DEBIAN11, rsync: SYSTEM }, donor: { socat: SYSTEM, rsync: SYSTEM } },
    { tls, joiner: { socat: SYSTEM, rsync: SYSTEM }, donor: { socat: DEBIAN11, rsync: SYSTEM } },
  ]);
  test('it is socat 1.7.4.1 on libssl.so.1.1 from Debian 11, not a library of this machine', (t) => {
    if (debian11Socat === undefined) return t.skip(skip);
    assert.match(spawnSync(debian11Socat, ['-V'], { encoding: 'utf8' }).stdout, /socat version 1\.7\.4\.1 /);
    const libs = spawnSync('ldd', [debian11Socat], { encoding: 'utf8' }).stdout;
    assert.match(libs, new RegExp(`libssl\\.so\\.1\\.1 => ${join(root, 'debian11')}/`), libs);
    assert.match(libs, new RegExp(`libc\\.so\\.6 => ${join(root, 'debian11')}/`), libs);
  });
  cases.forEach((c, i) => {
    test(caseName(c), (t) => (skip === undefined ? runCase(c, 1000 + i) : t.skip(skip)));
  });
});

/**
 * rsync 3.5.0 daemons refuse to chdir into a module whose path has a symlink owned by someone
 * other than root or the daemon's user: the joiner must say so before `ready`.
 */
describe('joiner datadir behind a symlink owned by another user', {
  skip: skipReason,
  concurrency: CONCURRENCY,
}, () => {
  for (const rsync of RSYNCS) {
    const refuses = rsync === '3.5.0' || rsync === SYSTEM;
    const outcome = refuses ? 'refused before ready, naming the link and its owner' : 'works';
    test(`joiner rsync ${rsync}: ${outcome}`, async () => {
      const tag = `compat-link-${rsync}-${randomBytes(3).toString('hex')}`;
      const dir = join(root, tag);
      mkdirSync(join(dir, 'real', 'data'), { recursive: true });
      symlinkSync(join(dir, 'real'), join(dir, 'link'));
      const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
      lchownSync(join(dir, 'link'), nobody, nobody);
      const c = cert('joiner', { cn: JOINER_IP, ips: [JOINER_IP] });
      const side: NodeSide = {
        datadir: join(dir, 'link', 'data'),
        cnf: cnf(dir, c, undefined),
        env: { SST_TEST_TAG: tag, PATH: `${toolDir('rsync', rsync)}:${process.env.PATH ?? ''}` },
      };
      const port = await freePort(JOINER_IP);
      const joiner = startRole(joinerArgv(side, `${JOINER_IP}:${port}`, process.pid), side.env);
      try {
        const first = await joiner.nextLine(60_000);
        if (refuses) {
          assert.equal(first, undefined, `no ready line: ${joiner.stderr()}`);
          assert.equal(await joiner.exit, 1);
          assert.match(
            joiner.stderr(),
            new RegExp(`\\[ERROR\\].*${join(dir, 'link').replace(/[.]/g, '\\.')}.*owned by .*nobody`),
          );
        } else {
          assert.match(first ?? '', /^ready /, joiner.stderr());
          joiner.child.kill('SIGTERM');
          await joiner.exit;
        }
        assert.deepEqual(await waitNoTagged(tag, 15_000), []);
      } finally {
        killTagged(tag);
      }
    });
  }
});
