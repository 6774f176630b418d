/** `--address` parsing and formatting on generated addresses (docs/architecture.md §8.7). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Exit, SstError } from '../../../src/errors';
import {
  AUTH_CHARSET,
  DEFAULT_MODULE,
  DEFAULT_SST_PORT,
  formatHost,
  formatHostPort,
  isIpLiteral,
  parseDonorAddress,
  parseJoinerAddress,
  type HostPort,
} from '../../../src/net/address';
import { printable } from '../../helpers/arbitraries';

const RUNS = { numRuns: 500 };

const label = fc.stringMatching(/^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,20}[A-Za-z0-9_])?$/);
/** Host names as the parser defines them: labels, at least one letter or `_` or `-` somewhere, maybe a final dot. */
const hostname = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([labels, dot]) => labels.join('.') + (dot ? '.' : ''))
  .filter((h) => !/^[0-9.]+$/.test(h));
const zone = fc.stringMatching(/^[A-Za-z0-9_.-]{1,15}$/);

/** A host as parsed: the host text, its zone, and whether it is written in brackets. */
const host = fc.oneof(
  fc.oneof(fc.ipV4(), hostname, fc.domain()).map((h) => ({ host: h, ipv6: false })),
  fc
    .tuple(fc.ipV6(), fc.option(zone, { nil: undefined }))
    .map(([h, z]) => ({ host: h, ipv6: true, ...(z === undefined ? {} : { zone: z }) })),
);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const pathPart = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((p) => p !== '.' && p !== '..');

/** Address-shaped garbage: the characters that matter to the parser, in any order. */
const addressish = fc
  .array(
    fc.constantFrom(
      '[',
      ']',
      ':',
      '%',
      '@',
      '/',
      '.',
      '..',
      '1',
      '255',
      '99999',
      '0',
      'a',
      'db-1',
      '::1',
      'fe80::1',
      '-',
      ' ',
      '4444',
      'eth0',
      '_',
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));
const garbage = fc.oneof(addressish, printable, fc.string());

function accepted(parse: () => HostPort): HostPort | undefined {
  try {
    return parse();
  } catch (e) {
    assert.ok(e instanceof SstError, String(e));
    assert.ok(e.code === Exit.BAD_CONFIG || e.code === Exit.NOT_FOUND, String(e));
    return undefined;
  }
}

describe('address properties', () => {
  test('joiner: a generated host[:port] parses to its parts', () => {
    fc.assert(
      fc.property(host, port, (h, p) => {
        const text = formatHost(h) + (p === undefined ? '' : `:${p}`);
        assert.deepEqual(parseJoinerAddress(text), { ...h, port: p ?? DEFAULT_SST_PORT });
      }),
      RUNS,
    );
  });

  test('donor: [auth@]host:port/module/… parses to its parts', () => {
    const auth = fc.option(fc.stringMatching(/^[A-Za-z0-9._:-]{0,16}$/), { nil: undefined });
    fc.assert(
      fc.property(auth, host, port, fc.array(pathPart, { maxLength: 3 }), (a, h, p, path) => {
        const text =
          `${a === undefined ? '' : `${a}@`}${formatHost(h)}${p === undefined ? '' : `:${p}`}` +
          `${path.length ? `/${path.join('/')}` : ''}`;
        const parsed = parseDonorAddress(text);
        const colon = a?.indexOf(':') ?? -1;
        const expectedAuth =
          a === undefined
            ? undefined
            : colon < 0
              ? { user: a }
              : { user: a.slice(0, colon), password: a.slice(colon + 1) };
        assert.deepEqual(parsed, {
          ...h,
          port: p ?? DEFAULT_SST_PORT,
          module: path[0] ?? DEFAULT_MODULE,
          extraPath: path.slice(1),
          ...(expectedAuth === undefined ? {} : { auth: expectedAuth }),
        });
      }),
      RUNS,
    );
  });

  test('garbage: SstError or an address that formats back to itself', () => {
    fc.assert(
      fc.property(garbage, (text) => {
        for (const parse of [() => parseJoinerAddress(text), () => parseDonorAddress(text)]) {
          const h = accepted(parse);
          if (h === undefined) continue;
          assert.ok(Number.isInteger(h.port), `${text}: port ${h.port}`);
          assert.ok(h.port >= 1, `${text}: port ${h.port}`);
          assert.ok(h.port <= 65535, `${text}: port ${h.port}`);
          assert.ok(h.ipv6 ? isIpLiteral(h.host) === 6 : !h.host.startsWith('-'), `${text}: host ${h.host}`);
          assert.deepEqual(parseJoinerAddress(formatHostPort(h)), {
            host: h.host,
            ipv6: h.ipv6,
            port: h.port,
            ...(h.zone === undefined ? {} : { zone: h.zone }),
          });
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('donor credentials: accepted only in the charset mariadbd accepts, never read as the host', () => {
    fc.assert(
      fc.property(printable, (a) => {
        const parsed = accepted(() => parseDonorAddress(`${a}@10.0.0.2:4444/m`));
        if (parsed === undefined) return;
        // parseDonorAddress trims the whole address first.
        assert.ok(AUTH_CHARSET.test(a.trimStart()), a);
        assert.equal(parsed.host, '10.0.0.2');
      }),
      RUNS,
    );
  });
});
