/** /proc-based socket and process lookups (docs/protocol.md §5.5) without lsof/ss/ps. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { childrenWithChildren, processTable } from '../../../src/proc/process-table';
import { listeningSockets, parseProcNetTcp, pidListensOn, portOwners, socketInodesOf } from '../../../src/proc/sockets';

const TCP4 =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 ` +
  `0000000000000000 100 0 0 10 0
   1: 00000000:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 22222 1 ` +
  `0000000000000000 100 0 0 10 0
   2: 0100007F:115C 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 33333 1 ` +
  `0000000000000000 20 4 30 10 -1
   3: 0100007F:C350 0100007F:115C 06 00000000:00000000 03:00001770 00000000     0        0 0 3 ` +
  `0000000000000000
`;

const TCP6 =
  `  sl  local_address                         remote_address                        st tx_queue rx_queue tr ` +
  `tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:115C 00000000000000000000000000000000:0000 0A 00000000:00000000 ` +
  `00:00000000 00000000     0        0 44444 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0CEA 00000000000000000000000000000000:0000 0A 00000000:00000000 ` +
  `00:00000000 00000000   106        0 55555 1 0000000000000000 100 0 0 10 0
   2: 00000000000000000000000001000000:115C 00000000000000000000000001000000:D431 01 00000000:00000000 ` +
  `00:00000000 00000000     0        0 66666 1 0000000000000000 20 4 30 10 -1
`;

describe('parseProcNetTcp', () => {
  test('IPv4: LISTEN lines only, hex port, inode', () => {
    assert.deepEqual(parseProcNetTcp(TCP4), [
      { inode: 12345, port: 4444, localAddress: '0100007F' },
      { inode: 22222, port: 3306, localAddress: '00000000' },
    ]);
  });

  test('IPv6', () => {
    assert.deepEqual(parseProcNetTcp(TCP6), [
      { inode: 44444, port: 4444, localAddress: '00000000000000000000000001000000' },
      { inode: 55555, port: 3306, localAddress: '00000000000000000000000000000000' },
    ]);
  });

  test('header only, empty text, short or garbage lines', () => {
    assert.deepEqual(parseProcNetTcp(''), []);
    assert.deepEqual(parseProcNetTcp(TCP4.split('\n')[0] ?? ''), []);
    assert.deepEqual(parseProcNetTcp('header\n   0: 0100007F:115C 00000000:0000 0A\n\n'), []);
  });

  test('the header line is never parsed even if it looked like data', () => {
    const headerLike = '   9: 0100007F:0001 00000000:0000 0A 0:0 0:0 0 0 0 99999\n';
    assert.deepEqual(
      parseProcNetTcp(`${headerLike}${headerLike}`).map((s) => s.inode),
      [99999],
    );
  });
});

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

const close = (server: Server): Promise<void> => new Promise((r) => server.close(() => r()));

async function unusedPort(): Promise<number> {
  const s = createServer();
  const p = await listen(s, '127.0.0.1');
  await close(s);
  return p;
}

describe('with a real listening socket in this process', () => {
  test('IPv4 127.0.0.1: seen in listeningSockets, owned by process.pid', async () => {
    const server = createServer();
    const port = await listen(server, '127.0.0.1');
    try {
      const sock = listeningSockets().find((s) => s.port === port);
      assert.ok(sock, `port ${port} not in /proc/net/tcp`);
      assert.equal(sock.localAddress, '0100007F');
      assert.ok(socketInodesOf(process.pid).has(sock.inode));
      assert.equal(pidListensOn(process.pid, port), true);
      const owners = portOwners(port);
      assert.deepEqual(owners, [{ pid: process.pid, command: fs.readFileSync('/proc/self/comm', 'utf8').trim() }]);
    } finally {
      await close(server);
    }
    assert.equal(pidListensOn(process.pid, port), false);
    assert.deepEqual(portOwners(port), []);
  });

  test('IPv6 ::1 is found through /proc/net/tcp6', async (t) => {
    const server = createServer();
    let port: number;
    try {
      port = await listen(server, '::1');
    } catch (e) {
      t.skip(`no IPv6 loopback here: ${(e as Error).message}`);
      return;
    }
    try {
      assert.equal(pidListensOn(process.pid, port), true);
      assert.equal(portOwners(port)[0]?.pid, process.pid);
    } finally {
      await close(server);
    }
  });

  test('a port nobody listens on', async () => {
    const port = await unusedPort();
    assert.equal(pidListensOn(process.pid, port), false);
    assert.deepEqual(portOwners(port), []);
  });

  test('another process does not own our port, and we do not own its', async () => {
    const server = createServer();
    const port = await listen(server, '127.0.0.1');
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      assert.ok(child.pid);
      assert.equal(pidListensOn(child.pid, port), false);
    } finally {
      child.kill('SIGKILL');
      await close(server);
    }
  });

  test('a dead or non-existent PID has no sockets', () => {
    assert.equal(socketInodesOf(2 ** 22 + 12345).size, 0);
    assert.equal(pidListensOn(2 ** 22 + 12345, 1), false);
  });
});

function sleepPath(): string {
  const found = ['/usr/bin/sleep', '/bin/sleep'].find((p) => fs.existsSync(p));
  assert.ok(found, 'sleep not found');
  return found;
}

/** Child PIDs of `pid`, as the joiner reads them (src/proc/process-table.ts). */
const kids = (pid: number): number[] => childrenWithChildren(processTable(), pid).map((c) => c.pid);

describe('childrenWithChildren over the real process table', () => {
  async function waitExit(c: ChildProcess): Promise<void> {
    if (c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => c.once('exit', () => r()));
  }

  test('lists a spawned sleep as our child, and forgets it once it is reaped', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    assert.ok(child.pid);
    try {
      assert.ok(kids(process.pid).includes(child.pid));
    } finally {
      child.kill('SIGKILL');
      await waitExit(child);
    }
    assert.equal(kids(process.pid).includes(child.pid), false);
  });

  test('finds a grandchild under its own parent, not under us', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    assert.ok(child.pid, 'sh started');
    assert.ok(child.stdout, 'a pipe for its stdout');
    const grandchild = await new Promise<number>((r) =>
      child.stdout?.once('data', (d: Buffer) => r(Number(String(d).trim()))),
    );
    try {
      assert.ok(kids(child.pid).includes(grandchild));
      assert.equal(kids(process.pid).includes(grandchild), false);
    } finally {
      process.kill(grandchild, 'SIGKILL');
      child.kill('SIGKILL');
      await waitExit(child);
    }
  });

  test('a command name with spaces and parentheses does not confuse the /proc/<pid>/stat parsing', async () => {
    // comm comes from the executed file name: run sleep through a symlink named `x) (y z`.
    const dir = fs.mkdtempSync(join(tmpdir(), 'sst-comm-'));
    const odd = join(dir, 'x) (y z');
    fs.symlinkSync(sleepPath(), odd);
    const child = spawn(odd, ['30'], { stdio: 'ignore' });
    assert.ok(child.pid);
    try {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), 'x) (y z');
      assert.ok(kids(process.pid).includes(child.pid));
    } finally {
      child.kill('SIGKILL');
      await waitExit(child);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a process without children', () => {
    assert.deepEqual(kids(2 ** 22 + 12345), []);
  });
});
