/**
 * Which certificate, key and CA the tunnel uses, and how strictly the peer is checked
 * (docs/protocol.md §4.2, §5.1, §7 items 8–11). Pure: the option-file reader and the file
 * system are passed in, so every rule can be tested without either.
 *
 * Relative paths are resolved against the datadir: mariadbd starts SST programs with the
 * datadir as cwd, so that is where a relative `tcert` has always pointed (§1.5). Resolving
 * explicitly keeps that meaning even if our own cwd changes, and socat gets absolute paths.
 * Paths are returned as given otherwise: escaping them for socat's address syntax is the job
 * of the socat address builder.
 */
import { resolve } from 'node:path';
import { Exit, SstError } from '../errors';

/** The SST role, which is also the TLS side: the joiner listens (TLS server), the donor connects. */
export type Role = 'joiner' | 'donor';

/** First group set with a non-empty value wins (provided by the option-file reader). */
export type ConfigLookup = (groupSets: readonly (readonly string[])[], key: string) => string | undefined;

/**
 * VERIFY_IDENTITY: peer chain and peer name are checked (socat's default, so the original
 * rsync_tunnel's behaviour). VERIFY_CA: chain only. REQUIRED: encryption without any check.
 */
export type SslMode = 'VERIFY_IDENTITY' | 'VERIFY_CA' | 'REQUIRED';

export type TlsSource = 'tca/tcert/tkey' | 'ssl-*';

export interface TlsSettings {
  /** Absolute path; may be a key+certificate bundle. */
  cert: string;
  /** Absolute path; absent when the key is expected inside `cert`. */
  key?: string;
  caFile?: string;
  caPath?: string;
  mode: SslMode;
  source: TlsSource;
  /** Lines for log.info. */
  notes: string[];
  /** Lines for log.warn. */
  warnings: string[];
}

/** The values as read, before any rule is applied. Empty strings count as unset. */
export interface RawTlsValues {
  tca?: string;
  tcapath?: string;
  tcert?: string;
  tkey?: string;
  sslCa?: string;
  sslCapath?: string;
  sslCert?: string;
  sslKey?: string;
  /** Role overrides: the joiner is the TLS server, the donor the TLS client. */
  sslServerCa?: string;
  sslServerCapath?: string;
  sslServerCert?: string;
  sslServerKey?: string;
  sslClientCa?: string;
  sslClientCapath?: string;
  sslClientCert?: string;
  sslClientKey?: string;
  sslMode?: string;
}

const SST_GROUP: readonly string[] = ['sst'];

/**
 * tca/tcapath/tcert/tkey are SST options and live in [sst] only. The ssl-* options are the
 * server's own TLS settings, so the mysqld groups are asked first, then [sst] (§4.2).
 */
export function readRawTlsValues(lookup: ConfigLookup, mysqldGroups: readonly string[]): RawTlsValues {
  const sst = (key: string): string | undefined => lookup([SST_GROUP], key);
  const server = (key: string): string | undefined => lookup([mysqldGroups, SST_GROUP], key);
  return {
    tca: sst('tca'),
    tcapath: sst('tcapath'),
    tcert: sst('tcert'),
    tkey: sst('tkey'),
    sslCa: server('ssl-ca'),
    sslCapath: server('ssl-capath'),
    sslCert: server('ssl-cert'),
    sslKey: server('ssl-key'),
    sslServerCa: server('ssl-server-ca'),
    sslServerCapath: server('ssl-server-capath'),
    sslServerCert: server('ssl-server-cert'),
    sslServerKey: server('ssl-server-key'),
    sslClientCa: server('ssl-client-ca'),
    sslClientCapath: server('ssl-client-capath'),
    sslClientCert: server('ssl-client-cert'),
    sslClientKey: server('ssl-client-key'),
    sslMode: server('ssl-mode'),
  };
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

interface ParsedMode {
  mode: SslMode;
  explicit: boolean;
}

function parseSslMode(value: string | undefined): ParsedMode {
  const given = present(value);
  if (given === undefined) return { mode: 'VERIFY_IDENTITY', explicit: false };
  const upper = given.toUpperCase();
  if (upper === 'VERIFY_IDENTITY' || upper === 'VERIFY_CA' || upper === 'REQUIRED') {
    return { mode: upper, explicit: true };
  }
  if (upper === 'DISABLED') {
    throw new SstError(
      Exit.BAD_CONFIG,
      'ssl-mode=DISABLED cannot be honoured: wsrep_sst_method=rsync_tunnel always encrypts. ' +
        'For an unencrypted transfer use wsrep_sst_method=rsync instead.',
    );
  }
  throw new SstError(
    Exit.BAD_CONFIG,
    `Unrecognized ssl-mode option: '${given}' (expected VERIFY_IDENTITY, VERIFY_CA or REQUIRED).`,
  );
}

/** The material before path resolution, with the option name each value came from. */
interface Material {
  source: TlsSource;
  cert?: Named;
  key?: Named;
  ca?: Named;
  capath?: Named;
  notes: string[];
}

interface Named {
  option: string;
  value: string;
}

function named(option: string, value: string | undefined): Named | undefined {
  const v = present(value);
  return v === undefined ? undefined : { option, value: v };
}

const T_OPTIONS = ['tca', 'tcapath', 'tcert', 'tkey'] as const;

function sslOptionsSet(raw: RawTlsValues): string[] {
  const table: [string, string | undefined][] = [
    ['ssl-ca', raw.sslCa],
    ['ssl-capath', raw.sslCapath],
    ['ssl-cert', raw.sslCert],
    ['ssl-key', raw.sslKey],
    ['ssl-server-ca', raw.sslServerCa],
    ['ssl-server-capath', raw.sslServerCapath],
    ['ssl-server-cert', raw.sslServerCert],
    ['ssl-server-key', raw.sslServerKey],
    ['ssl-client-ca', raw.sslClientCa],
    ['ssl-client-capath', raw.sslClientCapath],
    ['ssl-client-cert', raw.sslClientCert],
    ['ssl-client-key', raw.sslClientKey],
  ];
  return table.filter(([, v]) => present(v) !== undefined).map(([name]) => name);
}

function fromSstOptions(raw: RawTlsValues): Material {
  const ignored = sslOptionsSet(raw);
  const notes =
    ignored.length > 0
      ? [`Ignoring ${ignored.join(', ')}: tca/tcapath/tcert/tkey in [sst] take precedence over the ssl-* options.`]
      : [];
  return {
    source: 'tca/tcert/tkey',
    cert: named('tcert', raw.tcert),
    key: named('tkey', raw.tkey),
    ca: named('tca', raw.tca),
    capath: named('tcapath', raw.tcapath),
    notes,
  };
}

type Part = 'cert' | 'key' | 'ca' | 'capath';

function roleOverrides(raw: RawTlsValues, side: 'server' | 'client'): Record<Part, string | undefined> {
  return side === 'server'
    ? { cert: raw.sslServerCert, key: raw.sslServerKey, ca: raw.sslServerCa, capath: raw.sslServerCapath }
    : { cert: raw.sslClientCert, key: raw.sslClientKey, ca: raw.sslClientCa, capath: raw.sslClientCapath };
}

function fromSslOptions(raw: RawTlsValues, role: Role): Material {
  const side = role === 'joiner' ? 'server' : 'client';
  const overrides = roleOverrides(raw, side);
  // The role-specific option wins over the generic one, part by part.
  const pick = (part: Part, generic: string | undefined): Named | undefined =>
    named(`ssl-${side}-${part}`, overrides[part]) ?? named(`ssl-${part}`, generic);
  const material: Material = {
    source: 'ssl-*',
    cert: pick('cert', raw.sslCert),
    key: pick('key', raw.sslKey),
    ca: pick('ca', raw.sslCa),
    capath: pick('capath', raw.sslCapath),
    notes: [],
  };
  const used = [material.cert, material.key, material.ca, material.capath].filter((n): n is Named => n !== undefined);
  if (used.length > 0) {
    material.notes.push(
      `Using ${used.map((n) => n.option).join(', ')} (the ${role} is the TLS ${side}): ` +
        'none of tca/tcapath/tcert/tkey is set in [sst].',
    );
  }
  return material;
}

function pickMaterial(raw: RawTlsValues, role: Role): Material {
  const anyT = T_OPTIONS.some((k) => present(raw[k]) !== undefined);
  return anyT ? fromSstOptions(raw) : fromSslOptions(raw, role);
}

function missingCertificate(material: Material): SstError {
  const hint =
    material.source === 'tca/tcert/tkey'
      ? ' The ssl-* options are not used because tca/tcapath/tcert/tkey is set.'
      : ' (ssl-cert in the server configuration is also accepted when no t* option is set.)';
  return new SstError(
    Exit.BAD_CONFIG,
    'No TLS certificate configured: set tcert in the [sst] group to the node certificate ' +
      `(or a key+certificate PEM bundle). wsrep_sst_method=rsync_tunnel always encrypts.${hint}`,
  );
}

/** Absolute paths stay (normalised); relative ones are taken from the datadir. */
function absolute(p: string, datadir: string): string {
  return resolve(datadir, p);
}

interface CaLocations {
  caFile?: string;
  caPath?: string;
  notes: string[];
}

/** A CA "file" that names a directory (or ends in '/') is a CA path (§4.2, §7.11). */
function resolveCa(material: Material, datadir: string, isDirectory: (p: string) => boolean): CaLocations {
  const notes: string[] = [];
  const capath = material.capath && absolute(material.capath.value, datadir);
  const ca = material.ca;
  if (ca === undefined) return { caPath: capath, notes };

  const caAbs = absolute(ca.value, datadir);
  if (!ca.value.endsWith('/') && !isDirectory(caAbs)) return { caFile: caAbs, caPath: capath, notes };

  if (capath !== undefined && capath !== caAbs) {
    throw new SstError(
      Exit.BAD_CONFIG,
      `${ca.option}='${ca.value}' names a directory and ${material.capath?.option}='${material.capath?.value}' ` +
        'names another one: set only one CA directory.',
    );
  }
  notes.push(`${ca.option}='${ca.value}' is a directory: using it as the CA path.`);
  return { caPath: caAbs, notes };
}

/**
 * Without a CA, OpenSSL verifies against the system trust store: every public CA in it may issue
 * a certificate this node accepts. The joiner (TLS server) checks no client name, so any such
 * certificate reaches the rsync daemon, where only the per-SST secret still stops it.
 */
function noCaWarning(mode: 'VERIFY_IDENTITY' | 'VERIFY_CA', role: Role): string {
  const accepted =
    role === 'joiner'
      ? 'the joiner accepts a donor certificate from any CA in the system trust store, public CAs included'
      : mode === 'VERIFY_CA'
        ? 'the donor accepts a joiner certificate from any CA in the system trust store, ' +
          'public CAs included, whatever name it holds'
        : "the donor accepts a certificate for the joiner's name from any CA in the system trust store, " +
          'public CAs included';
  return (
    `No CA configured (tca, tcapath, ssl-ca or ssl-capath): ${accepted}. Set tca to the CA that issues the ` +
    `cluster's certificates.`
  );
}

function modeNotes(parsed: ParsedMode, hasCa: boolean, role: Role): { notes: string[]; warnings: string[] } {
  const notes: string[] = [];
  const warnings: string[] = [];
  if (!parsed.explicit) {
    notes.push('ssl-mode is not set: using VERIFY_IDENTITY (peer certificate chain and name are verified).');
  }
  if (parsed.mode === 'REQUIRED') {
    warnings.push(
      'ssl-mode=REQUIRED: the transfer is encrypted but the peer certificate is not verified, ' +
        'so anyone who can reach the SST port can pose as the peer. Use VERIFY_CA or VERIFY_IDENTITY.',
    );
  } else if (!hasCa) {
    warnings.push(noCaWarning(parsed.mode, role));
  }
  return { notes, warnings };
}

/**
 * Applies the rules to the raw values. `datadir` must be absolute (relative paths are resolved
 * against it); `isDirectory` is asked about the resolved CA path only.
 */
export function resolveTls(
  raw: RawTlsValues,
  role: Role,
  isDirectory: (p: string) => boolean,
  datadir: string,
): TlsSettings {
  const parsed = parseSslMode(raw.sslMode);
  const material = pickMaterial(raw, role);
  if (material.cert === undefined) throw missingCertificate(material);

  const cas = resolveCa(material, datadir, isDirectory);
  const byMode = modeNotes(parsed, cas.caFile !== undefined || cas.caPath !== undefined, role);
  const keyNotes =
    material.key === undefined
      ? [
          `No private key option set: the key is expected in ` +
            `${material.cert.option}='${material.cert.value}' (key+certificate bundle).`,
        ]
      : [];

  const settings: TlsSettings = {
    cert: absolute(material.cert.value, datadir),
    mode: parsed.mode,
    source: material.source,
    notes: [...material.notes, ...cas.notes, ...keyNotes, ...byMode.notes],
    warnings: byMode.warnings,
  };
  if (material.key !== undefined) settings.key = absolute(material.key.value, datadir);
  if (cas.caFile !== undefined) settings.caFile = cas.caFile;
  if (cas.caPath !== undefined) settings.caPath = cas.caPath;
  return settings;
}
