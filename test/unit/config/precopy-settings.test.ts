/** docs/protocol.md §3.3.1: `[sst] precopy` and `precopy-rounds`, refused with 22 as the other keys are. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolvePrecopy, type Lookup } from '../../../src/config/settings';
import { Exit, SstError } from '../../../src/errors';

const lookup =
  (sst: Record<string, string>): Lookup =>
  (groups, key) =>
    groups.some((g) => g.includes('sst')) ? sst[key] : undefined;
const refused = (sst: Record<string, string>, message: RegExp): void => {
  assert.throws(
    () => resolvePrecopy(lookup(sst)),
    (e: unknown) => e instanceof SstError && e.code === Exit.BAD_CONFIG && message.test(e.message),
  );
};

describe('precopy settings', () => {
  test('unset: on (the default since 0.5.0), 2 rounds', () => {
    assert.deepEqual(resolvePrecopy(lookup({})), { mode: 'on', rounds: 2 });
  });
  test('on, off, verify, any case, blanks around', () => {
    assert.equal(resolvePrecopy(lookup({ precopy: 'on' })).mode, 'on');
    assert.equal(resolvePrecopy(lookup({ precopy: ' OFF ' })).mode, 'off');
    assert.equal(resolvePrecopy(lookup({ precopy: 'Verify' })).mode, 'verify');
  });
  test('an unknown value: 22 naming the choices', () => {
    refused({ precopy: 'yes' }, /^precopy=yes: must be on, off or verify$/);
    refused({ precopy: '1' }, /precopy=1/);
  });
  test('precopy-rounds within 1..10, whole', () => {
    assert.equal(resolvePrecopy(lookup({ precopy: 'on', 'precopy-rounds': '1' })).rounds, 1);
    assert.equal(resolvePrecopy(lookup({ precopy: 'on', 'precopy-rounds': '10' })).rounds, 10);
    refused({ 'precopy-rounds': '0' }, /^precopy-rounds=0: must be a whole number from 1 to 10$/);
    refused({ 'precopy-rounds': '11' }, /precopy-rounds=11/);
    refused({ 'precopy-rounds': '1.5' }, /precopy-rounds=1\.5/);
    refused({ 'precopy-rounds': 'two' }, /precopy-rounds=two/);
  });
});
