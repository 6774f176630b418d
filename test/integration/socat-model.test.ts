/**
 * The socat lexing model of the property tests (test/helpers/socat-model.ts) against the real
 * socat on PATH and those of ../shared/compat/bin (SST_COMPAT_BIN), 30 generated cases per
 * property and build (docs/architecture.md §8.7):
 *  - an option value built by socatValue(), as `socat -d -d -d -d` logs it (`setting option
 *    "openssl-commonname" to "…"`, before it connects to 127.0.0.1:1, refused at once), is the
 *    value the model reads and the value we meant;
 *  - an EXEC address built by execAddress() runs printf with exactly the argv we meant, and the
 *    model predicts it;
 *  - arbitrary sockopt items: the model and socat agree on the value whenever socat accepts it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { execAddress, parseSockopt, socatValue } from '../../src/tunnel/socat-address';
import { printable, socatText } from '../helpers/arbitraries';
import { execArgv, lexAddress } from '../helpers/socat-model';
import { toolSkip } from '../helpers/tool-skip';
import { compatBin } from '../helpers/compat-bin';

const COMPAT_BIN = compatBin();
const BINARIES = [
  ...(spawnSync('socat', ['-V']).status === 0 ? ['socat'] : []),
  ...(existsSync(COMPAT_BIN)
    ? readdirSync(COMPAT_BIN)
        .filter((f) => f.startsWith('socat-'))
        .sort()
        .map((f) => join(COMPAT_BIN, f))
    : []),
];
const SKIP = toolSkip(
  'socat model against the real socat',
  BINARIES.length === 0 && 'no socat on PATH and no compat binaries',
);
const PRINTF = '/usr/bin/printf';
const RUNS = { numRuns: 30 };

/** What socat set the commonname option to, or undefined when it refused the address. */
function socatReads(socat: string, item: string): string | undefined {
  const r = spawnSync(socat, ['-d', '-d', '-d', '-d', '/dev/null', `OPENSSL:127.0.0.1:1,${item}`], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const m = /setting option "openssl-commonname" to "(.*)"$/m.exec(r.stderr);
  return m === null ? undefined : m[1];
}

/** The argv socat's EXEC gave the program: printf prints each argument NUL-terminated. */
function execReads(socat: string, address: string): string[] {
  const r = spawnSync(socat, ['-u', address, 'STDOUT'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

describe('socat model against the real socat', { skip: SKIP }, () => {
  for (const socat of BINARIES) {
    test(`${socat}: socatValue(v) as an option value: socat, the model and v agree`, () => {
      fc.assert(
        fc.property(printable, (v) => {
          const item = `cn=${socatValue(v)}`;
          assert.equal(socatReads(socat, item), v, item);
          assert.deepEqual(lexAddress(`OPENSSL:127.0.0.1:1,${item}`).options, [['cn', v]]);
        }),
        RUNS,
      );
    });

    test(`${socat}: execAddress(argv): the program gets argv, as the model predicts`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 6, arbitrary: printable }), {
            maxLength: 5,
          }),
          (args) => {
            // A first argument of our own: printf with none prints its format once anyway.
            const argv = [PRINTF, '%s\\0', 'first', ...args];
            const address = execAddress(argv);
            assert.deepEqual(execArgv(address), argv);
            assert.deepEqual(execReads(socat, address), ['first', ...args], address);
          },
        ),
        RUNS,
      );
    });

    test(`${socat}: arbitrary sockopt text: where socat accepts a commonname value, the model reads the same`, () => {
      let compared = 0;
      fc.assert(
        fc.property(socatText, (text) => {
          let items: string[];
          try {
            items = parseSockopt(`cn=${text}`);
          } catch {
            return;
          }
          const item = items[0];
          if (item === undefined || !item.startsWith('cn=') || items.length !== 1) return;
          const value = lexAddress(`OPENSSL:127.0.0.1:1,${item}`).options[0]?.[1];
          // socat's log shows a C-escaped control character raw; the line match covers printable values.
          if (value === undefined || /[\0-\x1f\x7f]/.test(value)) return;
          const read = socatReads(socat, item);
          if (read === undefined) return;
          compared++;
          assert.equal(value, read, item);
        }),
        RUNS,
      );
      assert.ok(compared > 0, 'no generated value reached socat');
    });
  }
});
