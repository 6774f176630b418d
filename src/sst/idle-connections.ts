/**
 * Which of the joiner listener's per-connection children to close (issue 9 §3). socat forks a
 * child per accepted connection, and that child starts rsync (its own child) only once the TLS
 * handshake has verified the donor's certificate. A child still without rsync after `limitMs`
 * holds one of the few slots the listener has (max-children) for nothing. Pure: a snapshot of
 * the children and what we remember of them in, what to remember and whom to kill out.
 */

export interface ListenerChild {
  pid: number;
  /** It has a live child of its own: rsync was started, so the peer passed the TLS handshake. */
  startedRsync: boolean;
}

export interface Seen {
  /** When a snapshot first showed this pid (ms); good to a poll interval, which is enough here. */
  firstSeen: number;
  /** Once rsync ran, the connection is the donor's: it may finish at its own pace. */
  served: boolean;
}

export interface IdleDecision {
  /** What to pass to the next call: only pids still present. */
  seen: Map<number, Seen>;
  kill: number[];
}

export function idleConnections(previous: ReadonlyMap<number, Seen>, children: readonly ListenerChild[], now: number, limitMs: number): IdleDecision {
  const seen = new Map<number, Seen>();
  const kill: number[] = [];
  for (const child of children) {
    const before = previous.get(child.pid);
    const entry: Seen = { firstSeen: before?.firstSeen ?? now, served: (before?.served ?? false) || child.startedRsync };
    seen.set(child.pid, entry);
    if (!entry.served && now - entry.firstSeen >= limitMs) kill.push(child.pid);
  }
  return { seen, kill };
}
