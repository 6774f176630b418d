/**
 * Which sockopt items weaken peer verification and which ones socat would read otherwise
 * (docs/architecture.md §8.5). The spellings and their outcomes were measured with socat 1.7.3.3, 1.7.4.4 and
 * 1.8.1.3 (see src/tunnel/sockopt-policy.ts); these tables are those measurements.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Exit } from '../../../src/errors';
import { parseSockopt } from '../../../src/tunnel/socat-address';
import {
  classifySockopt,
  decodeSockoptValue,
  describeWeakening,
  resolveSockopt,
  type SockoptContext,
} from '../../../src/tunnel/sockopt-policy';
import { assertSstError } from '../../helpers/assert-sst';

const STRICT: SockoptContext = { mode: 'VERIFY_IDENTITY', caFile: '/etc/mysql/ssl/ca.pem' };

const verdict = (raw: string, ctx: SockoptContext = STRICT): ReturnType<typeof classifySockopt> =>
  classifySockopt(parseSockopt(raw), ctx);
const weakened = (raw: string, ctx: SockoptContext = STRICT): string[] =>
  verdict(raw, ctx).weakens.map((w) => w.option);

describe('decodeSockoptValue: the value socat hands on', () => {
  const table: [item: string, value: string][] = [
    ['cn=abc', 'abc'],
    ['cn=', ''],
    ['verify', ''],
    ["cn=a'b'c", 'abc'],
    ['cn=a"b"c', 'abc'],
    [`cn='a'"b"`, 'ab'],
    [`cn='a"b'`, 'a"b'],
    [`cn="a'b'c"`, "a'b'c"],
    ['cn="a(b)c"', 'a(b)c'],
    ["cn='(a'", '(a'],
    ["cn='a(b'", 'a(b'],
    ['cn=(a,b)', '(a,b)'],
    ['cn=(a\\,b)', '(a,b)'],
    ["cn=(a'b')", "(a'b')"],
    ["cn={a'b'}", "{a'b'}"],
    ['cn=[x]', '[x]'],
    ["cn='a\\'b'", "a'b"],
    ['cn="a\\"b"', 'a"b'],
    ['cn=a\\(b', 'a(b'],
    ['cn=a\\x', 'ax'],
    ['cn=\\x41', 'x41'],
    ['cn=\\e', 'e'],
    ['cn=\\u0030', 'u0030'],
    ['cn=a\\\\b', 'a\\b'],
    ['cafile=/x/a\\:b', '/x/a:b'],
    ['cipher=HIGH:!aNULL', 'HIGH:!aNULL'],
    ['verify=\\ 0', ' 0'],
    ['cn=é\\é', 'éé'],
  ];
  for (const [item, value] of table) {
    test(`${item} → ${JSON.stringify(value)}`, () => assert.deepEqual(decodeSockoptValue(item), { value }));
  }

  test('the C escapes \\0 \\a \\b \\f \\n \\r \\t \\v make a value unreadable, in quotes and brackets too', () => {
    for (const c of '0abfnrtv') {
      for (const item of [`cn=a\\${c}b`, `cn='a\\${c}b'`, `cn="\\${c}"`, `cn=(a\\${c})`]) {
        assert.deepEqual(decodeSockoptValue(item), { cEscape: `\\${c}` }, item);
      }
    }
  });
});

describe('classifySockopt: verify', () => {
  test('every spelling that socat read as verify=0 is named as weakening', () => {
    const off = [
      'verify=0',
      'VERIFY=0',
      'Verify=0',
      'openssl-verify=0',
      'OPENSSL-VERIFY=0',
      'verify=00',
      'verify=0x0',
      'verify=0X00',
      'verify=-0',
      'verify=+0',
      'verify=+00',
      'verify=-0x0',
      'verify= 0',
      'verify=\\ 0',
      "verify='0'",
      'verify="0"',
      "verify='00'",
      'verify=\\+0',
    ];
    for (const raw of off) {
      const v = verdict(`cipher=HIGH:!aNULL,${raw}`);
      assert.equal(v.refused, undefined, raw);
      assert.equal(v.verifyOff, true, raw);
      assert.deepEqual(
        v.weakens.map((w) => w.option),
        [raw],
        raw,
      );
      assert.match(
        describeWeakening(v.weakens[0]!),
        new RegExp(
          `^sockopt ${raw.replace(/[\\+()]/g, '\\$&')} weakens peer ` +
            `verification: the peer certificate is not verified at all`,
        ),
        raw,
      );
    }
  });

  test('values that keep verification on, or that socat refuses to parse, are silent', () => {
    for (const raw of [
      'verify',
      'verify=1',
      'VERIFY=1',
      'verify=2',
      'verify=-1',
      'verify=256',
      'verify=4294967296',
      'verify=0x100000000',
      'verify=08',
      'verify=0x',
      'verify=0abc',
      'verify=no',
      'verify=false',
      'verify=',
      'verify=(0)',
      'verify=0\\ ',
      "verify='0 '",
    ]) {
      const v = verdict(raw);
      assert.deepEqual(v, { weakens: [], verifyOff: false }, raw);
    }
  });

  test('C escapes before the 0 (socat: white space, so verify=0) are refused, not misread', () => {
    for (const raw of [
      ...'tnrfv'.split('').map((c) => `verify=\\${c}0`),
      "verify='\\t0'",
      'verify= \\t0',
      'verify=\\t\\n0',
      'VERIFY=\\t0',
      'openssl-verify=\\v0',
      'verify=\\00',
      'verify=\\b0',
      'verify=\\a0',
    ]) {
      const v = verdict(raw);
      assert.equal(v.verifyOff, false, raw);
      assert.match(v.refused ?? '', /control character/, raw);
    }
  });

  test('a C escape anywhere refuses the whole sockopt, whatever the option', () => {
    assert.match(
      verdict('cipher=HIGH\\n').refused ?? '',
      /^Invalid sockopt item "cipher=HIGH\\\\n": socat decodes \\n into a control character/,
    );
    assert.match(verdict('verify=0,cafile=/x\\ty').refused ?? '', /cafile/);
  });
});

describe('classifySockopt: CA, name and everything else', () => {
  test('cafile/capath: another CA weakens, the configured one is silent', () => {
    assert.deepEqual(weakened('cafile=/etc/mysql/ssl/ca.pem'), []);
    assert.deepEqual(weakened("cafile='/etc/mysql/ssl/ca.pem'"), []);
    assert.deepEqual(weakened('cafile=/other.pem'), ['cafile=/other.pem']);
    assert.deepEqual(weakened('OPENSSL-CAFILE=/other.pem'), ['OPENSSL-CAFILE=/other.pem']);
    assert.deepEqual(weakened('cafile='), ['cafile=']);
    assert.deepEqual(weakened('capath=/etc/ssl/certs'), ['capath=/etc/ssl/certs']);
    assert.deepEqual(weakened('capath=/d', { mode: 'VERIFY_CA', caPath: '/d' }), []);
    assert.match(
      verdict('cafile=/o').weakens[0]?.reason ?? '',
      /against the CA file '\/o' instead of the configured \/etc\/mysql\/ssl\/ca.pem/,
    );
    assert.match(
      verdict('capath=/d').weakens[0]?.reason ?? '',
      /issued by the CA directory '\/d' are accepted too, next to the configured \/etc\/mysql\/ssl\/ca.pem/,
    );
    assert.match(
      verdict('cafile=/o', { mode: 'VERIFY_IDENTITY' }).weakens[0]?.reason ?? '',
      /configure the CA with tca instead/,
    );
  });

  test('commonname / cn replaces the name donors check', () => {
    for (const raw of ['commonname=db1', 'cn=db1', 'CN=db1', 'openssl-commonname=db1', "cn='db1'", 'cn=d\\B1']) {
      assert.deepEqual(weakened(raw), [raw], raw);
    }
    assert.match(
      verdict('cn=db1').weakens[0]?.reason ?? '',
      /names 'db1', instead of checking the address the joiner advertised/,
    );
    assert.match(verdict('commonname=,nosni=1').weakens[0]?.reason ?? '', /do not check the joiner's certificate name/);
    assert.deepEqual(weakened('commonname=,nosni=1'), ['commonname=']);
  });

  test('an empty commonname is what VERIFY_CA does itself: silent there', () => {
    assert.deepEqual(weakened('commonname=,nosni=1', { mode: 'VERIFY_CA', caFile: '/ca' }), []);
    assert.deepEqual(weakened('cn=db1', { mode: 'VERIFY_CA', caFile: '/ca' }), ['cn=db1']);
  });

  test('silent: cipher lists, SNI, protocol versions, transport options, our own material', () => {
    for (const raw of [
      'cipher=HIGH:!aNULL',
      "cipher='HIGH:!aNULL:!MD5'",
      'ciphers=ECDHE+AESGCM',
      'nosni',
      'nosni=1',
      'no-sni=1',
      'snihost=db1',
      'openssl-snihost=x',
      'min-version=TLS1.2',
      'min-proto-version=TLS1.3',
      'openssl-min-proto-version=TLS1.1',
      'max-version=TLS1.2',
      'verify=1',
      'cert=/c.pem',
      'key=/k.pem',
      'pf=ip6',
      'keepalive',
      'nodelay',
      'compress=none',
      'dhparam=/dh.pem',
    ]) {
      assert.deepEqual(verdict(raw), { weakens: [], verifyOff: false }, raw);
    }
  });

  test('several weakening items: each is named, in order', () => {
    assert.deepEqual(weakened('cipher=HIGH,cn=x,verify=0,cafile=/o,nosni'), ['cn=x', 'verify=0', 'cafile=/o']);
  });

  test('ssl-mode=REQUIRED verifies nothing already: nothing more is named, verify=0 is still seen', () => {
    const v = verdict('verify=0,cn=x,cafile=/o', { mode: 'REQUIRED' });
    assert.deepEqual(v, { weakens: [], verifyOff: true });
    assert.match(verdict('verify=\\t0', { mode: 'REQUIRED' }).refused ?? '', /control character/);
  });
});

describe('resolveSockopt', () => {
  test('parses and judges', () => {
    const r = resolveSockopt(' verify=0 , cipher=HIGH ', STRICT);
    assert.deepEqual(r.items, ['verify=0', 'cipher=HIGH']);
    assert.equal(r.verdict.verifyOff, true);
    assert.deepEqual(resolveSockopt(undefined, STRICT), { items: [], verdict: { weakens: [], verifyOff: false } });
  });

  test('an ambiguous encoding or a syntax error ends the SST with 22', () => {
    assertSstError(
      () => resolveSockopt('verify=\\t0', STRICT),
      Exit.BAD_CONFIG,
      /^Invalid sockopt item "verify=\\\\t0": socat decodes \\t into a control character/,
    );
    assertSstError(() => resolveSockopt("cn='x", STRICT), Exit.BAD_CONFIG, /never closed/);
  });
});
