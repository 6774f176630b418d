/**
 * Failed rsync → exit code (docs/protocol.md §7.23, §3.3): socat's TLS and connection errors
 * come through rsync's stderr and are told apart from rsync's own codes.
 * The stderr lines are realistic socat 1.7.4 / rsync 3.2 messages.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRsyncFailure } from '../../../src/rsync/failure';
import { SstError } from '../../../src/errors';

const PASS1 = 'pass 1 (top-level directories)';
const PASS6 = "pass 6 (database directory 'shop')";
/** rsync's exit 12 (protocol data stream error), as a broken tunnel gives it, with these stderr lines. */
const exit12 = (pass: string, stderr: readonly string[], firstPass: boolean): SstError =>
  classifyRsyncFailure(pass, 12, null, stderr, firstPass);

const RSYNC_12 = 'rsync error: error in rsync protocol data stream (code 12) at io.c(232) [sender=3.2.7]';
const CONNECTION_UNEXPECTEDLY_CLOSED = 'rsync: connection unexpectedly closed (0 bytes received so far) [sender]';

describe('TLS failures → 13 (EACCES)', () => {
  const tlsCases: [string, string][] = [
    [
      'certificate verify failed',
      '2026/11/27 21:00:00 socat[123] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed',
    ],
    [
      'commonName mismatch',
      '2026/11/27 21:00:00 socat[123] E certificate is valid but its commonName does not match hostname',
    ],
    [
      'subjectAltName mismatch',
      '2026/11/27 21:00:00 socat[123] E certificate is valid but its subjectAltName does not match hostname',
    ],
    ['no peer certificate', '2026/11/27 21:00:00 socat[123] E SSL_connect(): no peer certificate'],
    [
      'alert unknown ca',
      '2026/11/27 21:00:00 socat[123] E SSL_connect(): error:0A000418:SSL routines::tlsv1 alert unknown ca',
    ],
    [
      'alert bad certificate',
      '2026/11/27 21:00:00 socat[123] E SSL_connect(): error:0A000412:SSL routines::sslv3 alert bad certificate',
    ],
    [
      'alert certificate expired',
      '2026/11/27 21:00:00 socat[123] E SSL_connect(): error:0A000415:SSL routines::sslv3 alert certificate expired',
    ],
    [
      'alert handshake failure',
      '2026/11/27 21:00:00 socat[123] E SSL_connect(): error:0A000410:SSL routines::sslv3 alert handshake failure',
    ],
  ];
  for (const [name, line] of tlsCases) {
    test(name, () => {
      const e = exit12(PASS1, [line, RSYNC_12], true);
      assert.ok(e instanceof SstError);
      assert.equal(e.code, 13);
      assert.match(e.message, new RegExp(`^TLS verification failed in ${PASS1.replace(/[()]/g, '\\$&')}: `));
    });
  }

  test('the message carries socat’s text without its timestamp prefix', () => {
    const e = exit12(
      PASS1,
      [
        CONNECTION_UNEXPECTEDLY_CLOSED,
        '2026/11/27 21:00:00 socat[123] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed',
        RSYNC_12,
      ],
      true,
    );
    assert.equal(
      e.message,
      `TLS verification failed in ${PASS1}: SSL_connect(): error:0A000086:SSL routines::certificate verify failed`,
    );
  });

  test('a TLS failure in a later pass is still 13, not 255', () => {
    const e = exit12(
      PASS6,
      ['2026/11/27 21:00:00 socat[9] E certificate is valid but its commonName does not match hostname'],
      false,
    );
    assert.equal(e.code, 13);
    assert.match(e.message, /commonName does not match hostname$/);
  });

  test('a TLS failure carries its kind, for the donor to add the names it found', () => {
    const name = exit12(
      PASS6,
      ['socat[9] E certificate is valid but its subjectAltName does not match hostname'],
      false,
    );
    assert.equal(name.kind, 'peer-name-mismatch');
    const chain = exit12(
      PASS1,
      ['socat[1] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed'],
      true,
    );
    assert.equal(chain.kind, 'peer-chain-unverified');
    const alert = exit12(
      PASS1,
      ['socat[1] E SSL_connect(): error:0A000418:SSL routines::tlsv1 alert unknown ca'],
      true,
    );
    assert.equal(alert.code, 13);
    assert.equal(alert.kind, undefined);
    assert.equal(
      classifyRsyncFailure(PASS1, 5, null, ['@ERROR: auth failed on module rsync_tunnel_sst'], true).kind,
      undefined,
    );
  });

  test('TLS beats rsync code 12 → 71 on the first pass', () => {
    assert.equal(
      exit12(PASS1, ['socat[1] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed'], true).code,
      13,
    );
  });

  test('TLS beats a connection failure in the same stderr', () => {
    const e = exit12(
      PASS1,
      [
        'socat[1] E connect(5, AF=2 10.0.0.2:4444, 16): Connection refused',
        'socat[2] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed',
      ],
      true,
    );
    assert.equal(e.code, 13);
  });
});

describe('joiner unreachable → 111 (ECONNREFUSED)', () => {
  const cases: [string, string][] = [
    ['Connection refused', '2026/11/27 21:00:00 socat[123] E connect(5, AF=2 10.0.0.2:4444, 16): Connection refused'],
    ['No route to host', '2026/11/27 21:00:00 socat[123] E connect(5, AF=2 10.0.0.9:4444, 16): No route to host'],
    [
      'Network is unreachable',
      '2026/11/27 21:00:00 socat[123] E connect(5, AF=10 [fd00::9]:4444, 28): Network is unreachable',
    ],
    [
      'Name or service not known',
      '2026/11/27 21:00:00 socat[123] E getaddrinfo("joiner.invalid", ' +
        '"NULL", {1,0,1,6}, {}): Name or service not known',
    ],
    [
      'Connection timed out',
      '2026/11/27 21:00:00 socat[123] E connect(5, AF=2 10.0.0.2:4444, 16): Connection timed out',
    ],
    [
      'Temporary failure in name resolution',
      '2026/11/27 21:00:00 socat[123] E getaddrinfo("joiner", ' +
        '"NULL", {1,0,1,6}, {}): Temporary failure in name resolution',
    ],
  ];
  for (const [name, line] of cases) {
    test(name, () => {
      const e = exit12(PASS1, [line, CONNECTION_UNEXPECTEDLY_CLOSED, RSYNC_12], true);
      assert.equal(e.code, 111);
      assert.match(e.message, new RegExp(`^joiner unreachable in .*: ${name}$`));
    });
  }

  test('the message names the pass and strips the socat prefix', () => {
    const e = exit12(
      PASS6,
      ['2026/11/27 21:00:00 socat[123] E connect(5, AF=2 10.0.0.2:4444, 16): Connection refused'],
      false,
    );
    assert.equal(e.message, `joiner unreachable in ${PASS6}: connect(5, AF=2 10.0.0.2:4444, 16): Connection refused`);
  });
});

describe('rsync exit codes (docs/protocol.md §7.23)', () => {
  test('12 on the first pass → 71 with the upstream hint', () => {
    const e = exit12(PASS1, [CONNECTION_UNEXPECTEDLY_CLOSED, RSYNC_12], true);
    assert.equal(e.code, 71);
    assert.match(e.message, /incompatible protocol/);
    assert.match(e.message, /same version of rsync on all nodes/);
    assert.ok(e.message.includes(PASS1));
    assert.ok(e.message.includes('rsync returned code 12'));
  });

  test('22 on the first pass → 12 (ENOMEM)', () => {
    const e = classifyRsyncFailure(
      PASS1,
      22,
      null,
      ['rsync error: error allocating core memory buffers (code 22) at util2.c(80) [sender=3.2.7]'],
      true,
    );
    assert.equal(e.code, 12);
    assert.ok(e.message.includes(PASS1));
  });

  test('12 and 22 on later passes → 255', () => {
    assert.equal(exit12(PASS6, [RSYNC_12], false).code, 255);
    assert.equal(classifyRsyncFailure(PASS6, 22, null, [], false).code, 255);
  });

  for (const rc of [1, 5, 10, 11, 23, 24, 30, 35, 255]) {
    test(`code ${rc} → 255 with the pass name`, () => {
      const e = classifyRsyncFailure(
        PASS1,
        rc,
        null,
        [`rsync error: something (code ${rc}) at main.c(1) [sender=3.2.7]`],
        true,
      );
      assert.equal(e.code, 255);
      assert.equal(
        e.message,
        `${PASS1} failed, rsync returned code ${rc}: rsync error: something (code ${rc}) at main.c(1) [sender=3.2.7]`,
      );
    });
  }

  test('code 23 with a per-file error: the last line is quoted', () => {
    const e = classifyRsyncFailure(
      PASS6,
      23,
      null,
      [
        'rsync: [receiver] mkstemp "/var/lib/mysql/shop/.t.ibd.XXXX" failed: Permission denied (13)',
        'rsync error: some files/attrs were not transferred (see ' +
          'previous errors) (code 23) at main.c(1338) [sender=3.2.7]',
      ],
      false,
    );
    assert.equal(e.code, 255);
    assert.match(
      e.message,
      /^pass 6 \(database directory 'shop'\) failed, rsync returned code 23: rsync error: some files/,
    );
  });

  test('no stderr at all: no trailing colon', () => {
    assert.equal(classifyRsyncFailure(PASS6, 5, null, [], false).message, `${PASS6} failed, rsync returned code 5`);
  });
});

describe('killed by a signal', () => {
  test('→ 255 naming the signal, also on the first pass', () => {
    const e = classifyRsyncFailure(PASS1, null, 'SIGKILL', [], true);
    assert.equal(e.code, 255);
    assert.equal(e.message, `${PASS1} failed, killed by SIGKILL`);
  });

  test('a signal with a TLS line in stderr is still classified as TLS', () => {
    assert.equal(
      classifyRsyncFailure(
        PASS1,
        null,
        'SIGTERM',
        ['socat[1] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed'],
        true,
      ).code,
      13,
    );
  });
});

describe('lines that must not be mistaken', () => {
  test('a database or file name containing "refused" in an rsync error is not "unreachable"', () => {
    // Only the exact socat/OS phrases count.
    const e = classifyRsyncFailure(
      PASS6,
      23,
      null,
      ['rsync: [receiver] open "/var/lib/mysql/refused_orders/t.ibd" failed: Permission denied (13)'],
      false,
    );
    assert.equal(e.code, 255);
  });
});

describe('rsync daemon refusals', () => {
  test('auth failed (wrong per-SST secret) → 13, naming the pass', () => {
    const e = classifyRsyncFailure(
      'pass 1 (top-level directories)',
      5,
      null,
      [
        '@ERROR: auth failed on module rsync_tunnel_sst',
        'rsync error: error starting client-server protocol (code 5) at main.c(1954) [sender=3.5.0]',
      ],
      true,
    );
    assert.equal(e.code, 13);
    assert.match(
      e.message,
      new RegExp(
        String.raw`refused our per-SST secret in pass 1 \(top-level directories\) \(@ERROR: auth failed on ` +
          String.raw`module rsync_tunnel_sst\)`,
      ),
    );
  });

  test("other daemon errors are named in preference to rsync's closing line", () => {
    const e = classifyRsyncFailure(
      'pass 2 (InnoDB system tablespace)',
      5,
      null,
      ["@ERROR: Unknown module 'x'", 'rsync error: error starting client-server protocol (code 5)'],
      false,
    );
    assert.equal(e.code, 255);
    assert.match(e.message, /@ERROR: Unknown module/);
  });
});

describe('a broken tunnel is not a protocol mismatch', () => {
  test('rc 12 with "Connection reset by peer" → 255 naming the broken connection', () => {
    const e = exit12(
      'pass 1 (top-level directories)',
      [
        'rsync: [sender] safe_read failed to read 1 bytes: Connection reset by peer (104)',
        'rsync error: error in rsync protocol data stream (code 12) at io.c(340) [sender=3.5.0]',
      ],
      true,
    );
    assert.equal(e.code, 255);
    assert.match(e.message, /connection to the joiner broke in pass 1/);
  });
});
