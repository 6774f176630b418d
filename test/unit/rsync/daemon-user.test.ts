import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daemonUser, symlinkOwners } from '../../../src/rsync/daemon-user';

describe('daemonUser', () => {
  test('a root joiner hands the daemon to the datadir owner', () => {
    assert.deepEqual(daemonUser(0, { uid: 27, gid: 27 }), { uid: 27, gid: 27, root: false });
  });

  test('a root-owned datadir leaves root (the joiner warns)', () => {
    assert.deepEqual(daemonUser(0, { uid: 0, gid: 0 }), { uid: 0, gid: 0, root: true });
  });

  test('a non-root joiner names no user: the daemon runs as the joiner', () => {
    assert.deepEqual(daemonUser(27, { uid: 27, gid: 27 }), { root: false });
    assert.deepEqual(daemonUser(27, { uid: 0, gid: 0 }), { root: false });
  });
});

describe('symlinkOwners: whom rsync 3.5.0+ accepts as the owner of a link in a module path', () => {
  test('root and the daemon user', () => {
    assert.deepEqual(symlinkOwners(0, { uid: 27, gid: 27, root: false }), [0, 27]);
    assert.deepEqual(symlinkOwners(0, { uid: 0, gid: 0, root: true }), [0]);
    assert.deepEqual(symlinkOwners(27, { root: false }), [0, 27]);
  });
});
