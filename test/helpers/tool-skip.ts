import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findOnPath } from './binary';

/** CI runners set CI=true; there scripts/install-deps.sh has installed every program the tests need. */
const underCi = process.env.CI === 'true';

/** `${name} is not installed` when `name` is not on PATH, else false: the `missing` of toolSkip(). */
export function missingProgram(name: string): string | false {
  return findOnPath(name) === undefined ? `${name} is not installed` : false;
}

/**
 * The `skip` option of the tests that need a program, given why it is missing (or false when it is
 * there). Locally a missing program prints one SKIP line and skips them; under CI it also adds one
 * failing test that names it, so a runner without the program cannot go green by skipping. The
 * tests themselves are skipped either way: they would only fail for the same reason, less clearly.
 */
export function toolSkip(what: string, missing: string | false): string | false {
  if (missing === false) return false;
  if (underCi) {
    test(`${what}: the program is installed (CI=true)`, () => {
      assert.fail(`${missing}: under CI (CI=true) a missing program fails these tests instead of skipping them`);
    });
  } else {
    console.log(`SKIP ${what}: ${missing}`);
  }
  return missing;
}
