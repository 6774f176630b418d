import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Role } from '../../../src/config/tls';
import { SstError } from '../../../src/errors';
import {
  readRawTlsValues,
  resolveTls,
  type ConfigLookup,
  type RawTlsValues,
  type TlsSettings,
} from '../../../src/config/tls';

const DATADIR = '/var/lib/mysql';
const MYSQLD_GROUPS = ['mysqld', 'server', 'galera'];

const noDirectories = (): boolean => false;

function resolve(
  raw: RawTlsValues,
  role: Role = 'joiner',
  isDirectory: (p: string) => boolean = noDirectories,
): TlsSettings {
  return resolveTls(raw, role, isDirectory, DATADIR);
}

function assertBadConfig(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SstError, `expected SstError, got ${String(error)}`);
    assert.equal(error.code, 22);
    assert.match(error.message, pattern);
    return true;
  });
}

/** A lookup over `group -> key -> value` with the reader's rule: the first group set with a non-empty value wins. */
function fakeLookup(
  config: Record<string, Record<string, string>>,
  calls: { groupSets: string[][]; key: string }[] = [],
): ConfigLookup {
  return (groupSets, key) => {
    calls.push({ groupSets: groupSets.map((g) => [...g]), key });
    for (const groups of groupSets) {
      const found = groups.map((g) => config[g]?.[key]).filter((v): v is string => v !== undefined && v !== '');
      if (found.length > 0) return found[found.length - 1];
    }
    return undefined;
  };
}

describe('readRawTlsValues', () => {
  it('reads tca/tcapath/tcert/tkey from [sst] only', () => {
    const lookup = fakeLookup({
      mysqld: { tca: '/m/ca', tcert: '/m/cert', tkey: '/m/key', tcapath: '/m/dir' },
      sst: { tcert: '/s/cert' },
    });
    const raw = readRawTlsValues(lookup, MYSQLD_GROUPS);
    assert.equal(raw.tcert, '/s/cert');
    assert.equal(raw.tca, undefined);
    assert.equal(raw.tkey, undefined);
    assert.equal(raw.tcapath, undefined);
  });

  it('reads ssl-* and ssl-mode from the mysqld groups first, then [sst]', () => {
    const lookup = fakeLookup({
      mysqld: { 'ssl-cert': '/m/cert', 'ssl-mode': 'VERIFY_CA' },
      galera: { 'ssl-server-key': '/g/skey' },
      sst: { 'ssl-cert': '/s/cert', 'ssl-ca': '/s/ca', 'ssl-mode': 'REQUIRED', 'ssl-client-capath': '/s/cdir' },
    });
    const raw = readRawTlsValues(lookup, MYSQLD_GROUPS);
    assert.equal(raw.sslCert, '/m/cert');
    assert.equal(raw.sslCa, '/s/ca');
    assert.equal(raw.sslMode, 'VERIFY_CA');
    assert.equal(raw.sslServerKey, '/g/skey');
    assert.equal(raw.sslClientCapath, '/s/cdir');
  });

  it('asks for exactly the documented keys and group sets', () => {
    const calls: { groupSets: string[][]; key: string }[] = [];
    readRawTlsValues(fakeLookup({}, calls), MYSQLD_GROUPS);
    const byKey = new Map(calls.map((c) => [c.key, c.groupSets]));
    for (const key of ['tca', 'tcapath', 'tcert', 'tkey']) {
      assert.deepEqual(byKey.get(key), [['sst']], key);
    }
    const serverKeys = ['ssl-ca', 'ssl-capath', 'ssl-cert', 'ssl-key', 'ssl-mode'];
    for (const side of ['server', 'client']) {
      for (const part of ['ca', 'capath', 'cert', 'key']) serverKeys.push(`ssl-${side}-${part}`);
    }
    for (const key of serverKeys) {
      assert.deepEqual(byKey.get(key), [MYSQLD_GROUPS, ['sst']], key);
    }
    assert.equal(calls.length, 4 + serverKeys.length);
  });
});

describe('resolveTls: tca/tcert/tkey', () => {
  it('accepts tcert alone (a key+certificate bundle) and defaults to VERIFY_IDENTITY', () => {
    const s = resolve({ tcert: '/tls/mysql.pem' });
    assert.equal(s.cert, '/tls/mysql.pem');
    assert.equal(s.key, undefined);
    assert.equal(s.caFile, undefined);
    assert.equal(s.caPath, undefined);
    assert.equal(s.mode, 'VERIFY_IDENTITY');
    assert.equal(s.source, 'tca/tcert/tkey');
    assert.equal(s.warnings.length, 1);
    assert.match(s.warnings[0] ?? '', /^No CA configured .*system trust store, public CAs included/);
    assert.ok(
      s.notes.some((n) => /bundle/.test(n) && n.includes('/tls/mysql.pem')),
      s.notes.join('\n'),
    );
    assert.ok(s.notes.some((n) => /ssl-mode is not set: using VERIFY_IDENTITY/.test(n)));
  });

  it('uses tcert, tkey and a tca file', () => {
    const s = resolve({ tca: '/tls/ca.crt', tcert: '/tls/node.crt', tkey: '/tls/node.key' });
    assert.equal(s.cert, '/tls/node.crt');
    assert.equal(s.key, '/tls/node.key');
    assert.equal(s.caFile, '/tls/ca.crt');
    assert.equal(s.caPath, undefined);
    assert.ok(!s.notes.some((n) => /trust store|bundle/.test(n)), s.notes.join('\n'));
  });

  it('resolves relative paths against the datadir', () => {
    const s = resolve({ tca: 'tls/ca.crt', tcert: './tls/node.pem', tkey: '../ssl/node.key', tcapath: 'cadir' });
    assert.equal(s.cert, '/var/lib/mysql/tls/node.pem');
    assert.equal(s.key, '/var/lib/ssl/node.key');
    assert.equal(s.caFile, '/var/lib/mysql/tls/ca.crt');
    assert.equal(s.caPath, '/var/lib/mysql/cadir');
  });

  it('normalises absolute paths', () => {
    const s = resolve({ tcert: '/tls//x/../node.pem' });
    assert.equal(s.cert, '/tls/node.pem');
  });

  it('treats a tca naming a directory as the CA path, asking isDirectory with the absolute path', () => {
    const asked: string[] = [];
    const isDirectory = (p: string): boolean => {
      asked.push(p);
      return p === '/var/lib/mysql/cadir';
    };
    const s = resolve({ tca: 'cadir', tcert: '/tls/node.pem' }, 'joiner', isDirectory);
    assert.deepEqual(asked, ['/var/lib/mysql/cadir']);
    assert.equal(s.caPath, '/var/lib/mysql/cadir');
    assert.equal(s.caFile, undefined);
    assert.ok(s.notes.some((n) => /tca='cadir' is a directory/.test(n)));
    assert.ok(!s.notes.some((n) => /trust store/.test(n)));
  });

  it('treats a tca ending in / as the CA path even if it does not exist', () => {
    const s = resolve({ tca: '/etc/ssl/certs/', tcert: '/tls/node.pem' });
    assert.equal(s.caPath, '/etc/ssl/certs');
    assert.equal(s.caFile, undefined);
  });

  it('accepts tcapath alone and together with a tca file', () => {
    assert.equal(resolve({ tcapath: '/etc/ssl/certs', tcert: '/c' }).caPath, '/etc/ssl/certs');
    const both = resolve({ tca: '/tls/ca.crt', tcapath: '/etc/ssl/certs', tcert: '/c' });
    assert.equal(both.caFile, '/tls/ca.crt');
    assert.equal(both.caPath, '/etc/ssl/certs');
  });

  it('accepts a directory tca equal to tcapath, rejects two different CA directories', () => {
    const same = resolve({ tca: '/etc/ssl/certs/', tcapath: '/etc/ssl/certs', tcert: '/c' });
    assert.equal(same.caPath, '/etc/ssl/certs');
    assertBadConfig(
      () => resolve({ tca: '/a/', tcapath: '/b', tcert: '/c' }),
      /tca='\/a\/' names a directory and tcapath='\/b'/,
    );
  });

  it('treats empty and blank values as unset', () => {
    const s = resolve({ tcert: '/c', tkey: '', tca: '  ', sslMode: '' });
    assert.equal(s.key, undefined);
    assert.equal(s.caFile, undefined);
    assert.equal(s.mode, 'VERIFY_IDENTITY');
  });

  it('trims values', () => {
    const s = resolve({ tcert: '  /c  ', tkey: ' /k' });
    assert.equal(s.cert, '/c');
    assert.equal(s.key, '/k');
  });
});

describe('resolveTls: ssl-* options', () => {
  const ssl: RawTlsValues = { sslCa: '/ssl/ca.pem', sslCert: '/ssl/cert.pem', sslKey: '/ssl/key.pem' };

  it('uses ssl-* when no t* option is set', () => {
    const s = resolve(ssl);
    assert.equal(s.source, 'ssl-*');
    assert.equal(s.cert, '/ssl/cert.pem');
    assert.equal(s.key, '/ssl/key.pem');
    assert.equal(s.caFile, '/ssl/ca.pem');
    assert.ok(
      s.notes.some((n) => /Using ssl-cert, ssl-key, ssl-ca .*none of tca\/tcapath\/tcert\/tkey/.test(n)),
      s.notes.join('\n'),
    );
  });

  for (const t of ['tca', 'tcapath', 'tcert', 'tkey'] as const) {
    it(`ignores ssl-* as soon as ${t} is set, and says so`, () => {
      const raw: RawTlsValues = { ...ssl, sslServerCert: '/ssl/server.pem', tcert: '/t/cert.pem', [t]: `/t/${t}` };
      const s = resolve(raw);
      assert.equal(s.source, 'tca/tcert/tkey');
      assert.ok(!s.cert.startsWith('/ssl/'));
      assert.ok(s.caFile === undefined || s.caFile.startsWith('/t/'));
      assert.ok(s.key === undefined || s.key.startsWith('/t/'));
      const note = s.notes.find((n) => n.startsWith('Ignoring'));
      assert.ok(note, s.notes.join('\n'));
      assert.match(note, /ssl-ca, ssl-cert, ssl-key, ssl-server-cert/);
    });
  }

  it('does not mention ssl-* when none is set', () => {
    const s = resolve({ tcert: '/t/cert.pem' });
    assert.ok(!s.notes.some((n) => /ssl-/.test(n) && !/ssl-mode/.test(n)), s.notes.join('\n'));
  });

  it('resolves relative ssl-* paths against the datadir', () => {
    const s = resolve({ sslCert: 'cert.pem', sslCapath: 'cas' });
    assert.equal(s.cert, '/var/lib/mysql/cert.pem');
    assert.equal(s.caPath, '/var/lib/mysql/cas');
  });

  it('treats an ssl-ca naming a directory as the CA path', () => {
    const s = resolve({ sslCert: '/c', sslCa: '/ssl/cadir' }, 'donor', (p) => p === '/ssl/cadir');
    assert.equal(s.caPath, '/ssl/cadir');
    assert.ok(s.notes.some((n) => /ssl-ca='\/ssl\/cadir' is a directory/.test(n)));
  });

  const overrides: RawTlsValues = {
    ...ssl,
    sslCapath: '/ssl/cas',
    sslServerCert: '/server/cert.pem',
    sslServerCa: '/server/ca.pem',
    sslClientKey: '/client/key.pem',
    sslClientCapath: '/client/cas',
  };

  it('applies ssl-server-* on the joiner (the TLS server), part by part', () => {
    const s = resolve(overrides, 'joiner');
    assert.equal(s.cert, '/server/cert.pem');
    assert.equal(s.caFile, '/server/ca.pem');
    assert.equal(s.key, '/ssl/key.pem');
    assert.equal(s.caPath, '/ssl/cas');
    assert.ok(
      s.notes.some((n) =>
        /ssl-server-cert, ssl-key, ssl-server-ca, ssl-capath \(the joiner is the TLS server\)/.test(n),
      ),
      s.notes.join('\n'),
    );
  });

  it('applies ssl-client-* on the donor (the TLS client), part by part', () => {
    const s = resolve(overrides, 'donor');
    assert.equal(s.cert, '/ssl/cert.pem');
    assert.equal(s.key, '/client/key.pem');
    assert.equal(s.caFile, '/ssl/ca.pem');
    assert.equal(s.caPath, '/client/cas');
    assert.ok(s.notes.some((n) => /\(the donor is the TLS client\)/.test(n)));
  });

  it('lets a role override alone supply the certificate', () => {
    assert.equal(resolve({ sslClientCert: '/client/cert.pem' }, 'donor').cert, '/client/cert.pem');
    assertBadConfig(() => resolve({ sslClientCert: '/client/cert.pem' }, 'joiner'), /tcert/);
  });

  it('falls back to ssl-* when a t* value is blank', () => {
    assert.equal(resolve({ tcert: '', tkey: ' ', sslCert: '/ssl/cert.pem' }).source, 'ssl-*');
  });
});

describe('resolveTls: ssl-mode', () => {
  const cases: [string, string][] = [
    ['VERIFY_IDENTITY', 'VERIFY_IDENTITY'],
    ['verify_identity', 'VERIFY_IDENTITY'],
    ['VERIFY_CA', 'VERIFY_CA'],
    ['Verify_Ca', 'VERIFY_CA'],
    ['REQUIRED', 'REQUIRED'],
    ['required', 'REQUIRED'],
    [' VERIFY_CA ', 'VERIFY_CA'],
  ];
  for (const [given, expected] of cases) {
    it(`reads '${given}' as ${expected}`, () => {
      const s = resolve({ tcert: '/c', tca: '/ca', sslMode: given });
      assert.equal(s.mode, expected);
      assert.ok(!s.notes.some((n) => /ssl-mode is not set/.test(n)));
    });
  }

  it('takes ssl-mode into account whatever the certificate source', () => {
    assert.equal(resolve({ sslCert: '/c', sslMode: 'VERIFY_CA' }).mode, 'VERIFY_CA');
  });

  it('warns about REQUIRED and does not claim trust-store verification', () => {
    const s = resolve({ tcert: '/c', sslMode: 'REQUIRED' });
    assert.equal(s.warnings.length, 1);
    assert.match(s.warnings[0] ?? '', /REQUIRED.*not verified/);
    assert.ok(!s.notes.some((n) => /trust store/.test(n)));
  });

  it('does not warn for the verifying modes with a CA', () => {
    for (const mode of ['VERIFY_CA', 'VERIFY_IDENTITY', undefined]) {
      for (const ca of [
        { tcert: '/c', tca: '/ca.pem' },
        { tcert: '/c', tcapath: '/cadir' },
        { sslCert: '/c', sslCa: '/ca.pem' },
        { sslCert: '/c', sslCapath: '/cadir' },
        { sslCert: '/c', sslServerCa: '/ca.pem' },
      ]) {
        assert.deepEqual(resolve({ sslMode: mode, ...ca }).warnings, [], JSON.stringify(ca));
      }
    }
  });

  it('warns on both roles about the system trust store for VERIFY_* without a CA', () => {
    const table: [mode: string | undefined, role: Role, text: RegExp][] = [
      [
        undefined,
        'joiner',
        /the joiner accepts a donor certificate from any CA in the system trust store, public CAs included/,
      ],
      ['VERIFY_IDENTITY', 'joiner', /the joiner accepts a donor certificate from any CA/],
      ['verify_ca', 'joiner', /the joiner accepts a donor certificate from any CA/],
      [
        undefined,
        'donor',
        new RegExp(
          "the donor accepts a certificate for the joiner's name from any CA in the system trust " +
            'store, public CAs included',
        ),
      ],
      ['VERIFY_CA', 'donor', /the donor accepts a joiner certificate from any CA .*, whatever name it holds/],
    ];
    for (const [mode, role, text] of table) {
      const s = resolve({ tcert: '/c', sslMode: mode }, role);
      assert.equal(s.warnings.length, 1, `${mode} ${role}`);
      assert.match(s.warnings[0] ?? '', /^No CA configured \(tca, tcapath, ssl-ca or ssl-capath\): /);
      assert.match(s.warnings[0] ?? '', text, `${mode} ${role}`);
      assert.match(s.warnings[0] ?? '', /Set tca to the CA that issues the cluster's certificates\.$/);
      assert.ok(!s.notes.some((n) => /trust store/.test(n)));
    }
  });

  it('the ssl-* CA of the other role does not count', () => {
    assert.equal(resolve({ sslCert: '/c', sslClientCa: '/ca.pem' }, 'joiner').warnings.length, 1);
    assert.deepEqual(resolve({ sslCert: '/c', sslClientCa: '/ca.pem' }, 'donor').warnings, []);
  });

  for (const disabled of ['DISABLED', 'disabled', ' Disabled ']) {
    it(`rejects ssl-mode='${disabled}': this method always encrypts`, () => {
      assertBadConfig(() => resolve({ tcert: '/c', sslMode: disabled }), /always encrypts.*wsrep_sst_method=rsync\b/);
    });
  }

  it('rejects DISABLED before complaining about a missing certificate', () => {
    assertBadConfig(() => resolve({ sslMode: 'DISABLED' }), /DISABLED/);
  });

  for (const bogus of ['PREFERRED', 'VERIFY', 'yes', 'VERIFY_IDENTITY,VERIFY_CA']) {
    it(`rejects ssl-mode='${bogus}'`, () => {
      assertBadConfig(
        () => resolve({ tcert: '/c', sslMode: bogus }),
        new RegExp(`Unrecognized ssl-mode option: '${bogus}'`),
      );
    });
  }
});

describe('resolveTls: missing certificate', () => {
  it('fails with 22 naming tcert in [sst] when nothing is configured', () => {
    assertBadConfig(() => resolve({}), /set tcert in the \[sst\] group/);
  });

  it('explains that ssl-cert is ignored when another t* option is set', () => {
    assertBadConfig(
      () => resolve({ tkey: '/k', tca: '/ca', sslCert: '/ssl/cert.pem' }),
      /tcert in the \[sst\] group.*ssl-\* options are not used because tca\/tcapath\/tcert\/tkey is set/,
    );
  });

  it('fails when ssl-* supply everything but the certificate', () => {
    assertBadConfig(() => resolve({ sslKey: '/k', sslCa: '/ca' }), /tcert.*ssl-cert/);
  });

  it('fails for either role', () => {
    for (const role of ['joiner', 'donor'] as const) {
      assertBadConfig(() => resolve({ tca: '/ca' }, role), /No TLS certificate configured/);
    }
  });
});
