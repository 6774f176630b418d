/** Program lookup like upstream's (docs/protocol.md §1.4, §7.7): PATH, then fixed fallbacks. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, searchPath } from '../../../src/proc/find-program';
import { SstError } from '../../../src/errors';

const FALLBACKS = ['/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin', '/usr/bin', '/usr/sbin'];

let root = '';
let a = '';
let b = '';

before(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'sst-find-'));
  a = join(root, 'a');
  b = join(root, 'b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  const exe = (file: string, mode = 0o755): void => {
    fs.writeFileSync(file, '#!/bin/sh\nexit 0\n');
    fs.chmodSync(file, mode);
  };
  exe(join(a, 'tool-in-a'));
  exe(join(a, 'shared'));
  exe(join(b, 'shared'));
  exe(join(a, 'not-executable'), 0o644);
  exe(join(b, 'not-executable'));
  exe(join(a, 'never-executable'), 0o644);
  fs.mkdirSync(join(a, 'a-directory'));
  fs.chmodSync(join(a, 'a-directory'), 0o755);
  exe(join(b, 'a-directory'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function throwsNotFound(fn: () => unknown, name: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SstError);
    assert.equal(e.code, 2);
    assert.equal(e.message, `'${name}' not found in path`);
    return true;
  });
}

describe('searchPath', () => {
  test('PATH entries first, then the fallbacks not already present', () => {
    assert.deepEqual(searchPath(`/opt/x:/usr/bin:/opt/y`), [
      '/opt/x',
      '/usr/bin',
      '/opt/y',
      '/usr/local/bin',
      '/usr/local/sbin',
      '/bin',
      '/sbin',
      '/usr/sbin',
    ]);
  });

  test('relative and empty PATH entries are dropped (no lookup in the cwd)', () => {
    assert.deepEqual(searchPath(`.::bin:/opt/x`), ['/opt/x', ...FALLBACKS]);
  });

  test('no PATH at all → the fallbacks', () => {
    assert.deepEqual(searchPath(undefined), FALLBACKS);
    assert.deepEqual(searchPath(''), FALLBACKS);
  });
});

describe('findProgram', () => {
  test('found via PATH', () => {
    assert.equal(findProgram('tool-in-a', `${a}:${b}`), join(a, 'tool-in-a'));
  });

  test('the first PATH directory wins', () => {
    assert.equal(findProgram('shared', `${a}:${b}`), join(a, 'shared'));
    assert.equal(findProgram('shared', `${b}:${a}`), join(b, 'shared'));
  });

  test('a non-executable file is skipped for a later executable one', () => {
    assert.equal(findProgram('not-executable', `${a}:${b}`), join(b, 'not-executable'));
  });

  test('a directory with the name is skipped', () => {
    assert.equal(findProgram('a-directory', `${a}:${b}`), join(b, 'a-directory'));
  });

  test('only a non-executable file → not found (2)', () => {
    throwsNotFound(() => findProgram('never-executable', a), 'never-executable');
  });

  test('found through the fallback directories when PATH lacks them', () => {
    const sh = findProgram('sh', a);
    assert.ok(
      ['/bin/sh', '/usr/bin/sh', '/usr/local/bin/sh', '/usr/local/sbin/sh', '/sbin/sh', '/usr/sbin/sh'].includes(sh),
      sh,
    );
    assert.equal(
      sh,
      FALLBACKS.map((d) => join(d, 'sh')).find((p) => fs.existsSync(p)),
    );
  });

  test('an empty PATH still finds programs in the fallbacks', () => {
    assert.ok(findProgram('sh', '').endsWith('/sh'));
  });

  test('a relative PATH entry is never searched', () => {
    const cwd = process.cwd();
    process.chdir(a);
    try {
      throwsNotFound(() => findProgram('tool-in-a', '.'), 'tool-in-a');
    } finally {
      process.chdir(cwd);
    }
  });

  test('missing → SstError 2 "\'x\' not found in path"', () => {
    throwsNotFound(() => findProgram('wsrep-sst-no-such-program-x', `${a}:${b}`), 'wsrep-sst-no-such-program-x');
  });

  test('the default PATH is process.env.PATH', () => {
    const saved = process.env.PATH;
    process.env.PATH = `${a}:${saved ?? ''}`;
    try {
      assert.equal(findProgram('tool-in-a'), join(a, 'tool-in-a'));
    } finally {
      if (saved === undefined) delete process.env.PATH;
      else process.env.PATH = saved;
    }
  });
});
