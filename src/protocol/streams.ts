/**
 * How many TLS connections one SST may hold open at the joiner at once, shared by both sides
 * (issue 9 §3): the donor never runs more rsync passes in parallel than MAX_STREAMS, and the
 * joiner's listener serves at most LISTENER_CHILDREN connections at a time, so that anyone who
 * reaches the port cannot make it fork without limit.
 */
export const MAX_STREAMS = 8;

/** The passes, plus the marker's connection, which the donor opens only after them. */
export const LISTENER_CHILDREN = MAX_STREAMS + 1;

/**
 * A listener child that has not started rsync this long after we first saw it is closed. Its TLS
 * handshake is a few round trips and a certificate check, well under a second even between
 * continents; a longer wait only lets idle connections hold the few slots the cap leaves, and the
 * donor's connections queue behind them in the kernel's backlog. socat has no handshake timeout
 * before 1.8, so the joiner enforces this itself.
 */
export const HANDSHAKE_LIMIT_MS = 5_000;
