import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteMeter, parseIo, writesOf } from '../../../src/proc/io-meter';

describe('io-meter', () => {
  test('parseIo reads rchar and wchar', () => {
    const text =
      'rchar: 1234\nwchar: 56\nsyscr: 3\nsyscw: 4\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n';
    assert.deepEqual(parseIo(text), { rchar: 1234, wchar: 56 });
    assert.equal(parseIo('rchar: 1\n'), undefined);
    assert.equal(parseIo(''), undefined);
  });

  test('a ByteMeter keeps what exited processes moved', () => {
    const m = new ByteMeter();
    assert.equal(
      m.observe(
        new Map([
          [1, 10],
          [2, 5],
        ]),
      ),
      15,
    );
    assert.equal(m.observe(new Map([[1, 30]])), 35);
    assert.equal(m.observe(new Map([[3, 1]])), 36);
    assert.equal(m.observe(new Map()), 36);
    assert.equal(m.total(), 36);
  });

  test('a counter never goes back (a recycled pid read late)', () => {
    const m = new ByteMeter();
    m.observe(new Map([[1, 10]]));
    assert.equal(m.observe(new Map([[1, 4]])), 10);
  });

  test('writesOf reads wchar of each process it is given; one that is gone counts nothing', () => {
    const io = (pid: number): { rchar: number; wchar: number } | undefined =>
      pid === 14 ? undefined : { rchar: 0, wchar: pid * 100 };
    assert.deepEqual(
      [...writesOf([{ pid: 11 }, { pid: 14 }, { pid: 12 }], io)],
      [
        [11, 1100],
        [12, 1200],
      ],
    );
  });
});
