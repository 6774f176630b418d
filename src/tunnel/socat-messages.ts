import type { QuietKind } from '../proc/quiet-lines';

/**
 * socat 1.8 prints warnings by default (CHANGES 1.8.0.0), and some come with every connection
 * our addresses make: they would put two or three lines per rsync pass into mariadbd's error log
 * while saying nothing about this SST. Pure: a stderr line in, the kind of expected warning out.
 */
const EXPECTED_WARNINGS: readonly { pattern: RegExp; kind: string }[] = [
  // We never configure CRLs; older socat said nothing about it.
  { pattern: / W OpenSSL: Warning: this implementation does not check CRLs\s*$/, kind: 'CRLs not checked' },
  // An IP address or VERIFY_CA's empty commonname: there is no host name to send as SNI.
  { pattern: / W refusing to set empty SNI host name\s*$/, kind: 'no SNI host name' },
  // The supervisor ends every socat it started with SIGTERM; 1.8 reports that as a warning.
  { pattern: / W exiting on signal 15\s*$/, kind: 'stopped by us' },
];

export function expectedSocatWarning(line: string): string | undefined {
  return EXPECTED_WARNINGS.find((w) => w.pattern.test(line))?.kind;
}

/** One count line per this interval while peers keep failing the listener's TLS handshake. */
export const REFUSED_REPORT_MS = 30_000;

/**
 * The listener's child logs one `E SSL_accept(): …` line per peer that fails the handshake: no
 * TLS at all, no certificate, a certificate our CA did not issue, or a peer that went away. Anyone
 * who reaches the port can produce these at will (docs/architecture.md §8.3), so they are a flood kind.
 */
export const REFUSED_CONNECTIONS: QuietKind = { kind: 'refused connections', everyMs: REFUSED_REPORT_MS };

export function refusedPeer(line: string): boolean {
  return / E SSL_accept\(\): /.test(line);
}

/** The classifier our supervisor runs on every socat stderr line. */
export function quietSocatLine(line: string): string | QuietKind | undefined {
  return expectedSocatWarning(line) ?? (refusedPeer(line) ? REFUSED_CONNECTIONS : undefined);
}
