import assert from 'node:assert/strict';
import { SstError } from '../../src/errors';

/** `fn` throws an SstError with `code`; a string message must be equal, a RegExp must match. */
export function assertSstError(fn: () => unknown, code: number, message?: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SstError, `expected SstError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}
