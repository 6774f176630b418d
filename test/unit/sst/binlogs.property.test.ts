/** Binary log names and index entries the joiner accepts from a donor (docs/architecture.md §8.7). */
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { binlogNameProblem, indexEntryProblem, tailOfIndex } from '../../../src/sst/binlogs';
import type { BinlogSettings } from '../../../src/config/settings';
import { printable } from '../../helpers/arbitraries';

const RUNS = { numRuns: 1000 };
const DATADIR = '/var/lib/mysql';
const SETTINGS: BinlogSettings[] = [
  { dir: DATADIR, indexPrefix: '.', basename: 'mysql-bin', index: `${DATADIR}/mysql-bin.index` },
  {
    dir: '/var/log/binlogs',
    indexPrefix: '/var/log/binlogs',
    basename: 'galera',
    index: '/var/log/binlogs/galera.index',
  },
];

/** Path-shaped pieces, hostile ones included. */
const entry = fc
  .array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          '..',
          '.',
          '/',
          '//',
          'mysql-bin',
          'galera',
          '.000001',
          '.1',
          '.',
          ' ',
          '\n',
          '\0',
          './',
          '../',
          DATADIR,
          '/var/log/binlogs',
          'x',
        ),
      },
      { weight: 1, arbitrary: printable },
    ),
    {
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(''));

const stem = printable.map((s) => s.trim()).filter((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('/'));

describe('binlog name properties', () => {
  test('a name accepted is <stem>.<digits>, one plain component that stays inside its directory', () => {
    fc.assert(
      fc.property(fc.oneof(entry, fc.string()), (name) => {
        if (binlogNameProblem(name) !== undefined) return;
        assert.match(name, /^[^/\0-\x1f\x7f]+\.[0-9]+$/);
        assert.equal(name, name.trim());
        assert.ok(Buffer.byteLength(name) <= 255);
        for (const dir of SETTINGS.map((s) => s.dir)) {
          const file = posix.join(dir, name);
          assert.equal(posix.dirname(file), dir, name);
          assert.equal(posix.basename(file), name);
        }
      }),
      RUNS,
    );
  });

  test('every <stem>.<digits> that fits is accepted, whatever the stem', () => {
    fc.assert(
      fc.property(stem, fc.stringMatching(/^[0-9]{1,7}$/), (s, digits) => {
        const name = `${s}.${digits}`;
        assert.equal(
          binlogNameProblem(name),
          Buffer.byteLength(name) > 255 ? 'it is longer than 255 bytes' : undefined,
          name,
        );
      }),
      RUNS,
    );
  });

  test('an index entry accepted resolves to a binlog directly inside the binlog directory', () => {
    fc.assert(
      fc.property(fc.oneof(entry, fc.string()), fc.constantFrom(...SETTINGS), (e, settings) => {
        if (indexEntryProblem(e, settings, DATADIR) !== undefined) return;
        const resolved = posix.resolve(DATADIR, e);
        assert.equal(posix.dirname(resolved), settings.dir, e);
        assert.equal(binlogNameProblem(posix.basename(resolved)), undefined, e);
      }),
      RUNS,
    );
  });

  test('tailOfIndex: the last max entries in order, none for 0, all for a negative max', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 20 }), fc.integer({ min: -3, max: 25 }), (entries, max) => {
        const tail = tailOfIndex(entries, max);
        const expected = max === 0 ? [] : max < 0 ? entries : entries.slice(Math.max(0, entries.length - max));
        assert.deepEqual(tail, expected);
      }),
      RUNS,
    );
  });
});
