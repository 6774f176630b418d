/**
 * The sockopt policy's reading of option values against the real socat builds: the system socat
 * and those of ../shared/compat/bin (SST_COMPAT_BIN). `socat -d -d -d -d` logs
 * `setting option "openssl-commonname" to "…"` for every option it parsed, before it connects (to
 * 127.0.0.1:1, refused at once), so each spelling shows how that build decodes it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseSockopt } from '../../src/tunnel/socat-address';
import { classifySockopt, decodeSockoptValue } from '../../src/tunnel/sockopt-policy';
import { toolSkip } from '../helpers/tool-skip';
import { compatBin } from '../helpers/compat-bin';

const COMPAT_BIN = compatBin();

function socats(): string[] {
  const system = spawnSync('socat', ['-V']).status === 0 ? ['socat'] : [];
  const compat = existsSync(COMPAT_BIN)
    ? readdirSync(COMPAT_BIN)
        .filter((f) => f.startsWith('socat-'))
        .sort()
        .map((f) => join(COMPAT_BIN, f))
    : [];
  return [...system, ...compat];
}

const BINARIES = socats();
const SKIP = toolSkip(
  'sockopt against the real socat',
  BINARIES.length === 0 && 'no socat on PATH and no compat binaries',
);

/** What `socat` set the option of `item` to, or undefined when it refused the value. */
function socatReads(socat: string, item: string): string | undefined {
  const r = spawnSync(socat, ['-d', '-d', '-d', '-d', '/dev/null', `OPENSSL:127.0.0.1:1,${item}`], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const m = /setting option "openssl-[a-z-]+" to (?:"(.*)"|(\d+))$/m.exec(r.stderr);
  return m === null ? undefined : (m[1] ?? m[2]);
}

const STRINGS = [
  'cn=abc',
  "cn=a'b'c",
  'cn=a"b"c',
  `cn='a'"b"`,
  `cn='a"b'`,
  `cn="a'b'c"`,
  'cn="a(b)c"',
  "cn='(a'",
  'cn=(a,b)',
  'cn=(a\\,b)',
  "cn=(a'b')",
  "cn={a'b'}",
  'cn=[x]',
  "cn='a\\'b'",
  'cn="a\\"b"',
  'cn=a\\(b',
  'cn=a\\x',
  'cn=\\x41',
  'cn=\\e',
  'cn=a\\\\b',
  'cn=\\ a',
  'cafile=/x/a\\:b',
  'cafile=/x/é\\é',
];

const BOOLEANS = [
  'verify=0',
  'VERIFY=0',
  'openssl-verify=00',
  'verify=0x0',
  'verify=-0',
  'verify=+00',
  'verify=\\ 0',
  "verify='0'",
  'verify="0"',
  'verify=1',
  'verify=-1',
  'verify=4294967296',
  'verify=08',
  'verify=0x',
  'verify=(0)',
  'verify=0\\ ',
  'verify=no',
];

/** Spellings socat reads as verify=0 through a C escape: the policy refuses them instead of guessing. */
const C_ESCAPED = [
  'verify=\\t0',
  'verify=\\n0',
  'verify=\\r0',
  'verify=\\f0',
  'verify=\\v0',
  "verify='\\t0'",
  'verify= \\t0',
];

describe('sockopt values as the real socat reads them', { skip: SKIP }, () => {
  for (const socat of BINARIES) {
    test(`${socat}: string values decode as the policy decodes them`, () => {
      for (const item of STRINGS) {
        assert.deepEqual(parseSockopt(item), [item], item);
        assert.deepEqual(decodeSockoptValue(item), { value: socatReads(socat, item) }, item);
      }
    });

    test(`${socat}: verify is off exactly when the policy says so`, () => {
      for (const item of BOOLEANS) {
        const read = socatReads(socat, item);
        assert.equal(
          classifySockopt(parseSockopt(item), { mode: 'VERIFY_IDENTITY' }).verifyOff,
          read === '0',
          `${item}: socat read ${read}`,
        );
      }
    });

    test(`${socat}: C escapes that socat reads as verify=0 are refused`, () => {
      for (const item of C_ESCAPED) {
        assert.equal(socatReads(socat, item), '0', item);
        assert.match(
          classifySockopt(parseSockopt(item), { mode: 'VERIFY_IDENTITY' }).refused ?? '',
          /control character/,
          item,
        );
      }
    });
  }
});
