import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { foreignSymlink, type LinkFs } from '../../../src/rsync/module-symlinks';

/** A fake file system (no real files): path → owner uid, and link target for symlinks. */
function fakeFs(entries: Record<string, { uid: number; target?: string }>): LinkFs {
  return {
    lstat: (p) => {
      const e = entries[p];
      return e === undefined ? undefined : { symlink: e.target !== undefined, uid: e.uid };
    },
    readlink: (p) => entries[p]?.target ?? '',
  };
}

const ROOT_AND_MYSQL = [0, 27];

describe('foreignSymlink (fake file system)', () => {
  test('no symlink on the way', () => {
    const fs = fakeFs({ '/var': { uid: 0 }, '/var/lib': { uid: 0 }, '/var/lib/mysql': { uid: 27 } });
    assert.equal(foreignSymlink('/var/lib/mysql', ROOT_AND_MYSQL, fs), undefined);
  });

  test('a symlink owned by root or by the daemon user is fine, and is followed', () => {
    const fs = fakeFs({
      '/data': { uid: 0, target: '/srv/db' },
      '/srv': { uid: 0 },
      '/srv/db': { uid: 27 },
      '/srv/db/mysql': { uid: 27, target: 'real' },
      '/srv/db/real': { uid: 27 },
    });
    assert.equal(foreignSymlink('/data/mysql', ROOT_AND_MYSQL, fs), undefined);
  });

  test('a symlink owned by another user, named by its own path', () => {
    const fs = fakeFs({ '/data': { uid: 1000, target: '/srv/db' }, '/srv': { uid: 0 }, '/srv/db': { uid: 0 } });
    assert.deepEqual(foreignSymlink('/data/mysql', ROOT_AND_MYSQL, fs), { link: '/data', uid: 1000 });
  });

  test('found behind a good link (relative target, .. in it)', () => {
    const fs = fakeFs({
      '/a': { uid: 0 },
      '/a/b': { uid: 0, target: '../c/d' },
      '/c': { uid: 0 },
      '/c/d': { uid: 65534, target: '/e' },
      '/e': { uid: 0 },
    });
    assert.deepEqual(foreignSymlink('/a/b/data', ROOT_AND_MYSQL, fs), { link: '/c/d', uid: 65534 });
  });

  test('missing components and a link loop end without a verdict', () => {
    assert.equal(foreignSymlink('/nowhere/at/all', ROOT_AND_MYSQL, fakeFs({})), undefined);
    const loop = fakeFs({ '/x': { uid: 0, target: '/y' }, '/y': { uid: 0, target: '/x' } });
    assert.equal(foreignSymlink('/x/data', ROOT_AND_MYSQL, loop), undefined);
  });

  test('a relative directory is resolved first', () => {
    const fs = fakeFs({ [`${process.cwd()}/link`]: { uid: 4242, target: '/tmp' } });
    assert.deepEqual(foreignSymlink('link/data', ROOT_AND_MYSQL, fs), { link: `${process.cwd()}/link`, uid: 4242 });
  });
});
