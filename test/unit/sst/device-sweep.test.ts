import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { removeDeviceFiles } from '../../../src/sst/device-sweep';

const skip = process.geteuid?.() !== 0 && 'mknod needs root';
const dir = fs.mkdtempSync(join(tmpdir(), 'sst-sweep-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('removeDeviceFiles (real device nodes)', { skip }, () => {
  test('removes block and character devices at any depth, keeps everything else, follows no symlink', () => {
    const root = join(dir, 'data');
    const outside = join(dir, 'outside');
    fs.mkdirSync(join(root, 'db', 'deep'), { recursive: true });
    fs.mkdirSync(outside, { recursive: true });
    assert.equal(spawnSync('mknod', [join(root, 'sda'), 'b', '8', '0']).status, 0);
    assert.equal(spawnSync('mknod', [join(root, 'db', 'deep', 'kmem'), 'c', '1', '2']).status, 0);
    assert.equal(spawnSync('mknod', [join(outside, 'null2'), 'c', '1', '3']).status, 0);
    assert.equal(spawnSync('mkfifo', [join(root, 'db', 'fifo')]).status, 0);
    fs.writeFileSync(join(root, 'db', 't.ibd'), 'x');
    fs.symlinkSync(outside, join(root, 'link'));
    const removed = removeDeviceFiles([root, root]).sort();
    assert.deepEqual(removed, [join(root, 'db', 'deep', 'kmem'), join(root, 'sda')]);
    assert.equal(fs.existsSync(join(root, 'db', 't.ibd')), true);
    assert.equal(fs.existsSync(join(root, 'db', 'fifo')), true);
    assert.equal(fs.existsSync(join(outside, 'null2')), true, 'nothing behind a symlink');
  });

  test('a missing directory is no error', () => {
    assert.deepEqual(removeDeviceFiles([join(dir, 'nowhere')]), []);
  });
});
