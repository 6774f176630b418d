import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { idleConnections, type Seen } from '../../src/sst/idle-connections';
import { childrenWithChildren, parseStat } from '../../src/proc/process-table';

const LIMIT = 5_000;

describe('idleConnections', () => {
  test('a child without rsync is closed once it has been seen for the limit, not before', () => {
    let seen = new Map<number, Seen>();
    let d = idleConnections(seen, [{ pid: 10, startedRsync: false }], 1_000, LIMIT);
    assert.deepEqual(d.kill, []);
    seen = d.seen;
    d = idleConnections(seen, [{ pid: 10, startedRsync: false }], 5_999, LIMIT);
    assert.deepEqual(d.kill, []);
    d = idleConnections(d.seen, [{ pid: 10, startedRsync: false }], 6_000, LIMIT);
    assert.deepEqual(d.kill, [10]);
  });

  test('a child that started rsync is never closed, even after its rsync ended', () => {
    let d = idleConnections(new Map(), [{ pid: 7, startedRsync: false }], 0, LIMIT);
    d = idleConnections(d.seen, [{ pid: 7, startedRsync: true }], 1_000, LIMIT);
    d = idleConnections(d.seen, [{ pid: 7, startedRsync: false }], 60_000, LIMIT);
    assert.deepEqual(d.kill, []);
    assert.equal(d.seen.get(7)?.served, true);
  });

  test('gone pids are forgotten; new ones start their own clock', () => {
    let d = idleConnections(new Map(), [{ pid: 1, startedRsync: false }, { pid: 2, startedRsync: false }], 0, LIMIT);
    d = idleConnections(d.seen, [{ pid: 2, startedRsync: false }, { pid: 3, startedRsync: false }], 5_000, LIMIT);
    assert.deepEqual(d.kill, [2]);
    assert.deepEqual([...d.seen.keys()], [2, 3]);
    assert.equal(d.seen.get(3)?.firstSeen, 5_000);
  });
});

describe('process table', () => {
  test('parseStat reads state and parent after the last parenthesis', () => {
    assert.deepEqual(parseStat(42, '42 (a) b) (c) S 7 42 42 0 -1'), { pid: 42, ppid: 7, zombie: false });
    assert.deepEqual(parseStat(43, '43 (socat) Z 7 42 42 0 -1'), { pid: 43, ppid: 7, zombie: true });
    assert.equal(parseStat(44, 'garbage'), undefined);
  });

  test('childrenWithChildren ignores zombies on both levels', () => {
    const table = [
      { pid: 100, ppid: 1, zombie: false },
      { pid: 101, ppid: 100, zombie: false },
      { pid: 102, ppid: 100, zombie: false },
      { pid: 103, ppid: 100, zombie: true },
      { pid: 201, ppid: 101, zombie: false },
      { pid: 202, ppid: 102, zombie: true },
    ];
    assert.deepEqual(childrenWithChildren(table, 100), [
      { pid: 101, hasChild: true },
      { pid: 102, hasChild: false },
    ]);
  });
});
