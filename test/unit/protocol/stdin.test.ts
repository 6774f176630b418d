/** stdin auth of newer servers (docs/protocol.md §1.2 table, §7.44): parse, never block. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseAuthLines } from '../../../src/protocol/stdin';

describe('parseAuthLines', () => {
  test('the four lines a stdin-auth server writes', () => {
    const m = parseAuthLines(
      'sst_user=root\nsst_password=s3cret\nsst_remote_user=joiner-cn\nsst_remote_password=0123abcd\n',
    );
    assert.deepEqual(
      [...m],
      [
        ['sst_user', 'root'],
        ['sst_password', 's3cret'],
        ['sst_remote_user', 'joiner-cn'],
        ['sst_remote_password', '0123abcd'],
      ],
    );
  });

  test('only user and password (no remote part)', () => {
    assert.deepEqual(
      [...parseAuthLines('sst_user=u\nsst_password=p\n')],
      [
        ['sst_user', 'u'],
        ['sst_password', 'p'],
      ],
    );
  });

  test('a value keeps everything after the first "=", including "=", blanks and "@"', () => {
    const m = parseAuthLines('sst_password=a=b c@d \n');
    assert.equal(m.get('sst_password'), 'a=b c@d ');
  });

  test('an empty value is kept as empty', () => {
    const m = parseAuthLines('sst_user=\nsst_password=\n');
    assert.equal(m.get('sst_user'), '');
    assert.equal(m.get('sst_password'), '');
  });

  test('CRLF line ends lose their CR', () => {
    assert.equal(parseAuthLines('sst_user=root\r\nsst_password=p\r\n').get('sst_user'), 'root');
  });

  test('keys are trimmed', () => {
    assert.equal(parseAuthLines('  sst_user =root\n').get('sst_user'), 'root');
  });

  test('lines without "=" or with an empty key are ignored', () => {
    assert.deepEqual([...parseAuthLines('garbage\n=novalue\n\nsst_user=u')], [['sst_user', 'u']]);
  });

  test('the last occurrence of a key wins', () => {
    assert.equal(parseAuthLines('sst_user=a\nsst_user=b\n').get('sst_user'), 'b');
  });

  test('empty text → empty map', () => {
    assert.equal(parseAuthLines('').size, 0);
  });

  test('the literal (null) is returned as is (mapping it to empty is the caller’s job)', () => {
    assert.equal(parseAuthLines('sst_user=(null)\n').get('sst_user'), '(null)');
  });
});

interface FixtureResult {
  entries: [string, string][];
  elapsedMs: number;
}

const FIXTURE = join(__dirname, '..', 'fixtures', 'stdin-fixture.js');

/** Runs readStdinAuth in a real child process with the given stdin. */
async function runFixture(
  stdin: 'pipe' | 'ignore',
  timeoutMs: number,
  feed?: (w: NodeJS.WritableStream) => void,
): Promise<{ result: FixtureResult; code: number | null; wallMs: number; stderr: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, [FIXTURE, String(timeoutMs)], {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, SST_UNIT_FIXTURE: 'stdin' },
  });
  if (!child.stdout || !child.stderr) throw new Error('stdio pipes missing');
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => (err += c));
  if (feed && child.stdin) feed(child.stdin);
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  clearTimeout(killer);
  child.stdin?.destroy();
  assert.notEqual(out, '', `fixture printed nothing (code ${code}): ${err}`);
  return { result: JSON.parse(out) as FixtureResult, code, wallMs: Date.now() - started, stderr: err };
}

describe('readStdinAuth in a child process', () => {
  test('a pipe with auth lines, then EOF → the lines are read at once', async () => {
    const { result, code } = await runFixture('pipe', 5000, (w) => {
      w.write('sst_user=root\nsst_pass');
      w.end('word=pw\n');
    });
    assert.equal(code, 0);
    assert.deepEqual(result.entries, [
      ['sst_user', 'root'],
      ['sst_password', 'pw'],
    ]);
    assert.ok(result.elapsedMs < 3000, `took ${result.elapsedMs} ms`);
  });

  test('stdin is /dev/null (10.11 under systemd) → empty map, no wait', async () => {
    const { result, code } = await runFixture('ignore', 5000);
    assert.equal(code, 0);
    assert.deepEqual(result.entries, []);
    assert.ok(result.elapsedMs < 3000, `took ${result.elapsedMs} ms`);
  });

  test('a pipe that is never closed → gives up after the timeout and the process still exits on its own', async () => {
    let kept: NodeJS.WritableStream | undefined;
    const { result, code, wallMs } = await runFixture('pipe', 300, (w) => {
      w.write('sst_user=partial\n');
      kept = w; // left open: the parent never sends EOF
    });
    assert.ok(kept);
    assert.equal(code, 0);
    assert.deepEqual(result.entries, [['sst_user', 'partial']]);
    assert.ok(result.elapsedMs >= 250, `took ${result.elapsedMs} ms`);
    assert.ok(result.elapsedMs < 4000, `took ${result.elapsedMs} ms`);
    assert.ok(wallMs < 10_000);
  });

  test('a large stdin is drained to EOF without error (content beyond 64 KiB is dropped)', async () => {
    const { result, code } = await runFixture('pipe', 5000, (w) => {
      w.write('sst_user=first\n');
      w.end(`${'x'.repeat(200_000)}\nsst_password=late\n`);
    });
    assert.equal(code, 0);
    assert.deepEqual(result.entries, [['sst_user', 'first']]);
  });
});
