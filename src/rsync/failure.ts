import { Exit, SstError } from '../errors';

/** socat's words for a certificate that does not carry the name it checked. */
const NAME_MISMATCH = /does not match/i;
/** socat's (OpenSSL's) words for a chain that did not verify. */
const CHAIN_UNVERIFIED = /verify failed/i;
const TLS_PATTERNS = [
  /certificate verify failed/i,
  /commonName .*does not match/i,
  /does not match.*(hostname|commonname|subjectAltName)/i,
  /no peer certificate/i,
  new RegExp(
    'alert (unknown ca|bad certificate|certificate unknown|certificate expired|' +
      'handshake failure|decrypt error|access denied)',
    'i',
  ),
  /SSL_connect\(\)/,
];
const UNREACHABLE_PATTERNS = [
  /Connection refused/i,
  /No route to host/i,
  /Network is unreachable/i,
  /Name or service not known/i,
  /Connection timed out/i,
  /Temporary failure in name resolution/i,
];

const AUTH_FAILED = /@ERROR: auth failed/;
const BROKEN_CONNECTION = /Connection reset by peer|Broken pipe/i;
/** rsync daemon's own refusals say more than rsync's closing "error starting client-server protocol". */
const DAEMON_ERROR = /@ERROR/;

/** The most telling line of socat's or rsync's stderr for an error message. */
function reason(lines: readonly string[], patterns: readonly RegExp[]): string {
  const hit = lines.find((l) => patterns.some((p) => p.test(l)));
  return (hit ?? lines[lines.length - 1] ?? '').replace(/^.*? E /, '').trim();
}

/**
 * Turns a failed rsync into the exit code mariadbd should log (docs/protocol.md §7.23,
 * docs/protocol.md §7.23): socat's own stderr comes through rsync's, so TLS and
 * reachability failures are told apart from rsync's protocol errors.
 */
export function classifyRsyncFailure(
  pass: string,
  rc: number | null,
  signal: string | null,
  stderr: readonly string[],
  firstPass: boolean,
): SstError {
  if (stderr.some((l) => TLS_PATTERNS.some((p) => p.test(l)))) {
    const why = reason(stderr, TLS_PATTERNS);
    const kind = NAME_MISMATCH.test(why)
      ? 'peer-name-mismatch'
      : CHAIN_UNVERIFIED.test(why)
        ? 'peer-chain-unverified'
        : undefined;
    return new SstError(Exit.TLS_VERIFY, `TLS verification failed in ${pass}: ${why}`, kind);
  }
  if (stderr.some((l) => AUTH_FAILED.test(l))) {
    return new SstError(
      Exit.TLS_VERIFY,
      `the joiner refused our per-SST secret in ${pass} (${reason(stderr, [AUTH_FAILED])}): this donor was ` +
        `not the one the joiner asked for`,
    );
  }
  if (stderr.some((l) => UNREACHABLE_PATTERNS.some((p) => p.test(l)))) {
    return new SstError(Exit.UNREACHABLE, `joiner unreachable in ${pass}: ${reason(stderr, UNREACHABLE_PATTERNS)}`);
  }
  const status = signal ? `killed by ${signal}` : `rsync returned code ${rc}`;
  // rsync says 12 ("protocol data stream") for a tunnel that broke as well as for a version mismatch.
  if (stderr.some((l) => BROKEN_CONNECTION.test(l))) {
    return new SstError(
      Exit.FAILED,
      `the connection to the joiner broke in ${pass} (${status}): ${reason(stderr, [BROKEN_CONNECTION])}`,
    );
  }
  if (firstPass && rc === 12) {
    return new SstError(
      Exit.PROTOCOL,
      `rsync server on the other end has incompatible protocol (${pass}, ${status}). Make sure you have the ` +
        `same version of rsync on all nodes.`,
    );
  }
  if (firstPass && rc === 22)
    return new SstError(Exit.NO_MEMORY, `rsync could not allocate memory in ${pass} (${status})`);
  const detail = stderr.length ? `: ${reason(stderr, [DAEMON_ERROR])}` : '';
  return new SstError(Exit.FAILED, `${pass} failed, ${status}${detail}`);
}
