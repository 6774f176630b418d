import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuietLines } from '../../../src/proc/quiet-lines';
import { quietSocatLine, REFUSED_CONNECTIONS } from '../../../src/tunnel/socat-messages';

const REFUSED = REFUSED_CONNECTIONS;
const line = (n: number): string =>
  `2026/12/06 10:46:18 socat[${n}] E SSL_accept(): error:0A00010B:SSL routines::wrong version number`;

describe('QuietLines (fake clock)', () => {
  test('a flood: first line as it is, then one count per interval with the last line', () => {
    const q = new QuietLines();
    assert.deepEqual(q.add('socat listener', REFUSED, line(1), 0), [`socat listener: ${line(1)}`]);
    const logged: string[] = [];
    for (let i = 2; i <= 200; i++) logged.push(...q.add('socat listener', REFUSED, line(i), i * 100));
    // 20 s of lines: the interval (30 s) has not passed, nothing more logged.
    assert.deepEqual(logged, []);
    assert.deepEqual(q.due(29_999), []);
    assert.deepEqual(q.due(30_000), [
      `socat listener: 199 more refused connections in the last 30 s (last: ${line(200)})`,
    ]);
    assert.deepEqual(q.due(31_000), [], 'reported once');
    assert.deepEqual(q.add('socat listener', REFUSED, line(201), 40_000), []);
    assert.deepEqual(q.add('socat listener', REFUSED, line(202), 60_000), [
      `socat listener: 2 more refused connections in the last 30 s (last: ${line(202)})`,
    ]);
    assert.deepEqual(q.add('socat listener', REFUSED, line(203), 61_000), []);
    assert.deepEqual(q.takeFloods(62_000), [
      `socat listener: 1 more refused connections in the last 2 s (last: ${line(203)})`,
    ]);
    assert.deepEqual(q.takeFloods(63_000), []);
  });

  test('expected kinds are only counted for the summary', () => {
    const q = new QuietLines();
    assert.deepEqual(q.add('a', { kind: 'harmless' }, 'x W harmless', 0), []);
    assert.deepEqual(q.add('b', { kind: 'harmless' }, 'x W harmless', 1), []);
    assert.deepEqual(q.add('b', { kind: 'other' }, 'x W other', 2), []);
    assert.deepEqual(q.takeFloods(3), []);
    assert.equal(q.takeExpected(), '3 expected warnings not logged one by one (harmless ×2, other ×1)');
    assert.equal(q.takeExpected(), undefined);
  });

  test('sources are counted apart', () => {
    const q = new QuietLines();
    q.add('one', REFUSED, 'a', 0);
    q.add('two', REFUSED, 'b', 0);
    q.add('one', REFUSED, 'c', 1);
    assert.deepEqual(q.takeFloods(2_000), ['one: 1 more refused connections in the last 2 s (last: c)']);
  });
});

describe('quietSocatLine', () => {
  test('SSL_accept failures of the listener are refused connections; expected warnings keep their kind', () => {
    for (const reason of [
      'wrong version number',
      'peer did not return a certificate',
      'unexpected eof while reading',
      'certificate verify failed',
    ]) {
      assert.equal(
        quietSocatLine(`2026/12/06 10:46:18 socat[1] E SSL_accept(): error:0A000086:SSL routines::${reason}`),
        REFUSED,
      );
    }
    assert.equal(
      quietSocatLine('2026/12/06 10:00:33 socat[10422] W OpenSSL: Warning: this implementation does not check CRLs'),
      'CRLs not checked',
    );
  });

  test('everything else still reaches the log', () => {
    for (const l of [
      '2026/12/06 10:00:07 socat[8790] E SSL_connect(): error:0A000086:SSL routines::certificate verify failed',
      '2026/12/06 10:00:30 socat[10169] W waitpid(): child 10170 exited with status 23',
      '2026/12/06 10:00:07 socat[8790] E certificate is valid but its commonName does not match hostname',
    ]) {
      assert.equal(quietSocatLine(l), undefined, l);
    }
  });
});
