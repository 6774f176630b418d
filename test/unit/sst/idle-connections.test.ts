import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daemonAuthenticated, idleConnections, type Seen } from '../../../src/sst/idle-connections';
import { childrenWithChildren, cwdAndUid, parseStat } from '../../../src/proc/process-table';

const LIMITS = { idleMs: 5_000, cap: 9 };
const pids = (d: { kill: { pid: number }[] }): number[] => d.kill.map((k) => k.pid);

describe('idleConnections', () => {
  test('a child whose peer has not authenticated is closed once it has been seen for the limit, not before', () => {
    let seen = new Map<number, Seen>();
    let d = idleConnections(seen, [{ pid: 10, authenticated: false }], 1_000, LIMITS);
    assert.deepEqual(d.kill, []);
    seen = d.seen;
    d = idleConnections(seen, [{ pid: 10, authenticated: false }], 5_999, LIMITS);
    assert.deepEqual(d.kill, []);
    d = idleConnections(d.seen, [{ pid: 10, authenticated: false }], 6_000, LIMITS);
    assert.deepEqual(d.kill, [{ pid: 10, why: 'idle' }]);
  });

  test('a child whose peer authenticated is never closed, even once its rsync ended', () => {
    let d = idleConnections(new Map(), [{ pid: 7, authenticated: false }], 0, LIMITS);
    d = idleConnections(d.seen, [{ pid: 7, authenticated: true }], 1_000, LIMITS);
    d = idleConnections(d.seen, [{ pid: 7, authenticated: false }], 60_000, LIMITS);
    assert.deepEqual(d.kill, []);
    assert.equal(d.seen.get(7)?.served, true);
  });

  test('gone pids are forgotten; new ones start their own clock', () => {
    let d = idleConnections(
      new Map(),
      [
        { pid: 1, authenticated: false },
        { pid: 2, authenticated: false },
      ],
      0,
      LIMITS,
    );
    d = idleConnections(
      d.seen,
      [
        { pid: 2, authenticated: false },
        { pid: 3, authenticated: false },
      ],
      5_000,
      LIMITS,
    );
    assert.deepEqual(pids(d), [2]);
    assert.deepEqual([...d.seen.keys()], [2, 3]);
    assert.equal(d.seen.get(3)?.firstSeen, 5_000);
  });
});

describe('idleConnections after the marker (admitNew: false)', () => {
  test('children that were there when the marker came keep their time; newcomers not authenticated go at once', () => {
    const before = idleConnections(
      new Map(),
      [
        { pid: 1, authenticated: false },
        { pid: 2, authenticated: true },
      ],
      0,
      LIMITS,
    ).seen;
    const d = idleConnections(
      before,
      [1, 2, 3, 4].map((pid) => ({ pid, authenticated: pid === 4 })),
      1_000,
      { ...LIMITS, admitNew: false },
    );
    assert.deepEqual(d.kill, [{ pid: 3, why: 'late' }]);
  });
});

describe('idleConnections beyond the cap', () => {
  test('the oldest children not authenticated go first (a donor comes after a flood); idle-closed ones count', () => {
    const cap = { idleMs: 5_000, cap: 3 };
    let d = idleConnections(
      new Map(),
      [
        { pid: 1, authenticated: true },
        { pid: 9, authenticated: false },
      ],
      0,
      cap,
    );
    d = idleConnections(
      d.seen,
      [1, 9, 3, 4, 5, 6].map((pid) => ({ pid, authenticated: pid === 1 })),
      1_000,
      cap,
    );
    assert.deepEqual(d.kill, [
      { pid: 9, why: 'over cap' },
      { pid: 3, why: 'over cap' },
      { pid: 4, why: 'over cap' },
    ]);
    d = idleConnections(new Map(), [{ pid: 2, authenticated: false }], 0, cap);
    d = idleConnections(
      d.seen,
      [1, 2, 3, 7, 8].map((pid) => ({ pid, authenticated: pid === 1 })),
      5_000,
      cap,
    );
    // pid 2 is idle since 0: closed for that, which leaves 4 for a cap of 3.
    assert.deepEqual(d.kill, [
      { pid: 2, why: 'idle' },
      { pid: 3, why: 'over cap' },
    ]);
  });

  test('served children are never closed for the cap', () => {
    const d = idleConnections(
      new Map(),
      [1, 2, 3, 4].map((pid) => ({ pid, authenticated: true })),
      0,
      { idleMs: 5_000, cap: 2 },
    );
    assert.deepEqual(d.kill, []);
  });
});

describe('daemonAuthenticated (docs/architecture.md §8.10 (4))', () => {
  const start = { cwd: '/tmp/wsrep_sst_rsync_tunnel.AbC123', uid: 1000 };

  test(
    'a daemon still where the listener started it, as our user, ' +
      'without a receiver: its peer has not proved the secret',
    () => {
      assert.equal(daemonAuthenticated({ cwd: start.cwd, uid: 1000, hasReceiver: false }, start), false);
      // The listener's directory removed at the end is still not a module.
      assert.equal(daemonAuthenticated({ cwd: `${start.cwd} (deleted)`, uid: 1000, hasReceiver: false }, start), false);
      // Gone, or not readable: nothing proves it.
      assert.equal(daemonAuthenticated({ hasReceiver: false }, start), false);
      assert.equal(daemonAuthenticated({ uid: 1000, hasReceiver: false }, start), false);
    },
  );

  test('it changed into a module (right after the secret checked out): authenticated, before any receiver', () => {
    assert.equal(daemonAuthenticated({ cwd: '/var/lib/mysql', uid: 1000, hasReceiver: false }, start), true);
    assert.equal(
      daemonAuthenticated({ cwd: '/var/lib/mysql/.rsync_tunnel_sst_binlogs', uid: 1000, hasReceiver: false }, start),
      true,
    );
  });

  test(
    "a root joiner's daemon that took the datadir owner's uid is authenticated even when its cwd may not be " + 'read',
    () => {
      const root = { cwd: start.cwd, uid: 0 };
      assert.equal(daemonAuthenticated({ uid: 27, hasReceiver: false }, root), true);
      assert.equal(daemonAuthenticated({ cwd: start.cwd, uid: 0, hasReceiver: false }, root), false);
    },
  );

  test('a receiver is proof on its own (a daemon we may not look into)', () => {
    assert.equal(daemonAuthenticated({ hasReceiver: true }, start), true);
  });
});

describe('process table', () => {
  test('cwdAndUid reads a live process; nothing of one that is gone', () => {
    assert.deepEqual(cwdAndUid(process.pid), { cwd: process.cwd(), uid: process.getuid?.() });
    assert.deepEqual(cwdAndUid(2 ** 22 + 1), { cwd: undefined, uid: undefined });
  });

  test('parseStat reads state and parent after the last parenthesis', () => {
    assert.deepEqual(parseStat(42, '42 (a) b) (c) S 7 42 42 0 -1'), {
      pid: 42,
      ppid: 7,
      zombie: false,
      pgid: 42,
      comm: 'a) b) (c',
    });
    assert.deepEqual(parseStat(43, '43 (socat) Z 7 42 42 0 -1'), {
      pid: 43,
      ppid: 7,
      zombie: true,
      pgid: 42,
      comm: 'socat',
    });
    assert.equal(parseStat(44, 'garbage'), undefined);
  });

  test('childrenWithChildren ignores zombies on both levels', () => {
    const table = [
      { pid: 100, ppid: 1, zombie: false, pgid: 100, comm: 'socat' },
      { pid: 101, ppid: 100, zombie: false, pgid: 100, comm: 'socat' },
      { pid: 102, ppid: 100, zombie: false, pgid: 100, comm: 'socat' },
      { pid: 103, ppid: 100, zombie: true, pgid: 100, comm: 'socat' },
      { pid: 201, ppid: 101, zombie: false, pgid: 100, comm: 'socat' },
      { pid: 202, ppid: 102, zombie: true, pgid: 100, comm: 'socat' },
    ];
    assert.deepEqual(childrenWithChildren(table, 100), [
      { pid: 101, hasChild: true },
      { pid: 102, hasChild: false },
    ]);
  });
});
