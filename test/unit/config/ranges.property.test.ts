/**
 * docs/architecture.md §8.10 (6): every number of the option files and of mariadbd's command line has a
 * documented range (src/config/ranges.ts); whatever text comes, the program either gets a number
 * inside that range or refuses with 22 and one line naming the key, the value and the range.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseArgs } from '../../../src/cli/args';
import {
  describeRule,
  NUMBER_RULES,
  parseNumber,
  PARENT,
  PORT,
  LOCAL_PORT,
  PROGRESS,
  GTID_DOMAIN_ID,
  type NumberRule,
} from '../../../src/config/ranges';
import { SstError } from '../../../src/errors';
import {
  parseRate,
  resolveBackupThreads,
  resolveMaxBinlogs,
  resolveProgressInterval,
  resolveTimeouts,
  type Lookup,
} from '../../../src/config/settings';
import { nextDeadline } from '../../../src/sst/transfer-monitor';
import { printable } from '../../helpers/arbitraries';

const RUNS = { numRuns: 500 };

/** Number-shaped text, hostile forms included: signs, fractions, exponents, hex, huge and tiny. */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom(
    '0',
    '-0',
    '+1',
    '0.0000001',
    '1e-7',
    '1e3',
    '0x10',
    '00',
    ' 7 ',
    '1.',
    '.5',
    'Infinity',
    'NaN',
    '',
    '4194305',
    '65536',
    '86401',
    '604801',
  ),
  printable,
);

/** True if `rule` accepts `v`, written independently of the code under test. */
function accepts(rule: NumberRule, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (v === 0 && rule.zero !== undefined) return true;
  return v >= rule.min && v <= rule.max && (!rule.whole || Number.isInteger(v));
}

/** The one refusal every rule gives. */
function assertRefusal(e: unknown, rule: NumberRule, raw: string): void {
  assert.ok(e instanceof SstError, String(e));
  assert.equal(e.code, 22);
  assert.equal(e.message, `${rule.name}=${raw}: must be ${describeRule(rule)}`);
}

const sst =
  (key: string, value: string): Lookup =>
  (sets, k) =>
    k === key && sets.some((s) => s.includes('sst')) ? value : undefined;

describe('numeric ranges: properties', () => {
  test('every rule, any text: a number the rule accepts, or 22 naming the key, the value and the range', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMBER_RULES), numberText, (rule, raw) => {
        let value: number;
        try {
          value = parseNumber(rule, raw);
        } catch (e) {
          assertRefusal(e, rule, raw);
          return;
        }
        assert.ok(accepts(rule, value), `${rule.name}: ${raw} → ${value}`);
      }),
      { numRuns: 3000 },
    );
  });

  test('every rule: each number inside its range is accepted as written, each one outside is refused', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NUMBER_RULES),
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        fc.boolean(),
        (rule, x, round) => {
          const v = round || rule.whole ? Math.round(x) : x;
          const raw = String(v);
          if (/e/i.test(raw)) return;
          if (accepts(rule, v)) assert.ok(parseNumber(rule, raw) === v, `${rule.name}=${raw}`);
          else
            assert.throws(
              () => parseNumber(rule, raw),
              (e: unknown) => {
                assertRefusal(e, rule, raw);
                return true;
              },
            );
        },
      ),
      { numRuns: 3000 },
    );
    for (const rule of NUMBER_RULES) {
      for (const v of [rule.min, rule.max]) assert.equal(parseNumber(rule, String(v)), v, rule.name);
      for (const v of [rule.min - (rule.whole ? 1 : 0.001), rule.max + (rule.whole ? 1 : 0.001)]) {
        if (v === 0 && rule.zero !== undefined) continue;
        assert.throws(() => parseNumber(rule, String(v)), SstError, `${rule.name}=${v}`);
      }
    }
  });

  test('the option file keys: only values inside the documented ranges reach the SST', () => {
    fc.assert(
      fc.property(numberText, (raw) => {
        const checks: [string, () => number][] = [
          ['progress-interval', () => resolveProgressInterval(sst('progress-interval', raw))],
          ['sst-initial-timeout', () => resolveTimeouts(sst('sst-initial-timeout', raw)).initial],
          ['sst-idle-timeout', () => resolveTimeouts(sst('sst-idle-timeout', raw)).idle],
          ['backup-threads', () => resolveBackupThreads(sst('backup-threads', raw), ['mysqld'], 4, () => undefined)],
          ['sst-max-binlogs', () => resolveMaxBinlogs(sst('sst-max-binlogs', raw), ['mysqld'])],
        ];
        for (const [key, read] of checks) {
          const rule = NUMBER_RULES.find((r) => r.name === key)!;
          let value: number;
          try {
            value = read();
          } catch (e) {
            assertRefusal(e, rule, raw.trim());
            continue;
          }
          if (raw.trim() === '') continue;
          // backup-threads above 8 are cut to 8, inside the range all the same.
          assert.ok(accepts(rule, value), `${key}=${raw} → ${value}`);
        }
      }),
      RUNS,
    );
  });

  test('rlimit: 0, or a whole number of bytes per second from 64 KiB to 100 GiB, whatever the suffix', () => {
    const rateText = fc.tuple(
      fc.oneof(numberText, fc.double({ min: 0, max: 2e5, noNaN: true }).map(String)),
      fc.constantFrom('', 'k', 'M', 'g', 'kb', 'MiB', 't', ' k'),
    );
    fc.assert(
      fc.property(rateText, ([n, unit]) => {
        const raw = `${n}${unit}`;
        let rate: number;
        try {
          rate = parseRate(raw);
        } catch (e) {
          assert.ok(e instanceof SstError, String(e));
          assert.equal(e.code, 22, String(e));
          assert.match(e.message, /^rlimit=.*: must be 0 \(no limit\) or a rate in bytes per second from 64k to 100g/);
          assert.doesNotMatch(e.message, /\n/);
          return;
        }
        assert.ok(
          rate === 0 || (Number.isInteger(rate) && rate >= 64 * 1024 && rate <= 100 * 1024 ** 3),
          `${raw} → ${rate}`,
        );
      }),
      { numRuns: 2000 },
    );
  });

  test("mariadbd's argv numbers: inside their ranges or 22", () => {
    const base = ['--role', 'joiner', '--address', '10.0.0.2:4444', '--datadir', '/var/lib/mysql/'];
    const options: [NumberRule, string, (a: ReturnType<typeof sstArgs>) => unknown][] = [
      [PARENT, '--parent', (a) => a.parent],
      [PORT, '--port', (a) => a.port],
      [LOCAL_PORT, '--local-port', (a) => a.localPort],
      [PROGRESS, '--progress', (a) => a.progress],
      [GTID_DOMAIN_ID, '--gtid-domain-id', (a) => a.gtidDomainId],
    ];
    function sstArgs(argv: string[]): Extract<ReturnType<typeof parseArgs>, { kind: 'sst' }>['args'] {
      const c = parseArgs(argv);
      assert.equal(c.kind, 'sst');
      return (c as Extract<typeof c, { kind: 'sst' }>).args;
    }
    fc.assert(
      fc.property(
        fc.constantFrom(...options),
        numberText.filter((t) => !t.startsWith('-') || /^-\d/.test(t)),
        fc.boolean(),
        ([rule, flag, pick], raw, joined) => {
          const argv = [...base, ...(joined ? [`${flag}=${raw}`] : [flag, raw])];
          let got: unknown;
          try {
            got = pick(sstArgs(argv));
          } catch (e) {
            assertRefusal(e, rule, raw);
            return;
          }
          if (raw.trim() === '') return;
          const n = Number(raw.trim()) + 0;
          assert.ok(accepts(rule, n), `${flag}=${raw} accepted`);
          if (rule === PROGRESS) assert.equal(got, n !== 0);
          else if (rule === GTID_DOMAIN_ID) assert.equal(got, String(n));
          else assert.equal(got, n);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('the next progress line is always after now, however small the interval (no step can fail to advance)', () => {
    const now = fc.double({ min: 0, max: 4e12, noNaN: true });
    const every = fc.oneof(
      fc.double({ min: Number.MIN_VALUE, max: 1e9, noNaN: true }),
      fc.constantFrom(1e-300, 1e-7, 1e-4, 0.1, 1000, 86_400_000),
    );
    fc.assert(
      fc.property(now, fc.double({ min: 0, max: 1e12, noNaN: true }), every, (t, behind, e) => {
        const deadline = t - behind;
        const next = nextDeadline(deadline, t, e);
        assert.ok(Number.isFinite(next), `${deadline} + k×${e} after ${t}: ${next}`);
        assert.ok(next > t, `${deadline} + k×${e} after ${t}: ${next}`);
        // A usable interval keeps its rhythm: the first deadline after now, not later.
        if (e >= 1) assert.ok(next - t <= e * (1 + 1e-9) + 1e-3, `${next} - ${t} > ${e}`);
      }),
      { numRuns: 3000 },
    );
  });
});
