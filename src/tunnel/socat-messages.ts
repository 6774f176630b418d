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
