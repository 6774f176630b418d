/** `check`: the permission walk on synthetic stat data (src/check/access.ts). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluateAccess,
  permits,
  underProtectedHome,
  type AccessQuery,
  type FileStat,
  type PathState,
} from '../../../src/check/access';
import type { Identity } from '../../../src/proc/accounts';

const MYSQL: Identity = { user: 'mysql', uid: 102, gids: [105, 110] };
const ROOT: Identity = { user: 'root', uid: 0, gids: [0] };

function dir(uid: number, gid: number, mode: number): FileStat {
  return { uid, gid, mode: 0o040000 | mode, kind: 'directory' };
}
function file(uid: number, gid: number, mode: number): FileStat {
  return { uid, gid, mode: 0o100000 | mode, kind: 'file' };
}
function at(path: string, stat: FileStat): PathState {
  return { path, state: 'present', stat };
}
const root = at('/', dir(0, 0, 0o755));
const etc = at('/etc', dir(0, 0, 0o755));
const ssl = (mode: number, gid = 0): PathState => at('/etc/mysql', dir(0, gid, mode));

describe('permits: the kernel picks one class', () => {
  test('owner bits apply to the owner even when group or other would allow more', () => {
    assert.equal(permits(MYSQL, file(102, 105, 0o044), { r: true }), false);
    assert.equal(permits(MYSQL, file(102, 0, 0o400), { r: true }), true);
  });
  test('group bits for the primary or a supplementary group; other bits otherwise', () => {
    assert.equal(permits(MYSQL, file(0, 110, 0o640), { r: true }), true);
    assert.equal(permits(MYSQL, file(0, 105, 0o604), { r: true }), false);
    assert.equal(permits(MYSQL, file(0, 0, 0o604), { r: true }), true);
  });
  test('root reads, writes and searches regardless of the bits', () => {
    assert.equal(permits(ROOT, file(102, 105, 0o000), { r: true, w: true }), true);
    assert.equal(permits(ROOT, dir(102, 105, 0o000), { x: true }), true);
  });
});

describe('evaluateAccess', () => {
  const readable = (target: PathState, search: PathState[] = [root, etc, ssl(0o755)]): AccessQuery => ({
    search,
    target,
  });

  test('a readable file on a searchable path', () => {
    const v = evaluateAccess(MYSQL, readable(at('/etc/mysql/cert.pem', file(0, 0, 0o644))), 'read-file');
    assert.deepEqual(v, { ok: true, detail: 'user mysql can read /etc/mysql/cert.pem' });
  });

  test('an unreadable file is named with its owner and mode', () => {
    const v = evaluateAccess(MYSQL, readable(at('/etc/mysql/key.pem', file(0, 0, 0o600))), 'read-file');
    assert.equal(v.ok, false);
    assert.ok(!v.ok, v.detail);
    assert.equal(v.kind, 'denied');
    assert.equal(v.path, '/etc/mysql/key.pem');
    assert.match(v.detail, /user mysql cannot read \/etc\/mysql\/key\.pem \(owner 0:0, mode 0600\)/);
  });

  test('a group the user belongs to through /etc/group opens the file', () => {
    const v = evaluateAccess(MYSQL, readable(at('/etc/mysql/key.pem', file(0, 110, 0o640))), 'read-file');
    assert.equal(v.ok, true);
  });

  test('a directory on the way without x stops the walk there, even if the file is world-readable', () => {
    const v = evaluateAccess(
      MYSQL,
      readable(at('/etc/mysql/cert.pem', file(0, 0, 0o644)), [root, etc, ssl(0o750)]),
      'read-file',
    );
    assert.ok(!v.ok, v.detail);
    assert.equal(v.kind, 'denied');
    assert.equal(v.path, '/etc/mysql');
    assert.match(v.detail, /cannot enter the directory \/etc\/mysql \(no x permission; owner 0:0, mode 0750\)/);
  });

  test('r without x on a directory is not enough to pass through it', () => {
    const v = evaluateAccess(
      MYSQL,
      readable(at('/etc/mysql/cert.pem', file(0, 0, 0o644)), [root, etc, ssl(0o744)]),
      'read-file',
    );
    assert.equal(v.ok, false);
  });

  test('a directory owned by the user but without x for the owner blocks it (the owner class wins)', () => {
    const blocked = at('/etc/mysql', dir(102, 0, 0o655));
    assert.equal(
      evaluateAccess(MYSQL, readable(at('/etc/mysql/c.pem', file(0, 0, 0o644)), [root, etc, blocked]), 'read-file').ok,
      false,
    );
  });

  test('missing files and files that cannot be inspected', () => {
    const missing = evaluateAccess(MYSQL, readable({ path: '/etc/mysql/none.pem', state: 'missing' }), 'read-file');
    assert.ok(!missing.ok, missing.detail);
    assert.equal(missing.kind, 'missing');
    assert.equal(missing.detail, '/etc/mysql/none.pem does not exist');
    const missingDir = evaluateAccess(
      MYSQL,
      readable(at('/x/y/c.pem', file(0, 0, 0o644)), [root, { path: '/x', state: 'missing' }]),
      'read-file',
    );
    assert.ok(!missingDir.ok, missingDir.detail);
    assert.equal(missingDir.path, '/x');
    const unknown = evaluateAccess(
      MYSQL,
      readable({ path: '/etc/mysql/c.pem', state: 'unknown', error: 'EACCES' }),
      'read-file',
    );
    assert.ok(!unknown.ok, unknown.detail);
    assert.equal(unknown.kind, 'unknown');
  });

  test('a file where a directory is expected, and a directory where a file is expected', () => {
    const notDir = evaluateAccess(
      MYSQL,
      readable(at('/etc/mysql/c.pem', file(0, 0, 0o644)), [root, etc, at('/etc/mysql', file(0, 0, 0o755))]),
      'read-file',
    );
    assert.ok(!notDir.ok, notDir.detail);
    assert.match(notDir.detail, /is not a directory/);
    const isDir = evaluateAccess(MYSQL, readable(at('/etc/mysql/certs', dir(0, 0, 0o755))), 'read-file');
    assert.ok(!isDir.ok, isDir.detail);
    assert.match(isDir.detail, /is a directory/);
  });

  test('a CA directory must be listable (r and x)', () => {
    assert.equal(evaluateAccess(MYSQL, readable(at('/etc/mysql/ca', dir(0, 0, 0o755))), 'read-dir').ok, true);
    assert.equal(evaluateAccess(MYSQL, readable(at('/etc/mysql/ca', dir(0, 0, 0o711))), 'read-dir').ok, false);
  });

  const lib = at('/var/lib', dir(0, 0, 0o755));
  const search = [root, at('/var', dir(0, 0, 0o755)), lib];

  test('a writable datadir needs w and x', () => {
    assert.equal(
      evaluateAccess(MYSQL, { search, target: at('/var/lib/mysql', dir(102, 105, 0o750)) }, 'write-dir').ok,
      true,
    );
    const roOwner = evaluateAccess(MYSQL, { search, target: at('/var/lib/mysql', dir(102, 105, 0o550)) }, 'write-dir');
    assert.ok(!roOwner.ok, roOwner.detail);
    assert.match(roOwner.detail, /cannot create files in \/var\/lib\/mysql \(owner 102:105, mode 0550\)/);
    assert.equal(
      evaluateAccess(MYSQL, { search, target: at('/var/lib/mysql', dir(0, 0, 0o755)) }, 'write-dir').ok,
      false,
    );
    assert.equal(
      evaluateAccess(MYSQL, { search, target: at('/var/lib/mysql', dir(0, 105, 0o770)) }, 'write-dir').ok,
      true,
    );
  });

  test('a missing directory the joiner creates is judged by its nearest existing ancestor', () => {
    const missing: PathState = { path: '/var/lib/mysql/undo/x', state: 'missing' };
    const creatable = evaluateAccess(
      MYSQL,
      { search, target: missing, createIn: at('/var/lib/mysql', dir(102, 105, 0o750)) },
      'write-dir',
    );
    assert.ok(creatable.ok, creatable.detail);
    assert.match(creatable.detail, /does not exist yet; user mysql can create it in \/var\/lib\/mysql/);
    const blocked = evaluateAccess(
      MYSQL,
      { search, target: missing, createIn: at('/var/lib/mysql', dir(0, 0, 0o755)) },
      'write-dir',
    );
    assert.ok(!blocked.ok, blocked.detail);
    assert.equal(blocked.path, '/var/lib/mysql');
    // Without createIn (the datadir itself), missing is missing.
    assert.ok(!evaluateAccess(MYSQL, { search, target: missing }, 'write-dir').ok);
  });

  test('root passes everything but a missing file', () => {
    const v = evaluateAccess(
      ROOT,
      readable(at('/etc/mysql/key.pem', file(102, 105, 0o000)), [root, etc, ssl(0o700)]),
      'read-file',
    );
    assert.equal(v.ok, true);
  });
});

describe('underProtectedHome', () => {
  test('ProtectHome trees', () => {
    assert.equal(underProtectedHome('/root/ssl/c.pem'), true);
    assert.equal(underProtectedHome('/home/x'), true);
    assert.equal(underProtectedHome('/homework/x'), false);
    assert.equal(underProtectedHome('/etc/mysql/c.pem'), false);
  });
});
