/**
 * Round trips through socat's lexing (docs/architecture.md §8.7): whatever we put into an address is what socat
 * reads back, per the model in test/helpers/socat-model.ts (itself checked against the real
 * socat in test/integration/socat-model.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Exit, SstError } from '../../../src/errors';
import {
  connectAddress,
  execAddress,
  listenAddress,
  parseSockopt,
  socatValue,
} from '../../../src/tunnel/socat-address';
import { decodeSockoptValue } from '../../../src/tunnel/sockopt-policy';
import { execArgv, lexAddress } from '../../helpers/socat-model';
import { printable, socatText } from '../../helpers/arbitraries';

const RUNS = { numRuns: 500 };

function isSstError(err: unknown, code?: number): boolean {
  return err instanceof SstError && (code === undefined || err.code === code);
}

const tls = (cert: string, key: string, caFile: string) => ({ cert, key, caFile, verify: true });

describe('socat address round trips (model)', () => {
  test('socatValue: an option value reads back unchanged, between other options', () => {
    fc.assert(
      fc.property(printable, (v) => {
        const lexed = lexAddress(`OPENSSL:h:1,cn=${socatValue(v)},verify=1`);
        assert.deepEqual(lexed.params, ['OPENSSL', 'h', '1']);
        assert.deepEqual(lexed.options, [
          ['cn', v],
          ['verify', '1'],
        ]);
        assert.equal(lexed.second, undefined);
      }),
      RUNS,
    );
  });

  test('socatValue: the policy decodes the escaped value as the model does', () => {
    fc.assert(
      fc.property(printable, (v) => {
        assert.deepEqual(decodeSockoptValue(`cn=${socatValue(v)}`), { value: v });
      }),
      RUNS,
    );
  });

  test('connectAddress: host, port and TLS files read back; control characters and oversize are SstError 21', () => {
    const host = printable.filter((h) => h !== '' && !h.includes(':'));
    fc.assert(
      fc.property(
        host,
        fc.integer({ min: 1, max: 65535 }),
        printable,
        printable,
        printable,
        (h, port, cert, key, ca) => {
          const address = connectAddress({ host: h, port, ipv6: false, tls: tls(cert, key, ca), sockopt: [] });
          const lexed = lexAddress(address);
          assert.deepEqual(lexed.params, ['OPENSSL', h, String(port)]);
          assert.deepEqual(lexed.options, [
            ['cert', cert],
            ['key', key],
            ['cafile', ca],
            ['verify', '1'],
          ]);
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.constantFrom('\n', '\0', '\x1b', '\x7f', '\r'),
        (text, control) => {
          const bad = text + control;
          assert.throws(
            () => connectAddress({ host: 'h', port: 1, ipv6: false, tls: tls(bad, 'k', 'c'), sockopt: [] }),
            (e) => isSstError(e, Exit.UNSAFE_VALUE),
          );
        },
      ),
      { numRuns: 100 },
    );
    assert.throws(
      () => connectAddress({ host: 'h', port: 1, ipv6: false, tls: tls('x'.repeat(2048), 'k', 'c'), sockopt: [] }),
      (e) => isSstError(e, Exit.UNSAFE_VALUE),
    );
  });

  test('connectAddress/listenAddress: a user sockopt item keeps its decoded value; ours it names are replaced', () => {
    fc.assert(
      fc.property(printable, fc.boolean(), (v, listen) => {
        const sockopt = [`cipher=${socatValue(v)}`, 'verify=0'];
        const t = tls('/c', '/k', '/ca');
        const address = listen
          ? listenAddress({ port: 4444, ipv6: false, tls: t, sockopt })
          : connectAddress({ host: '127.0.0.1', port: 4444, ipv6: false, tls: t, sockopt });
        const options = lexAddress(address).options;
        assert.deepEqual(
          options.filter(([n]) => n === 'cipher'),
          [['cipher', v]],
        );
        assert.deepEqual(
          options.filter(([n]) => n === 'verify'),
          [['verify', '0']],
        );
      }),
      RUNS,
    );
  });

  test('execAddress: every argv token reaches the program unchanged, or SstError 21', () => {
    const token = fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 6, arbitrary: printable });
    fc.assert(
      fc.property(
        printable.filter((p) => p !== ''),
        fc.array(token, { maxLength: 6 }),
        (program, rest) => {
          const argv = [program, ...rest];
          let address: string;
          try {
            address = execAddress(argv);
          } catch (e) {
            // Only the 511-byte limit of socat's parameter may refuse printable tokens.
            assert.ok(isSstError(e, Exit.UNSAFE_VALUE), String(e));
            assert.match((e as Error).message, /at most 511/);
            return;
          }
          assert.deepEqual(execArgv(address), argv);
        },
      ),
      RUNS,
    );
  });

  test('parseSockopt: arbitrary text gives items or SstError 22; the items re-parse to themselves', () => {
    fc.assert(
      fc.property(socatText, (raw) => {
        let items: string[];
        try {
          items = parseSockopt(raw);
        } catch (e) {
          assert.ok(isSstError(e, Exit.BAD_CONFIG), String(e));
          return;
        }
        assert.deepEqual(parseSockopt(items.join(',')), items);
        for (const item of items) {
          // Each item is one socat option: the model sees no second address and no extra option.
          const lexed = lexAddress(`OPENSSL:h:1,${item}`);
          assert.equal(lexed.second, undefined, item);
          assert.equal(lexed.options.length, 1, item);
          const decoded = decodeSockoptValue(item);
          if ('value' in decoded && item.includes('=')) assert.equal(lexed.options[0]?.[1], decoded.value, item);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
