/** `--address` parsing and formatting (docs/protocol.md §2.2, §5.2, §7 items 3, 34, 36, 41). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Exit } from '../../../src/errors';
import {
  ADDRESS_CHARSET,
  AUTH_CHARSET,
  canonicalIp,
  DEFAULT_MODULE,
  DEFAULT_SST_PORT,
  formatHost,
  formatHostPort,
  isIpLiteral,
  isLocalHost,
  isZoneId,
  parseDonorAddress,
  parseJoinerAddress,
} from '../../../src/net/address';
import { assertSstError } from '../../helpers/assert-sst';

describe('parseJoinerAddress: IPv4 and host names', () => {
  test('IPv4 with port', () => {
    assert.deepEqual(parseJoinerAddress('10.0.0.2:4444'), { host: '10.0.0.2', ipv6: false, port: 4444 });
  });

  test('IPv4 without port takes 4444', () => {
    assert.equal(DEFAULT_SST_PORT, 4444);
    assert.deepEqual(parseJoinerAddress('10.0.0.2'), { host: '10.0.0.2', ipv6: false, port: 4444 });
  });

  test('host names, FQDN with trailing dot, underscores, digits', () => {
    assert.deepEqual(parseJoinerAddress('db1'), { host: 'db1', ipv6: false, port: 4444 });
    assert.deepEqual(parseJoinerAddress('db-1.example.com:5555'), {
      host: 'db-1.example.com',
      ipv6: false,
      port: 5555,
    });
    assert.deepEqual(parseJoinerAddress('node.example.'), { host: 'node.example.', ipv6: false, port: 4444 });
    assert.deepEqual(parseJoinerAddress('my_node:1'), { host: 'my_node', ipv6: false, port: 1 });
    assert.deepEqual(parseJoinerAddress('localhost:65535'), { host: 'localhost', ipv6: false, port: 65535 });
    assert.deepEqual(parseJoinerAddress('3com.example'), { host: '3com.example', ipv6: false, port: 4444 });
  });

  test('surrounding whitespace is trimmed', () => {
    assert.deepEqual(parseJoinerAddress('  10.0.0.2:4444 \t\n'), { host: '10.0.0.2', ipv6: false, port: 4444 });
    assert.deepEqual(parseJoinerAddress(' [::1] '), { host: '::1', ipv6: true, port: 4444 });
  });
});

describe('parseJoinerAddress: IPv6', () => {
  test('bracketed, with and without port', () => {
    assert.deepEqual(parseJoinerAddress('[::1]:4444'), { host: '::1', ipv6: true, port: 4444 });
    assert.deepEqual(parseJoinerAddress('[::1]'), { host: '::1', ipv6: true, port: 4444 });
    assert.deepEqual(parseJoinerAddress('[2001:db8::7]:4567'), { host: '2001:db8::7', ipv6: true, port: 4567 });
    assert.deepEqual(parseJoinerAddress('[::ffff:10.0.0.1]:1'), { host: '::ffff:10.0.0.1', ipv6: true, port: 1 });
  });

  test('zone ids are kept apart from the host', () => {
    assert.deepEqual(parseJoinerAddress('[fe80::1%eth0]:4444'), {
      host: 'fe80::1',
      zone: 'eth0',
      ipv6: true,
      port: 4444,
    });
    assert.deepEqual(parseJoinerAddress('[fe80::1%2]'), { host: 'fe80::1', zone: '2', ipv6: true, port: 4444 });
    assert.deepEqual(parseJoinerAddress('[fe80::fc:ff:fe00:1%br-lan.10]:9'), {
      host: 'fe80::fc:ff:fe00:1',
      zone: 'br-lan.10',
      ipv6: true,
      port: 9,
    });
  });

  test('unbracketed IPv6 is refused with a hint', () => {
    for (const a of ['::1', 'fe80::1', '2001:db8::1:4444', '::1:4444']) {
      assertSstError(() => parseJoinerAddress(a), Exit.BAD_CONFIG, /brackets/);
    }
  });

  test('broken brackets and bad zones', () => {
    for (const a of [
      '[::1',
      '[::1]x',
      '[::1]4444',
      '[]',
      '[10.0.0.1]',
      '[db1]:4444',
      '[::1%]',
      '[::1%eth 0]',
      '[::1%eth0,x]',
      '[fe80::1%abcdefghijklmnop]',
      '[::1]]',
    ]) {
      assertSstError(() => parseJoinerAddress(a), Exit.BAD_CONFIG);
    }
  });
});

describe('parseJoinerAddress: --port', () => {
  test('--port fills in a missing port', () => {
    assert.equal(parseJoinerAddress('10.0.0.2', 5000).port, 5000);
    assert.equal(parseJoinerAddress('[::1]', 5000).port, 5000);
  });

  test('--port equal to the address port is fine', () => {
    assert.equal(parseJoinerAddress('10.0.0.2:5000', 5000).port, 5000);
  });

  test('--port conflicting with the address port exits 2 with upstream wording', () => {
    assertSstError(
      () => parseJoinerAddress('10.0.0.2:4444', 5000),
      Exit.NOT_FOUND,
      /^port in --port=5000 differs from port in --address=10\.0\.0\.2:4444$/,
    );
    assertSstError(() => parseJoinerAddress(' [::1]:4444 ', 4445), Exit.NOT_FOUND, /--address=\[::1\]:4444$/);
  });

  test('an impossible --port is a bad value', () => {
    for (const p of [0, -1, 65536, 1.5, Number.NaN])
      assertSstError(() => parseJoinerAddress('db1', p), Exit.BAD_CONFIG);
  });
});

describe('parseJoinerAddress: refused', () => {
  test('a path or credentials on the joiner', () => {
    assertSstError(() => parseJoinerAddress('10.0.0.2:4444/rsync_sst'), Exit.BAD_CONFIG, /no path/);
    assertSstError(() => parseJoinerAddress('10.0.0.2/rsync_sst'), Exit.BAD_CONFIG, /no path/);
    assertSstError(() => parseJoinerAddress('[::1]:4444/x'), Exit.BAD_CONFIG, /no path/);
    assertSstError(() => parseJoinerAddress('user:pw@10.0.0.2:4444'), Exit.BAD_CONFIG, /credentials/);
    assertSstError(() => parseJoinerAddress('@10.0.0.2'), Exit.BAD_CONFIG, /credentials/);
  });

  test('bad ports', () => {
    for (const a of [
      'db1:',
      'db1:0',
      'db1:65536',
      'db1:123456',
      'db1:-1',
      'db1:44a',
      'db1: 4444',
      'db1:+1',
      '[::1]:',
      '[::1]:x',
    ]) {
      assertSstError(() => parseJoinerAddress(a), Exit.BAD_CONFIG);
    }
  });

  test('garbage hosts', () => {
    const bad = [
      '',
      '   ',
      ':4444',
      '-oProxyCommand=x',
      'db1 db2',
      'db 1:4444',
      'a..b',
      '.db1',
      'db1..',
      'host-.x',
      '-host',
      '999.1.1.1',
      '10.0.0',
      '10.0.0.2.',
      '1.2.3.4.5',
      'db$1',
      "db'1",
      'db;rm',
      'db\n1',
      'db1\u0000',
      'db1,verify=0',
      'é.example',
      `${'a'.repeat(64)}.example`,
      `${'a.'.repeat(127)}a`,
    ];
    for (const a of bad) assertSstError(() => parseJoinerAddress(a), Exit.BAD_CONFIG);
  });

  test('errors quote the address', () => {
    assertSstError(() => parseJoinerAddress('db$1'), Exit.BAD_CONFIG, /^Invalid address 'db\$1': /);
  });
});

describe('parseDonorAddress', () => {
  test('the plain forms mariadbd passes', () => {
    assert.deepEqual(parseDonorAddress('10.0.0.2:4444/rsync_sst'), {
      host: '10.0.0.2',
      ipv6: false,
      port: 4444,
      module: 'rsync_sst',
      extraPath: [],
    });
    assert.deepEqual(parseDonorAddress('[::1]:4444/rsync_tunnel_sst'), {
      host: '::1',
      ipv6: true,
      port: 4444,
      module: 'rsync_tunnel_sst',
      extraPath: [],
    });
    assert.deepEqual(parseDonorAddress('[fe80::1%eth0]:4444/m'), {
      host: 'fe80::1',
      zone: 'eth0',
      ipv6: true,
      port: 4444,
      module: 'm',
      extraPath: [],
    });
  });

  test('module defaults to ours when absent', () => {
    assert.equal(DEFAULT_MODULE, 'rsync_tunnel_sst');
    assert.deepEqual(parseDonorAddress('db1:4444'), {
      host: 'db1',
      ipv6: false,
      port: 4444,
      module: DEFAULT_MODULE,
      extraPath: [],
    });
    assert.deepEqual(parseDonorAddress('db1:4444/'), {
      host: 'db1',
      ipv6: false,
      port: 4444,
      module: DEFAULT_MODULE,
      extraPath: [],
    });
    assert.equal(parseDonorAddress('db1').port, 4444);
    assert.equal(parseDonorAddress('db1/m').module, 'm');
  });

  test('extra path parts: the module is the first one (§7.41)', () => {
    assert.deepEqual(parseDonorAddress('10.0.0.2:4444/rsync_sst/1234/2'), {
      host: '10.0.0.2',
      ipv6: false,
      port: 4444,
      module: 'rsync_sst',
      extraPath: ['1234', '2'],
    });
    assert.deepEqual(parseDonorAddress('[::1]:1/a/b.c/d-e_f').extraPath, ['b.c', 'd-e_f']);
  });

  test('auth name:secret@, the form our VERIFY joiner sends', () => {
    assert.deepEqual(parseDonorAddress('127.0.0.2:487ee7caae53d0cda58071fd82399503@127.0.0.3:4444/rsync_sst'), {
      host: '127.0.0.3',
      ipv6: false,
      port: 4444,
      module: 'rsync_sst',
      extraPath: [],
      auth: { user: '127.0.0.2', password: '487ee7caae53d0cda58071fd82399503' },
    });
  });

  test('auth name@ has no password; name:@ has an empty one; @ alone an empty user', () => {
    assert.deepEqual(parseDonorAddress('node1@db1:4444/m').auth, { user: 'node1' });
    assert.deepEqual(parseDonorAddress('node1:@db1:4444/m').auth, { user: 'node1', password: '' });
    assert.deepEqual(parseDonorAddress('@db1:4444/m').auth, { user: '' });
  });

  test('auth splits at the first colon, so a secret keeps its colons', () => {
    assert.deepEqual(parseDonorAddress('cn:se:cr:et@db1:4444/m').auth, { user: 'cn', password: 'se:cr:et' });
  });

  test('multiple @: everything before the last one is auth, and mariadbd never accepts an @ in it', () => {
    assertSstError(() => parseDonorAddress('a@b@db1:4444/m'), Exit.BAD_CONFIG, /credentials/);
    assertSstError(() => parseDonorAddress('a:b@c@db1:4444/m'), Exit.BAD_CONFIG, /credentials/);
  });

  test('auth outside the charset mariadbd accepts', () => {
    for (const a of ['us er@db1:1/m', 'user$@db1:1/m', "u'@db1:1/m", 'ü@db1:1/m', 'a/b@db1:1/m']) {
      assertSstError(() => parseDonorAddress(a), Exit.BAD_CONFIG);
    }
  });

  test('whitespace is trimmed', () => {
    assert.equal(parseDonorAddress('\t db1:4444/m \n').module, 'm');
  });

  test('garbage', () => {
    const bad = [
      '',
      ' ',
      '::1:4444/m',
      'db1:/m',
      'db1:x/m',
      'db1:4444//x',
      'db1:4444/m//x',
      'db1:4444/m/',
      'db1:4444/../x',
      'db1:4444/.',
      'db1:4444/m/..',
      'db1:4444/m o',
      'db1:4444/m:x',
      'db1:4444/m%20',
      '[::1:4444/m',
      'user@',
      'user@/m',
      'db$1:4444/m',
      'db1:4444/m\nx',
    ];
    for (const a of bad) assertSstError(() => parseDonorAddress(a), Exit.BAD_CONFIG);
  });
});

describe('formatHost / formatHostPort', () => {
  test('IPv4 and names as they are', () => {
    assert.equal(formatHost({ host: '10.0.0.2', ipv6: false }), '10.0.0.2');
    assert.equal(formatHostPort({ host: 'db1', ipv6: false, port: 4444 }), 'db1:4444');
  });

  test('IPv6 in brackets, with the zone', () => {
    assert.equal(formatHost({ host: '::1', ipv6: true }), '[::1]');
    assert.equal(formatHost({ host: 'fe80::1', zone: 'eth0', ipv6: true }), '[fe80::1%eth0]');
    assert.equal(formatHostPort({ host: '::1', ipv6: true, port: 4444 }), '[::1]:4444');
  });

  test('round trip through the parser', () => {
    for (const a of ['10.0.0.2:4444', '[::1]:4444', '[fe80::1%eth0]:5', 'db1.example:1']) {
      assert.equal(formatHostPort(parseJoinerAddress(a)), a);
    }
  });
});

describe('isIpLiteral / isZoneId', () => {
  test('classifies', () => {
    assert.equal(isIpLiteral('127.0.0.1'), 4);
    assert.equal(isIpLiteral('::1'), 6);
    assert.equal(isIpLiteral('2001:db8::1'), 6);
    assert.equal(isIpLiteral('::ffff:1.2.3.4'), 6);
    for (const h of ['db1', '[::1]', 'fe80::1%eth0', '1.2.3', '127.000.0.1', '', 'localhost'])
      assert.equal(isIpLiteral(h), 0, h);
  });

  test('zone ids', () => {
    for (const z of ['eth0', '2', 'br-lan.10', 'wlp0s20f3']) assert.ok(isZoneId(z), z);
    for (const z of ['', 'eth 0', 'eth0,x', 'a'.repeat(16), 'eth0]', 'x%y']) assert.ok(!isZoneId(z), z);
  });
});

describe('canonicalIp', () => {
  test('one spelling per address, as certificates are compared', () => {
    assert.equal(canonicalIp('::1'), '::1');
    assert.equal(canonicalIp('[0:0:0:0:0:0:0:1]'), '::1');
    assert.equal(canonicalIp('2001:DB8:0::1'), '2001:db8::1');
    assert.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(canonicalIp(' 10.0.0.1 '), '10.0.0.1');
    assert.equal(canonicalIp('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(canonicalIp('node1'), undefined);
    assert.equal(canonicalIp('300.1.1.1'), undefined);
  });
});

describe('isLocalHost', () => {
  const ctx = {
    interfaceAddresses: ['127.0.0.1', '10.0.0.2', '::1', 'fd00::2', 'fe80::fc:ff:fe00:1'],
    hostnames: ['db1', 'db1.example.com'],
  };

  test('loopback is always local', () => {
    const none = { interfaceAddresses: [], hostnames: [] };
    for (const h of [
      '127.0.0.1',
      '127.0.0.2',
      '127.255.255.254',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
      'localhost.',
    ]) {
      assert.ok(isLocalHost(h, none), h);
    }
  });

  test('own interface addresses, in any spelling', () => {
    assert.ok(isLocalHost('10.0.0.2', ctx));
    assert.ok(isLocalHost('fd00::2', ctx));
    assert.ok(isLocalHost('FD00:0:0:0:0:0:0:2', ctx));
    assert.ok(isLocalHost('fe80::fc:ff:fe00:1', ctx));
    assert.ok(isLocalHost('::ffff:10.0.0.2', ctx));
  });

  test('own host names, case and trailing dot ignored', () => {
    assert.ok(isLocalHost('db1', ctx));
    assert.ok(isLocalHost('DB1.example.com.', ctx));
  });

  test('anything else is somebody else (NAT: bind all interfaces)', () => {
    for (const h of [
      '10.0.0.3',
      '203.0.113.5',
      'fd00::3',
      'db2',
      'db1.example',
      '128.0.0.1',
      '0.0.0.0',
      '::',
      'localhost.localdomain',
    ]) {
      assert.ok(!isLocalHost(h, ctx), h);
    }
  });
});

describe('charsets mariadbd accepts (§1.4, §2.2)', () => {
  test('AUTH_CHARSET', () => {
    assert.ok(AUTH_CHARSET.test('127.0.0.2:487ee7caae53d0cda58071fd82399503'));
    assert.ok(AUTH_CHARSET.test('node-1.example_x'));
    assert.ok(AUTH_CHARSET.test(''));
    for (const s of ['a b', 'a@b', 'a/b', "a'b", 'a$b', 'CN=x', 'ü', 'a\nb']) assert.ok(!AUTH_CHARSET.test(s), s);
  });

  test('ADDRESS_CHARSET', () => {
    for (const s of ['10.0.0.2:4444/rsync_sst', '[::1]:4444/rsync_tunnel_sst/1/2', 'db-1.example:1/m'])
      assert.ok(ADDRESS_CHARSET.test(s), s);
    for (const s of ['[fe80::1%eth0]:1/m', 'a@b:1/m', 'a b', 'a\rb', 'a,b']) assert.ok(!ADDRESS_CHARSET.test(s), s);
  });
});
