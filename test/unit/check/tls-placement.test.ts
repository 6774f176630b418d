/** check's item for TLS files inside a directory the joiner serves as an rsync module (docs/architecture.md §8.10). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TlsSettings } from '../../../src/config/tls';
import { tlsPlacementItem } from '../../../src/check/tls-placement';

const tls = (files: Partial<TlsSettings>): TlsSettings =>
  ({
    cert: '/etc/ssl/node.pem',
    mode: 'VERIFY_IDENTITY',
    source: 'sst',
    notes: [],
    warnings: [],
    ...files,
  }) as TlsSettings;

describe('tlsPlacementItem', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'sst-placement-'));
    fs.mkdirSync(join(dir, 'data'));
    fs.mkdirSync(join(dir, 'elsewhere'));
    fs.symlinkSync(join(dir, 'data'), join(dir, 'link'));
    fs.writeFileSync(join(dir, 'data', 'linked.pem'), '');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const modules = (): { what: string; dir: string }[] => [
    { what: 'datadir', dir: join(dir, 'data') },
    { what: 'InnoDB redo log directory', dir: join(dir, 'redo') },
  ];

  test('nothing inside: PASS, naming the directories once each', () => {
    const r = tlsPlacementItem(
      [...modules(), { what: 'Aria log directory', dir: join(dir, 'data') }],
      [tls({ key: join(dir, 'elsewhere', 'k.pem') })],
    );
    assert.equal(r.status, 'PASS');
    assert.equal(r.detail, `no TLS file inside ${join(dir, 'data')}, ${join(dir, 'redo')}`);
  });

  test('tcert, tkey, tca and tcapath inside a module: WARN naming each with its directory', () => {
    const r = tlsPlacementItem(modules(), [
      tls({
        cert: join(dir, 'data', 'c.pem'),
        key: join(dir, 'data', 'ssl', 'k.pem'),
        caFile: join(dir, 'redo', 'ca.pem'),
        caPath: join(dir, 'data', 'certs'),
      }),
    ]);
    assert.equal(r.status, 'WARN');
    for (const expected of [
      `tcert ${join(dir, 'data', 'c.pem')} lies inside the datadir`,
      `tkey ${join(dir, 'data', 'ssl', 'k.pem')} lies inside the datadir`,
      `tca ${join(dir, 'redo', 'ca.pem')} lies inside the InnoDB redo log directory`,
      `tcapath ${join(dir, 'data', 'certs')} lies inside the datadir`,
    ]) {
      assert.ok(r.detail.includes(expected), `${expected} in ${r.detail}`);
    }
  });

  test('a path through a symlink into the datadir counts; the same file for joiner and donor is named once', () => {
    const settings = tls({ cert: join(dir, 'link', 'linked.pem') });
    const r = tlsPlacementItem(modules(), [settings, settings]);
    assert.equal(r.status, 'WARN');
    assert.equal(r.detail.split('tcert ').length - 1, 1, r.detail);
  });
});
