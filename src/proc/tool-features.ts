/**
 * What the installed socat and rsync can do, decided once per run from their versions and, where
 * a version cannot tell (distributions backport options), from socat's own option list
 * (`socat -hhh`). Pure: text in, features out. Established with the builds in
 * ../shared/compat/bin (RHEL 8/9/10, Debian 12/13, Ubuntu, upstream):
 *
 * - socat 1.7.3 has no `nosni` option and, as a client, compares only the certificate's CN with
 *   the host: IP subjectAltName entries are not read (1.7.4.0 added SNI and SAN IP checks). An
 *   empty `commonname=` alone skips its name check while the chain is still verified, which is
 *   how VERIFY_CA is expressed there.
 * - socat 1.7.4.0 and 1.7.4.1 listeners crash (SIGSEGV) on a client certificate with an IPv6
 *   subjectAltName unless the listener has a `commonname` option (fixed in 1.7.4.2); an empty
 *   one avoids it on IPv4 listeners. On IPv6 listeners (pf=ip6) every version from 1.7.4 tries to
 *   resolve that empty name against such a certificate and refuses it, so nothing makes 1.7.4.0/1
 *   accept an IPv6-SAN client on IPv6: the joiner warns (ipv6ListenerAdvice).
 * - socat 1.8 prints warnings by default: each connection writes expected `W` lines.
 * - rsync 3.5.0 daemons refuse a module path with a symlink owned by someone other than root or
 *   the daemon's user (`@ERROR: chdir failed`).
 */

export interface SocatFeatures {
  version: string;
  /** The `nosni` option exists (1.7.4+, or a backport `socat -hhh` lists). */
  noSni: boolean;
  /** A client checks subjectAltName IP entries, not only the CN (1.7.4+). */
  checksIpSan: boolean;
  /**
   * 1.7.4.0 and 1.7.4.1: a listener without a `commonname` option crashes on a client certificate
   * with an IPv6 subjectAltName. An empty one avoids that on IPv4 listeners; it must not be given
   * to other versions, whose IPv6 listeners then try to resolve "" against such a certificate.
   */
  listenerNeedsCommonName: boolean;
}

export interface RsyncFeatures {
  version: string;
  /** Its daemon refuses module paths through symlinks owned by other users (3.5.0+). */
  refusesForeignSymlinks: boolean;
}

/** `1.7.4.1` → [1, 7, 4, 1]; anything unreadable → undefined. */
export function versionParts(version: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  if (!m) return undefined;
  return m.slice(1).map((p) => (p === undefined ? 0 : Number(p)));
}

/** True when `version` is at least `floor`; an unreadable version counts as new (today's tools). */
export function atLeast(version: string, floor: string): boolean {
  const v = versionParts(version);
  const f = versionParts(floor) ?? [];
  if (!v) return true;
  for (let i = 0; i < f.length; i++) {
    const a = v[i] ?? 0;
    const b = f[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** `optionList`: what `socat -hhh` printed; when it lists no OpenSSL option at all, the version decides. */
export function socatFeatures(version: string, optionList: string): SocatFeatures {
  const listed = /\bopenssl-commonname\b/.test(optionList);
  return {
    version,
    noSni: listed ? /\bopenssl-no-sni\b/.test(optionList) : atLeast(version, '1.7.4'),
    checksIpSan: atLeast(version, '1.7.4'),
    listenerNeedsCommonName: atLeast(version, '1.7.4') && !atLeast(version, '1.7.4.2'),
  };
}

export function rsyncFeatures(version: string): RsyncFeatures {
  return { version, refusesForeignSymlinks: atLeast(version, '3.5.0') };
}

/** One log line naming what the run adapts to, or undefined when nothing is special. */
export function describeFeatures(s: SocatFeatures, r: RsyncFeatures): string | undefined {
  const notes: string[] = [];
  if (!s.noSni) notes.push(`socat ${s.version} has no nosni option: VERIFY_CA is expressed with an empty commonname`);
  if (!s.checksIpSan)
    notes.push(`socat ${s.version} checks only a certificate's CN, not its subjectAltName IP entries`);
  if (r.refusesForeignSymlinks)
    notes.push(`rsync ${r.version} refuses module paths through symlinks owned by other users`);
  return notes.length > 0 ? `tool features: ${notes.join('; ')}` : undefined;
}

/** The warning for a 1.7.4.0/1.7.4.1 joiner listening on IPv6; undefined when it does not apply. */
export function ipv6ListenerAdvice(socat: SocatFeatures, ipv6: boolean): string | undefined {
  if (!ipv6 || !socat.listenerNeedsCommonName) return undefined;
  return (
    `socat ${socat.version} listening on IPv6 cannot accept a donor certificate that has an IPv6 subjectAltName ` +
    '(1.7.4.0/1.7.4.1 crash on it, fixed in 1.7.4.2): give donors certificates without IPv6 addresses, or ' +
    'install socat 1.7.4.2 or later'
  );
}

/**
 * Why a socat older than 1.7.4 may refuse a joiner whose certificate names its IP address only in
 * a subjectAltName, and what to do; undefined when that cannot happen (a DNS name, a newer socat).
 */
export function cnOnlyAdvice(socat: SocatFeatures, host: string, hostIsIp: boolean): string | undefined {
  if (socat.checksIpSan || !hostIsIp) return undefined;
  return (
    `socat ${socat.version} (older than 1.7.4) checks only the certificate's CN against '${host}', not its ` +
    `subjectAltName IP entries: ` +
    `give the joiner a certificate with CN=${host}, or have it advertise a host name its certificate holds ` +
    `(wsrep_sst_receive_address), ` +
    'or install socat 1.7.4 or later on the donor'
  );
}
