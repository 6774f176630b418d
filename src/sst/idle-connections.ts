/**
 * Which of the joiner listener's per-connection children to close (docs/architecture.md §8.3, docs/architecture.md
 * §8.10 (4)).
 * socat forks a child per accepted connection, and that child starts an rsync daemon once the
 * TLS handshake has verified the peer's certificate; the daemon then asks for the per-SST
 * secret. A CA-signed stranger passes TLS but never the secret, so a connection is the donor's
 * only once its peer has authenticated; until then it holds one of the few slots the listener
 * has (max-children), and after `limitMs` it is closed. Beyond `cap` children, the oldest that
 * have not authenticated go at once: socat 1.8.0.0 and 1.8.0.3 count every ended child twice
 * (fixed in 1.8.1.2), so each ended connection frees two slots and max-children alone bounds
 * nothing; enforcing the cap here holds those builds at about twice it (docs/architecture.md
 * §8.3). Oldest first, since the donor's connections arrive after a flood's and need
 * a moment for their handshake (closing the newest cut a donor's pass in a test). Pure: a
 * snapshot of the children and what we remember of them in, what to remember and whom to kill out.
 */

export interface ListenerChild {
  pid: number;
  /** Its peer proved the per-SST secret to the rsync daemon below it (daemonAuthenticated). */
  authenticated: boolean;
}

export interface Seen {
  /** When a snapshot first showed this pid (ms); good to a poll interval, which is enough here. */
  firstSeen: number;
  /** Once its peer authenticated, the connection is the donor's: it may finish at its own pace. */
  served: boolean;
}

export interface IdleDecision {
  /** What to pass to the next call: only pids still present. */
  seen: Map<number, Seen>;
  kill: { pid: number; why: 'idle' | 'over cap' | 'late' }[];
}

/** What /proc shows of one rsync daemon that a listener child started. */
export interface DaemonLook {
  /**
   * Its working directory; undefined when it cannot be read (it exited, or changed user and may no longer be looked
   * at).
   */
  cwd?: string;
  /** Its real uid; undefined once it exited. */
  uid?: number;
  /** It forked a receiver. */
  hasReceiver: boolean;
}

/**
 * Has the peer of this daemon proved the secret? rsync's daemon, right after the secret checks
 * out, changes into the module's directory and then (for a root joiner with `uid` set) to the
 * datadir owner's uid; a stranger makes it do neither. The daemon starts in the listener's
 * directory, which is no module's (the joiner's private directory), so either change shows
 * within one look. Its receiver comes later: only after the whole file list (the donor's
 * `--files-from` batch) has arrived, which for a large batch on a busy donor takes longer than any
 * handshake; it is kept as a sign for a daemon we may not look at. A cwd the kernel reports as
 * deleted is the listener's directory removed at the end, not a module.
 */
export function daemonAuthenticated(daemon: DaemonLook, start: { cwd: string; uid: number }): boolean {
  const moved = daemon.cwd !== undefined && daemon.cwd !== start.cwd && daemon.cwd !== `${start.cwd} (deleted)`;
  return daemon.hasReceiver || moved || (daemon.uid !== undefined && daemon.uid !== start.uid);
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
     * not in `previous` (taken when the marker appeared) that has not authenticated goes at once.
     */
    admitNew?: boolean;
  },
): IdleDecision {
  const seen = new Map<number, Seen>();
  const kill: IdleDecision['kill'] = [];
  for (const child of children) {
    const before = previous.get(child.pid);
    const entry: Seen = {
      firstSeen: before?.firstSeen ?? now,
      served: (before?.served ?? false) || child.authenticated,
    };
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
