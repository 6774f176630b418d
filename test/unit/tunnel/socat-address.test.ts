/**
 * socat address builders (docs/protocol.md §5.1, §7 items 5, 35); socat itself runs in test/integration/socat-tunnel.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Exit } from '../../../src/errors';
import {
  connectAddress,
  execAddress,
  listenAddress,
  parseSockopt,
  socatValue,
  type TunnelTls,
} from '../../../src/tunnel/socat-address';
import { assertSstError } from '../../helpers/assert-sst';

/**
 * socat's lexer as measured on 1.7.4.4 (see socat-address.ts), for what our output can contain:
 * a backslash takes the next character literally. Used to prove escaping is lossless.
 */
type ListenOptions = Parameters<typeof listenAddress>[0];
type ConnectOptions = Parameters<typeof connectAddress>[0];
/** Port 1, IPv4, no sockopt unless the case says otherwise. */
const listen = (o: Omit<ListenOptions, 'port' | 'ipv6' | 'sockopt'> & Partial<ListenOptions>): string =>
  listenAddress({ port: 1, ipv6: false, sockopt: [], ...o });
const connect = (o: Omit<ConnectOptions, 'port' | 'ipv6' | 'sockopt'> & Partial<ConnectOptions>): string =>
  connectAddress({ port: 1, ipv6: false, sockopt: [], ...o });

function unescapeSocat(text: string): string {
  return text.replace(/\\(.)/gs, '$1');
}

/** Splits at the separators socat honours: those not preceded by an escaping backslash. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\') {
      cur += c + text.charAt(i + 1);
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

const HOSTILE = [
  '/etc/my,sql/cert.pem',
  '/etc/my:sql/cert.pem',
  '/etc/my sql/cert.pem',
  "/etc/it's/cert.pem",
  '/etc/"q"/cert.pem',
  '/etc/a!!b/cert.pem',
  '/etc/back\\slash/n\\n.pem',
  '/etc/(paren)/[br]/{cu}/x.pem',
  '/etc/$(touch x)/`id`/;|&<>*?~#%^/x.pem',
  '/etc/ünï/cödé.pem',
  '/etc/a=b/c+d@e.pem',
];

const tls: TunnelTls = {
  cert: '/etc/mysql/cert.pem',
  key: '/etc/mysql/key.pem',
  caFile: '/etc/mysql/ca.pem',
  verify: true,
};

describe('socatValue', () => {
  test('plain paths stay readable', () => {
    assert.equal(socatValue('/etc/mysql/ssl/server-cert_1.pem'), '/etc/mysql/ssl/server-cert_1.pem');
    assert.equal(socatValue('a=b+c@d'), 'a=b+c@d');
    assert.equal(socatValue(''), '');
  });

  test('every special character is backslash-escaped', () => {
    assert.equal(socatValue('a,b:c d'), 'a\\,b\\:c\\ d');
    assert.equal(socatValue('a!!b'), 'a\\!\\!b');
    assert.equal(socatValue(`'"\\`), `\\'\\"\\\\`);
    assert.equal(socatValue('()[]{}%|'), '\\(\\)\\[\\]\\{\\}\\%\\|');
  });

  test('never a backslash before a letter or digit (socat reads \\n, \\0, \\t as C escapes)', () => {
    for (const v of HOSTILE) assert.doesNotMatch(socatValue(v), /(?<!\\)(?:\\\\)*\\[A-Za-z0-9]/, v);
  });

  test('lossless and free of unescaped separators for hostile paths', () => {
    for (const v of HOSTILE) {
      const e = socatValue(v);
      assert.equal(unescapeSocat(e), v);
      assert.deepEqual(splitUnescaped(e, ','), [e], v);
      assert.deepEqual(splitUnescaped(e, ':'), [e], v);
      assert.deepEqual(splitUnescaped(e, ' '), [e], v);
      assert.ok(!/(?<!\\)(?:\\\\)*!!/.test(e), v);
    }
  });

  test('non-ASCII passes unchanged', () => {
    assert.equal(socatValue('/ü/é/日本'), '/ü/é/日本');
  });

  test('control characters are refused with 21', () => {
    for (const v of ['a\nb', 'a\rb', 'a\u0000b', 'a\tb', 'a\u001bb', 'a\u007fb']) {
      assertSstError(() => socatValue(v), Exit.UNSAFE_VALUE, /control character/);
    }
  });
});

describe('parseSockopt', () => {
  test('nothing', () => {
    assert.deepEqual(parseSockopt(undefined), []);
    assert.deepEqual(parseSockopt(''), []);
    assert.deepEqual(parseSockopt('  '), []);
    assert.deepEqual(parseSockopt(',,'), []);
  });

  test('stray commas and blanks around options go', () => {
    assert.deepEqual(parseSockopt(',verify=0'), ['verify=0']);
    assert.deepEqual(parseSockopt('verify=0,'), ['verify=0']);
    assert.deepEqual(parseSockopt(' , verify=0 ,, pf=ip6 , '), ['verify=0', 'pf=ip6']);
  });

  test('an escaped trailing blank is part of the value', () => {
    assert.deepEqual(parseSockopt('commonname=a\\ '), ['commonname=a\\ ']);
    assert.deepEqual(parseSockopt('commonname=a\\\\ '), ['commonname=a\\\\']);
  });

  test('typical options pass through in socat syntax', () => {
    assert.deepEqual(parseSockopt('cipher=HIGH:!aNULL'), ['cipher=HIGH:!aNULL']);
    assert.deepEqual(parseSockopt('verify=0,commonname=x,pf=ip6,keepalive,nodelay'), [
      'verify=0',
      'commonname=x',
      'pf=ip6',
      'keepalive',
      'nodelay',
    ]);
    assert.deepEqual(parseSockopt('min-proto-version=TLS1.2,o_nonblock'), ['min-proto-version=TLS1.2', 'o_nonblock']);
  });

  test('commas inside quotes, brackets or escapes do not split', () => {
    assert.deepEqual(parseSockopt("cipher='HIGH,!aNULL',verify=1"), ["cipher='HIGH,!aNULL'", 'verify=1']);
    assert.deepEqual(parseSockopt('cipher="a,b",x=(c,d),y=[e,f],z={g,h}'), [
      'cipher="a,b"',
      'x=(c,d)',
      'y=[e,f]',
      'z={g,h}',
    ]);
    assert.deepEqual(parseSockopt('cafile=/a\\,b,verify=1'), ['cafile=/a\\,b', 'verify=1']);
    // As in socat, a single quote inside double quotes opens a nested hard quote.
    assert.deepEqual(parseSockopt(`x="a'b'c,d",y='a"b,c'`), [`x="a'b'c,d"`, `y='a"b,c'`]);
    assertSstError(() => parseSockopt(`x="it's"`), Exit.BAD_CONFIG, /never closed/);
  });

  test('shell metacharacters are plain text (no shell is involved)', () => {
    assert.deepEqual(parseSockopt('cipher=$(touch /tmp/x)'), ['cipher=$(touch /tmp/x)']);
    assert.deepEqual(parseSockopt('commonname=`id`;rm -rf /|x&y>z'), ['commonname=`id`;rm -rf /|x&y>z']);
  });

  test('!! would open a second address', () => {
    for (const raw of ['verify=0!!EXEC:/bin/sh', '!!', 'cipher=a!!b', "cipher='a!!b'", 'x\\!!y']) {
      assertSstError(() => parseSockopt(raw), Exit.BAD_CONFIG, /!!/);
    }
  });

  test('line breaks, NUL and other control characters', () => {
    for (const raw of ['verify=0\nEXEC:/bin/sh', 'verify=0\r', 'a\u0000', 'cipher=a\tb']) {
      assertSstError(() => parseSockopt(raw), Exit.BAD_CONFIG, /control character/);
    }
  });

  test('things that are not option names', () => {
    for (const raw of [
      '-d',
      '--help',
      'verify=0,-lf/tmp/x',
      '$(touch /tmp/x)',
      '=1',
      'ver ify=0',
      'x y',
      "'verify'=0",
      'verify\\=0',
      'EXEC:/bin/sh',
      '1x=2',
    ]) {
      assertSstError(() => parseSockopt(raw), Exit.BAD_CONFIG, /not a socat option name/);
    }
  });

  test('unbalanced quotes and brackets, lone trailing backslash', () => {
    assertSstError(() => parseSockopt("cipher='HIGH"), Exit.BAD_CONFIG, /never closed/);
    assertSstError(() => parseSockopt('cipher="HIGH'), Exit.BAD_CONFIG, /never closed/);
    assertSstError(() => parseSockopt('x=(a,verify=0'), Exit.BAD_CONFIG, /never closed/);
    assertSstError(() => parseSockopt('x=[a'), Exit.BAD_CONFIG, /never closed/);
    assertSstError(() => parseSockopt('x={a'), Exit.BAD_CONFIG, /never closed/);
    assertSstError(() => parseSockopt('x=a\\'), Exit.BAD_CONFIG, /backslash/);
  });

  test('the error names the whole value', () => {
    assertSstError(() => parseSockopt('a!!b'), Exit.BAD_CONFIG, /^Invalid sockopt "a!!b": /);
  });
});

describe('listenAddress', () => {
  test('all options, IPv4 bind', () => {
    assert.equal(
      listen({ port: 4444, bind: { host: '10.0.0.2', ipv6: false }, tls: { ...tls, caPath: '/etc/mysql/cas' } }),
      'OPENSSL-LISTEN:4444,reuseaddr,fork,bind=10.0.0.2,cert=/etc/mysql/cert.pem,key=/etc/mysql/key.pem,' +
        'cafile=/etc/mysql/ca.pem,capath=/etc/mysql/cas,verify=1',
    );
  });

  test('max-children caps the connections served at once; a user max-children (or its alias) replaces ours', () => {
    assert.equal(
      listen({ tls: { cert: '/c.pem', verify: false }, maxChildren: 9 }),
      'OPENSSL-LISTEN:1,reuseaddr,fork,max-children=9,cert=/c.pem,verify=0',
    );
    assert.equal(
      listen({ tls: { cert: '/c.pem', verify: false }, sockopt: ['maxchildren=3'], maxChildren: 9 }),
      'OPENSSL-LISTEN:1,reuseaddr,fork,cert=/c.pem,verify=0,maxchildren=3',
    );
  });

  test('minimal: all interfaces, bundle only, no verification', () => {
    assert.equal(
      listen({ tls: { cert: '/c.pem', verify: false } }),
      'OPENSSL-LISTEN:1,reuseaddr,fork,cert=/c.pem,verify=0',
    );
  });

  test('IPv6 bind: brackets, zone and pf=ip6', () => {
    assert.equal(
      listen({ port: 4444, bind: { host: '::1', ipv6: true }, ipv6: true, tls: { cert: '/c', verify: true } }),
      'OPENSSL-LISTEN:4444,reuseaddr,fork,bind=[::1],pf=ip6,cert=/c,verify=1',
    );
    assert.equal(
      listen({ port: 4444, bind: { host: 'fe80::1', zone: 'eth0', ipv6: true }, tls: { cert: '/c', verify: true } }),
      'OPENSSL-LISTEN:4444,reuseaddr,fork,bind=[fe80::1%eth0],pf=ip6,cert=/c,verify=1',
    );
  });

  test('IPv6 joiner on all interfaces: pf=ip6 without bind', () => {
    assert.equal(
      listen({ port: 4444, ipv6: true, tls: { cert: '/c', verify: true } }),
      'OPENSSL-LISTEN:4444,reuseaddr,fork,pf=ip6,cert=/c,verify=1',
    );
  });

  test('a bind host name is escaped like any value', () => {
    assert.equal(
      listen({ bind: { host: 'db1.example', ipv6: false }, tls: { cert: '/c', verify: false } }),
      'OPENSSL-LISTEN:1,reuseaddr,fork,bind=db1.example,cert=/c,verify=0',
    );
  });

  test('client name check only for a non-empty commonName with verify', () => {
    const base = { port: 1, ipv6: false, sockopt: [] };
    assert.match(
      listen({ ...base, tls: { cert: '/c', verify: true, commonName: 'donor.example' } }),
      /,verify=1,commonname=donor\.example$/,
    );
    assert.match(listen({ ...base, tls: { cert: '/c', verify: true, commonName: '' } }), /,verify=1$/);
    assert.match(listen({ ...base, tls: { cert: '/c', verify: true } }), /,verify=1$/);
    // An empty commonname keeps socat 1.7.4.0/1.7.4.1 from crashing on a client certificate with an IPv6 SAN.
    const crashes = { listenerNeedsCommonName: true };
    assert.match(listen({ ...base, tls: { cert: '/c', verify: true }, socat: crashes }), /,verify=1,commonname=$/);
    assert.match(
      listen({ ...base, tls: { cert: '/c', verify: true, commonName: 'd' }, socat: crashes }),
      /,verify=1,commonname=d$/,
    );
    assert.match(listen({ ...base, tls: { cert: '/c', verify: false }, socat: crashes }), /,verify=0$/);
    assert.match(listen({ ...base, tls: { cert: '/c', verify: false, commonName: 'x' } }), /,verify=0$/);
  });

  test('hostile paths are escaped and come back unchanged', () => {
    for (const p of HOSTILE) {
      const dir = p.replace(/:/g, ';');
      const addr = listen({ tls: { cert: p, key: p, caFile: p, caPath: dir, verify: true } });
      const opts = splitUnescaped(addr, ',');
      assert.deepEqual(
        opts.map((o) => o.split('=', 1)[0]),
        ['OPENSSL-LISTEN:1', 'reuseaddr', 'fork', 'cert', 'key', 'cafile', 'capath', 'verify'],
        p,
      );
      const values = opts.slice(3, 7).map((o) => unescapeSocat(o.slice(o.indexOf('=') + 1)));
      assert.deepEqual(values, [p, p, p, dir]);
      assert.ok(!/(?<!\\)(?:\\\\)*!!/.test(addr));
    }
  });

  test('sockopt comes last and replaces our option of the same name or alias', () => {
    const base = { port: 1, ipv6: true, tls: { cert: '/c', key: '/k', caFile: '/ca', verify: true, commonName: 'd' } };
    assert.equal(
      listen({ ...base, sockopt: ['verify=0'] }),
      'OPENSSL-LISTEN:1,reuseaddr,fork,pf=ip6,cert=/c,key=/k,cafile=/ca,commonname=d,verify=0',
    );
    assert.equal(
      listen({
        ...base,
        sockopt: ['OPENSSL-VERIFY=0', 'certificate=/other', 'CN=x', 'protocol-family=ip4', 'so-reuseaddr=0'],
      }),
      'OPENSSL-LISTEN:1,fork,key=/k,cafile=/ca,OPENSSL-VERIFY=0,certificate=/other,CN=x,protocol-family=ip4,' +
        'so-reuseaddr=0',
    );
    assert.equal(
      listen({ ...base, sockopt: ['cipher=HIGH:!aNULL', 'keepalive'] }),
      'OPENSSL-LISTEN:1,reuseaddr,fork,pf=ip6,cert=/c,key=/k,cafile=/ca,verify=1,commonname=d,' +
        'cipher=HIGH:!aNULL,keepalive',
    );
  });

  test('sockopt items are validated again', () => {
    assertSstError(() => listen({ tls, sockopt: ['verify=0!!EXEC:/bin/sh'] }), Exit.BAD_CONFIG);
    assertSstError(() => listen({ tls, sockopt: ["x='"] }), Exit.BAD_CONFIG);
  });

  test('bad ports and bind addresses', () => {
    for (const port of [0, 65536, 1.5, -1, Number.NaN]) {
      assertSstError(() => listen({ port, tls }), Exit.BAD_CONFIG);
    }
    assertSstError(() => listen({ bind: { host: 'db1', ipv6: true }, ipv6: true, tls }), Exit.BAD_CONFIG);
    assertSstError(() => listen({ bind: { host: '::1', zone: 'a]b', ipv6: true }, ipv6: true, tls }), Exit.BAD_CONFIG);
  });

  test('control characters in a path: 21', () => {
    assertSstError(() => listen({ tls: { cert: '/a\nb', verify: true } }), Exit.UNSAFE_VALUE, /cert=/);
  });

  test("a CA directory with ':' is refused: OpenSSL would split it", () => {
    assertSstError(
      () => listen({ tls: { cert: '/c', caPath: '/etc/my:ssl/certs', verify: true } }),
      Exit.UNSAFE_VALUE,
      /list separator/,
    );
    assertSstError(
      () => connect({ host: 'db1', tls: { cert: '/c', caPath: '/a:b', verify: true } }),
      Exit.UNSAFE_VALUE,
      /list separator/,
    );
  });

  test('option values socat cannot hold (2047 bytes) are refused', () => {
    const at = (n: number): string => `/${'a'.repeat(n - 1)}`;
    assert.ok(listen({ tls: { cert: at(2047), verify: true } }).length > 2047);
    assertSstError(() => listen({ tls: { cert: at(2048), verify: true } }), Exit.UNSAFE_VALUE, /2048 bytes/);
    assertSstError(() => listen({ tls: { cert: `/${'é'.repeat(1024)}`, verify: true } }), Exit.UNSAFE_VALUE);
  });
});

describe('connectAddress', () => {
  test('IPv4: the host is the name socat checks', () => {
    assert.equal(
      connect({ host: '10.0.0.2', port: 4444, tls }),
      'OPENSSL:10.0.0.2:4444,cert=/etc/mysql/cert.pem,key=/etc/mysql/key.pem,cafile=/etc/mysql/ca.pem,verify=1',
    );
  });

  test('host name', () => {
    assert.equal(
      connect({ host: 'db1.example', port: 5, tls: { cert: '/c', verify: true } }),
      'OPENSSL:db1.example:5,cert=/c,verify=1',
    );
  });

  test('IPv6 literal: brackets, and the bare address as commonname so a CN=::1 certificate matches', () => {
    assert.equal(
      connect({ host: '::1', port: 4444, ipv6: true, tls: { cert: '/c', verify: true } }),
      'OPENSSL:[::1]:4444,cert=/c,verify=1,commonname=\\:\\:1',
    );
    assert.equal(
      connect({ host: 'fe80::1', zone: 'eth0', port: 4444, ipv6: true, tls: { cert: '/c', verify: true } }),
      'OPENSSL:[fe80::1%eth0]:4444,cert=/c,verify=1,commonname=fe80\\:\\:1',
    );
  });

  test('an IPv6 literal passed without the flag is still bracketed', () => {
    assert.match(connect({ host: '::1', tls: { cert: '/c', verify: false } }), /^OPENSSL:\[::1\]:1,/);
  });

  test("commonName: '' skips the name check (needs nosni), a value replaces the host", () => {
    const base = { host: '10.0.0.2', port: 1, ipv6: false, sockopt: [] };
    assert.match(
      connect({ ...base, tls: { cert: '/c', verify: true, commonName: '' } }),
      /,verify=1,commonname=,nosni=1$/,
    );
    // socat 1.7.3 has no nosni and sends no SNI: an empty commonname alone skips its name check.
    assert.match(
      connect({ ...base, tls: { cert: '/c', verify: true, commonName: '' }, socat: { noSni: false } }),
      /,verify=1,commonname=$/,
    );
    assert.match(connect({ ...base, tls: { cert: '/c', verify: true }, socat: { noSni: false } }), /,verify=1$/);
    assert.match(
      connect({ ...base, tls: { cert: '/c', verify: true, commonName: 'db,1 x' } }),
      /,verify=1,commonname=db\\,1\\ x$/,
    );
    assert.match(
      connect({ ...base, host: '::1', ipv6: true, tls: { cert: '/c', verify: true, commonName: 'db1' } }),
      /,commonname=db1$/,
    );
  });

  test('no name options without verification', () => {
    for (const commonName of [undefined, '', 'x']) {
      assert.equal(
        connect({
          host: '::1',
          ipv6: true,
          tls: { cert: '/c', verify: false, ...(commonName === undefined ? {} : { commonName }) },
        }),
        'OPENSSL:[::1]:1,cert=/c,verify=0',
      );
    }
  });

  test('sockopt overrides verify and commonname', () => {
    assert.equal(
      connect({
        host: '10.0.0.2',
        tls: { cert: '/c', verify: true, commonName: '' },
        sockopt: parseSockopt('verify=0'),
      }),
      'OPENSSL:10.0.0.2:1,cert=/c,commonname=,nosni=1,verify=0',
    );
    assert.equal(
      connect({
        host: '10.0.0.2',
        tls: { cert: '/c', verify: true, commonName: '' },
        sockopt: parseSockopt('cn=db1,no-sni=0'),
      }),
      'OPENSSL:10.0.0.2:1,cert=/c,verify=1,cn=db1,no-sni=0',
    );
  });

  test('hostile paths', () => {
    for (const p of HOSTILE) {
      const addr = connect({ host: 'db1', tls: { cert: p, verify: true } });
      const opts = splitUnescaped(addr, ',');
      assert.equal(opts.length, 3, addr);
      assert.equal(unescapeSocat((opts[1] ?? '').slice('cert='.length)), p);
    }
  });

  test('refused hosts and ports', () => {
    assertSstError(() => connect({ host: 'db1', ipv6: true, tls }), Exit.BAD_CONFIG);
    assertSstError(() => connect({ host: '::1', zone: 'x,y', ipv6: true, tls }), Exit.BAD_CONFIG);
    assertSstError(() => connect({ host: 'db1', port: 0, tls }), Exit.BAD_CONFIG);
    assertSstError(() => connect({ host: 'db\n1', tls }), Exit.UNSAFE_VALUE);
  });
});

describe('execAddress', () => {
  /** What socat's EXEC does with the parameter: unescape once, split at unescaped spaces, unescape each. */
  function socatArgv(addr: string): string[] {
    assert.ok(addr.startsWith('EXEC:'));
    const line = unescapeSocat(addr.slice('EXEC:'.length));
    return splitUnescaped(line, ' ').map((t) => (t === '""' ? '' : unescapeSocat(t)));
  }

  test('the joiner command', () => {
    assert.equal(
      execAddress(['/usr/bin/rsync', '--server', '--daemon', '--config=/var/lib/mysql/rsync_tunnel.conf', '.']),
      'EXEC:/usr/bin/rsync\\ --server\\ --daemon\\ --config=/var/lib/mysql/rsync_tunnel.conf\\ .',
    );
  });

  test('tokens are escaped twice: once for the split, once for the address', () => {
    assert.equal(execAddress(['/bin/p', 'a b']), 'EXEC:/bin/p\\ a\\\\\\ b');
    assert.equal(execAddress(['/bin/p', 'a,b']), 'EXEC:/bin/p\\ a\\\\\\,b');
    assert.equal(execAddress(['/bin/p', '\\']), 'EXEC:/bin/p\\ \\\\\\\\');
  });

  test('an empty token is carried as ""', () => {
    assert.equal(execAddress(['/bin/p', '', 'x']), 'EXEC:/bin/p\\ \\"\\"\\ x');
    assert.deepEqual(socatArgv(execAddress(['/bin/p', '', 'x'])), ['/bin/p', '', 'x']);
  });

  test('hostile tokens survive both levels', () => {
    const argv = ['/usr/bin/rsync', '--config=/var/lib/my sql/a,b:c/rsync.conf', ...HOSTILE, '"', "'", '""', '-', ' '];
    assert.deepEqual(socatArgv(execAddress(argv)), argv);
  });

  test('no unescaped address separator at the first level', () => {
    const addr = execAddress(['/bin/p', ...HOSTILE]).slice('EXEC:'.length);
    assert.deepEqual(splitUnescaped(addr, ','), [addr]);
    assert.deepEqual(splitUnescaped(addr, ':'), [addr]);
    assert.ok(!/(?<!\\)(?:\\\\)*!!/.test(addr));
  });

  test('refused: no program, control characters (21)', () => {
    assertSstError(() => execAddress([]), Exit.UNSAFE_VALUE, /program/);
    assertSstError(() => execAddress(['']), Exit.UNSAFE_VALUE, /program/);
    assertSstError(() => execAddress(['/bin/p', 'a\nb']), Exit.UNSAFE_VALUE, /control character/);
    assertSstError(() => execAddress(['/bin/p', 'a\u0000b']), Exit.UNSAFE_VALUE, /control character/);
  });

  test('the command line socat can hold: 511 bytes after the first unescaping', () => {
    const fill = (n: number): string[] => ['/bin/p', 'a'.repeat(n - '/bin/p '.length)];
    assert.doesNotThrow(() => execAddress(fill(511)));
    assertSstError(
      () => execAddress(fill(512)),
      Exit.UNSAFE_VALUE,
      /EXEC command line: 512 bytes, socat accepts at most 511/,
    );
    // Escapes for the second level count: each comma takes two bytes.
    assertSstError(() => execAddress(['/bin/p', ',', ','.repeat(255)]), Exit.UNSAFE_VALUE, /EXEC command line/);
  });
});
