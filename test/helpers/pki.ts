/**
 * Test PKI: CAs, node certificates and key files made with the openssl CLI.
 *
 * Tests may use the openssl program (the product may not; it checks certificates with node:crypto).
 * Every call is an argv array through spawnSync, so no shell ever sees a path or a name.
 * `openssl ca` signs everything because it is the one openssl 3.0 command that accepts
 * arbitrary validity dates (`x509 -req` cannot start a certificate in the future), which the
 * expired and not-yet-valid fixtures need.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
}

export interface NodeCert {
  cert: string;
  key: string;
  /** The key followed by the certificate, as in the original README's `cat key crt > mysql.pem`. */
  bundle: string;
}

/** EC P-256 by default: key generation takes milliseconds, RSA 2048 takes far longer. */
export type KeyType = 'rsa' | 'ec' | 'ed25519';

export interface CertOptions {
  cn: string;
  dns?: string[];
  ips?: string[];
  /** Validity in days from now (default 365); with `notYetValid`, the length of the future window. */
  days?: number;
  /** Valid from 30 days ago until yesterday. */
  expired?: boolean;
  /** Valid only from 30 days in the future. */
  notYetValid?: boolean;
  /** File name stem (default: the CN with unsafe characters replaced). */
  name?: string;
  keyType?: KeyType;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs openssl and returns its stdout; a failure throws with openssl's own stderr. */
export function openssl(args: readonly string[]): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result.stdout;
}

function keyArgs(type: KeyType): string[] {
  switch (type) {
    case 'ec':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    case 'rsa':
      return ['-newkey', 'rsa:2048'];
    case 'ed25519':
      return ['-newkey', 'ed25519'];
  }
}

/** `-subj` treats `/`, `+`, `=` and `\` specially. */
function subject(cn: string): string {
  return `/CN=${cn.replace(/[\\/+=]/g, (c) => `\\${c}`)}`;
}

function fileStem(cn: string): string {
  return cn.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** GeneralizedTime as `openssl ca -startdate/-enddate` accepts it. */
function asn1Time(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function validity(opts: CertOptions, now: Date): { start: Date; end: Date } {
  const days = opts.days ?? 365;
  const t = now.getTime();
  if (opts.expired) return { start: new Date(t - 30 * DAY_MS), end: new Date(t - DAY_MS) };
  if (opts.notYetValid) return { start: new Date(t + 30 * DAY_MS), end: new Date(t + (30 + days) * DAY_MS) };
  // An hour of slack so that a certificate made now is valid for a check made now.
  return { start: new Date(t - 60 * 60 * 1000), end: new Date(t + days * DAY_MS) };
}

function subjectAltName(opts: CertOptions): string | undefined {
  const names = [...(opts.dns ?? []).map((d) => `DNS:${d}`), ...(opts.ips ?? []).map((ip) => `IP:${ip}`)];
  return names.length > 0 ? names.join(',') : undefined;
}

function leafExtensions(opts: CertOptions, selfSigned: boolean): string {
  const lines = ['[ext]', 'subjectKeyIdentifier = hash'];
  if (selfSigned) {
    // What `openssl req -x509` puts in by default (the README's scenario 1), so a list of such
    // certificates can serve as each other's trust anchors.
    lines.push('basicConstraints = critical,CA:TRUE');
  } else {
    lines.push(
      'authorityKeyIdentifier = keyid,issuer',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      // socat uses one certificate for both ends: the joiner serves it, the donor presents it as a client.
      'extendedKeyUsage = serverAuth,clientAuth',
    );
  }
  const san = subjectAltName(opts);
  if (san) lines.push(`subjectAltName = ${san}`);
  return `${lines.join('\n')}\n`;
}

/** A private `openssl ca` database, kept out of the directory the certificates go to. */
function caConfig(dbDir: string, cert: string, key: string): string {
  mkdirSync(join(dbDir, 'issued'), { recursive: true });
  writeFileSync(join(dbDir, 'index.txt'), '', { flag: 'a' });
  const config = join(dbDir, 'ca.cnf');
  writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = ca_section',
      '[ca_section]',
      `database = ${join(dbDir, 'index.txt')}`,
      `new_certs_dir = ${join(dbDir, 'issued')}`,
      `serial = ${join(dbDir, 'serial')}`,
      `certificate = ${cert}`,
      `private_key = ${key}`,
      // "default" lets Ed25519 keys sign without a digest and picks SHA-256 for EC and RSA.
      'default_md = default',
      'policy = policy_any',
      'unique_subject = no',
      'email_in_dn = no',
      '[policy_any]',
      'commonName = supplied',
      '[req]',
      'distinguished_name = dn',
      '[dn]',
      '[v3_ca]',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid:always,issuer',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      '',
    ].join('\n'),
  );
  return config;
}

/** Next to the CA certificate, so issueCert finds it from the Pki alone. */
function dbDirFor(caCert: string): string {
  return join(dirname(caCert), `.${basename(caCert, '.crt')}-db`);
}

/**
 * A root CA (valid 10 years), or with `parent` an intermediate CA signed by it, for chain tests.
 * The CA certificate and key are `<dir>/<name>.crt` and `<dir>/<name>.key`.
 */
export function createCa(dir: string, name = 'ca', parent?: Pki): Pki {
  mkdirSync(dir, { recursive: true });
  const caCert = join(dir, `${name}.crt`);
  const caKey = join(dir, `${name}.key`);
  const config = caConfig(dbDirFor(caCert), caCert, caKey);
  if (parent === undefined) {
    openssl([
      'req',
      '-x509',
      ...keyArgs('ec'),
      '-noenc',
      '-keyout',
      caKey,
      '-out',
      caCert,
      '-days',
      '3650',
      '-subj',
      subject(`Test CA ${name}`),
      '-config',
      config,
      '-extensions',
      'v3_ca',
    ]);
  } else {
    const csr = join(dbDirFor(caCert), 'ca.csr');
    openssl([
      'req',
      '-new',
      ...keyArgs('ec'),
      '-noenc',
      '-keyout',
      caKey,
      '-out',
      csr,
      '-subj',
      subject(`Test CA ${name}`),
      '-config',
      config,
    ]);
    const parentConfig = join(dbDirFor(parent.caCert), 'ca.cnf');
    openssl([
      'ca',
      '-batch',
      '-config',
      parentConfig,
      '-in',
      csr,
      '-out',
      caCert,
      '-notext',
      '-rand_serial',
      '-days',
      '3650',
      '-extensions',
      'v3_ca',
    ]);
  }
  return { dir, caCert, caKey };
}

interface Signer {
  dbDir: string;
  /** Undefined for a self-signed certificate (signed with the request's own key). */
  ca?: Pki;
}

function makeCert(outDir: string, signer: Signer, opts: CertOptions, now: Date): NodeCert {
  const stem = opts.name ?? fileStem(opts.cn);
  const key = join(outDir, `${stem}.key`);
  const cert = join(outDir, `${stem}.crt`);
  const bundle = join(outDir, `${stem}.pem`);
  const csr = join(signer.dbDir, `${stem}.csr`);
  const extFile = join(signer.dbDir, `${stem}.ext`);
  const config = caConfig(signer.dbDir, signer.ca?.caCert ?? cert, signer.ca?.caKey ?? key);

  openssl([
    'req',
    '-new',
    ...keyArgs(opts.keyType ?? 'ec'),
    '-noenc',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    subject(opts.cn),
    '-config',
    config,
  ]);
  writeFileSync(extFile, leafExtensions(opts, signer.ca === undefined));
  const { start, end } = validity(opts, now);
  openssl([
    'ca',
    '-batch',
    '-config',
    config,
    '-in',
    csr,
    '-out',
    cert,
    '-notext',
    '-rand_serial',
    '-startdate',
    asn1Time(start),
    '-enddate',
    asn1Time(end),
    '-extfile',
    extFile,
    '-extensions',
    'ext',
    ...(signer.ca === undefined ? ['-selfsign', '-keyfile', key] : []),
  ]);
  writeFileSync(bundle, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
  return { cert, key, bundle };
}

export function issueCert(pki: Pki, opts: CertOptions, now: Date = new Date()): NodeCert {
  return makeCert(pki.dir, { dbDir: dbDirFor(pki.caCert), ca: pki }, opts, now);
}

export function selfSigned(
  dir: string,
  cn: string,
  opts: Omit<CertOptions, 'cn'> = {},
  now: Date = new Date(),
): NodeCert {
  mkdirSync(dir, { recursive: true });
  return makeCert(dir, { dbDir: join(dir, '.self-db') }, { ...opts, cn }, now);
}

/** Writes `key` encrypted with `passphrase` (PKCS#8, AES-256) to `out`: the "encrypted key" fixture. */
export function encryptKey(key: string, out: string, passphrase: string): string {
  openssl(['pkey', '-in', key, '-out', out, '-aes256', '-passout', `pass:${passphrase}`]);
  return out;
}

/** Writes `key` in the traditional (PKCS#1 / SEC1) encoding: "RSA PRIVATE KEY" / "EC PRIVATE KEY". */
export function traditionalKey(key: string, out: string): string {
  openssl(['pkey', '-in', key, '-out', out, '-traditional']);
  return out;
}

/** The subject hash openssl uses for CA directory entries (`<hash>.0`), as `openssl rehash` would name them. */
export function subjectHash(cert: string): string {
  return openssl(['x509', '-in', cert, '-noout', '-subject_hash']).trim();
}
