/**
 * docs/protocol.md §3.3.1: the online rounds' passes, the verify passes, a plan without engine passes, and
 * `complete` lines that count on across rounds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  COMMON_FLAGS,
  onlinePasses,
  transferPlan,
  verifyPasses,
  VERIFY_OUT_FORMAT,
  type Pass,
} from '../../../src/rsync/plan';
import { TransferMonitor } from '../../../src/sst/transfer-monitor';
import { TransferState } from '../../../src/sst/transfer-queue';

const input = {
  target: 'rsync://sst@127.0.0.2:4444',
  datadir: '/var/lib/mysql',
  dataHome: '/var/lib/mysql',
  logDir: '/var/lib/mysql',
  undoDir: '/var/lib/mysql',
  ariaLog: '/var/lib/mysql',
  files: [{ path: 'shop/orders.ibd', size: 100 }],
  binlogs: ['/var/lib/mysql/mysql-bin.000001'],
  binlogBytes: 10,
  listDir: '/tmp/w',
};

describe('precopy passes', () => {
  test('online: --ignore-missing-args right after the common flags, exit 24 allowed, nothing else changed', () => {
    const { structure, queue } = transferPlan(input);
    for (const before of [...structure, ...queue]) {
      const [after] = onlinePasses([before]) as [Pass];
      assert.equal(after.vanishedOk, true);
      assert.deepEqual(after.args, [
        ...before.args.slice(0, COMMON_FLAGS.length),
        '--ignore-missing-args',
        ...before.args.slice(COMMON_FLAGS.length),
      ]);
      assert.equal(after.name, before.name);
      assert.equal(before.vanishedOk, undefined, 'the plan itself is untouched');
    }
  });

  test('engines: false leaves the four engine passes out; the default keeps them', () => {
    const names = (engines?: boolean): string[] => transferPlan({ ...input, engines }).queue.map((p) => p.name);
    assert.equal(names().filter((n) => n.startsWith('pass ')).length, 4);
    assert.deepEqual(
      names(false).filter((n) => n.startsWith('pass ')),
      [],
    );
    assert.ok(names(false).includes('binary logs'));
  });

  test(
    'verify: --checksum for --ignore-times, a named out-format for --quiet, ' + 'named as such, no exit 24 allowed',
    () => {
      const [files] = transferPlan({ ...input, engines: false, binlogs: [] }).queue as [Pass];
      const [v] = verifyPasses([files]) as [Pass];
      assert.equal(v.name, `verify ${files.name}`);
      assert.ok(v.args.includes('--checksum') && !v.args.includes('--ignore-times'));
      assert.ok(v.args.includes(`--out-format=${VERIFY_OUT_FORMAT}`) && !v.args.includes('--quiet'));
      assert.equal(v.vanishedOk, undefined);
      assert.deepEqual(v.list, files.list);
    },
  );
});

describe('TransferMonitor offset', () => {
  test('complete lines add the bytes of earlier rounds', () => {
    const m = new TransferMonitor({
      total: 100,
      startedAt: 0,
      logEveryMs: 0,
      protocolEveryMs: 1000,
      idleTimeoutMs: 0,
      offset: 5000,
    });
    const state = new TransferState();
    state.done = 40;
    assert.equal(m.tick(1000, state, () => undefined).protocol, 'complete 5040');
  });
  test('without an offset, as before', () => {
    const m = new TransferMonitor({ total: 100, startedAt: 0, logEveryMs: 0, protocolEveryMs: 1000, idleTimeoutMs: 0 });
    const state = new TransferState();
    state.done = 40;
    assert.equal(m.tick(1000, state, () => undefined).protocol, 'complete 40');
  });
});
