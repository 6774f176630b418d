import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  identityText,
  isOurProgram,
  judgeListener,
  judgeSstPid,
  listenerPrivateDir,
  OWNER_ENV,
  parseIdentity,
  startTimeOf,
  uidsOf,
  type ProcView,
  type SelfView,
} from '../../../src/proc/identity';
import { execAddress } from '../../../src/tunnel/socat-address';

const EXE = '/usr/bin/wsrep_sst_rsync_tunnel';
const SELF: SelfView = { exe: EXE, uid: 0 };
const ROOT = [0, 0, 0, 0];
const stat = (state: string, start: number): string =>
  `4242 (a (b) c) ${state} 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 1000 100`;

const ours = (start: string, extra: Partial<ProcView> = {}): ProcView => ({
  startTime: start,
  argv: [EXE, '--role', 'joiner'],
  exe: EXE,
  uids: ROOT,
  ...extra,
});
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

  test('the uids are the Uid: line of /proc/<pid>/status', () => {
    assert.deepEqual(
      uidsOf('Name:\tsocat\nUid:\t1001\t1001\t1001\t1001\nGid:\t0\t0\t0\t0\n'),
      [1001, 1001, 1001, 1001],
    );
    assert.equal(uidsOf('Name:\tx\n'), undefined);
  });

  test('our program: this executable or one named like it, our uid, --role joiner|donor first', () => {
    assert.equal(isOurProgram(ours('1'), SELF), true);
    assert.equal(
      isOurProgram(
        {
          startTime: '1',
          argv: ['wsrep_sst_rsync_tunnel', '--role', 'donor'],
          exe: '/opt/x/wsrep_sst_rsync_tunnel',
          uids: ROOT,
        },
        SELF,
      ),
      true,
    );
    assert.equal(isOurProgram(ours('1', { exe: `${EXE} (deleted)` }), SELF), true, 'upgraded while it ran');
    const renamed: SelfView = { exe: '/opt/sst/bin/sst-rsync', uid: 0 };
    assert.equal(
      isOurProgram(
        ours('1', { argv: ['wsrep_sst_rsync_tunnel', '--role', 'joiner'], exe: '/opt/sst/bin/sst-rsync' }),
        renamed,
      ),
      true,
      'this very executable, however named',
    );
    assert.equal(
      isOurProgram(ours('1', { argv: ['x', '--role', 'joiner'], exe: '/opt/sst/bin/other' }), renamed),
      false,
    );
    assert.equal(
      isOurProgram({ startTime: '1', argv: ['/usr/bin/sleep', '600'], exe: '/usr/bin/sleep', uids: ROOT }, SELF),
      false,
    );
    assert.equal(isOurProgram(ours('1', { argv: [EXE, 'check'] }), SELF), false);
    assert.equal(isOurProgram(ours('1', { argv: [EXE, '__guard', '42 777'] }), SELF), false);
    assert.equal(
      isOurProgram(ours('1', { argv: [EXE, '--address', 'x', '--role', 'joiner'] }), SELF),
      false,
      'not the argv mariadbd gives',
    );
    assert.equal(isOurProgram(ours('1', { argv: [EXE, '--role', 'bystander'] }), SELF), false);
  });

  test('our program runs as our uid, every one of its uids', () => {
    assert.equal(isOurProgram(ours('1', { uids: [1001, 1001, 1001, 1001] }), SELF), false);
    assert.equal(isOurProgram(ours('1', { uids: [1001, 0, 0, 0] }), SELF), false, 'a set-uid copy run by another user');
    assert.equal(isOurProgram(ours('1', { uids: undefined }), SELF), false, 'unreadable');
    assert.equal(isOurProgram(ours('1', { exe: undefined }), SELF), false, 'executable unreadable');
  });

  test('our program run by Node (development, tests): this Node with this script, then --role', () => {
    const dev: SelfView = { exe: '/usr/bin/node', script: '/src/build/src/main.js', uid: 0 };
    const view = (argv: string[], exe = '/usr/bin/node'): ProcView => ({ startTime: '1', argv, exe, uids: ROOT });
    assert.equal(isOurProgram(view(['node', '/src/build/src/main.js', '--role', 'joiner']), dev), true);
    assert.equal(isOurProgram(view(['node', '/other/main.js', '--role', 'joiner']), dev), false);
    assert.equal(isOurProgram(view(['node', '--role', 'joiner']), dev), false);
    assert.equal(
      isOurProgram(view(['node', '/src/build/src/main.js', '--role', 'joiner'], '/usr/local/bin/node'), dev),
      false,
    );
  });
});

describe('judgeSstPid', () => {
  test('same PID and start time: our SST still runs', () => {
    assert.equal(judgeSstPid({ pid: 42, startTime: '777' }, ours('777'), SELF), 'running');
  });

  test('PID reused: the start time differs, whatever runs there', () => {
    assert.equal(judgeSstPid({ pid: 42, startTime: '777' }, ours('900'), SELF), 'someone-else');
    assert.equal(
      judgeSstPid({ pid: 1, startTime: '777' }, { startTime: '5', argv: ['/sbin/init'] }, SELF),
      'someone-else',
    );
  });

  test('PID 1 (or any process) with its real start time: not ours unless it is our program', () => {
    const init: ProcView = { startTime: '5', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd', uids: ROOT };
    assert.equal(judgeSstPid({ pid: 1, startTime: '5' }, init, SELF), 'someone-else');
    const sleeper: ProcView = {
      startTime: '900',
      argv: ['sleep', '600', '--role', 'joiner'],
      exe: '/usr/bin/sleep',
      uids: ROOT,
    };
    assert.equal(judgeSstPid({ pid: 42, startTime: '900' }, sleeper, SELF), 'someone-else');
    assert.equal(
      judgeSstPid({ pid: 42, startTime: '900' }, ours('900', { uids: [1001, 1001, 1001, 1001] }), SELF),
      'someone-else',
    );
  });

  test('an older pid file (PID only): judged by the command line', () => {
    assert.equal(judgeSstPid({ pid: 42 }, ours('777'), SELF), 'running');
    assert.equal(
      judgeSstPid({ pid: 1 }, { startTime: '5', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd' }, SELF),
      'someone-else',
    );
  });

  test('no such process: a stale file', () => {
    assert.equal(judgeSstPid({ pid: 42, startTime: '777' }, gone, SELF), 'gone');
  });
});

describe('judgeListener', () => {
  const EXEC =
    'EXEC:/usr/bin/rsync\\ --server\\ --daemon\\ --config=/tmp/wsrep_sst_rsync_tunnel.AbC123/rsyncd.conf\\ .';
  const listener = (owner: string | undefined, extra: Partial<ProcView> = {}): ProcView => ({
    startTime: '500',
    argv: ['/usr/bin/socat', '-b', '1048576', 'OPENSSL-LISTEN:4444,reuseaddr,fork,cert=/etc/ssl/j.pem', EXEC],
    exe: '/usr/bin/socat',
    uids: ROOT,
    env: new Map(owner === undefined ? [] : [[OWNER_ENV, owner]]),
    ...extra,
  });

  test('its program still runs: serving', () => {
    assert.equal(
      judgeListener(listener('42:777'), () => ours('777'), 0),
      'serving',
    );
  });

  test('its program is gone, or its PID now belongs to another process: orphan', () => {
    assert.equal(
      judgeListener(listener('42:777'), () => gone, 0),
      'orphan',
    );
    assert.equal(
      judgeListener(listener('42:777'), () => ours('901'), 0),
      'orphan',
    );
    assert.equal(
      judgeListener(listener('42 777', { exe: '/opt/compat/socat-1.8.0.0' }), () => gone, 0),
      'orphan',
    );
  });

  test('no owner tag (not started by us), or unreadable environment: someone else', () => {
    assert.equal(
      judgeListener(listener(undefined), () => ours('777'), 0),
      'someone-else',
    );
    assert.equal(
      judgeListener({ ...listener('42:777'), env: undefined }, () => gone, 0),
      'someone-else',
    );
    assert.equal(
      judgeListener(listener('42'), () => gone, 0),
      'someone-else',
    );
  });

  test("another user's process with our tag and our argv: someone else, never an orphan", () => {
    assert.equal(
      judgeListener(listener('42:777', { uids: [1001, 1001, 1001, 1001] }), () => gone, 0),
      'someone-else',
    );
    assert.equal(
      judgeListener(listener('42:777', { uids: undefined }), () => gone, 0),
      'someone-else',
    );
    assert.equal(
      judgeListener(listener('42:777'), () => gone, 1001),
      'someone-else',
    );
  });

  test('not socat, or not the argv our joiners give socat: someone else', () => {
    assert.equal(
      judgeListener(listener('42:777', { exe: '/usr/bin/python3' }), () => gone, 0),
      'someone-else',
    );
    assert.equal(
      judgeListener(listener('42:777', { exe: undefined }), () => gone, 0),
      'someone-else',
    );
    assert.equal(
      judgeListener(listener('42:777', { argv: ['/usr/bin/socat', 'OPENSSL-LISTEN:4444', EXEC] }), () => gone, 0),
      'someone-else',
    );
    assert.equal(
      judgeListener(
        listener('42:777', { argv: ['/usr/bin/socat', '-b', '1048576', 'TCP-LISTEN:4444', EXEC] }),
        () => gone,
        0,
      ),
      'someone-else',
    );
  });

  test('no such process: gone', () => {
    assert.equal(
      judgeListener(gone, () => gone, 0),
      'gone',
    );
  });

  test("the orphan's private directory, read from its EXEC address (and nothing else)", () => {
    assert.equal(listenerPrivateDir(listener('42:777')), '/tmp/wsrep_sst_rsync_tunnel.AbC123');
    const withExec = (exec: string): ProcView =>
      listener('1:1', { argv: ['/usr/bin/socat', '-b', '1048576', 'OPENSSL-LISTEN:4444', exec] });
    assert.equal(
      listenerPrivateDir(
        withExec(
          'EXEC:/opt/my\\\\\\ rsync/rsync\\ --server\\ --daemon\\ ' +
            '--config=/var/tmp/wsrep_sst_rsync_tunnel.x1Y2z3/rsyncd.conf\\ .',
        ),
      ),
      '/var/tmp/wsrep_sst_rsync_tunnel.x1Y2z3',
    );
    const built = execAddress([
      '/opt/a b,c/rsync',
      '--server',
      '--daemon',
      '--config=/tmp/wsrep_sst_rsync_tunnel.Q9w8E7/rsyncd.conf',
      '.',
    ]);
    assert.equal(listenerPrivateDir(withExec(built)), '/tmp/wsrep_sst_rsync_tunnel.Q9w8E7', built);
    assert.equal(listenerPrivateDir(withExec('EXEC:rsync --config=/etc/rsyncd.conf')), undefined);
    assert.equal(
      listenerPrivateDir(withExec('EXEC:/usr/bin/rsync\\ --server\\ --daemon\\ --config=/tmp/other/rsyncd.conf\\ .')),
      undefined,
    );
    assert.equal(listenerPrivateDir(withExec(`${EXEC}\\ extra`)), undefined);
    assert.equal(listenerPrivateDir({ ...listener('1:1'), argv: [...listener('1:1').argv, 'more'] }), undefined);
  });
});
