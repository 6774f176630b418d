import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, formatRate } from '../../../src/sst/progress-format';

describe('progress-format', () => {
  test('bytes below 1 KiB are whole bytes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1), '1 B');
    assert.equal(formatBytes(1023), '1023 B');
  });

  test('one decimal below 10 of a unit, whole numbers above', () => {
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1.2 * 1024 ** 3), '1.2 GiB');
    assert.equal(formatBytes(4 * 1024 ** 3), '4.0 GiB');
    assert.equal(formatBytes(140 * 1024 ** 2), '140 MiB');
    assert.equal(formatBytes(10 * 1024 ** 2), '10 MiB');
  });

  test('rounding never shows 10.0 or 1024 of a unit', () => {
    assert.equal(formatBytes(9.96 * 1024), '10 KiB');
    assert.equal(formatBytes(1023.7 * 1024 ** 2), '1.0 GiB');
    assert.equal(formatBytes(1023.4 * 1024 ** 2), '1023 MiB');
    assert.equal(formatRate(1023.6), '1.0 KiB/s');
    assert.equal(formatRate(0.4), '0 B/s');
  });

  test('the largest unit takes any size', () => {
    assert.equal(formatBytes(3 * 1024 ** 5), '3.0 PiB');
    assert.equal(formatBytes(2048 * 1024 ** 5), '2048 PiB');
  });

  test('nonsense counts show as nothing', () => {
    assert.equal(formatBytes(-5), '0 B');
    assert.equal(formatBytes(Number.NaN), '0 B');
    assert.equal(formatBytes(Number.POSITIVE_INFINITY), '0 B');
  });

  test('a rate is a size per second', () => {
    assert.equal(formatRate(140 * 1024 ** 2), '140 MiB/s');
    assert.equal(formatRate(0), '0 B/s');
  });
});
