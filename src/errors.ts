/**
 * Exit codes are errno values because mariadbd prints strerror(code) for them
 * (docs/protocol.md §1.1, §2.8). The names say why we use each one.
 */
export const Exit = {
  OK: 0,
  /** EPERM: the joiner's rsync would refuse a path of ours (a symlink owned by another user). */
  NOT_PERMITTED: 1,
  /** ENOENT: a program, the datadir option or a required file is missing. */
  NOT_FOUND: 2,
  /** ESRCH by upstream convention: INT/QUIT/TERM received. */
  SIGNALLED: 3,
  /** ENOMEM: rsync reported 22 (buffer allocation). */
  NO_MEMORY: 12,
  /** EACCES: TLS verification of the peer failed. */
  TLS_VERIFY: 13,
  /** EBUSY: the SST port is taken or our listener died before ready. */
  BUSY: 16,
  /** EISDIR by upstream convention (`safe()`): a value we refuse to use. */
  UNSAFE_VALUE: 21,
  /** EINVAL: bad role, ssl-mode, certificate, key, CA or sockopt. */
  BAD_CONFIG: 22,
  /** EPIPE: parent died, no/false marker, HUP/PIPE, joiner-side abort. */
  ABORTED: 32,
  /** EPROTO: the two nodes' rsync speak incompatible protocols. */
  PROTOCOL: 71,
  /** ETIMEDOUT: an optional idle timeout ran out. */
  TIMED_OUT: 110,
  /** ECONNREFUSED: the joiner could not be reached. */
  UNREACHABLE: 111,
  /** EALREADY: a previous SST or its daemon is still running. */
  ALREADY_RUNNING: 114,
  /** Upstream's catch-all for failed transfers and sst_error. */
  FAILED: 255,
} as const;

export type ExitCode = (typeof Exit)[keyof typeof Exit];

/**
 * What a caller may branch on, beyond the exit code: set where the failure is recognised, so no
 * caller reads our own message text. Only the kinds some caller needs exist.
 */
export type FailureKind =
  /** The peer's certificate does not carry the name we checked (socat: "does not match"). */
  | 'peer-name-mismatch'
  /** The peer's certificate chain did not verify. */
  | 'peer-chain-unverified';

/** The one error type of the program: a message for the log and the exit code mariadbd expects. */
export class SstError extends Error {
  readonly code: ExitCode;
  readonly kind: FailureKind | undefined;

  constructor(code: ExitCode, message: string, kind?: FailureKind) {
    super(message);
    this.name = 'SstError';
    this.code = code;
    this.kind = kind;
  }
}

/** What `read` returns, or undefined when it throws: for reads whose failure only means "not known". */
export function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
