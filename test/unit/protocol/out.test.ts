/**
 * Protocol lines on stdout (docs/protocol.md §1.5, §7.17, §7.37): one synchronous write per
 * line, line limits of mariadbd's fgets buffers, EPIPE → 32.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkProtocolLine, LINE_LIMIT, writeProtocolLine } from '../../../src/protocol/out';
import { assertSstError } from '../../helpers/assert-sst';

let dir = '';
before(() => {
  dir = fs.mkdtempSync(join(tmpdir(), 'sst-out-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('line limits', () => {
  test('the limits leave the donor’s line far shorter than the joiner’s', () => {
    assert.ok(LINE_LIMIT.donor >= 126, String(LINE_LIMIT.donor));
    assert.ok(LINE_LIMIT.donor <= 127, String(LINE_LIMIT.donor));
    assert.ok(LINE_LIMIT.joiner >= 510, String(LINE_LIMIT.joiner));
    assert.ok(LINE_LIMIT.joiner <= 511, String(LINE_LIMIT.joiner));
  });

  test('donor: 126 ASCII bytes pass, 128 are rejected with 255', () => {
    checkProtocolLine('donor', 'a'.repeat(126));
    assertSstError(() => checkProtocolLine('donor', 'a'.repeat(128)), 255, /longer than \d+ bytes for the donor/);
  });

  test('joiner: 510 ASCII bytes pass, 512 are rejected with 255', () => {
    checkProtocolLine('joiner', 'a'.repeat(510));
    assertSstError(() => checkProtocolLine('joiner', 'a'.repeat(512)), 255, /longer than \d+ bytes for the joiner/);
  });

  test('the longest real donor line fits: done <UUID>:<max int64> <max uint32>', () => {
    checkProtocolLine('donor', 'done a860abba-ea9b-11f1-ad11-f22cb73f111e:9223372036854775807 4294967295');
  });

  test('the longest real joiner line fits: ready <CN 64>:<secret 32>@<address 256>/<module>', () => {
    checkProtocolLine('joiner', `ready ${'c'.repeat(64)}:${'f'.repeat(32)}@${'a'.repeat(256)}/rsync_tunnel_sst`);
  });

  test('a line the joiner may print is too long for the donor', () => {
    const line = `ready ${'x'.repeat(200)}`;
    checkProtocolLine('joiner', line);
    assertSstError(() => checkProtocolLine('donor', line), 255);
  });

  test('the limit counts UTF-8 bytes, not characters', () => {
    checkProtocolLine('donor', 'é'.repeat(63)); // 126 bytes
    assertSstError(() => checkProtocolLine('donor', 'é'.repeat(64)), 255); // 64 characters, 128 bytes
    checkProtocolLine('joiner', '€'.repeat(170)); // 510 bytes
    assertSstError(() => checkProtocolLine('joiner', '€'.repeat(171)), 255); // 513 bytes
    assertSstError(() => checkProtocolLine('donor', '😀'.repeat(32)), 255); // 128 bytes in 64 UTF-16 units
  });

  // mariadbd reads with fgets(buf, 128) on the donor and fgets(buf, 512) on the
  // joiner: fgets stores at most size-1 characters *including* the '\n'. A line of
  // 127 (donor) / 511 (joiner) bytes plus '\n' is therefore split, and the lone
  // '\n' becomes an empty bogus next line. The largest safe line is 126 / 510 bytes.
  test('donor: a 127-byte line is rejected (fgets(buf, 128) would leave its newline for a bogus empty line)', () => {
    assertSstError(() => checkProtocolLine('donor', 'a'.repeat(127)), 255);
  });

  test('joiner: a 511-byte line is rejected (fgets(buf, 512) would leave its newline for a bogus empty line)', () => {
    assertSstError(() => checkProtocolLine('joiner', 'a'.repeat(511)), 255);
  });

  test('an empty line is not rejected by the limit check', () => {
    checkProtocolLine('donor', '');
  });
});

describe('control characters', () => {
  for (const [name, ch] of [
    ['\\n', '\n'],
    ['\\r', '\r'],
    ['\\0', '\0'],
  ] as const) {
    test(`${name} anywhere in a line is rejected with 255`, () => {
      assertSstError(() => checkProtocolLine('joiner', `ready 127.0.0.1:4444/m${ch}`), 255, /control character/);
      assertSstError(() => checkProtocolLine('donor', `${ch}continue`), 255, /control character/);
      assertSstError(() => checkProtocolLine('donor', `done a${ch}b`), 255, /control character/);
    });
  }

  test('a rejected line writes nothing', () => {
    const file = join(dir, 'rejected.out');
    const fd = fs.openSync(file, 'w');
    try {
      assertSstError(() => writeProtocolLine('donor', 'flush tables\ncontinue', fd), 255);
      assertSstError(() => writeProtocolLine('donor', 'x'.repeat(200), fd), 255);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), '');
  });
});

describe('writing', () => {
  test('a file descriptor of a temp file receives exactly "line\\n"', () => {
    const file = join(dir, 'one.out');
    const fd = fs.openSync(file, 'w');
    try {
      writeProtocolLine('joiner', 'ready 127.0.0.1:4444/rsync_tunnel_sst', fd);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'ready 127.0.0.1:4444/rsync_tunnel_sst\n');
  });

  test('successive lines arrive whole and in order', () => {
    const file = join(dir, 'donor.out');
    const fd = fs.openSync(file, 'w');
    try {
      writeProtocolLine('donor', 'flush tables', fd);
      writeProtocolLine('donor', 'continue', fd);
      writeProtocolLine('donor', 'done a860abba-ea9b-11f1-ad11-f22cb73f111e:3 0', fd);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(
      fs.readFileSync(file, 'utf8'),
      'flush tables\ncontinue\ndone a860abba-ea9b-11f1-ad11-f22cb73f111e:3 0\n',
    );
  });

  test('multibyte content is written as UTF-8', () => {
    const file = join(dir, 'utf8.out');
    const fd = fs.openSync(file, 'w');
    try {
      writeProtocolLine('joiner', 'ready hôst:4444/m', fd);
    } finally {
      fs.closeSync(fd);
    }
    assert.deepEqual(fs.readFileSync(file), Buffer.from('ready hôst:4444/m\n', 'utf8'));
  });

  test('default fd is 1 (child process): stdout gets the line, stderr nothing', () => {
    const outModule = join(__dirname, '..', '..', '..', 'src', 'protocol', 'out.js');
    const script = `require(${JSON.stringify(outModule)}).writeProtocolLine('donor', 'continue');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'continue\n');
    assert.equal(r.stderr, '');
  });
});

describe('mariadbd gone', () => {
  test('a pipe whose reader closed → SstError 32 (real FIFO)', () => {
    const fifo = join(dir, 'epipe.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    assert.equal(mk.status, 0);
    // A reader must exist for the writer's open to succeed without blocking.
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
    try {
      fs.closeSync(reader);
      assertSstError(() => writeProtocolLine('joiner', 'ready 127.0.0.1:4444/m', writer), 32, /EPIPE/);
    } finally {
      fs.closeSync(writer);
    }
  });

  test('a closed file descriptor (EBADF) → SstError 32 as well', () => {
    const fd = fs.openSync(join(dir, 'closed.out'), 'w');
    fs.closeSync(fd);
    assertSstError(() => writeProtocolLine('donor', 'continue', fd), 32);
  });

  test('EPIPE on the real stdout of a child whose reader is gone → exit path gets 32', async () => {
    // The child waits until its stdout reader is closed, then writes a line.
    const outModule = join(__dirname, '..', '..', '..', 'src', 'protocol', 'out.js');
    const script = `
      setTimeout(() => {
        try { require(${JSON.stringify(outModule)}).writeProtocolLine('donor', 'continue'); process.exit(0); }
        catch (e) { require('node:fs').writeSync(2, String(e.code)); process.exit(1); }
      }, 300);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    assert.equal(code, 1);
    assert.equal(err, '32');
  });
});

describe('a non-blocking pipe that is momentarily full (EAGAIN)', () => {
  test('the line is retried until the reader drains the pipe, and arrives whole', async () => {
    const fifo = join(dir, 'eagain.fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    let filled = 0;
    const chunk = Buffer.alloc(4096, 'f');
    for (;;) {
      try {
        filled += fs.writeSync(writer, chunk);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'EAGAIN');
        break;
      }
    }
    // A separate process drains the FIFO a little later; our write is synchronous meanwhile.
    const drain = spawn('sh', ['-c', 'sleep 0.3; exec cat < "$1"', 'sh', fifo], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const got: Buffer[] = [];
    drain.stdout.on('data', (c: Buffer) => got.push(c));
    const started = Date.now();
    try {
      writeProtocolLine('joiner', 'ready 127.0.0.1:4444/rsync_tunnel_sst', writer);
    } finally {
      fs.closeSync(writer);
    }
    const elapsed = Date.now() - started;
    await new Promise<void>((r) => drain.once('close', () => r()));
    fs.closeSync(reader);
    const all = Buffer.concat(got).toString('latin1');
    assert.ok(elapsed < 5000, `write took ${elapsed} ms`);
    // The drained bytes end with our line; `cat` may share the FIFO with our read end,
    // so only the tail is certain to be ours.
    assert.ok(all.endsWith('ready 127.0.0.1:4444/rsync_tunnel_sst\n'), `tail: ${JSON.stringify(all.slice(-60))}`);
    assert.ok(filled > 0);
  });
});
