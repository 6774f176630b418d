/**
 * How many TLS connections one SST may hold open at the joiner at once, shared by both sides
 * (docs/architecture.md §8.3): the donor never runs more rsync passes in parallel than MAX_STREAMS, and the
 * joiner's listener serves at most LISTENER_CHILDREN connections at a time, so that anyone who
 * reaches the port cannot make it fork without limit.
 */
export const MAX_STREAMS = 8;

/** The passes, plus the marker's connection, which the donor opens only after them. */
export const LISTENER_CHILDREN = MAX_STREAMS + 1;

/**
 * A listener child whose peer has not authenticated (proved the per-SST secret to the rsync
 * daemon, docs/architecture.md §8.10 (4)) this long after we first saw it is closed. Until then it holds one of the
 * few slots the cap leaves, and the donor's connections queue behind it in the kernel's backlog;
 * a CA-signed stranger gets that far and no further. What the limit covers: the TLS handshake,
 * socat starting rsync, rsync's greeting and the secret's challenge and answer, about five round
 * trips and a few tens of milliseconds of CPU on each side. Measured with the real tools on a
 * 2-CPU machine: 0.16 to 0.23 s from connect to the challenge, idle or with a load average of 14
 * (both CPUs busy several times over). So 5 s leaves room for a far busier machine or about 1 s of
 * round trip, not for a donor that stops mid-handshake: the donor's rate limit therefore never
 * pauses a stream before its handshake (transfer-monitor.ts). What follows is not limited here:
 * an authenticated peer holds the secret, so it is the donor, whose file list may take long to
 * build and whose copy rsync's own `timeout` watches. The daemon has no timeout before the secret
 * (rsync sets none when started by socat, as for a remote shell), and socat none for the TLS
 * handshake before 1.8, so the joiner enforces this itself.
 */
export const HANDSHAKE_LIMIT_MS = 5_000;
