import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectedSocatWarning } from '../../../src/tunnel/socat-messages';

describe('expectedSocatWarning', () => {
  test('the warnings socat 1.8 prints for every connection (lines as seen with 1.8.0.0–1.8.1.3)', () => {
    assert.equal(
      expectedSocatWarning(
        '2026/12/06 10:00:33 socat[10422] W OpenSSL: Warning: this implementation does not check CRLs',
      ),
      'CRLs not checked',
    );
    assert.equal(
      expectedSocatWarning('2026/12/06 10:00:40 socat[10904] W refusing to set empty SNI host name'),
      'no SNI host name',
    );
    assert.equal(expectedSocatWarning('2026/12/06 10:00:34 socat[10422] W exiting on signal 15'), 'stopped by us');
  });

  test('every other message still reaches the log', () => {
    for (const line of [
      '2026/12/06 10:00:30 socat[10169] W waitpid(): child 10170 exited with status 23',
      '2026/12/06 10:00:34 socat[10422] W exiting on signal 9',
      '2026/12/06 10:00:07 socat[8790] E certificate is valid but its commonName does not match hostname',
      '2026/12/06 10:00:07 socat[8800] E SSL_accept(): error:0A000126:SSL routines::unexpected eof while reading',
      'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      'W OpenSSL: Warning: this implementation does not check CRLs and more',
    ]) {
      assert.equal(expectedSocatWarning(line), undefined, line);
    }
  });
});
