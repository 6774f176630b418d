/**
 * Work below directories another user may own (docs/architecture.md §8.10 (2)): handles, never a followed final
 * name, symlinks on the way followed only where nobody else may write. A directory writable by
 * group or others stands for one another user owns, so these run as any user.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Exit, SstError } from '../../../src/errors';
import { log } from '../../../src/log';
import { createDatadirFile, removeEntry, removeTree } from '../../../src/sst/datadir-files';
import { openBelow, openDirectory, trustedForLinks } from '../../../src/sst/dir-handle';

let root = '';

beforeEach(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'sst-dirhandle-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A directory others may write: a symlink in it could be anyone's. */
function openToOthers(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o777);
  return dir;
}

const refused =
  (pattern: RegExp) =>
  (e: unknown): boolean => {
    assert.ok(e instanceof SstError);
    assert.equal(e.code, Exit.NOT_PERMITTED);
    assert.match(e.message, pattern);
    return true;
  };

describe('trustedForLinks', () => {
  test("root's or our own directory that nobody else may write", () => {
    assert.equal(trustedForLinks({ uid: 0, mode: 0o40755 }, 1000), true);
    assert.equal(trustedForLinks({ uid: 1000, mode: 0o40700 }, 1000), true);
  });

  test("another user's directory, or one group or others may write (sticky or not)", () => {
    assert.equal(trustedForLinks({ uid: 999, mode: 0o40755 }, 0), false);
    assert.equal(trustedForLinks({ uid: 0, mode: 0o40775 }, 0), false);
    assert.equal(trustedForLinks({ uid: 0, mode: 0o41777 }, 0), false);
    assert.equal(trustedForLinks({ uid: 1000, mode: 0o40757 }, 1000), false);
  });
});

describe('openDirectory', () => {
  test('follows a symlink in a directory only its owner may write', () => {
    fs.mkdirSync(join(root, 'real', 'sub'), { recursive: true });
    fs.symlinkSync(join(root, 'real'), join(root, 'link'));
    const dir = openDirectory(join(root, 'link', 'sub'));
    assert.ok(dir);
    fs.writeFileSync(dir.at('f'), 'x');
    dir.close();
    assert.equal(fs.readFileSync(join(root, 'real', 'sub', 'f'), 'utf8'), 'x');
  });

  test('refuses a symlink in a directory others may write, and creates nothing through it', () => {
    const shared = openToOthers(join(root, 'shared'));
    fs.mkdirSync(join(root, 'target'));
    fs.symlinkSync(join(root, 'target'), join(shared, 'link'));
    assert.throws(() => openDirectory(join(shared, 'link')), refused(/shared\/link is a symbolic link in a directory/));
    assert.throws(() => openDirectory(join(shared, 'link', 'new'), {}), refused(/not followed/));
    assert.equal(fs.existsSync(join(root, 'target', 'new')), false);
  });

  test('undefined for a missing directory; `create` makes every missing one', () => {
    assert.equal(openDirectory(join(root, 'a', 'b')), undefined);
    const made = openDirectory(join(root, 'a', 'b'), {});
    assert.ok(made);
    made.close();
    assert.ok(fs.lstatSync(join(root, 'a', 'b')).isDirectory());
  });

  test('the handle stays on the directory it opened when its path is swapped afterwards', () => {
    const data = join(root, 'data');
    fs.mkdirSync(data);
    const dir = openDirectory(data);
    assert.ok(dir);
    fs.renameSync(data, join(root, 'moved'));
    fs.mkdirSync(join(root, 'elsewhere'));
    fs.symlinkSync(join(root, 'elsewhere'), data);
    fs.writeFileSync(dir.at('f'), 'x');
    dir.close();
    assert.ok(fs.existsSync(join(root, 'moved', 'f')));
    assert.equal(fs.existsSync(join(root, 'elsewhere', 'f')), false);
  });

  test('a component that is a file is refused', () => {
    fs.writeFileSync(join(root, 'file'), '');
    assert.throws(() => openDirectory(join(root, 'file', 'x')), /is not a directory/);
  });
});

describe('openBelow', () => {
  test('walks from the handle: relative components, no following in a directory others may write', () => {
    const data = openToOthers(join(root, 'data'));
    fs.mkdirSync(join(data, 'redo'));
    fs.mkdirSync(join(root, 'outside'));
    fs.symlinkSync(join(root, 'outside'), join(data, 'logs'));
    const top = openDirectory(data);
    assert.ok(top);
    const redo = openBelow(top, 'redo');
    assert.ok(redo);
    redo.close();
    assert.throws(() => openBelow(top, 'logs'), refused(/logs is a symbolic link/));
    top.close();
  });
});

describe('removeEntry and removeTree', () => {
  test(
    'removeEntry: a symlink goes, its target stays; ' + 'an empty directory goes; a full one stays, with a WARNING',
    (t) => {
      const warn = t.mock.method(log, 'warn', () => undefined);
      fs.writeFileSync(join(root, 'target'), 'keep');
      fs.symlinkSync(join(root, 'target'), join(root, 'link'));
      removeEntry(join(root, 'link'));
      assert.equal(fs.existsSync(join(root, 'link')), false);
      assert.equal(fs.readFileSync(join(root, 'target'), 'utf8'), 'keep');
      fs.mkdirSync(join(root, 'empty'));
      removeEntry(join(root, 'empty'));
      assert.equal(fs.existsSync(join(root, 'empty')), false);
      fs.mkdirSync(join(root, 'full'));
      fs.writeFileSync(join(root, 'full', 'f'), '');
      removeEntry(join(root, 'full'));
      assert.ok(fs.existsSync(join(root, 'full', 'f')));
      assert.match(String(warn.mock.calls[0]?.arguments[0]), /full is a directory that is not empty: left in place/);
      removeEntry(join(root, 'missing'));
    },
  );

  test('removeTree: removes a tree through handles; a symlink inside goes, never what it leads to', () => {
    fs.mkdirSync(join(root, 'victims'));
    fs.writeFileSync(join(root, 'victims', 'v'), 'keep');
    const tree = join(root, 'data', 'staging');
    fs.mkdirSync(join(tree, 'deep'), { recursive: true });
    fs.writeFileSync(join(tree, 'deep', 'f'), '');
    fs.symlinkSync(join(root, 'victims'), join(tree, 'link'));
    const data = openDirectory(join(root, 'data'));
    assert.ok(data);
    removeTree(data, 'staging');
    removeTree(data, 'missing');
    data.close();
    assert.equal(fs.existsSync(tree), false);
    assert.equal(fs.readFileSync(join(root, 'victims', 'v'), 'utf8'), 'keep');
  });

  test('createDatadirFile through a handle: a symlink at the name is replaced, its target untouched', () => {
    fs.writeFileSync(join(root, 'target'), 'keep');
    const data = openDirectory(root);
    assert.ok(data);
    fs.symlinkSync(join(root, 'target'), join(root, 'keep-file'));
    createDatadirFile(join(root, 'keep-file'), '', { via: data.at('keep-file') });
    data.close();
    assert.equal(fs.readFileSync(join(root, 'target'), 'utf8'), 'keep');
    assert.ok(fs.lstatSync(join(root, 'keep-file')).isFile());
  });
});
