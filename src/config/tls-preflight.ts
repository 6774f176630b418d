/**
 * Checks the TLS material before the joiner prints `ready` or the donor answers, so a bad file
 * fails with one clear message and exit 22 (docs/protocol.md §5.1, §7 items 9–11, 35, 45)
 * instead of an opaque socat handshake error on one side and a hang on the other.
 *
 * Only node:crypto is used: the program must not depend on an openssl binary at run time.
 * The rules follow what socat 1.7.4 (Debian 12) does with the same files: the certificate file
 * is read as a chain (first certificate = ours, the rest untrusted intermediates), the key comes
 * from the certificate file when no key file is given, and a CA directory is a trust store.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Exit, SstError } from '../errors';
import { canonicalIp } from '../net/address';
import type { TlsSettings } from './tls';
import { isFile } from '../proc/file-kind';

export interface CertificateInfo {
  subjectCN?: string;
  dnsNames: string[];
  /** Canonical text form (IPv6 compressed, lower case), comparable with canonicalIp(). */
  ipAddresses: string[];
  validTo: Date;
  validFrom: Date;
  fingerprint256: string;
  issuerCN?: string;
}

export interface PreflightResult {
  certificate: CertificateInfo;
  warnings: string[];
  infos: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Enough notice for a rotation before the next SST fails. */
const EXPIRY_WARNING_DAYS = 30;
/** Longer chains than this are not something a node certificate has; it also bounds the walk. */
const MAX_CHAIN_DEPTH = 10;
/** How many CA subjects an error message names. */
const MAX_LISTED_ANCHORS = 5;

// ---------------------------------------------------------------------------------------------
// Reading files

const PROTECTED_PREFIXES = ['/home', '/root', '/run/user'];

function isUnderProtectedHome(path: string): boolean {
  return PROTECTED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * mariadb.service ships with ProtectHome=true: /home, /root and /run/user are inaccessible to
 * mariadbd and its SST program even as root, which looks like a permission (or, with
 * ProtectHome=tmpfs, a missing-file) problem that the administrator cannot reproduce in a shell.
 */
function protectHomeHint(path: string): string {
  return isUnderProtectedHome(path)
    ? ' If MariaDB runs under systemd, note that mariadb.service sets ProtectHome=true, which hides ' +
        '/home, /root and /run/user from the server and this program: move the file elsewhere ' +
        '(for example /etc/mysql/ssl/) or override ProtectHome in a drop-in.'
    : '';
}

function fileError(path: string, what: string, error: unknown): SstError {
  const err = error as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return new SstError(Exit.BAD_CONFIG, `The ${what} '${path}' was not found (ENOENT).${protectHomeHint(path)}`);
    case 'EACCES':
    case 'EPERM':
      return new SstError(
        Exit.BAD_CONFIG,
        `Cannot read the ${what} '${path}': permission denied (${err.code}). It must be readable by the ` +
          `user mariadbd runs as.${protectHomeHint(path)}`,
      );
    case 'EISDIR':
      return new SstError(Exit.BAD_CONFIG, `The ${what} '${path}' is a directory, not a file.`);
    default:
      return new SstError(Exit.BAD_CONFIG, `Cannot read the ${what} '${path}': ${err.message}`);
  }
}

function readTlsFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw fileError(path, what, error);
  }
}

// ---------------------------------------------------------------------------------------------
// PEM

interface PemBlock {
  label: string;
  pem: string;
}

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    blocks.push({ label: m[1] ?? '', pem: m[0] });
  }
  return blocks;
}

function parseCertificate(pem: string, where: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new SstError(Exit.BAD_CONFIG, `Cannot parse a certificate in ${where}: ${(error as Error).message}`);
  }
}

/** All certificates of a PEM file, in file order. */
function certificatesIn(text: string, where: string): X509Certificate[] {
  return pemBlocks(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificate(b.pem, where));
}

// ---------------------------------------------------------------------------------------------
// Certificate description and name matching

function firstCN(distinguishedName: string | undefined): string | undefined {
  const line = distinguishedName?.split('\n').find((l) => l.startsWith('CN='));
  return line?.slice(3);
}

/** Node prints SAN entries as `DNS:a, IP Address:1.2.3.4`, JSON-quoting values with special characters. */
function subjectAltNames(san: string | undefined): { type: string; value: string }[] {
  if (!san) return [];
  const entries: { type: string; value: string }[] = [];
  for (const m of san.matchAll(/(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[2] ?? '';
    entries.push({ type: m[1] ?? '', value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw });
  }
  return entries;
}

export function describeCertificate(cert: X509Certificate): CertificateInfo {
  const sans = subjectAltNames(cert.subjectAltName);
  const info: CertificateInfo = {
    dnsNames: sans.filter((e) => e.type === 'DNS').map((e) => e.value),
    ipAddresses: sans
      .filter((e) => e.type === 'IP Address')
      .map((e) => canonicalIp(e.value))
      .filter((ip): ip is string => ip !== undefined),
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
  const subjectCN = firstCN(cert.subject);
  if (subjectCN !== undefined) info.subjectCN = subjectCN;
  const issuerCN = firstCN(cert.issuer);
  if (issuerCN !== undefined) info.issuerCN = issuerCN;
  return info;
}

export function describeNames(info: CertificateInfo): string {
  const parts = [
    ...(info.subjectCN !== undefined ? [`CN=${info.subjectCN}`] : []),
    ...info.dnsNames.map((d) => `DNS:${d}`),
    ...info.ipAddresses.map((ip) => `IP:${ip}`),
  ];
  return parts.length > 0 ? parts.join(', ') : 'no CN and no subjectAltName';
}

/**
 * socat 1.7.4's rule for one certificate name: exact, case-sensitive text, or `*.domain`
 * matching `domain` itself and one more label in front of it.
 */
function socatNameMatches(pattern: string, name: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === name;
  const base = pattern.slice(2);
  if (name === base) return true;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === base;
}

function namesMatch(info: CertificateInfo, host: string): boolean {
  const ip = canonicalIp(host);
  if (ip !== undefined && info.ipAddresses.includes(ip)) return true;
  const name = host.trim().replace(/^\[(.*)\]$/, '$1');
  const candidates = info.subjectCN !== undefined ? [...info.dnsNames, info.subjectCN] : info.dnsNames;
  return candidates.some((pattern) => socatNameMatches(pattern, name));
}

export interface HostMatchOptions {
  /** The host is an address of this machine: a certificate for `localhost` is also accepted. */
  local?: boolean;
}

/**
 * Whether socat's peer-name check (VERIFY_IDENTITY) would accept this certificate for `host`.
 *
 * This models socat 1.7.4 (observed on Debian 12), not RFC 6125 or X509Certificate.checkHost:
 * socat compares the name with every DNS SAN *and* the CN, case-sensitively, and an IP address
 * also with the IP SANs (binary compare, so any spelling of the address matches). checkHost
 * would ignore the CN whenever DNS SANs exist and ignore case, predicting successes socat refuses.
 *
 * `options.local` mirrors upstream's `checkHost = localhost` for local addresses (§7.35);
 * a caller that accepts a certificate that way must also make socat check `localhost`
 * (socat's `commonname=` option), since socat checks exactly one name.
 */
export function certificateMatchesHost(
  cert: CertificateInfo | X509Certificate,
  host: string,
  options: HostMatchOptions = {},
): boolean {
  const info = cert instanceof X509Certificate ? describeCertificate(cert) : cert;
  return namesMatch(info, host) || (options.local === true && namesMatch(info, 'localhost'));
}

// ---------------------------------------------------------------------------------------------
// Private key

function isEncryptedKey(block: PemBlock): boolean {
  return block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.pem);
}

function keyOption(settings: TlsSettings): string {
  return settings.source === 'ssl-*' ? 'ssl-key' : 'tkey in [sst]';
}

function loadPrivateKey(settings: TlsSettings, certText: string): { key: KeyObject; from: string } {
  const from = settings.key ?? settings.cert;
  const text = settings.key !== undefined ? readTlsFile(settings.key, 'private key file') : certText;
  const block = pemBlocks(text).find((b) => b.label.endsWith('PRIVATE KEY'));
  if (block === undefined) {
    throw new SstError(
      Exit.BAD_CONFIG,
      settings.key !== undefined
        ? `No PEM private key found in the key file '${settings.key}'.`
        : `No private key: ${keyOption(settings)} is not set and the certificate file '${settings.cert}' holds no ` +
            `private key. Set ${keyOption(settings)}, or put the key into the certificate file ` +
            `(key+certificate bundle).`,
    );
  }
  if (isEncryptedKey(block)) {
    throw new SstError(
      Exit.BAD_CONFIG,
      `The private key in '${from}' is protected by a passphrase, which socat cannot ask for during an SST. ` +
        'Store the key unencrypted, readable only by the mariadbd user.',
    );
  }
  try {
    return { key: createPrivateKey(block.pem), from };
  } catch (error) {
    throw new SstError(Exit.BAD_CONFIG, `Cannot parse the private key in '${from}': ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Trust anchors

interface TrustAnchor {
  cert: X509Certificate;
  /** Where it was read from, for messages. */
  origin: string;
  /** For CA directories: whether OpenSSL's by-hash lookup (`<hash>.N`) can find it. */
  hashNamed: boolean;
}

const CA_DIR_ENTRY = /\.(pem|crt|cer)$/i;
const HASH_ENTRY = /^[0-9a-f]{8}\.\d+$/;

function anchorsFromFile(caFile: string): TrustAnchor[] {
  const certs = certificatesIn(readTlsFile(caFile, 'CA file'), `the CA file '${caFile}'`);
  if (certs.length === 0) {
    throw new SstError(Exit.BAD_CONFIG, `No PEM certificate found in the CA file '${caFile}'.`);
  }
  return certs.map((cert) => ({ cert, origin: `CA file '${caFile}'`, hashNamed: true }));
}

/**
 * A directory is searched like OpenSSL's CApath, but more leniently: named *.pem/*.crt/*.cer
 * files count too, so that a directory that was never rehashed still gets a precise warning
 * rather than a misleading "not issued by the CA".
 */
function anchorsFromDirectory(caPath: string): TrustAnchor[] {
  let entries: string[];
  try {
    entries = readdirSync(caPath);
  } catch (error) {
    throw fileError(caPath, 'CA directory', error);
  }
  const anchors: TrustAnchor[] = [];
  for (const entry of entries.filter((e) => CA_DIR_ENTRY.test(e) || HASH_ENTRY.test(e)).sort()) {
    const path = join(caPath, entry);
    if (!isFile(path)) continue;
    const certs = certificatesIn(readTlsFile(path, 'CA directory entry'), `'${path}'`);
    anchors.push(...certs.map((cert) => ({ cert, origin: `'${path}'`, hashNamed: HASH_ENTRY.test(entry) })));
  }
  // The same CA often sits under both names (Debian's /etc/ssl/certs): the hash link must win,
  // or its plain-named twin would earn a false "not rehashed" warning.
  return anchors.sort((a, b) => Number(b.hashNamed) - Number(a.hashNamed));
}

function loadAnchors(settings: TlsSettings): TrustAnchor[] {
  return [
    ...(settings.caFile !== undefined ? anchorsFromFile(settings.caFile) : []),
    ...(settings.caPath !== undefined ? anchorsFromDirectory(settings.caPath) : []),
  ];
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** A trusted copy of the certificate itself counts: the README's list of self-signed node certificates. */
function anchorFor(cert: X509Certificate, anchors: readonly TrustAnchor[]): TrustAnchor | undefined {
  return anchors.find((a) => a.cert.raw.equals(cert.raw) || signedBy(cert, a.cert));
}

interface ChainResult {
  anchor: TrustAnchor;
  /** Intermediates from our certificate file, leaf side first. */
  intermediates: X509Certificate[];
}

/** Like `openssl verify -CAfile ca -untrusted cert cert`: intermediates may come from our certificate file. */
function buildChain(
  leaf: X509Certificate,
  untrusted: readonly X509Certificate[],
  anchors: readonly TrustAnchor[],
): ChainResult | undefined {
  const intermediates: X509Certificate[] = [];
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    const anchor = anchorFor(current, anchors);
    if (anchor !== undefined) return { anchor, intermediates };
    const next = untrusted.find(
      (c) => !intermediates.includes(c) && !c.raw.equals(current.raw) && signedBy(current, c),
    );
    if (next === undefined) return undefined;
    intermediates.push(next);
    current = next;
  }
  return undefined;
}

function notIssuedByCa(leaf: X509Certificate, settings: TlsSettings, anchors: readonly TrustAnchor[]): SstError {
  const where = [
    settings.caFile && `CA file '${settings.caFile}'`,
    settings.caPath && `CA directory '${settings.caPath}'`,
  ]
    .filter(Boolean)
    .join(' and ');
  return new SstError(
    Exit.BAD_CONFIG,
    'It does not appear that the certificate was issued by the CA. ' +
      `The certificate '${settings.cert}' (${describeDn(leaf.subject)}) was issued by ${describeDn(leaf.issuer)}; ` +
      `the ${where} holds: ${describeAnchors(anchors)}.`,
  );
}

/** A system bundle holds well over a hundred CAs: name a few, count the rest. */
function describeAnchors(anchors: readonly TrustAnchor[]): string {
  if (anchors.length === 0) return 'no certificates';
  const named = anchors.slice(0, MAX_LISTED_ANCHORS).map((a) => describeDn(a.cert.subject));
  const more = anchors.length - named.length;
  return more > 0 ? `${named.join('; ')} and ${more} more` : named.join('; ');
}

function describeDn(dn: string): string {
  return dn.split('\n').join(', ');
}

// ---------------------------------------------------------------------------------------------
// Validity dates

function checkDates(cert: X509Certificate, what: string, now: Date, warnings: string[]): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) {
    throw new SstError(Exit.BAD_CONFIG, `${what} is not valid yet: its validity starts ${from.toISOString()}.`);
  }
  if (now > to) {
    throw new SstError(Exit.BAD_CONFIG, `${what} expired on ${to.toISOString()}.`);
  }
  const daysLeft = Math.floor((to.getTime() - now.getTime()) / DAY_MS);
  if (daysLeft < EXPIRY_WARNING_DAYS) {
    warnings.push(
      `${what} expires on ${to.toISOString()} (in ${daysLeft} days): renew it before it breaks state transfers.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

function verifyIssuer(
  leaf: X509Certificate,
  untrusted: readonly X509Certificate[],
  settings: TlsSettings,
  now: Date,
  result: PreflightResult,
): void {
  if (settings.caFile === undefined && settings.caPath === undefined) {
    result.infos.push('No CA configured: the issuer of our certificate is not checked locally.');
    return;
  }
  const anchors = loadAnchors(settings);
  const chain = buildChain(leaf, untrusted, anchors);
  if (chain === undefined) throw notIssuedByCa(leaf, settings, anchors);

  for (const c of chain.intermediates) {
    checkDates(
      c,
      `The intermediate certificate '${describeDn(c.subject)}' in '${settings.cert}'`,
      now,
      result.warnings,
    );
  }
  // A trusted copy of our own certificate had its dates checked already.
  if (!chain.anchor.cert.raw.equals(leaf.raw)) {
    checkDates(
      chain.anchor.cert,
      `The CA certificate '${describeDn(chain.anchor.cert.subject)}' in ${chain.anchor.origin}`,
      now,
      result.warnings,
    );
  }
  if (!chain.anchor.hashNamed) {
    result.warnings.push(
      `The CA certificate '${describeDn(chain.anchor.cert.subject)}' was found in ${chain.anchor.origin}, ` +
        `but OpenSSL looks ` +
        `CA directories up by subject hash only: run 'openssl rehash ` +
        `${settings.caPath ?? ''}' so that peers can be verified.`,
    );
  }
  result.infos.push(`Certificate issued by ${describeDn(chain.anchor.cert.subject)} from ${chain.anchor.origin}.`);
}

export interface PreflightOptions {
  /**
   * False when nobody verifies the peer (ssl-mode=REQUIRED, sockopt verify=0): a foreign issuer is then only a warning.
   */
  verifyPeer?: boolean;
  now?: Date;
}

export function preflightTls(settings: TlsSettings, options: PreflightOptions = {}): PreflightResult {
  const now = options.now ?? new Date();
  const certText = readTlsFile(settings.cert, 'certificate file');
  const [leaf, ...untrusted] = certificatesIn(certText, `the certificate file '${settings.cert}'`);
  if (leaf === undefined) {
    throw new SstError(Exit.BAD_CONFIG, `No PEM certificate found in the certificate file '${settings.cert}'.`);
  }
  const { key, from } = loadPrivateKey(settings, certText);
  if (!leaf.checkPrivateKey(key)) {
    throw new SstError(
      Exit.BAD_CONFIG,
      `The certificate and private key do not match. (certificate: '${settings.cert}', key: '${from}')`,
    );
  }

  const certificate = describeCertificate(leaf);
  const result: PreflightResult = {
    certificate,
    warnings: [],
    infos: [
      `Certificate ${describeNames(certificate)}, valid until ${certificate.validTo.toISOString()}, ` +
        `SHA-256 fingerprint ${certificate.fingerprint256}.`,
    ],
  };
  checkDates(leaf, `The certificate '${settings.cert}'`, now, result.warnings);
  try {
    verifyIssuer(leaf, untrusted, settings, now, result);
  } catch (e) {
    if (options.verifyPeer !== false || !(e instanceof SstError)) throw e;
    result.warnings.push(`${e.message} Accepted because peer verification is off.`);
  }
  return result;
}
