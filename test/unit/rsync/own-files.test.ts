/** Which of a node's configured paths lie inside its datadir, by name and through symlinks. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsSettings } from '../../../src/config/tls';
import { pathsInside, tlsFiles } from '../../../src/rsync/own-files';

describe('pathsInside', () => {
  let dir = '';
  let data = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-ownfiles-'));
    data = join(dir, 'real-data');
    fs.mkdirSync(join(data, 'certs'), { recursive: true });
    fs.writeFileSync(join(data, 'certs', 'node.pem'), 'c');
    fs.mkdirSync(join(dir, 'etc'));
    fs.writeFileSync(join(dir, 'etc', 'ca.pem'), 'ca');
    fs.symlinkSync(join(data, 'certs', 'node.pem'), join(dir, 'etc', 'link.pem'));
    fs.symlinkSync(data, join(dir, 'data-link'));
    fs.symlinkSync(join(dir, 'etc'), join(data, 'linked-certs'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('relative paths are read against the datadir; outside paths and the datadir itself are not inside', () => {
    assert.deepEqual(pathsInside(data, ['certs/node.pem', join(dir, 'etc', 'ca.pem'), data, `${data}/`]), [
      'certs/node.pem',
    ]);
  });

  test('a symlink elsewhere that points into the datadir counts', () => {
    assert.deepEqual(pathsInside(data, [join(dir, 'etc', 'link.pem')]), ['certs/node.pem']);
  });

  test('a datadir reached through a symlink: files named by its real path count', () => {
    assert.deepEqual(pathsInside(join(dir, 'data-link'), [join(data, 'certs', 'node.pem')]), ['certs/node.pem']);
  });

  test('a file under a symlinked directory of the datadir counts by name (rsync follows a symlinked database)', () => {
    assert.deepEqual(pathsInside(data, [join(data, 'linked-certs', 'ca.pem')]), ['linked-certs/ca.pem']);
  });

  test('a path that does not exist yet is taken as written', () => {
    assert.deepEqual(pathsInside(data, ['redo']), ['redo']);
  });
});

test('tlsFiles: certificate, key and CA file when set, never the CA directory', () => {
  const base: Omit<TlsSettings, 'cert'> = {
    mode: 'VERIFY_IDENTITY',
    source: 'tca/tcert/tkey',
    notes: [],
    warnings: [],
  };
  assert.deepEqual(tlsFiles({ ...base, cert: '/c', key: '/k', caFile: '/ca', caPath: '/cadir' }), ['/c', '/k', '/ca']);
  assert.deepEqual(tlsFiles({ ...base, cert: '/c', caPath: '/cadir' }), ['/c']);
});
