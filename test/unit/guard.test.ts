import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { registeredGroups, runGuard } from '../../src/proc/guard';

describe('registeredGroups', () => {
  test('adds and removes, in order; a group registered again after removal counts', () => {
    assert.deepEqual([...registeredGroups(['+10', '+20', '-10', '+30', '-30', '+30'])].sort(), [20, 30]);
  });

  test('anything else is ignored (no 0, no negative, no text)', () => {
    assert.deepEqual([...registeredGroups(['+0', '+-5', 'x', '+1x', '', '-', '+ 4', ' +7 '])], [7]);
  });
});

describe('runGuard (fake kill, in-process stream)', () => {
  test('kills nothing while the owner lives, everything still registered at EOF', async () => {
    const input = new PassThrough();
    const killed: number[] = [];
    const done = runGuard(input, (pgid) => killed.push(pgid));
    input.write('+101\n+102\n');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(killed, []);
    input.write('-101\n+103');
    input.end();
    assert.equal(await done, 0);
    assert.deepEqual(killed.sort(), [102, 103]);
  });
});
