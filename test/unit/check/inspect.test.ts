/** `check`: the directories searched on the way to a file (src/check/inspect.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ancestors } from '../../../src/check/inspect';

test('ancestors are the directories searched on the way', () => {
  assert.deepEqual(ancestors('/etc/mysql/ssl/cert.pem'), ['/', '/etc', '/etc/mysql', '/etc/mysql/ssl']);
  assert.deepEqual(ancestors('/x'), ['/']);
});
