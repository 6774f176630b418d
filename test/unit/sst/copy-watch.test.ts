import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeLimits,
  describeReceived,
  startWatch,
  watchStep,
  type WatchLimits,
  type WatchSample,
  type WatchState,
} from '../../../src/sst/copy-watch';

const OFF: WatchLimits = { initialMs: 0, idleMs: 0, progressMs: 0 };
const MiB = 1024 ** 2;

/** Feeds samples in order; returns the last state and every event with its time. */
function run(
  limits: WatchLimits,
  samples: WatchSample[],
  readyAt = 0,
): { state: WatchState; events: { at: number; kind: string; message: string }[] } {
  let state = startWatch(readyAt);
  const events: { at: number; kind: string; message: string }[] = [];
  for (const s of samples) {
    const step = watchStep(state, limits, s);
    state = step.state;
    events.push(...step.events.map((e) => ({ at: s.now, ...e })));
  }
  return { state, events };
}

const waiting = (now: number, bytes = 0): WatchSample => ({ now, authenticated: false, bytes });
const copying = (now: number, bytes: number): WatchSample => ({ now, authenticated: true, bytes });

describe('copy-watch', () => {
  test('nothing set: no event however long the wait or the silence', () => {
    const { events } = run(OFF, [waiting(1e9), copying(2e9, 10), copying(3e9, 10)]);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['copying'],
    );
  });

  test('initial timeout: fires at the limit, not before, while no donor has authenticated', () => {
    const limits = { ...OFF, initialMs: 3000 };
    const { events } = run(limits, [waiting(1000), waiting(2999)], 0);
    assert.deepEqual(events, []);
    const late = run(limits, [waiting(1000), waiting(3000)], 0).events;
    assert.equal(late.length, 1);
    assert.equal(late[0]?.kind, 'timeout');
    assert.match(
      late[0]?.message ?? '',
      new RegExp(
        String.raw`^sst-initial-timeout=3: no donor connected and authenticated within 3 s of ready\. .*FLUSH ` +
          'TABLES WITH READ LOCK.*generous',
      ),
    );
  });

  test('bytes from connections that did not authenticate do not stop the initial timeout', () => {
    const { events } = run({ ...OFF, initialMs: 3000 }, [waiting(1000, 500), waiting(2000, 900), waiting(3100, 900)]);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['timeout'],
    );
  });

  test('an authenticated connection ends the initial timeout for good', () => {
    const { events } = run({ ...OFF, initialMs: 3000 }, [
      waiting(1000),
      copying(2500, 0),
      waiting(10_000, 0),
      waiting(60_000, 0),
    ]);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['copying'],
    );
    assert.match(events[0]?.message ?? '', /^the donor connected and authenticated 2\.5 s after ready: copying$/);
  });

  test('idle timeout: counts from the first connection, reset by every byte received', () => {
    const limits = { ...OFF, idleMs: 3000 };
    const samples = [
      waiting(50_000),
      copying(60_000, 0),
      copying(62_000, 0),
      copying(64_000, 5 * MiB),
      copying(66_999, 5 * MiB),
    ];
    assert.deepEqual(
      run(limits, samples).events.map((e) => e.kind),
      ['copying'],
    );
    const { events } = run(limits, [...samples, copying(67_000, 5 * MiB)]);
    assert.deepEqual(
      events.map((e) => e.kind),
      ['copying', 'timeout'],
    );
    assert.equal(
      events[1]?.message,
      "sst-idle-timeout=3: nothing received for 3 s, 5.0 MiB received in the 7 s since the donor's first " +
        "connection; the donor's rsync or the network is stuck",
    );
  });

  test('idle timeout never runs before the first authenticated connection', () => {
    const { events } = run({ ...OFF, idleMs: 3000 }, [waiting(1000), waiting(100_000)]);
    assert.deepEqual(events, []);
  });

  test('progress: one line per interval from the first connection, with the rate over that interval', () => {
    const limits = { ...OFF, progressMs: 1000 };
    const { events } = run(limits, [
      waiting(500),
      copying(1000, 0),
      copying(1500, 40 * MiB),
      copying(2000, 100 * MiB),
      copying(2500, 150 * MiB),
      copying(3000, 240 * MiB),
    ]);
    assert.deepEqual(
      events.filter((e) => e.kind === 'progress').map((e) => [e.at, e.message]),
      [
        [2000, 'received 100 MiB, 100 MiB/s'],
        [3000, 'received 240 MiB, 140 MiB/s'],
      ],
    );
  });

  test('progress keeps reporting a stalled copy, at 0 B/s', () => {
    const { events } = run({ ...OFF, progressMs: 1000 }, [copying(0, 0), copying(1000, 2048), copying(2000, 2048)]);
    assert.deepEqual(
      events.filter((e) => e.kind === 'progress').map((e) => e.message),
      ['received 2.0 KiB, 2.0 KiB/s', 'received 2.0 KiB, 0 B/s'],
    );
  });

  test('a meter that reads lower later (a process lost between samples) does not count back', () => {
    const { state } = run(OFF, [copying(0, 100), copying(100, 50)]);
    assert.equal(state.bytes, 100);
  });

  test('the INFO lines: limits set, and what was received', () => {
    assert.equal(describeLimits(OFF), undefined);
    assert.equal(describeLimits({ ...OFF, progressMs: 30_000 }), undefined);
    assert.equal(
      describeLimits({ initialMs: 600_000, idleMs: 120_000, progressMs: 0 }),
      'sst-initial-timeout=600: the donor must connect within 600 s of ready, its FLUSH TABLES WITH READ ' +
        'LOCK included; sst-idle-timeout=120: the copy fails after 120 s without a byte received',
    );
    assert.equal(
      describeLimits({ ...OFF, idleMs: 1500 }),
      'sst-idle-timeout=1.5: the copy fails after 1.5 s without a byte received',
    );
    assert.equal(describeReceived(startWatch(0), 10), undefined);
    const { state } = run(OFF, [copying(1000, 300 * MiB)]);
    assert.equal(describeReceived(state, 6600), 'received about 300 MiB in 5.6 s');
  });
});
