/**
 * The tunnel's TLS decisions that the SST (sst/prepare.ts) and `check` (check/config.ts) share
 * (src/tunnel/tunnel-tls.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigLookup, TlsSettings } from '../../../src/config/tls';
import { SstError } from '../../../src/errors';
import { resolveTunnelSettings, tunnelTls } from '../../../src/tunnel/tunnel-tls';

const DATADIR = '/var/lib/mysql';
const MYSQLD = ['mysqld', 'server', 'galera'];
const noDirectories = (): boolean => false;

/** `group -> key -> value`; the first group set with a value wins, as in the option-file reader. */
function config(groups: Record<string, Record<string, string>>): { lookup: ConfigLookup; mysqld: readonly string[] } {
  const lookup: ConfigLookup = (groupSets, key) => {
    for (const set of groupSets) {
      const found = set.map((g) => groups[g]?.[key]).filter((v): v is string => v !== undefined && v !== '');
      if (found.length > 0) return found[found.length - 1];
    }
    return undefined;
  };
  return { lookup, mysqld: MYSQLD };
}

const SST = { tcert: '/tls/node.crt', tkey: '/tls/node.key', tca: '/tls/ca.crt' };

describe('resolveTunnelSettings', () => {
  test('VERIFY_IDENTITY without sockopt: the peer is verified, nothing weakens it', () => {
    const s = resolveTunnelSettings(config({ sst: SST }), 'joiner', DATADIR, noDirectories);
    assert.equal(s.tls.mode, 'VERIFY_IDENTITY');
    assert.equal(s.tls.cert, '/tls/node.crt');
    assert.deepEqual(s.sockopt, []);
    assert.deepEqual(s.verdict.weakens, []);
    assert.equal(s.verifyPeer, true);
  });

  test('ssl-mode=REQUIRED: nobody verifies the peer', () => {
    const s = resolveTunnelSettings(
      config({ sst: { ...SST, 'ssl-mode': 'REQUIRED' } }),
      'donor',
      DATADIR,
      noDirectories,
    );
    assert.equal(s.verifyPeer, false);
  });

  test('sockopt verify=0: parsed, named as a weakening, and the peer is not verified', () => {
    const s = resolveTunnelSettings(
      config({ sst: { ...SST, sockopt: 'cipher=HIGH,verify=0' } }),
      'donor',
      DATADIR,
      noDirectories,
    );
    assert.deepEqual(s.sockopt, ['cipher=HIGH', 'verify=0']);
    assert.equal(s.verdict.verifyOff, true);
    assert.deepEqual(
      s.verdict.weakens.map((w) => w.option),
      ['verify=0'],
    );
    assert.equal(s.verifyPeer, false);
  });

  test('the role picks the material: ssl-server-* for the joiner, ssl-client-* for the donor', () => {
    const groups = {
      mysqld: { 'ssl-server-cert': '/tls/server.crt', 'ssl-client-cert': '/tls/client.crt', 'ssl-ca': '/tls/ca.crt' },
    };
    assert.equal(resolveTunnelSettings(config(groups), 'joiner', DATADIR, noDirectories).tls.cert, '/tls/server.crt');
    assert.equal(resolveTunnelSettings(config(groups), 'donor', DATADIR, noDirectories).tls.cert, '/tls/client.crt');
  });

  test(
    'a sockopt the SST refuses throws exit 22 after `decided` ' +
      'saw the TLS settings (the SST logs their notes first)',
    () => {
      const seen: TlsSettings[] = [];
      assert.throws(
        () =>
          resolveTunnelSettings(
            config({ sst: { ...SST, sockopt: 'verify=\\t0' } }),
            'donor',
            DATADIR,
            noDirectories,
            (tls) => seen.push(tls),
          ),
        (e: unknown) => {
          assert.ok(e instanceof SstError, `expected SstError, got ${String(e)}`);
          assert.equal(e.code, 22);
          assert.match(e.message, /socat decodes \\t into a control character/);
          return true;
        },
      );
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.cert, '/tls/node.crt');
    },
  );
});

describe('tunnelTls', () => {
  const tls = (mode: string): { tls: TlsSettings } =>
    resolveTunnelSettings(config({ sst: { ...SST, 'ssl-mode': mode } }), 'donor', DATADIR, noDirectories);

  test('the donor checks the name unless VERIFY_CA (empty commonname: chain only); REQUIRED verifies nothing', () => {
    assert.equal(tunnelTls(tls('VERIFY_IDENTITY'), 'donor').commonName, undefined);
    assert.equal(tunnelTls(tls('VERIFY_IDENTITY'), 'donor').verify, true);
    assert.equal(tunnelTls(tls('VERIFY_CA'), 'donor').commonName, '');
    assert.equal(tunnelTls(tls('REQUIRED'), 'donor').verify, false);
  });

  test('the joiner checks the chain of whichever donor connects, never a name', () => {
    assert.equal(tunnelTls(tls('VERIFY_IDENTITY'), 'joiner').commonName, undefined);
    assert.equal(tunnelTls(tls('VERIFY_CA'), 'joiner').commonName, undefined);
    assert.equal(tunnelTls(tls('VERIFY_CA'), 'joiner').verify, true);
  });
});
