/** Log line format (docs/protocol.md §1.5): `WSREP_SST: [LEVEL] msg (YYYYMMDD HH:MM:SS.mmm)`. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatLogLine, timestamp } from '../../src/log';

const LINE = /^WSREP_SST: \[(INFO|WARNING|ERROR)\] (.*) \((\d{8} \d{2}:\d{2}:\d{2}\.\d{3})\)\n$/;

describe('timestamp', () => {
  test('pads every field', () => {
    assert.equal(timestamp(new Date(2026, 0, 2, 3, 4, 5, 6)), '20260102 03:04:05.006');
  });

  test('two- and three-digit fields unpadded at their maximum', () => {
    assert.equal(timestamp(new Date(2026, 11, 31, 23, 59, 59, 999)), '20261231 23:59:59.999');
  });

  test('milliseconds 10..99 get one leading zero', () => {
    assert.equal(timestamp(new Date(2026, 10, 27, 21, 0, 0, 42)), '20261127 21:00:00.042');
  });
});

describe('formatLogLine', () => {
  const at = new Date(2026, 10, 27, 21, 5, 9, 7);

  test('exact format for each level', () => {
    assert.equal(formatLogLine('INFO', 'hello', at), 'WSREP_SST: [INFO] hello (20261127 21:05:09.007)\n');
    assert.equal(formatLogLine('WARNING', 'careful', at), 'WSREP_SST: [WARNING] careful (20261127 21:05:09.007)\n');
    assert.equal(formatLogLine('ERROR', 'broken', at), 'WSREP_SST: [ERROR] broken (20261127 21:05:09.007)\n');
  });

  test('newlines inside the message are folded into one space', () => {
    assert.equal(formatLogLine('INFO', 'a\nb', at), 'WSREP_SST: [INFO] a b (20261127 21:05:09.007)\n');
    assert.equal(formatLogLine('INFO', 'a\r\n\nb\rc', at), 'WSREP_SST: [INFO] a b c (20261127 21:05:09.007)\n');
  });

  test('a trailing newline does not leave a blank before the timestamp', () => {
    assert.equal(
      formatLogLine('ERROR', 'rsync failed\n', at),
      'WSREP_SST: [ERROR] rsync failed (20261127 21:05:09.007)\n',
    );
  });

  test('the result is always exactly one line', () => {
    const out = formatLogLine('INFO', 'x\ny\r\nz\n\n', at);
    assert.equal(out.split('\n').length, 2);
    assert.ok(out.endsWith('\n'));
  });

  test('inner blanks and special characters are kept as is', () => {
    assert.equal(
      formatLogLine('INFO', "path '/srv/my data' 100% $HOME", at),
      "WSREP_SST: [INFO] path '/srv/my data' 100% $HOME (20261127 21:05:09.007)\n",
    );
  });

  test('default time is now', () => {
    const before = Date.now();
    const m = LINE.exec(formatLogLine('INFO', 'now'));
    assert.ok(m);
    const ts = m[3] ?? '';
    const parsed = new Date(
      Number(ts.slice(0, 4)),
      Number(ts.slice(4, 6)) - 1,
      Number(ts.slice(6, 8)),
      Number(ts.slice(9, 11)),
      Number(ts.slice(12, 14)),
      Number(ts.slice(15, 17)),
      Number(ts.slice(18, 21)),
    ).getTime();
    assert.ok(Math.abs(parsed - before) < 5000);
  });
});

describe('log.* writes to stderr only (child process)', () => {
  test('info, warn and error go to fd 2 with the right level; stdout stays empty', () => {
    const logModule = join(__dirname, '..', '..', 'src', 'log.js');
    const script =
      `const { log } = require(${JSON.stringify(logModule)}); ` +
      `log.info('one'); log.warn('two\\nlines'); log.error('three');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split(/(?<=\n)/);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      lines.map((l) => LINE.exec(l)?.slice(1, 3)),
      [
        ['INFO', 'one'],
        ['WARNING', 'two lines'],
        ['ERROR', 'three'],
      ],
    );
  });

  test('a closed stderr does not throw (the flow must still clean up)', () => {
    const logModule = join(__dirname, '..', '..', 'src', 'log.js');
    const script =
      `require('node:fs').closeSync(2); const { log } = require(${JSON.stringify(logModule)}); ` +
      `log.error('nobody listens'); require('node:fs').writeSync(1, 'survived');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'survived');
  });
});
