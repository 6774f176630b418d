import { formatBytes, formatRate } from './progress-format';
import type { TransferState } from './transfer-queue';

export interface MonitorOptions {
  /** Bytes the whole copy sends. */
  total: number;
  startedAt: number;
  /** Between progress lines in the log; 0 = none. */
  logEveryMs: number;
  /** Between `complete N` lines for mariadbd; 0 = none (`--progress 0`). */
  protocolEveryMs: number;
  /** Bytes per second for the whole SST, shared by whatever streams run. */
  rateLimit?: number;
  /** No byte sent this long while a pass runs ends the SST; 0 = never. */
  idleTimeoutMs: number;
  /** Bytes earlier precopy rounds sent: the `complete N` lines count on from them, so they never go back. */
  offset?: number;
  /** Which copy the progress lines are about (`precopy round 2`), when there are several. */
  label?: string;
}

/** What the caller does after a look: log, tell mariadbd, pause or resume streams, or give up. */
export interface Actions {
  log?: string;
  protocol?: string;
  pause: number[];
  resume: number[];
  idleFor?: number;
}

/**
 * A limit is kept over the whole copy, with this much credit: streams start and stop, and a
 * pause shorter than one look would only be noise.
 */
const BURST_SECONDS = 0.2;

/**
 * A stream that has read less than this has not passed the joiner's handshake yet: measured, an
 * rsync client waiting for the secret's challenge had read 7 KiB (rsync 3.1.3 to 3.5.0 builds) to
 * 25 KiB (Debian's 3.5.0: library headers, its password file, the daemon's greeting); its file
 * list and files come after. Such a stream is not paused: stopped before it answers the
 * challenge, it would hold its joiner connection unauthenticated, and the joiner closes those
 * after HANDSHAKE_LIMIT_MS (docs/architecture.md §8.10 (4)). What it may send unpaused is bounded by this, per stream.
 */
export const HANDSHAKE_READ_BYTES = 64 * 1024;

/**
 * Pure (the clock and the counters come in): the donor's view of the copy, looked at a few
 * times a second. Bytes sent are those of the finished passes plus what each running rsync has
 * read so far (capped at its pass's size: it also reads the joiner's replies). A rate limit
 * pauses every running stream past its handshake while the copy is ahead of `limit × elapsed`
 * and resumes them when it is not, so the limit is shared by however many streams run, and one
 * big table left alone gets all of it.
 */
export class TransferMonitor {
  private sent = 0;
  private lastMove: number;
  private lastLog: { at: number; sent: number };
  private nextLog: number;
  private nextProtocol: number;
  private readonly paused = new Set<number>();

  constructor(private readonly o: MonitorOptions) {
    this.lastMove = o.startedAt;
    this.lastLog = { at: o.startedAt, sent: 0 };
    this.nextLog = o.logEveryMs > 0 ? o.startedAt + o.logEveryMs : Infinity;
    this.nextProtocol = o.protocolEveryMs > 0 ? o.startedAt + o.protocolEveryMs : Infinity;
  }

  get bytesSent(): number {
    return this.sent;
  }

  tick(now: number, state: TransferState, readBytes: (pid: number) => number | undefined): Actions {
    let sent = state.done;
    const read = new Map<number, number | undefined>();
    for (const [pass, pid] of state.running) {
      read.set(pid, readBytes(pid));
      sent += Math.min(pass.bytes, read.get(pid) ?? 0);
    }
    if (sent > this.sent) {
      this.sent = sent;
      this.lastMove = now;
    }
    const actions: Actions = { pause: [], resume: [] };
    const live = new Set(state.running.values());
    for (const pid of this.paused) if (!live.has(pid)) this.paused.delete(pid);
    if (this.o.rateLimit !== undefined) {
      const allowed = (this.o.rateLimit * (now - this.o.startedAt)) / 1000 + this.o.rateLimit * BURST_SECONDS;
      if (this.sent > allowed) {
        const pastHandshake = (pid: number): boolean => (read.get(pid) ?? Infinity) >= HANDSHAKE_READ_BYTES;
        for (const pid of live) if (!this.paused.has(pid) && pastHandshake(pid)) actions.pause.push(pid);
        for (const pid of actions.pause) this.paused.add(pid);
      } else {
        actions.resume.push(...this.paused);
        this.paused.clear();
      }
    }
    // Paused by us is not idle.
    if (this.paused.size > 0 || live.size === 0) this.lastMove = now;
    if (this.o.idleTimeoutMs > 0 && now - this.lastMove >= this.o.idleTimeoutMs) actions.idleFor = now - this.lastMove;
    if (now >= this.nextLog) {
      actions.log = this.progressLine(now);
      this.lastLog = { at: now, sent: this.sent };
      this.nextLog = nextDeadline(this.nextLog, now, this.o.logEveryMs);
    }
    if (now >= this.nextProtocol) {
      actions.protocol = `complete ${(this.o.offset ?? 0) + this.sent}`;
      this.nextProtocol = nextDeadline(this.nextProtocol, now, this.o.protocolEveryMs);
    }
    return actions;
  }

  /** Every stream we paused, to resume before anything else happens to them. */
  takePaused(): number[] {
    const all = [...this.paused];
    this.paused.clear();
    return all;
  }

  /** `sent 1.2 GiB of 4.0 GiB (30%), 140 MiB/s, about 20 s left`: the rate over the last interval. */
  progressLine(now: number): string {
    const seconds = (now - this.lastLog.at) / 1000;
    const rate = seconds > 0 ? (this.sent - this.lastLog.sent) / seconds : 0;
    const percent = this.o.total > 0 ? Math.min(100, Math.floor((100 * this.sent) / this.o.total)) : 100;
    const left = rate > 0 ? `, about ${formatDuration((this.o.total - this.sent) / rate)} left` : '';
    const sent = `sent ${formatBytes(this.sent)} of ${formatBytes(this.o.total)} (${percent}%)`;
    const line = `${sent}, ${formatRate(rate)}${left}`;
    return this.o.label === undefined ? line : `${this.o.label}: ${line}`;
  }
}

/**
 * The first `deadline + k × every` after `now` (k ≥ 1), computed, not stepped to: a step too small
 * to change a millisecond timestamp (`progress-interval=0.0000001`) once made a loop here spin
 * for ever with the donor's tables locked. Whatever `every` is, the result lies after `now`.
 */
export function nextDeadline(deadline: number, now: number, every: number): number {
  const next = deadline + Math.max(1, Math.floor((now - deadline) / every) + 1) * every;
  return next > now && Number.isFinite(next) ? next : now + Math.max(every, 1);
}

/** `45 s`, `12 min`, `2 h 5 min`: an estimate, so no more precision than that. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
