/**
 * `check`: which address a joiner advertises and which name a donor verifies (src/check/advertised.ts, tls-items.ts
 * nameItem).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  advertisedAddress,
  donorVerification,
  guessInterfaceAddress,
  nodeAddressHost,
  type InterfaceAddress,
} from '../../../src/check/advertised';
import { sockoptCommonName } from '../../../src/tunnel/tunnel-tls';
import type { TlsContext } from '../../../src/check/config';
import { nameItem } from '../../../src/check/tls-items';
import type { CertificateInfo } from '../../../src/config/tls-preflight';
import { SstError } from '../../../src/errors';

const IFACES: InterfaceAddress[] = [
  { name: 'lo', address: '127.0.0.1', family: 'IPv4', internal: true },
  { name: 'eth0', address: 'fe80::1', family: 'IPv6', internal: false },
  { name: 'eth0', address: '10.0.0.5', family: 'IPv4', internal: false },
];

describe('advertisedAddress: mariadbd’s order', () => {
  test('wsrep_sst_receive_address first, with its port', () => {
    const a = advertisedAddress(
      { receiveAddress: 'db1.example:5555', nodeAddress: '10.0.0.9', bindAddress: '10.0.0.8' },
      IFACES,
    );
    assert.deepEqual([a.host, a.port, a.source], ['db1.example', 5555, 'wsrep_sst_receive_address=db1.example:5555']);
  });

  test('AUTO means "not set", compared case-sensitively like strcmp()', () => {
    assert.equal(advertisedAddress({ receiveAddress: 'AUTO', nodeAddress: '10.0.0.9' }, IFACES).host, '10.0.0.9');
    assert.equal(advertisedAddress({ receiveAddress: 'auto', nodeAddress: '10.0.0.9' }, IFACES).host, 'auto');
  });

  test('then wsrep_node_address without its (Galera) port; the SST port is 4444', () => {
    const a = advertisedAddress({ nodeAddress: '10.0.0.9:4567', bindAddress: '10.0.0.8' }, IFACES);
    assert.deepEqual([a.host, a.port], ['10.0.0.9', 4444]);
    assert.match(a.source, /wsrep_node_address=10\.0\.0\.9:4567, without its port/);
    const v6 = advertisedAddress({ nodeAddress: '[fd00::9]:4567' }, IFACES);
    assert.deepEqual([v6.host, v6.ipv6, v6.port], ['fd00::9', true, 4444]);
  });

  test('then bind_address unless it is a wildcard', () => {
    assert.equal(advertisedAddress({ bindAddress: 'db1.example' }, IFACES).host, 'db1.example');
    assert.equal(advertisedAddress({ bindAddress: 'fd00::8' }, IFACES).host, 'fd00::8');
    for (const wildcard of ['*', '0.0.0.0', '::']) {
      assert.equal(advertisedAddress({ bindAddress: wildcard }, IFACES).host, '10.0.0.5', wildcard);
    }
  });

  test('then the first non-loopback interface address, IPv4 first; never the host name', () => {
    const a = advertisedAddress({}, IFACES);
    assert.equal(a.host, '10.0.0.5');
    assert.match(a.source, /first non-loopback interface address \(eth0\)/);
    assert.equal(guessInterfaceAddress(IFACES.filter((i) => i.family === 'IPv6'))?.address, 'fe80::1');
    assert.equal(guessInterfaceAddress([IFACES[0] as InterfaceAddress]), undefined);
  });

  test('nothing usable, or a value an SST cannot use, is an error naming its source', () => {
    assert.throws(
      () => advertisedAddress({}, [IFACES[0] as InterfaceAddress]),
      (e: unknown) => e instanceof SstError && /set wsrep_sst_receive_address/.test(e.message),
    );
    assert.throws(
      () => advertisedAddress({ bindAddress: '10.0.0.1,10.0.0.2' }, IFACES),
      (e: unknown) => e instanceof SstError && /from bind_address=10\.0\.0\.1,10\.0\.0\.2/.test(e.message),
    );
  });

  test('nodeAddressHost', () => {
    assert.equal(nodeAddressHost('10.0.0.1:4567'), '10.0.0.1');
    assert.equal(nodeAddressHost('db1'), 'db1');
    assert.equal(nodeAddressHost('[::1]:4567'), '[::1]');
    assert.equal(nodeAddressHost('fd00::1'), '[fd00::1]');
  });
});

describe('donorVerification', () => {
  const adv = advertisedAddress({ receiveAddress: '127.0.0.2:4444' }, IFACES);

  test('VERIFY_IDENTITY: the advertised host', () => {
    assert.deepEqual(donorVerification('VERIFY_IDENTITY', false, [], adv), {
      kind: 'name',
      name: '127.0.0.2',
      why: 'wsrep_sst_receive_address=127.0.0.2:4444',
    });
  });
  test('VERIFY_CA: chain only; REQUIRED or verify=0: nothing', () => {
    assert.equal(donorVerification('VERIFY_CA', false, [], adv).kind, 'chain');
    assert.equal(donorVerification('REQUIRED', false, [], adv).kind, 'none');
    assert.equal(donorVerification('VERIFY_IDENTITY', true, ['verify=0'], adv).kind, 'none');
  });
  test('sockopt commonname replaces the host; an empty one means chain only', () => {
    assert.deepEqual(donorVerification('VERIFY_IDENTITY', false, ['cipher=HIGH', "cn='db.example'"], adv), {
      kind: 'name',
      name: 'db.example',
      why: 'sockopt commonname=db.example',
    });
    assert.equal(donorVerification('VERIFY_IDENTITY', false, ['commonname=', 'nosni=1'], adv).kind, 'chain');
    assert.equal(sockoptCommonName(['commonname=a', 'CommonName=b\\.c']), 'b.c');
    assert.equal(sockoptCommonName(['cipher=HIGH']), undefined);
  });
});

describe('nameItem', () => {
  const cert = (cn: string, ips: string[] = [], dns: string[] = []): CertificateInfo => ({
    subjectCN: cn,
    dnsNames: dns,
    ipAddresses: ips,
    validFrom: new Date(0),
    validTo: new Date(0),
    fingerprint256: '',
  });
  const tls = (mode: 'VERIFY_IDENTITY' | 'VERIFY_CA' | 'REQUIRED'): TlsContext => ({
    settings: { cert: '/c', mode, source: 'tca/tcert/tkey', notes: [], warnings: [] },
    sockopt: [],
    verifyPeer: mode !== 'REQUIRED',
    weakens: [],
  });
  const adv = advertisedAddress({ receiveAddress: '127.0.0.2:4444' }, IFACES);

  test('PASS when the certificate names the advertised host (CN or SAN)', () => {
    assert.equal(nameItem(tls('VERIFY_IDENTITY'), cert('127.0.0.2'), adv).status, 'PASS');
    assert.equal(nameItem(tls('VERIFY_IDENTITY'), cert('node2', ['127.0.0.2']), adv).status, 'PASS');
  });

  test('FAIL names the host, where it came from and what the certificate holds', () => {
    const i = nameItem(tls('VERIFY_IDENTITY'), cert('db2.example', [], ['db2.example']), adv);
    assert.equal(i.status, 'FAIL');
    assert.match(
      i.detail,
      new RegExp(
        String.raw`donors verify '127\.0\.0\.2' \(wsrep_sst_receive_address=127\.0\.0\.2:4444\), which the ` +
          String.raw`certificate does not name \(CN=db2\.example, DNS:db2\.example\)`,
      ),
    );
  });

  test('VERIFY_CA passes whatever the name; REQUIRED warns', () => {
    assert.equal(nameItem(tls('VERIFY_CA'), cert('other'), adv).status, 'PASS');
    assert.equal(nameItem(tls('REQUIRED'), cert('other'), adv).status, 'WARN');
  });
});
