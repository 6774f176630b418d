/** The option file reader on generated and arbitrary files (docs/architecture.md §8.7). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { OptionFiles } from '../../../src/config/option-files';
import { SstError } from '../../../src/errors';

const dir = mkdtempSync(join(tmpdir(), 'option-files-property-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// Not `.cnf`: an `!includedir .` in generated text must not read the file itself again.
const file = join(dir, 'generated.conf');

function load(content: string | Uint8Array): OptionFiles {
  writeFileSync(file, content, { mode: 0o644 });
  return OptionFiles.load({ defaultsFile: file }, { cwd: dir }, []);
}

/** Pieces of my.cnf syntax, hostile ones included. */
const cnfText = fc
  .array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          '[',
          ']',
          '[sst]',
          '[mysqld]',
          '=',
          '#',
          ';',
          '"',
          "'",
          '\\',
          '\n',
          ' ',
          '\t',
          '\xa0',
          'key',
          'loose-',
          '!include ',
          '!includedir ',
          '!',
          '.',
          'é',
          '\0',
          '\r',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

/** The escapes the reader resolves in a value; everything else is written as itself. */
const ESCAPE: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b' };

/** A value written double-quoted with escapes, so that `#`, `'`, `;` and blanks at its ends survive. */
function quoted(value: string): string {
  return `"${[...value].map((c) => ESCAPE[c] ?? c).join('')}"`;
}

const valueChar = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '\n',
      '\t',
      '\r',
      '\b',
      '#',
      '"',
      "'",
      '\\',
      ';',
      '=',
      'é',
      '€',
      'à',
      '\u00a0',
      '\v',
      '\f',
    ),
  },
);
const value = fc.array(valueChar, { maxLength: 30 }).map((cs) => cs.join(''));
const key = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(?:[-_][a-z0-9]{1,6}){0,2}$/).filter((k) => !k.startsWith('loose'));
const group = fc.constantFrom('sst', 'mysqld', 'galera', 'sst.node2');
/** get() compares keys with `_` and `-` alike. */
const norm = (k: string): string => k.replace(/_/g, '-');

describe('option file properties', () => {
  test('arbitrary bytes and my.cnf-shaped text: options or SstError, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(cnfText, fc.uint8Array({ maxLength: 300 })), (content) => {
        try {
          const o = load(content);
          for (const g of ['sst', 'mysqld']) o.print([g]);
          o.get([['sst'], ['mysqld']], 'tcert');
        } catch (e) {
          assert.ok(e instanceof SstError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  test(
    'generated files read back the values written: ' + 'last one per group wins, trimmed, groups case-insensitive',
    () => {
      const entries = fc.array(
        fc.record({ group, upper: fc.boolean(), key, value, indent: fc.constantFrom('', ' ', '\t') }),
        { minLength: 1, maxLength: 8 },
      );
      fc.assert(
        fc.property(entries, (es) => {
          const text = es
            .map(
              (e) =>
                `[${e.upper ? e.group.toUpperCase() : e.group}]\n${e.indent}${e.key} = ${quoted(e.value)}  # comment\n`,
            )
            .join('');
          const o = load(text);
          for (const e of es) {
            const last = es.filter((x) => x.group === e.group && norm(x.key) === norm(e.key)).pop();
            const expected = last?.value.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
            assert.equal(
              o.get([[e.group]], e.key),
              expected === '' ? undefined : expected,
              `${e.group}/${e.key} in\n${text}`,
            );
          }
        }),
        { numRuns: 300 },
      );
    },
  );
});
