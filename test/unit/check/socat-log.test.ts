/** `check --listen/--peer`: reading socat's -d -d log (src/check/socat-log.ts), on logs recorded from socat 1.7.4.4. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANSWERED,
  connectionItem,
  ListenerLog,
  parseSocatLine,
  peerItem,
  summarizeClient,
  type PeerOutcome,
} from '../../../src/check/socat-log';

const CLIENT_OK = `2026/11/27 22:36:37 socat[13849] N reading from and writing to stdio
2026/11/27 22:36:37 socat[13849] N opening connection to AF=2 127.0.0.2:45557
2026/11/27 22:36:37 socat[13849] N successfully connected from local address AF=2 127.0.0.1:60838
2026/11/27 22:36:37 socat[13849] N trusting certificate, commonName matches
2026/11/27 22:36:37 socat[13849] N SSL proto version used: TLSv1.3
2026/11/27 22:36:37 socat[13849] N SSL connection using TLS_AES_256_GCM_SHA384
2026/11/27 22:36:37 socat[13849] N SSL connection compression "none"
2026/11/27 22:36:37 socat[13849] N starting data transfer loop with FDs [0,1] and [6,6]
2026/11/27 22:36:37 socat[13849] N socket 2 (fd 6) is at EOF
2026/11/27 22:36:37 socat[13849] N exiting with status 0`.split('\n');

const CLIENT_WRONG_CN = `2026/11/27 22:36:13 socat[13464] N opening connection to AF=2 127.0.0.2:45556
2026/11/27 22:36:13 socat[13464] N successfully connected from local address AF=2 127.0.0.1:53136
2026/11/27 22:36:13 socat[13464] E certificate is valid but its commonName does not match hostname "127.0.0.2"
2026/11/27 22:36:13 socat[13464] N exit(1)`.split('\n');

const LISTENER = `2026/11/27 22:36:36 socat[13846] N listening on AF=2 127.0.0.2:45557
2026/11/27 22:36:37 socat[13846] N accepting connection from AF=2 127.0.0.1:60838 on AF=2 127.0.0.2:45557
2026/11/27 22:36:37 socat[13846] N forked off child process 13850
2026/11/27 22:36:37 socat[13846] N listening on AF=2 127.0.0.2:45557
2026/11/27 22:36:37 socat[13850] N trusting certificate, no check of commonName
2026/11/27 22:36:37 socat[13850] N SSL proto version used: TLSv1.3
2026/11/27 22:36:37 socat[13850] N SSL connection using TLS_AES_256_GCM_SHA384
2026/11/27 22:36:37 socat[13850] N forking off child, using socket for reading and writing
2026/11/27 22:36:37 socat[13850] N forked off child process 13851
2026/11/27 22:36:37 socat[13851] N execvp'ing "/bin/echo"
2026/11/27 22:36:38 socat[13846] N accepting connection from AF=10 [::1]:53364 on AF=10 [::1]:45557
2026/11/27 22:36:38 socat[13846] N forked off child process 13860
2026/11/27 22:36:38 socat[13860] E SSL_accept(): error:0A000086:SSL routines::certificate verify failed
2026/11/27 22:36:38 socat[13860] N exit(1)
2026/11/27 22:36:37 socat[13850] N socket 2 (fd 6) is at EOF
2026/11/27 22:36:37 socat[13850] N exiting with status 0
2026/11/27 22:36:39 socat[13846] N accepting connection from AF=2 127.0.0.1:55258 on AF=2 127.0.0.2:45557
2026/11/27 22:36:39 socat[13846] N forked off child process 13870
2026/11/27 22:36:39 socat[13870] N SSL proto version used: TLSv1.3
2026/11/27 22:36:39 socat[13870] N SSL connection using TLS_AES_256_GCM_SHA384
2026/11/27 22:36:39 socat[13870] E connection closed by peer
2026/11/27 22:36:39 socat[13870] N exit(1)
2026/11/27 22:36:40 socat[13846] N accepting connection from AF=2 127.0.0.1:55300 on AF=2 127.0.0.2:45557
2026/11/27 22:36:40 socat[13846] N forked off child process 13880`.split('\n');

describe('parseSocatLine', () => {
  test('pid, level and text', () => {
    assert.deepEqual(parseSocatLine('2026/11/27 22:36:13 socat[13464] E certificate is valid'), {
      pid: 13464,
      level: 'E',
      text: 'certificate is valid',
    });
    assert.equal(parseSocatLine('rsync: something else'), undefined);
  });
});

describe('client side (--peer)', () => {
  const outcome = (lines: string[], answered: boolean, extra: Partial<PeerOutcome> = {}): PeerOutcome => ({
    handshake: summarizeClient(lines),
    answered,
    timedOut: false,
    interrupted: false,
    exitCode: 0,
    ...extra,
  });

  test('PASS with protocol, cipher and socat’s name verdict once the listener answered', () => {
    const i = peerItem('127.0.0.2:45557', 20, outcome(CLIENT_OK, true));
    assert.equal(i.status, 'PASS');
    assert.equal(
      i.detail,
      'TLSv1.3, cipher TLS_AES_256_GCM_SHA384; trusting certificate, commonName matches; the listener ' +
        "accepted this node's certificate",
    );
  });

  test('FAIL with socat’s exact verification error', () => {
    const i = peerItem('127.0.0.2:45556', 20, outcome(CLIENT_WRONG_CN, false, { exitCode: 1 }));
    assert.equal(i.status, 'FAIL');
    assert.equal(i.detail, 'socat: certificate is valid but its commonName does not match hostname "127.0.0.2"');
  });

  test('a handshake without the answer: the listener refused our certificate (TLS 1.3)', () => {
    const i = peerItem('127.0.0.2:45557', 20, outcome(CLIENT_OK, false));
    assert.equal(i.status, 'FAIL');
    assert.match(i.detail, /listener closed the connection without answering: it refused this node's certificate/);
  });

  test('timeout, interruption, no handshake at all', () => {
    assert.match(peerItem('h:1', 7, outcome([], false, { timedOut: true })).detail, /no answer within 7 s/);
    assert.match(peerItem('h:1', 7, outcome(CLIENT_OK, false, { interrupted: true })).detail, /interrupted/);
    assert.match(
      peerItem('h:1', 7, outcome([], false, { exitCode: 1 })).detail,
      /exit code 1\) without a TLS handshake/,
    );
  });
});

describe('listener side (--listen)', () => {
  test('follows each forked connection and reports it when it ends', () => {
    const log = new ListenerLog();
    const finished = LISTENER.flatMap((line) => log.feed(line));
    assert.deepEqual(
      finished.map((c) => c.peer),
      ['[::1]:53364', '127.0.0.1:60838', '127.0.0.1:55258'],
    );
    const [refused, ok, closed] = finished.map((c) => connectionItem(c, false));
    assert.equal(ok?.status, 'PASS');
    assert.equal(ok?.id, 'handshake:127.0.0.1:60838');
    assert.equal(
      ok?.detail,
      `TLSv1.3, cipher TLS_AES_256_GCM_SHA384; trusting certificate, no check of commonName; ${ANSWERED}`,
    );
    assert.equal(refused?.status, 'FAIL');
    assert.match(
      refused?.detail ?? '',
      /donor's certificate was refused: socat: SSL_accept\(\): .*certificate verify failed/,
    );
    assert.equal(closed?.status, 'FAIL');
    assert.match(
      closed?.detail ?? '',
      /TLS set up \(TLSv1\.3, .*\), then socat: connection closed by peer: the connecting node probably refused/,
    );
    assert.equal(log.connectionCount(), 4);
    const open = log.unfinished();
    assert.deepEqual(
      open.map((c) => c.peer),
      ['127.0.0.1:55300'],
    );
    assert.equal(connectionItem(open[0] ?? { peer: '', handshake: { errors: [] }, done: false }, false).status, 'WARN');
    assert.deepEqual(log.listenerErrors, []);
  });

  test('errors of the listening process itself are kept apart', () => {
    const log = new ListenerLog();
    log.feed('2026/11/27 22:00:00 socat[100] E bind(5, {AF=2 127.0.0.2:4444}, 16): Address already in use');
    assert.deepEqual(log.listenerErrors, ['bind(5, {AF=2 127.0.0.2:4444}, 16): Address already in use']);
    assert.equal(log.connectionCount(), 0);
  });
});

describe('listener side: a connection that logs before the listener names it', () => {
  test('its lines wait until the fork is logged', () => {
    const log = new ListenerLog();
    const lines = [
      '2026/11/27 22:36:36 socat[200] N listening on AF=2 127.0.0.2:45557',
      '2026/11/27 22:36:37 socat[200] N accepting connection from AF=2 127.0.0.1:1000 on AF=2 127.0.0.2:45557',
      '2026/11/27 22:36:37 socat[201] N SSL proto version used: TLSv1.3',
      '2026/11/27 22:36:37 socat[201] N SSL connection using TLS_AES_128_GCM_SHA256',
      '2026/11/27 22:36:37 socat[201] N exiting with status 0',
      '2026/11/27 22:36:37 socat[200] N forked off child process 201',
    ];
    const done = lines.flatMap((l) => log.feed(l));
    assert.equal(done.length, 1);
    assert.equal(
      connectionItem(done[0] ?? { peer: '', handshake: { errors: [] }, done: false }, false).detail,
      `TLSv1.3, cipher TLS_AES_128_GCM_SHA256; donor certificate accepted; ${ANSWERED}`,
    );
  });
});

describe('listener side: the empty commonname of a listener that checks no client name', () => {
  const lines = [
    '2026/12/06 10:36:36 socat[300] N accepting connection from AF=2 127.0.0.1:1000 on AF=2 127.0.0.2:45557',
    '2026/12/06 10:36:36 socat[300] N forked off child process 301',
    '2026/12/06 10:36:37 socat[301] N SSL proto version used: TLSv1.3',
    '2026/12/06 10:36:37 socat[301] N SSL connection using TLS_AES_256_GCM_SHA384',
    '2026/12/06 10:36:37 socat[301] N trusting certificate, commonName matches',
    '2026/12/06 10:36:37 socat[301] N exiting with status 0',
  ];
  const connection = (): Parameters<typeof connectionItem>[0] => {
    const log = new ListenerLog();
    return lines.flatMap((l) => log.feed(l))[0] ?? { peer: '', handshake: { errors: [] }, done: false };
  };

  test('socat says "commonName matches" for it: reported as no check of the name', () => {
    assert.equal(
      connectionItem(connection(), false).detail,
      `TLSv1.3, cipher TLS_AES_256_GCM_SHA384; trusting certificate, no check of commonName; ${ANSWERED}`,
    );
  });

  test("a listener given a client name (sockopt commonname=…) keeps socat's words", () => {
    assert.equal(
      connectionItem(connection(), true).detail,
      `TLSv1.3, cipher TLS_AES_256_GCM_SHA384; trusting certificate, commonName matches; ${ANSWERED}`,
    );
  });
});
