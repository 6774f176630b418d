/**
 * Work below directories another user may own (docs/architecture.md §8.10 (2)): handles, never a followed final
 * name, symlinks on the way followed only where nobody else may write. A directory writable by
 * group or others stands for one another user owns, so these run as any user.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Exit, SstError } from '../../../src/errors';
import { log } from '../../../src/log';
import { createDatadirFile, removeEntry, removeTree } from '../../../src/sst/datadir-files';
import { openBelow, openDirectory, trustedForLinks } from '../../../src/sst/dir-handle';

let root = '';

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sst-dirhandle-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A directory others may write: a symlink in it could be anyone's. */
function openToOthers(dir: string): string {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
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
    mkdirSync(join(root, 'real', 'sub'), { recursive: true });
    symlinkSync(join(root, 'real'), join(root, 'link'));
    const dir = openDirectory(join(root, 'link', 'sub'));
    assert.ok(dir);
    writeFileSync(dir.at('f'), 'x');
    dir.close();
    assert.equal(readFileSync(join(root, 'real', 'sub', 'f'), 'utf8'), 'x');
  });

  test('refuses a symlink in a directory others may write, and creates nothing through it', () => {
    const shared = openToOthers(join(root, 'shared'));
    mkdirSync(join(root, 'target'));
    symlinkSync(join(root, 'target'), join(shared, 'link'));
    assert.throws(() => openDirectory(join(shared, 'link')), refused(/shared\/link is a symbolic link in a directory/));
    assert.throws(() => openDirectory(join(shared, 'link', 'new'), {}), refused(/not followed/));
    assert.equal(existsSync(join(root, 'target', 'new')), false);
  });

  test('undefined for a missing directory; `create` makes every missing one', () => {
    assert.equal(openDirectory(join(root, 'a', 'b')), undefined);
    const made = openDirectory(join(root, 'a', 'b'), {});
    assert.ok(made);
    made.close();
    assert.ok(lstatSync(join(root, 'a', 'b')).isDirectory());
  });

  test('the handle stays on the directory it opened when its path is swapped afterwards', () => {
    const data = join(root, 'data');
    mkdirSync(data);
    const dir = openDirectory(data);
    assert.ok(dir);
    renameSync(data, join(root, 'moved'));
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), data);
    writeFileSync(dir.at('f'), 'x');
    dir.close();
    assert.ok(existsSync(join(root, 'moved', 'f')));
    assert.equal(existsSync(join(root, 'elsewhere', 'f')), false);
  });

  test('a component that is a file is refused', () => {
    writeFileSync(join(root, 'file'), '');
    assert.throws(() => openDirectory(join(root, 'file', 'x')), /is not a directory/);
  });
});

describe('openBelow', () => {
  test('walks from the handle: relative components, no following in a directory others may write', () => {
    const data = openToOthers(join(root, 'data'));
    mkdirSync(join(data, 'redo'));
    mkdirSync(join(root, 'outside'));
    symlinkSync(join(root, 'outside'), join(data, 'logs'));
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
      writeFileSync(join(root, 'target'), 'keep');
      symlinkSync(join(root, 'target'), join(root, 'link'));
      removeEntry(join(root, 'link'));
      assert.equal(existsSync(join(root, 'link')), false);
      assert.equal(readFileSync(join(root, 'target'), 'utf8'), 'keep');
      mkdirSync(join(root, 'empty'));
      removeEntry(join(root, 'empty'));
      assert.equal(existsSync(join(root, 'empty')), false);
      mkdirSync(join(root, 'full'));
      writeFileSync(join(root, 'full', 'f'), '');
      removeEntry(join(root, 'full'));
      assert.ok(existsSync(join(root, 'full', 'f')));
      assert.match(String(warn.mock.calls[0]?.arguments[0]), /full is a directory that is not empty: left in place/);
      removeEntry(join(root, 'missing'));
    },
  );

  test('removeTree: removes a tree through handles; a symlink inside goes, never what it leads to', () => {
    mkdirSync(join(root, 'victims'));
    writeFileSync(join(root, 'victims', 'v'), 'keep');
    const tree = join(root, 'data', 'staging');
    mkdirSync(join(tree, 'deep'), { recursive: true });
    writeFileSync(join(tree, 'deep', 'f'), '');
    symlinkSync(join(root, 'victims'), join(tree, 'link'));
    const data = openDirectory(join(root, 'data'));
    assert.ok(data);
    removeTree(data, 'staging');
    removeTree(data, 'missing');
    data.close();
    assert.equal(existsSync(tree), false);
    assert.equal(readFileSync(join(root, 'victims', 'v'), 'utf8'), 'keep');
  });

  test('createDatadirFile through a handle: a symlink at the name is replaced, its target untouched', () => {
    writeFileSync(join(root, 'target'), 'keep');
    const data = openDirectory(root);
    assert.ok(data);
    symlinkSync(join(root, 'target'), join(root, 'keep-file'));
    createDatadirFile(join(root, 'keep-file'), '', { via: data.at('keep-file') });
    data.close();
    assert.equal(readFileSync(join(root, 'target'), 'utf8'), 'keep');
    assert.ok(lstatSync(join(root, 'keep-file')).isFile());
  });
});
