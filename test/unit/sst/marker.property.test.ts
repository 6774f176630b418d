/**
 * The completion marker and the state line of tables_flushed (docs/architecture.md §8.7): both are read with
 * isState, the marker by parseMarker, tables_flushed by the donor as its first line, trimmed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Exit, SstError } from '../../../src/errors';
import { isState, type Marker, parseMarker, renderMarker } from '../../../src/sst/marker';
import { printable } from '../../helpers/arbitraries';

const RUNS = { numRuns: 500 };

const uuid = fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase()));
const seqno = fc.oneof(fc.constant(-1), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })).map(String);
const domain = fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined });
/** `UUID:seqno[ domain]`, as mariadbd writes it in tables_flushed and we print it. */
const state = fc.tuple(uuid, seqno, domain).map(([u, s, d]) => `${u}:${s}${d === undefined ? '' : ` ${d}`}`);
/** The secret is ours (hex), but any text without blanks at its ends and without a line break must survive. */
const secret = printable.map((s) => s.trim()).filter((s) => s !== '');

const markerText = fc
  .array(fc.oneof(state, fc.constantFrom('secret ', 'secret x', 'bypass', ' bypass ', '', '\r', ':'), printable), {
    maxLength: 5,
  })
  .map((l) => l.join('\n'));

/** What the donor does with tables_flushed: the first line, trimmed; a line with `:` must be a state. */
function tablesFlushed(content: string): string | undefined {
  const line = content.split('\n')[0]?.trim();
  return line?.includes(':') && isState(line) ? line : undefined;
}

describe('marker properties', () => {
  test('renderMarker → parseMarker is the identity', () => {
    fc.assert(
      fc.property(state, fc.option(secret, { nil: undefined }), fc.boolean(), (st, sec, bypass) => {
        const m = { state: st, ...(sec === undefined ? {} : { secret: sec }), bypass };
        assert.deepEqual(parseMarker(renderMarker(m)), { state: st, secret: sec, bypass });
      }),
      RUNS,
    );
  });

  test('arbitrary text: SstError 32, or a marker that renders and parses back to itself', () => {
    fc.assert(
      fc.property(fc.oneof(markerText, fc.string()), (text) => {
        let m: Marker;
        try {
          m = parseMarker(text);
        } catch (e) {
          assert.ok(e instanceof SstError, String(e));
          assert.equal(e.code, Exit.ABORTED, String(e));
          return;
        }
        assert.ok(isState(m.state), m.state);
        const again = parseMarker(renderMarker(m));
        // An empty secret line (`secret ` alone) reads as '', which renders as no secret.
        assert.deepEqual(again, { ...m, secret: m.secret === '' ? undefined : m.secret });
      }),
      { numRuns: 1000 },
    );
  });

  test('isState: exactly UUID:seqno[ domain], nothing around it', () => {
    fc.assert(
      fc.property(state, fc.constantFrom(' ', '\n', '\r', '\t', 'x', ':', '  1'), fc.boolean(), (st, extra, before) => {
        assert.ok(isState(st));
        assert.ok(!isState(before ? extra + st : st + extra), JSON.stringify(before ? extra + st : st + extra));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(printable, (text) => {
        if (isState(text)) assert.match(text, /^[0-9a-f-]{36}:-?[0-9]+( [0-9]+)?$/i);
      }),
      RUNS,
    );
  });

  test("tables_flushed: mariadbd's line is found whatever follows it; no other first line is taken for a state", () => {
    fc.assert(
      fc.property(state, fc.constantFrom('\n', '\r\n', ' \n', ''), fc.string(), (st, end, rest) => {
        assert.equal(tablesFlushed(st + end + (end === '' ? '' : rest)), st);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string(), (content) => {
        const found = tablesFlushed(content);
        if (found !== undefined) assert.equal(found, content.split('\n')[0]?.trim());
      }),
      RUNS,
    );
  });
});
