import { formatBytes, formatRate } from './progress-format';

/** Milliseconds; 0 = off. */
export interface WatchLimits {
  /** `sst-initial-timeout`: from `ready` to the first authenticated donor connection. */
  initialMs: number;
  /** `sst-idle-timeout`: from that connection to the marker, longest time without a byte. */
  idleMs: number;
  /** `progress-interval`: between two progress lines during the copy. */
  progressMs: number;
}

/** What the joiner has seen so far; timestamps in ms. */
export interface WatchState {
  readyAt: number;
  /** The first authenticated donor connection; undefined until then. */
  copyingSince?: number;
  bytes: number;
  /** When `bytes` last grew, or when the copy began. */
  changedAt: number;
  reportedAt: number;
  reportedBytes: number;
}

/** One look at the listener's processes. */
export interface WatchSample {
  now: number;
  /** Some connection has passed the rsync daemon's authentication. */
  authenticated: boolean;
  /** What the joiner's rsync daemons have written so far (ByteMeter). */
  bytes: number;
}

export type WatchEvent =
  | { kind: 'copying'; message: string }
  | { kind: 'progress'; message: string }
  | { kind: 'timeout'; message: string };

export function startWatch(readyAt: number): WatchState {
  return { readyAt, bytes: 0, changedAt: readyAt, reportedAt: readyAt, reportedBytes: 0 };
}

const secondsText = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** The INFO line at `ready`, when a timeout is set. */
export function describeLimits(limits: WatchLimits): string | undefined {
  const parts = [
    ...(limits.initialMs > 0
      ? [
          `sst-initial-timeout=${limits.initialMs / 1000}: the donor must connect within ` +
            `${secondsText(limits.initialMs)} of ready, its FLUSH TABLES WITH READ LOCK included`,
        ]
      : []),
    ...(limits.idleMs > 0
      ? [
          `sst-idle-timeout=${limits.idleMs / 1000}: the copy fails after ${secondsText(limits.idleMs)} ` +
            `without a byte received`,
        ]
      : []),
  ];
  return parts.length === 0 ? undefined : parts.join('; ');
}

/**
 * Pure: the next state and what to do about it. The initial timeout runs until a donor has
 * authenticated; from then on the idle timeout and the progress lines run until the marker.
 */
export function watchStep(
  state: WatchState,
  limits: WatchLimits,
  sample: WatchSample,
): { state: WatchState; events: WatchEvent[] } {
  const { now } = sample;
  const events: WatchEvent[] = [];
  let next = state;
  if (next.copyingSince === undefined) {
    if (!sample.authenticated) {
      if (limits.initialMs > 0 && now - state.readyAt >= limits.initialMs)
        events.push({ kind: 'timeout', message: initialTimeoutMessage(limits.initialMs) });
      return { state: next, events };
    }
    next = {
      ...next,
      copyingSince: now,
      bytes: sample.bytes,
      changedAt: now,
      reportedAt: now,
      reportedBytes: sample.bytes,
    };
    events.push({
      kind: 'copying',
      message: `the donor connected and authenticated ${secondsText(now - state.readyAt)} after ready: copying`,
    });
    return { state: next, events };
  }
  const copyingSince = next.copyingSince;
  if (sample.bytes > next.bytes) next = { ...next, bytes: sample.bytes, changedAt: now };
  if (limits.progressMs > 0 && now - next.reportedAt >= limits.progressMs) {
    const rate = ((next.bytes - next.reportedBytes) * 1000) / (now - next.reportedAt);
    events.push({ kind: 'progress', message: `received ${formatBytes(next.bytes)}, ${formatRate(rate)}` });
    next = { ...next, reportedAt: now, reportedBytes: next.bytes };
  }
  if (limits.idleMs > 0 && now - next.changedAt >= limits.idleMs) {
    events.push({
      kind: 'timeout',
      message: idleTimeoutMessage(limits.idleMs, now - next.changedAt, next.bytes, now - copyingSince),
    });
  }
  return { state: next, events };
}

function initialTimeoutMessage(initialMs: number): string {
  return (
    `sst-initial-timeout=${initialMs / 1000}: no donor connected and authenticated within ` +
    `${secondsText(initialMs)} of ready. ` +
    "The wait includes the donor's FLUSH TABLES WITH READ LOCK, which long transactions on the donor delay: " +
    'set a generous value, or 0 to wait for ever'
  );
}

function idleTimeoutMessage(idleMs: number, quietMs: number, bytes: number, copyingMs: number): string {
  return (
    `sst-idle-timeout=${idleMs / 1000}: nothing received for ${secondsText(quietMs)}, ` +
    `${formatBytes(bytes)} received in the ${secondsText(copyingMs)} since the donor's first connection; the ` +
    `donor's rsync or the network is stuck`
  );
}

/**
 * The INFO line when the marker has arrived; none when no copy was seen (an IST's lone marker).
 * "about": a receiver that ends between two samples takes its last few writes with it.
 */
export function describeReceived(state: WatchState, now: number): string | undefined {
  if (state.copyingSince === undefined) return undefined;
  return `received about ${formatBytes(state.bytes)} in ${secondsText(now - state.copyingSince)}`;
}
