/** `make bench`'s lock figures read from the donor's error log, and which tables its write load takes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scriptLockSpan, serverLockSpan } from '../../../../scripts/bench/logs';
import { loadedTables } from '../../../../scripts/bench/write-load';

const SERVER = [
  '2026-12-07 13:10:11 5 [Note] WSREP: Flushing tables for SST...',
  '2026-12-07 13:10:11 5 [Note] WSREP: Provider paused at 6a5f1c2e-0000-11ee-8000-000000000001:42 (7)',
  'WSREP_SST: [INFO] tables flushed and locked after 0.1 s (20261207 13:10:11.412)',
  'WSREP_SST: [INFO] data copied in 12.5 s (3.9 GiB, 320 MiB/s, 9 passes, 2 in parallel) (20261207 13:10:23.950)',
  '2026-12-07 13:10:24 5 [Note] WSREP: resuming provider at 7',
  '2026-12-07 13:10:24 5 [Note] WSREP: Provider resumed.',
].join('\n');

describe('bench lock figures', () => {
  test("mariadbd's Provider paused → resumed, in whole seconds", () => {
    assert.equal(serverLockSpan(SERVER), 13);
  });
  test('no pause in the log: no figure', () => {
    assert.equal(serverLockSpan('2026-12-07 13:10:24 5 [Note] WSREP: Provider resumed.'), undefined);
  });
  test('without precopy the script lock is the locked copy: tables flushed → data copied', () => {
    assert.equal(scriptLockSpan(SERVER), 12.538);
  });
  test('with precopy, the donor says how long the tables were locked', () => {
    const log =
      `${SERVER}\nWSREP_SST: [INFO] tables were locked for 1.7 s (precopy, 2 online rounds) ` +
      '(20261207 13:10:24.001)';
    assert.equal(scriptLockSpan(log), 1.7);
  });
});

describe('bench write load', () => {
  const dataset = (n: number) => ({
    name: 'x',
    gb: 1,
    redo: '16M',
    databases: ['d'],
    tables: Array.from({ length: n }, (_, i) => `d.t${i}`),
  });
  test('2 of 48 tables', () => {
    assert.deepEqual(loadedTables(dataset(48)), ['d.t0', 'd.t1']);
  });
  test('none where they would be a large share of the data (1 or 2 tables)', () => {
    assert.deepEqual(loadedTables(dataset(1)), []);
    assert.deepEqual(loadedTables(dataset(2)), []);
  });
});
