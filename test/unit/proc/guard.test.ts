import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { parseArgs } from '../../../src/cli/args';
import { carriesTag, GUARD_COMMAND, privateDirCleanup, runGuard } from '../../../src/proc/guard';
import { createPrivateDir } from '../../../src/proc/private-dir';

describe('carriesTag', () => {
  test('exactly our identity, as one environment entry', () => {
    assert.equal(carriesTag('PATH=/bin\0WSREP_SST_RSYNC_TUNNEL_OWNER=42 777\0HOME=/', '42 777'), true);
    assert.equal(carriesTag('WSREP_SST_RSYNC_TUNNEL_OWNER=42 7770\0', '42 777'), false);
    assert.equal(carriesTag('WSREP_SST_RSYNC_TUNNEL_OWNER=142 777\0', '42 777'), false);
    assert.equal(carriesTag('X=WSREP_SST_RSYNC_TUNNEL_OWNER=42 777\0', '42 777'), false);
    assert.equal(carriesTag('', '42 777'), false);
  });
});

describe('runGuard (fake scan and kill, in-process stream)', () => {
  test('nothing is killed while the pipe is open; at EOF every process found is', async () => {
    const input = new PassThrough();
    const killed: number[] = [];
    let scans = 0;
    const done = runGuard(
      input,
      () => {
        scans++;
        return [101, 102];
      },
      (pid: number) => killed.push(pid),
    );
    input.write('ignored');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([killed, scans], [[], 0]);
    input.end();
    assert.equal(await done, 0);
    assert.deepEqual([killed, scans], [[101, 102], 1]);
  });

  test('at EOF the cleanup (the private directory) runs once, after the kills', async () => {
    const input = new PassThrough();
    const events: string[] = [];
    const done = runGuard(
      input,
      () => [7],
      (pid) => events.push(`kill ${pid}`),
      () => events.push('cleanup'),
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events, []);
    input.end();
    await done;
    assert.deepEqual(events, ['kill 7', 'cleanup']);
  });
});

describe("the guard's cleanup (real directories in our tmpdir)", () => {
  test("removes the SST's private directory that existed when the guard started", () => {
    const dir = createPrivateDir();
    writeFileSync(`${dir}/rsyncd.secrets`, 'sst:secret\n');
    const cleanup = privateDirCleanup(dir);
    assert.equal(existsSync(dir), true, 'nothing removed before the end');
    cleanup();
    assert.equal(existsSync(dir), false);
  });

  test("a directory that was not there when the guard started is not the SST's: kept", () => {
    const dir = createPrivateDir();
    rmSync(dir, { recursive: true });
    const cleanup = privateDirCleanup(dir);
    mkdirSync(dir);
    try {
      cleanup();
      assert.equal(existsSync(dir), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no directory given: nothing to do', () => {
    assert.doesNotThrow(privateDirCleanup(undefined));
  });
});

describe('the guard command line', () => {
  test('the tag, and the private directory when the SST has one', () => {
    assert.deepEqual(parseArgs([GUARD_COMMAND, '42 777']), { kind: 'guard', tag: '42 777' });
    assert.deepEqual(parseArgs([GUARD_COMMAND, '42 777', '/tmp/wsrep_sst_rsync_tunnel.AbC123']), {
      kind: 'guard',
      tag: '42 777',
      privateDir: '/tmp/wsrep_sst_rsync_tunnel.AbC123',
    });
    assert.throws(() => parseArgs([GUARD_COMMAND, '42 777', '/tmp/x', 'more']), /Unrecognized role/);
  });
});
