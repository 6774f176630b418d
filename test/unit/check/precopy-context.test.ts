/** `check` shows the precopy setting among its context lines, and fails the numbers item on a refused value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numbersItem, precopyContext } from '../../../src/check/numbers';
import type { Lookup } from '../../../src/config/settings';

const lookup =
  (sst: Record<string, string>): Lookup =>
  (groups, key) =>
    groups.some((g) => g.includes('sst')) ? sst[key] : undefined;

test('precopy context: on by default, on/verify with the rounds, off, nothing when refused', () => {
  assert.equal(precopyContext(lookup({})), 'on, at most 2 online rounds before the lock');
  assert.equal(precopyContext(lookup({ precopy: 'off' })), 'off (the whole copy under the lock)');
  assert.equal(precopyContext(lookup({ precopy: 'on' })), 'on, at most 2 online rounds before the lock');
  assert.equal(
    precopyContext(lookup({ precopy: 'verify', 'precopy-rounds': '1' })),
    'verify, at most 1 online round before the lock',
  );
  assert.equal(precopyContext(lookup({ precopy: 'maybe' })), undefined);
});

test('numbers item: a refused precopy value fails it with the reason', () => {
  const it = numbersItem(lookup({ precopy: 'maybe' }), []);
  assert.equal(it.status, 'FAIL');
  assert.match(it.detail, /precopy=maybe: must be on, off or verify/);
  assert.equal(numbersItem(lookup({ precopy: 'on', 'precopy-rounds': '3' }), []).status, 'PASS');
});
