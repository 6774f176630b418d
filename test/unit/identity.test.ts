import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { identityText, isOurProgram, judgeListener, judgeSstPid, listenerPrivateDir, OWNER_ENV, parseIdentity, startTimeOf, type ProcView } from '../../src/proc/identity';

const SELF = '/usr/bin/wsrep_sst_rsync_tunnel';
const stat = (state: string, start: number): string => `4242 (a (b) c) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 1000 100`;

const ours = (start: string, extra: Partial<ProcView> = {}): ProcView => ({ startTime: start, argv: [SELF, '--role', 'joiner'], exe: SELF, ...extra });
const gone: ProcView = { argv: [] };

describe('process identity', () => {
  test('start time is field 22 of /proc/<pid>/stat, whatever the command name; none for a zombie', () => {
    assert.equal(startTimeOf(stat('S', 123456)), '123456');
    assert.equal(startTimeOf(stat('Z', 123456)), undefined);
  });

  test('pid files: "<pid> <start>" now, "<pid>" from older releases; the listener tag uses the same form', () => {
    assert.deepEqual(parseIdentity(`${identityText(42, '777')}\n`), { pid: 42, startTime: '777' });
    assert.deepEqual(parseIdentity('42\n'), { pid: 42 });
    assert.deepEqual(parseIdentity('42:777'), { pid: 42, startTime: '777' });
    for (const bad of ['', 'x', '-1', '0', '4.2']) assert.equal(parseIdentity(bad), undefined, bad);
  });

  test('our program: this executable or one named like it, started with a role', () => {
    assert.equal(isOurProgram(ours('1'), SELF), true);
    assert.equal(isOurProgram({ startTime: '1', argv: ['/opt/x/wsrep_sst_rsync_tunnel', '--role', 'donor'], exe: '/opt/x/wsrep_sst_rsync_tunnel' }, SELF), true);
    assert.equal(isOurProgram({ startTime: '1', argv: ['/usr/bin/sleep', '600'], exe: '/usr/bin/sleep' }, SELF), false);
    assert.equal(isOurProgram({ startTime: '1', argv: [SELF, 'check'], exe: SELF }, SELF), false);
  });
});

describe('judgeSstPid', () => {
  test('same PID and start time: our SST still runs', () => {
    assert.equal(judgeSstPid({ pid: 42, startTime: '777' }, ours('777'), SELF), 'running');
  });

  test('PID reused: the start time differs, whatever runs there', () => {
    assert.equal(judgeSstPid({ pid: 42, startTime: '777' }, ours('900'), SELF), 'someone-else');
    assert.equal(judgeSstPid({ pid: 1, startTime: '777' }, { startTime: '5', argv: ['/sbin/init'] }, SELF), 'someone-else');
  });

  test('an older pid file (PID only): judged by the command line', () => {
    assert.equal(judgeSstPid({ pid: 42 }, ours('777'), SELF), 'running');
    assert.equal(judgeSstPid({ pid: 1 }, { startTime: '5', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd' }, SELF), 'someone-else');
  });

  test('no such process: a stale file', () => {
    assert.equal(judgeSstPid({ pid: 42, startTime: '777' }, gone, SELF), 'gone');
  });
});

describe('judgeListener', () => {
  const listener = (owner: string | undefined): ProcView => ({
    startTime: '500',
    argv: ['/usr/bin/socat', 'OPENSSL-LISTEN:4444', 'EXEC:/usr/bin/rsync\\ --server\\ --daemon\\ --config=/tmp/wsrep_sst_rsync_tunnel.AbC123/rsyncd.conf\\ .'],
    exe: '/usr/bin/socat',
    env: new Map(owner === undefined ? [] : [[OWNER_ENV, owner]]),
  });

  test('its program still runs: serving', () => {
    assert.equal(judgeListener(listener('42:777'), () => ours('777')), 'serving');
  });

  test('its program is gone, or its PID now belongs to another process: orphan', () => {
    assert.equal(judgeListener(listener('42:777'), () => gone), 'orphan');
    assert.equal(judgeListener(listener('42:777'), () => ours('901')), 'orphan');
  });

  test('no owner tag (not started by us), or unreadable environment: someone else', () => {
    assert.equal(judgeListener(listener(undefined), () => ours('777')), 'someone-else');
    assert.equal(judgeListener({ ...listener('42:777'), env: undefined }, () => gone), 'someone-else');
    assert.equal(judgeListener(listener('42'), () => gone), 'someone-else');
  });

  test('no such process: gone', () => {
    assert.equal(judgeListener(gone, () => gone), 'gone');
  });

  test("the orphan's private directory, read from its EXEC address (and nothing else)", () => {
    assert.equal(listenerPrivateDir(listener('42:777')), '/tmp/wsrep_sst_rsync_tunnel.AbC123');
    assert.equal(listenerPrivateDir({ ...listener('1:1'), argv: ['socat', 'EXEC:rsync --config=/etc/rsyncd.conf'] }), undefined);
  });
});
