/**
 * The per-SST private directory (src/proc/private-dir.ts), on real files and links: only a
 * directory named like ours, directly in our tmpdir, owned by our uid (and, for the guard, the
 * very one its SST created) is removed, and nothing outside it, whatever links it holds.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createPrivateDir,
  dirIdentity,
  isPrivateDirPath,
  privateBase,
  removePrivateDir,
  type PrivateDirOwner,
} from '../../../src/proc/private-dir';

let base = '';
let outside = '';
const uid = process.geteuid?.() ?? 0;
const owner = (): PrivateDirOwner => ({ uid, base });

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'sst-private-dir-')));
  outside = join(base, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(join(outside, 'keep'), 'precious');
});
after(() => fs.rmSync(base, { recursive: true, force: true }));

describe('where private directories go', () => {
  test('the tmpdir when socat EXEC can carry it, else /tmp', () => {
    assert.equal(privateBase('/var/tmp'), '/var/tmp');
    assert.equal(privateBase('/var/tmp/'), '/var/tmp');
    assert.equal(privateBase('/tmp/a b'), '/tmp');
    assert.equal(privateBase('/tmp/a,b:c'), '/tmp');
    assert.equal(privateBase('relative/tmp'), '/tmp');
  });

  test('named like ours, directly in the base', () => {
    assert.equal(isPrivateDirPath('/tmp/wsrep_sst_rsync_tunnel.AbC123', '/tmp'), true);
    assert.equal(isPrivateDirPath('/tmp/x/wsrep_sst_rsync_tunnel.AbC123', '/tmp'), false);
    assert.equal(isPrivateDirPath('/tmp/x/../wsrep_sst_rsync_tunnel.AbC123', '/tmp'), false);
    assert.equal(isPrivateDirPath('/tmp/wsrep_sst_rsync_tunnel.AbC12', '/tmp'), false);
    assert.equal(isPrivateDirPath('/tmp/wsrep_sst_rsync_tunnel.AbC123/x', '/tmp'), false);
    assert.equal(isPrivateDirPath('/var/tmp/wsrep_sst_rsync_tunnel.AbC123', '/tmp'), false);
    assert.equal(isPrivateDirPath('wsrep_sst_rsync_tunnel.AbC123', '.'), false);
  });
});

describe('removePrivateDir', () => {
  test('ours: removed with what it holds, links inside removed as links, their targets kept', () => {
    const dir = createPrivateDir(base);
    fs.writeFileSync(join(dir, 'rsyncd.secrets'), 'sst:secret\n', { mode: 0o600 });
    fs.symlinkSync(join(outside, 'keep'), join(dir, 'link-to-file'));
    fs.symlinkSync(outside, join(dir, 'link-to-dir'));
    fs.mkdirSync(join(dir, 'sub'));
    fs.writeFileSync(join(dir, 'sub', 'f'), 'x');
    fs.symlinkSync(outside, join(dir, 'sub', 'link'));
    assert.deepEqual(removePrivateDir(dir, { ...owner(), identity: dirIdentity(dir) }), { removed: true });
    assert.equal(fs.existsSync(dir), false);
    assert.equal(fs.readFileSync(join(outside, 'keep'), 'utf8'), 'precious');
  });

  test('a symlink named like ours, to a real directory: refused, the target untouched', () => {
    const link = join(base, 'wsrep_sst_rsync_tunnel.L1nk00');
    fs.symlinkSync(outside, link);
    const r = removePrivateDir(link, owner());
    assert.equal(r.removed, false);
    assert.match(r.removed ? '' : r.why, /symbolic link/);
    assert.equal(fs.readFileSync(join(outside, 'keep'), 'utf8'), 'precious');
  });

  test('owned by another uid: refused', () => {
    const dir = createPrivateDir(base);
    fs.writeFileSync(join(dir, 'f'), 'x');
    const r = removePrivateDir(dir, { ...owner(), uid: uid + 4242 });
    assert.equal(r.removed, false);
    assert.match(r.removed ? '' : r.why, /owned by uid/);
    assert.equal(fs.existsSync(join(dir, 'f')), true);
  });

  test('not the very directory the SST created (the guard knows which): refused', () => {
    const dir = createPrivateDir(base);
    const other = createPrivateDir(base);
    const r = removePrivateDir(dir, { ...owner(), identity: dirIdentity(other) });
    assert.equal(r.removed, false);
    assert.equal(fs.existsSync(dir), true);
  });

  test('not directly in the base, or not named like ours: refused, nothing opened', () => {
    const nested = join(outside, 'wsrep_sst_rsync_tunnel.N3sted');
    fs.mkdirSync(nested);
    assert.equal(removePrivateDir(nested, owner()).removed, false);
    assert.equal(removePrivateDir(outside, owner()).removed, false);
    assert.equal(fs.existsSync(nested), true);
  });

  test('already gone: says so', () => {
    assert.deepEqual(removePrivateDir(join(base, 'wsrep_sst_rsync_tunnel.G0ne00'), owner()), {
      removed: false,
      gone: true,
      why: 'already gone',
    });
  });
});
