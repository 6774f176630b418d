/** parseArgs and parseMysqldArgs on generated command lines (docs/architecture.md §8.7). */
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseArgs, parseMysqldArgs } from '../../../src/cli/args';
import { SstError } from '../../../src/errors';
import { printable } from '../../helpers/arbitraries';

const WORDS = [
  '--role',
  'joiner',
  'donor',
  '--address',
  '--datadir',
  '--defaults-file',
  '--defaults-extra-file',
  '--defaults-group-suffix',
  '--parent',
  '--progress',
  '--binlog',
  '--binlog-index',
  '--gtid',
  '--gtid-domain-id',
  '--bypass',
  '--local-port',
  '--port',
  '--socket',
  '--mysqld-args',
  '-h',
  '--help',
  '-V',
  '--',
  '-',
  '--role=donor',
  '--datadir=/d',
  '--address=h:1',
  '--parent=x',
  '--port=-1',
  'check',
  '--log-bin',
  '--loose-log_bin_index',
  '--innodb-data-home-dir=/i',
  '1e3',
  '0x10',
  '',
];

const argvArb = fc.array(
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: printable }),
  { maxLength: 14 },
);

/** A value as mariadbd would pass one; `-node2` is a group suffix of its own. */
const value = fc
  .oneof(
    printable,
    printable.map((v) => `-${v}`),
    printable.map((v) => `--${v}`),
  )
  .filter((v) => v !== '');
/** In mariadbd's own argv a separate value never starts with `-` (parseMysqldArgs reads an option there). */
const mysqldValue = printable.filter((v) => v !== '' && !v.startsWith('-'));
const absDir = fc
  .array(fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => `/${parts.join('/')}/`);

/** `--name value` or `--name=value`, as either spelling reaches us. */
function option(name: string, v: string, joined: boolean): string[] {
  return joined ? [`--${name}=${v}`] : [`--${name}`, v];
}

describe('parseArgs properties', () => {
  test('arbitrary argv: a command or an SstError, never anything else', () => {
    fc.assert(
      fc.property(argvArb, (argv) => {
        try {
          const c = parseArgs(argv);
          if (c.kind === 'sst') {
            assert.ok(posix.isAbsolute(c.args.datadir), c.args.datadir);
            assert.ok(c.args.datadir === '/' || !c.args.datadir.endsWith('/'), c.args.datadir);
            assert.notEqual(c.args.address, '');
            for (const n of [c.args.parent, c.args.port, c.args.localPort])
              assert.ok(n === undefined || Number.isInteger(n));
          }
        } catch (e) {
          assert.ok(e instanceof SstError, `${String(e)} for ${JSON.stringify(argv)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('generated mariadbd command lines read back field by field', () => {
    fc.assert(
      fc.property(
        fc.record({
          role: fc.constantFrom('joiner', 'donor'),
          address: value.filter((v) => v.trim() !== ''),
          datadir: absDir,
          defaultsFile: fc.option(value, { nil: undefined }),
          groupSuffix: fc.option(value, { nil: undefined }),
          parent: fc.option(fc.integer({ min: 1, max: 4_194_304 }), { nil: undefined }),
          progress: fc.constantFrom('0', '1', '4'),
          binlog: fc.option(value, { nil: undefined }),
          gtid: fc.option(value, { nil: undefined }),
          bypass: fc.boolean(),
        }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        (f, joined) => {
          const argv = [
            ...option('role', f.role, joined[0]!),
            ...option('address', f.address, joined[1]!),
            ...option('datadir', f.datadir, joined[2]!),
            ...(f.defaultsFile === undefined ? [] : option('defaults-file', f.defaultsFile, joined[3]!)),
            ...(f.groupSuffix === undefined ? [] : option('defaults-group-suffix', f.groupSuffix, joined[4]!)),
            ...(f.parent === undefined ? [] : option('parent', String(f.parent), joined[5]!)),
            ...option('progress', f.progress, joined[6]!),
            ...(f.binlog === undefined ? [] : option('binlog', f.binlog, joined[7]!)),
            ...(f.gtid === undefined ? [] : option('gtid', f.gtid, joined[8]!)),
            ...(f.bypass ? ['--bypass'] : []),
            '--mysqld-args',
            '--wsrep_start_position=00000000-0000-0000-0000-000000000000:-1',
          ];
          const c = parseArgs(argv);
          assert.equal(c.kind, 'sst');
          if (c.kind !== 'sst') return;
          const a = c.args;
          assert.equal(a.role, f.role);
          assert.equal(a.address, f.address.trim());
          assert.equal(a.datadir, posix.resolve(f.datadir));
          assert.equal(a.defaultsFile, f.defaultsFile);
          assert.equal(a.defaultsGroupSuffix, f.groupSuffix);
          assert.equal(a.parent, f.parent);
          assert.equal(a.progress, f.progress !== '0');
          assert.equal(a.binlog, f.binlog);
          assert.equal(a.gtid, f.gtid);
          assert.equal(a.bypass, f.bypass);
          assert.deepEqual(a.mysqld, {});
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a separate value starting with `-` is the value, as upstream reads it (found by the property above)', () => {
    const c = parseArgs([
      '--role',
      'joiner',
      '--address',
      'h:1',
      '--datadir',
      '/d/',
      '--defaults-group-suffix',
      '-node2',
      '--binlog',
      '--x',
    ]);
    assert.ok(c.kind === 'sst');
    assert.equal(c.args.defaultsGroupSuffix, '-node2');
    assert.equal(c.args.binlog, '--x');
  });

  test('parseMysqldArgs: arbitrary tokens never throw; the last layout option of each spelling wins', () => {
    fc.assert(
      fc.property(argvArb, (tokens) => {
        parseMysqldArgs(tokens);
      }),
      { numRuns: 500 },
    );
    const spellings = (name: string): fc.Arbitrary<(v: string) => string[]> =>
      fc.constantFrom(
        (v: string) => [`--${name}=${v}`],
        (v: string) => [`--loose-${name}=${v}`],
        (v: string) => [`--${name.replace(/-/g, '_')}=${v}`],
        (v: string) => [`--${name}`, v],
      );
    fc.assert(
      fc.property(
        mysqldValue,
        mysqldValue,
        spellings('innodb-data-home-dir'),
        spellings('aria-log-dir-path'),
        (a, b, first, second) => {
          const out = parseMysqldArgs(['--wsrep-on=1', ...first(a), ...second(b), '--skip-grant-tables']);
          assert.equal(out.innodbDataHomeDir, a);
          assert.equal(out.ariaLogDirPath, b);
        },
      ),
      { numRuns: 500 },
    );
  });
});
