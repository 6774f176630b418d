/**
 * Which of the joiner listener's per-connection children to close (issue 9 §3). socat forks a
 * child per accepted connection, and that child starts rsync (its own child) only once the TLS
 * handshake has verified the donor's certificate. A child still without rsync after `limitMs`
 * holds one of the few slots the listener has (max-children) for nothing. Beyond `cap` children,
 * the oldest that have not started rsync go at once: socat 1.8.0.0 and 1.8.0.3 let more children
 * through than max-children when several end together (seen: 6 live with max-children=3), so the
 * cap is enforced here too. Oldest first, since the donor's connections arrive after a flood's
 * and need a moment for their handshake (closing the newest cut a donor's pass in a test). Pure: a snapshot of the children and what we remember of them in,
 * what to remember and whom to kill out.
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
  kill: { pid: number; why: 'idle' | 'over cap' | 'late' }[];
}

export function idleConnections(
  previous: ReadonlyMap<number, Seen>,
  children: readonly ListenerChild[],
  now: number,
  limits: {
    idleMs: number;
    cap: number;
    /**
     * false once the donor's marker has arrived: it opens no connection after that one, so a child
     * not in `previous` (taken when the marker appeared) that has not started rsync goes at once.
     */
    admitNew?: boolean;
  },
): IdleDecision {
  const seen = new Map<number, Seen>();
  const kill: IdleDecision['kill'] = [];
  for (const child of children) {
    const before = previous.get(child.pid);
    const entry: Seen = { firstSeen: before?.firstSeen ?? now, served: (before?.served ?? false) || child.startedRsync };
    seen.set(child.pid, entry);
    if (entry.served) continue;
    if (before === undefined && limits.admitNew === false) kill.push({ pid: child.pid, why: 'late' });
    else if (now - entry.firstSeen >= limits.idleMs) kill.push({ pid: child.pid, why: 'idle' });
  }
  const excess = seen.size - kill.length - limits.cap;
  if (excess > 0) {
    const oldestIdle = [...seen]
      .filter(([pid, e]) => !e.served && !kill.some((k) => k.pid === pid))
      .sort(([pa, a], [pb, b]) => a.firstSeen - b.firstSeen || pa - pb)
      .map(([pid]) => ({ pid, why: 'over cap' as const }));
    kill.push(...oldestIdle.slice(0, excess));
  }
  return { seen, kill };
}
