/**
 * The donor's look at the copy (src/sst/transfer-monitor.ts). docs/architecture.md §8.10 (6): with
 * `progress-interval=0.0000001` its next-line arithmetic never moved past a millisecond timestamp
 * and spun for ever, the donor deaf to signals with its tables locked. The range check now refuses
 * such a value; the monitor must not spin even if it got one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { TransferMonitor } from '../../../src/sst/transfer-monitor';
import { TransferState } from '../../../src/sst/transfer-queue';

const START = 1_765_000_000_000;

function monitor(logEveryMs: number, protocolEveryMs = 0): TransferMonitor {
  return new TransferMonitor({
    total: 100,
    startedAt: START,
    logEveryMs,
    protocolEveryMs,
    rateLimit: 65536,
    idleTimeoutMs: 0,
  });
}

/**
 * Ticks at `START + offsets[i]` in a worker, which can be stopped even when it spins: a hang is a
 * failure, not a stuck test run. The limit only bounds that failure; working ticks return at once.
 * Resolves with `log,protocol` (0/1 each) per tick.
 */
function ticksInWorker(logEveryMs: number, protocolEveryMs: number, offsets: number[]): Promise<string[]> {
  const code =
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const { TransferMonitor } = require(workerData.monitor);
    const { TransferState } = require(workerData.queue);
    const m = new TransferMonitor({ total: 100, startedAt: workerData.start, logEveryMs: workerData.log, ` +
    `protocolEveryMs: workerData.protocol, rateLimit: 65536, idleTimeoutMs: 0 });
    const state = new TransferState();
    parentPort.postMessage(workerData.offsets.map((o) => {
      const a = m.tick(workerData.start + o, state, () => undefined);
      return (a.log === undefined ? '0' : '1') + ',' + (a.protocol === undefined ? '0' : '1');
    }));
  `;
  const workerData = {
    monitor: join(__dirname, '..', '..', '..', 'src', 'sst', 'transfer-monitor.js'),
    queue: join(__dirname, '..', '..', '..', 'src', 'sst', 'transfer-queue.js'),
    start: START,
    log: logEveryMs,
    protocol: protocolEveryMs,
    offsets,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData });
    const limit = setTimeout(() => {
      void worker.terminate();
      reject(
        new Error(
          `TransferMonitor.tick(logEveryMs=${logEveryMs}, protocolEveryMs=${protocolEveryMs}) did not return ` +
            `within 30 s: it spins`,
        ),
      );
    }, 30_000);
    worker.once('message', (m: string[]) => {
      clearTimeout(limit);
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(limit);
      reject(e);
    });
  });
}

describe('TransferMonitor', () => {
  test('progress-interval=0.0000001 (1e-4 ms): a tick returns, with one line, instead of spinning', async () => {
    assert.deepEqual(await ticksInWorker(1e-4, 0, [5000]), ['1,0']);
    assert.deepEqual(await ticksInWorker(1e-4, 1e-4, [5000]), ['1,1']);
  });

  test('a tiny interval logs at most once per look', async () => {
    assert.deepEqual(
      await ticksInWorker(1e-4, 1e-4, [100, 200, 300, 300]),
      ['1,1', '1,1', '1,1', '0,0'],
      'the same instant again: no second line',
    );
  });

  test('one progress line per interval, the next one an interval later however late the look', () => {
    const m = monitor(1000);
    const state = new TransferState();
    assert.equal(m.tick(START + 999, state, () => undefined).log, undefined);
    assert.notEqual(m.tick(START + 1000, state, () => undefined).log, undefined);
    assert.equal(m.tick(START + 1999, state, () => undefined).log, undefined);
    assert.notEqual(m.tick(START + 7500, state, () => undefined).log, undefined, 'a late look logs once');
    assert.equal(
      m.tick(START + 7999, state, () => undefined).log,
      undefined,
      'and the rhythm stays on the whole seconds',
    );
    assert.notEqual(m.tick(START + 8000, state, () => undefined).log, undefined);
  });
});
