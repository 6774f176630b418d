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
 * it the suite prints one SKIP line, or fails under CI (CI=true).
 *
 * Those builds all link this machine's OpenSSL 3. Debian 11's own socat 1.7.4.1, linked to
 * OpenSSL 1.1.1 (as RHEL 8 and SLES 15 ship it too), runs every TLS case against this machine's
 * socat in both roles, taken from the Debian 11 root filesystem of make test-distros
 * (scripts/distro-root.sh; its cache, built when missing; one SKIP line when it cannot be).
 * With it also the refusals, each with OpenSSL 1.1.1's message: a certificate from another CA in
 * either role, and an expired client certificate, from a bare socat since this program refuses
 * its own before socat runs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { runSst, startRole, joinerArgv, splitReady, STATE_UUID, type NodeSide } from '../helpers/driver';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, waitNoTagged } from '../helpers/procs';
import { BULLSEYE, hostRunnable, rootTarball } from '../distros/root';
import { toolSkip } from '../helpers/tool-skip';
import { compatBin } from '../helpers/compat-bin';

const COMPAT_BIN = compatBin();
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

const skipReason =
  toolSkip(
    'compatibility matrix',
    fs.existsSync(COMPAT_BIN) ? false : `no compat binaries at ${COMPAT_BIN} (set SST_COMPAT_BIN)`,
  ) || undefined;

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
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(
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

function cnf(dir: string, c: NodeCert, mode: string | undefined, ca = pki.caCert): string {
  const file = join(dir, 'my.cnf');
  fs.writeFileSync(file, `[mysqld]\n\n[sst]\ntca=${ca}\ntcert=${c.bundle}\n${mode ? `ssl-mode=${mode}\n` : ''}`);
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
  fs.mkdirSync(jdir, { recursive: true });
  fs.mkdirSync(ddir, { recursive: true });
  const port = await freePort(setup.host === '[::1]' ? '::1' : setup.host === 'localhost' ? '127.0.0.1' : setup.host);
  const donorData = join(ddir, 'data');
  makeDatadir(donorData, { bigTable: 256 * 1024 });
  // A database directory kept elsewhere, as DBAs do to move one schema to another disk.
  const linkedDb = join(ddir, 'elsewhere', 'linked_db');
  fs.mkdirSync(join(linkedDb, 'sub'), { recursive: true });
  fs.writeFileSync(join(linkedDb, 't1.ibd'), randomBytes(40 * 1024));
  fs.writeFileSync(join(linkedDb, 'sub', 'x.bin'), randomBytes(100));
  fs.symlinkSync(linkedDb, join(donorData, 'linked_db'));
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

/** What a refused peer left in the joiner's datadir: nothing but the joiner's own dot files. */
function written(datadir: string): Map<string, string> {
  return fs.existsSync(datadir) ? treeDigest(datadir, (rel) => !rel.startsWith('.')) : new Map();
}

let other: { pki: Pki; both: string } | undefined;

/** A second CA, and a CA file trusting both: a node holding its certificate passes its own preflight. */
function otherCa(): { pki: Pki; both: string } {
  if (other !== undefined) return other;
  const made = createCa(join(root, 'other-ca'), 'other');
  const both = join(root, 'other-ca', 'both-cas.crt');
  fs.writeFileSync(both, fs.readFileSync(made.caCert, 'utf8') + fs.readFileSync(pki.caCert, 'utf8'));
  other = { pki: made, both };
  return other;
}

/** OpenSSL 1.1.1's words, as Debian 11's socat 1.7.4.1 logs them. */
const OPENSSL111 = {
  /** A listener (verify=1) that did not accept the client's certificate, whatever was wrong with it. */
  refusedClient: new RegExp(
    String.raw` E SSL_accept\(\): error:1417C086:SSL routines:tls_process_client_certificate:` +
      'certificate verify failed',
  ),
  /** A client that did not accept the listener's certificate. */
  refusedServer: new RegExp(
    String.raw` E SSL_connect\(\): error:1416F086:SSL routines:tls_process_server_certificate:` +
      'certificate verify failed',
  ),
  /** A client whose certificate the listener found expired (TLS 1.2: the alert ends the handshake). */
  expiredAlert: / E SSL_connect\(\): error:14094415:SSL routines:ssl3_read_bytes:sslv3 alert certificate expired/,
};
/**
 * The same words from this machine's socat, whatever OpenSSL it links (OpenSSL 3 here:
 * `error:0A000086:SSL routines::certificate verify failed`, `error:0A000415:…`).
 */
const HOST_OPENSSL = {
  refusedClient: / E SSL_accept\(\): error:[0-9A-F]+:SSL routines:[^:]*:certificate verify failed/,
  expiredAlert: / E SSL_connect\(\): error:[0-9A-F]+:SSL routines:[^:]*:sslv3 alert certificate expired/,
};

/** What a donor whose certificate the joiner refused says: one or the other, as the race goes. */
const DONOR_SEES_THE_END = new RegExp(
  String.raw`WSREP_SST: \[ERROR\] (the connection to the joiner broke in pass 1 .*Connection reset by peer|` +
    String.raw`pass 1 \(directories and deletions\) failed, rsync returned code 5: .*` +
    'error starting client-server protocol)',
);

/**
 * Wrong CA: one node's certificate comes from another CA (its own CA file trusts both, so its
 * preflight and its own check of the peer pass), and the peer, Debian 11's socat, refuses it:
 * as the joiner's listener (a donor certificate) or as the donor's client (a joiner certificate).
 */
async function wrongCa(foreign: 'donor' | 'joiner'): Promise<void> {
  const tag = `compat-wrongca-${foreign}-${randomBytes(3).toString('hex')}`;
  const base = join(root, tag);
  const o = otherCa();
  const ip = foreign === 'donor' ? DONOR_IP : JOINER_IP;
  const stranger = issueCert(o.pki, { cn: ip, ips: [ip], name: `${foreign}-${randomBytes(3).toString('hex')}` });
  const side = (role: 'joiner' | 'donor'): NodeSide => {
    const dir = join(base, role);
    fs.mkdirSync(dir, { recursive: true });
    const own =
      role === foreign
        ? stranger
        : role === 'joiner'
          ? cert('joiner', { cn: JOINER_IP, ips: [JOINER_IP] })
          : cert('donor', { cn: DONOR_IP, ips: [DONOR_IP] });
    // Debian 11's socat on the side that refuses.
    const socat = role === foreign ? SYSTEM : DEBIAN11;
    return {
      datadir: join(dir, 'data'),
      cnf: cnf(dir, own, undefined, role === foreign ? o.both : pki.caCert),
      env: { SST_TEST_TAG: tag, PATH: nodePath({ socat, rsync: SYSTEM }) },
    };
  };
  const joiner = side('joiner');
  const donor = side('donor');
  makeDatadir(donor.datadir);
  const port = await freePort(JOINER_IP);
  try {
    const r = await runSst({ joiner, donor, address: `${JOINER_IP}:${port}` });
    const donorErr = r.donor?.stderr() ?? '';
    const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${donorErr}`;
    if (foreign === 'donor') {
      // Under TLS 1.3 the donor's handshake is over before the joiner has checked its certificate:
      // only the listener learns why (as `check` says too), the donor sees its connection end.
      assert.equal(r.donorCode, 255, detail);
      assert.match(donorErr, DONOR_SEES_THE_END, detail);
      assert.match(r.joiner.stderr(), OPENSSL111.refusedClient, detail);
    } else {
      assert.equal(r.donorCode, 13, detail);
      assert.match(donorErr, /WSREP_SST: \[ERROR\] TLS verification failed in pass 1 /, detail);
      assert.match(donorErr, /certificate verify failed|unknown ca/i, detail);
      assert.match(donorErr, OPENSSL111.refusedServer, detail);
    }
    assert.notEqual(r.joinerCode, 0, detail);
    assert.equal(r.joinerFinal, undefined, detail);
    assert.deepEqual(written(joiner.datadir), new Map(), `nothing written into the joiner datadir\n${detail}`);
    assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
  } finally {
    killTagged(tag);
  }
}

/** Runs a bare socat (argv, no shell) to its end; SIGKILL after `ms`. */
function runSocat(
  socat: string,
  args: readonly string[],
  tag: string,
  ms = 20_000,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(socat, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SST_TEST_TAG: tag },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : null), stderr });
    });
  });
}

async function waitForText(text: () => string, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(text()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Expired certificate. This program refuses its own expired certificate before socat runs
 * (exit 22), so an expired peer certificate only comes from a foreign client: a bare socat
 * connecting with one (issued by the right CA, only its dates are wrong) to a joiner of this
 * program that listens with `listener`. The client is held to TLS 1.2: under TLS 1.3 its
 * handshake ends before the listener's verdict, and the client (1.7.4.1 as well as this
 * machine's socat) then sees its connection end and exits 0, while under TLS 1.2 the listener's
 * alert ends SSL_connect() and names the reason.
 */
async function expiredClient(client: string, listener: string): Promise<void> {
  const clientSocat = client === DEBIAN11 ? (debian11Socat ?? '') : systemTool('socat');
  const tag = `compat-expired-${randomBytes(3).toString('hex')}`;
  const dir = join(root, tag);
  fs.mkdirSync(dir, { recursive: true });
  const expired = cert('client-expired', { cn: DONOR_IP, ips: [DONOR_IP], expired: true });
  const side: NodeSide = {
    datadir: join(dir, 'data'),
    cnf: cnf(dir, cert('joiner', { cn: JOINER_IP, ips: [JOINER_IP] }), undefined),
    env: { SST_TEST_TAG: tag, PATH: nodePath({ socat: listener, rsync: SYSTEM }) },
  };
  const port = await freePort(JOINER_IP);
  const joiner = startRole(joinerArgv(side, `${JOINER_IP}:${port}`, process.pid), side.env);
  try {
    const ready = (await joiner.nextLine(60_000)) ?? '';
    assert.match(ready, /^ready /, joiner.stderr());
    const at = splitReady(ready).address.replace(/\/.*$/, '');
    const r = await runSocat(
      clientSocat,
      [`OPENSSL:${at},cert=${expired.bundle},cafile=${pki.caCert},verify=1,openssl-max-proto-version=TLS1.2`, 'STDIO'],
      tag,
    );
    const refused = listener === DEBIAN11 ? OPENSSL111.refusedClient : HOST_OPENSSL.refusedClient;
    await waitForText(joiner.stderr, refused, 10_000);
    const detail = `client stderr:\n${r.stderr}\njoiner stderr:\n${joiner.stderr()}`;
    assert.notEqual(r.code, 0, detail);
    assert.match(r.stderr, client === DEBIAN11 ? OPENSSL111.expiredAlert : HOST_OPENSSL.expiredAlert, detail);
    assert.match(joiner.stderr(), refused, detail);
    // mariadbd gives up on a joiner whose donor never comes; the joiner's own files go with it.
    joiner.child.kill('SIGTERM');
    await joiner.exit;
    assert.deepEqual(written(side.datadir), new Map(), `nothing written into the joiner datadir\n${detail}`);
    assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the joiner may survive it');
  } finally {
    killTagged(tag);
  }
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
  root = fs.mkdtempSync(join(tmpdir(), 'sst-compat-'));
  pki = createCa(join(root, 'pki'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

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
    fs.mkdirSync(dir);
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
  test(
    "wrong CA: the donor's certificate from another CA, refused by Debian 11's socat as the joiner's listener, " +
      'which says why: the donor exits 255 (TLS 1.3 tells it nothing)',
    (t) => (skip === undefined ? wrongCa('donor') : t.skip(skip)),
  );
  test(
    "wrong CA: the joiner's certificate from another CA, refused by Debian 11's socat as the donor's client: " +
      'donor exits 13',
    (t) => (skip === undefined ? wrongCa('joiner') : t.skip(skip)),
  );
  for (const [client, listener] of [
    [DEBIAN11, SYSTEM],
    [DEBIAN11, DEBIAN11],
    [SYSTEM, DEBIAN11],
  ] as const) {
    const name = (socat: string): string => (socat === DEBIAN11 ? "Debian 11's socat" : "this machine's socat");
    test(
      `expired client certificate: ${name(client)} as the client, refused by a joiner listening with ` +
        `${name(listener)}, each side names it`,
      (t) => (skip === undefined ? expiredClient(client, listener) : t.skip(skip)),
    );
  }
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
      fs.mkdirSync(join(dir, 'real', 'data'), { recursive: true });
      fs.symlinkSync(join(dir, 'real'), join(dir, 'link'));
      const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
      fs.lchownSync(join(dir, 'link'), nobody, nobody);
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
