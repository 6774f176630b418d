/**
 * `check --listen` and `check --peer` between two local instances, with the real program and
 * socat: the same TLS handshake an SST makes, in both directions of verification. The listener
 * runs on 127.0.0.2, as a joiner would, and is stopped by SIGTERM to its PID (or killed with its
 * process group if anything goes wrong).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANSWERED } from '../../src/check/socat-log';
import { processTable } from '../../src/proc/process-table';
import { programCommand, run, startTracked, stopTracked, type RunResult } from '../helpers/binary';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { literal } from '../helpers/regex';
import { freePort, portBindable } from '../helpers/procs';
import { writeOptionFile, type Options } from '../helpers/option-file';

const HOST = '127.0.0.2';
const WAIT_MS = 20_000;

let root: string;
let ca: Pki;
let joiner: NodeCert;
let donor: NodeCert;
let wrongCn: NodeCert;
let stranger: NodeCert;
let counter = 0;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'check-live-'));
  ca = createCa(join(root, 'pki'));
  joiner = issueCert(ca, { cn: HOST, ips: [HOST], name: 'joiner' });
  donor = issueCert(ca, { cn: '127.0.0.3', ips: ['127.0.0.3'], name: 'donor' });
  wrongCn = issueCert(ca, { cn: 'wrong.example', name: 'wrong-cn' });
  const other = createCa(join(root, 'pki-other'), 'other');
  stranger = issueCert(other, { cn: '127.0.0.3', ips: ['127.0.0.3'], name: 'stranger' });
});

after(() => rmSync(root, { recursive: true, force: true }));

function cnf(cert: NodeCert, mysqld: Options = {}): string {
  const dir = join(root, `node${++counter}`);
  mkdirSync(join(dir, 'data'), { recursive: true });
  return writeOptionFile(
    dir,
    { tca: ca.caCert, tcert: cert.cert, tkey: cert.key },
    { user: 'root', datadir: join(dir, 'data'), ...mysqld },
  );
}

interface Listener {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `check --listen` and waits until it says it listens: on --bind/--port, or with
 * `fromConfig` where a joiner would, at wsrep_sst_receive_address.
 */
async function listen(cert: NodeCert, fromConfig = false): Promise<Listener> {
  const port = await freePort(HOST);
  const p = programCommand();
  const where = fromConfig ? [] : ['--bind', HOST, '--port', String(port)];
  const config = cnf(cert, fromConfig ? { wsrep_sst_receive_address: `${HOST}:${port}` } : {});
  const child = startTracked(
    p.command,
    [...p.args, 'check', '--defaults-file', config, '--listen', ...where, '--timeout', '60'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const listener: Listener = { child, port, output: () => out, exited };
  const deadline = Date.now() + WAIT_MS;
  while (!/^PASS {2}TLS listener +listening on /m.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopTracked(child);
      assert.fail(`the listener did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return listener;
}

/** The socat processes `check` started (its other child is the guard). */
function socatUnder(pid: number | undefined): number[] {
  return processTable()
    .filter((p) => p.ppid === pid && p.comm === 'socat' && !p.zombie)
    .map((p) => p.pid);
}

const running = (pid: number): boolean => processTable().some((p) => p.pid === pid && !p.zombie);

/** SIGTERM to the listener itself: it kills its socat, prints its summary and exits. */
async function finish(l: Listener): Promise<{ code: number | null; output: string }> {
  if (l.child.pid !== undefined) process.kill(l.child.pid, 'SIGTERM');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), WAIT_MS).unref());
  const code = await Promise.race([l.exited, timeout]);
  if (code === 'timeout') {
    await stopTracked(l.child);
    assert.fail(`the listener ignored SIGTERM:\n${l.output()}`);
  }
  return { code, output: l.output() };
}

async function peer(cert: NodeCert, port: number, extra: string[] = []): Promise<RunResult> {
  const p = programCommand();
  return run(
    p.command,
    [...p.args, 'check', '--defaults-file', cnf(cert), '--peer', `${HOST}:${port}`, '--timeout', '20', ...extra],
    { timeoutMs: 40_000 },
  );
}

describe('check --listen / --peer', () => {
  test('good certificates: both sides PASS and name the negotiated protocol and cipher', async () => {
    const l = await listen(joiner);
    try {
      const r = await peer(donor, l.port);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          "^PASS {2}TLS settings +.*verifies the listener's certificate chain and the name " +
            String.raw`'127\.0\.0\.2', as a donor does$`,
          'm',
        ),
      );
      assert.match(
        r.stdout,
        new RegExp(
          `^PASS  handshake with 127\\.0\\.0\\.2:${l.port}  TLSv1\\.[23], cipher \\S+; trusting certificate, ` +
            `commonName matches; the listener accepted this node's certificate$`,
          'm',
        ),
      );
      const done = await finish(l);
      assert.equal(done.code, 0, done.output);
      assert.match(
        done.output,
        new RegExp(
          String.raw`^PASS {2}handshake from 127\.0\.0\.\d+:\d+ +TLSv1\.[23], cipher \S+; trusting ` +
            `certificate, no check of commonName; ${literal(ANSWERED)}$`,
          'm',
        ),
      );
      assert.match(done.output, /: nothing fails$/m);
    } finally {
      await stopTracked(l.child);
    }
  });

  test('--json from the peer is one object; the listener defaults to the receive address, as a joiner', async () => {
    const l = await listen(joiner, true);
    assert.match(l.output(), new RegExp(`^PASS  TLS listener +listening on 127\\.0\\.0\\.2:${l.port} for 60 s`, 'm'));
    try {
      const r = await peer(donor, l.port, ['--json']);
      const report = JSON.parse(r.stdout) as {
        mode: string;
        ok: boolean;
        items: { id: string; status: string; detail: string }[];
      };
      assert.equal(report.mode, 'peer');
      assert.equal(report.ok, true);
      const handshake = report.items.find((i) => i.id === 'handshake');
      assert.equal(handshake?.status, 'PASS');
      assert.match(handshake?.detail ?? '', /^TLSv1\.[23], cipher /);
    } finally {
      await finish(l);
      await stopTracked(l.child);
    }
  });

  test("the listener's certificate does not name the host: the peer FAILs with socat's reason", async () => {
    const l = await listen(wrongCn);
    try {
      const r = await peer(donor, l.port);
      assert.equal(r.code, 1, r.stdout);
      assert.match(
        r.stdout,
        new RegExp(
          String.raw`^FAIL {2}handshake with 127\.0\.0\.2:\d+ +socat: certificate is valid but its commonName ` +
            String.raw`does not match hostname "127\.0\.0\.2"$`,
          'm',
        ),
      );
      // socat checks the name after the handshake: whether the listener's child saw the peer
      // drop the connection, or had already answered and ended cleanly, is a race it cannot win.
      const done = await finish(l);
      const refused = new RegExp(
        String.raw`^FAIL {2}handshake from \S+ +TLS set up \(.*\), then socat: .*: the connecting node ` +
          "probably refused this node's certificate",
        'm',
      );
      const answered = new RegExp(String.raw`^PASS {2}handshake from \S+ +TLSv1\.[23], .*; ${literal(ANSWERED)}$`, 'm');
      if (done.code === 1) assert.match(done.output, refused);
      else {
        assert.equal(done.code, 0, done.output);
        assert.match(done.output, answered);
      }
    } finally {
      await stopTracked(l.child);
    }
  });

  test(
    'a peer certificate from another CA: ' + 'the listener refuses it and says why, the peer sees no answer',
    async () => {
      const l = await listen(joiner);
      try {
        const r = await peer(stranger, l.port);
        assert.equal(r.code, 1, r.stdout);
        assert.match(
          r.stdout,
          /^FAIL {2}handshake with 127\.0\.0\.2:\d+ +.*(listener closed the connection without answering|socat: )/m,
        );
        const done = await finish(l);
        assert.equal(done.code, 1, done.output);
        assert.match(
          done.output,
          new RegExp(
            String.raw`^FAIL {2}handshake from \S+ +the donor's certificate was refused: socat: ` +
              String.raw`SSL_accept\(\): .*certificate verify failed$`,
            'm',
          ),
        );
      } finally {
        await stopTracked(l.child);
      }
    },
  );

  test('a listener whose socat dies early says so and exits 1', async () => {
    const l = await listen(joiner);
    try {
      const socat = socatUnder(l.child.pid);
      assert.equal(socat.length, 1, `expected one socat under the listener, got ${socat.join(', ')}`);
      process.kill(socat[0] ?? -1, 'SIGKILL');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), WAIT_MS).unref());
      const code = await Promise.race([l.exited, timeout]);
      assert.equal(code, 1, l.output());
      assert.match(l.output(), /^FAIL {2}TLS listener +the socat listener ended before the time was up/m);
    } finally {
      await stopTracked(l.child);
    }
  });

  test('check --listen SIGKILLed: its guard ends the socat listener, the port can be bound again', async () => {
    const l = await listen(joiner);
    const [socat, ...more] = socatUnder(l.child.pid);
    try {
      assert.ok(socat !== undefined, `no socat under the listener: ${l.output()}`);
      assert.deepEqual(more, [], `more than one socat under the listener: ${l.output()}`);
      process.kill(l.child.pid ?? -1, 'SIGKILL');
      await l.exited;
      const deadline = Date.now() + WAIT_MS;
      while (running(socat) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(
        running(socat),
        false,
        `socat (PID ${socat}) still listens ${WAIT_MS / 1000} s after check was SIGKILLed`,
      );
      assert.equal(await portBindable(HOST, l.port), true, `port ${l.port} still taken`);
    } finally {
      // By PID, and only while that PID is still a socat: what a failed run leaves.
      if (socat !== undefined && processTable().some((p) => p.pid === socat && p.comm === 'socat' && !p.zombie))
        process.kill(socat, 'SIGKILL');
      await stopTracked(l.child);
    }
  });

  test('nobody listening: the peer FAILs with the connection error', async () => {
    const port = await freePort(HOST);
    const r = await peer(donor, port);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAIL {2}handshake with 127\.0\.0\.2:\d+ +socat: connect\(.*\): Connection refused$/m);
  });
});
