/**
 * The socat address builders against the real socat (1.7.4 on Debian 12): a TLS listener whose
 * EXEC target prints its argv and then echoes, and a client that sends a payload through it.
 * Certificates come from the openssl CLI (test/helpers/pki). Every socat runs in its own process
 * group and is SIGKILLed by group: SIGTERM can leave socat 1.7.4 spinning (see socat-address.ts).
 */
import { test, describe, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidListensOn } from '../../src/proc/sockets';
import {
  connectAddress,
  execAddress,
  listenAddress,
  parseSockopt,
  type TunnelTls,
} from '../../src/tunnel/socat-address';
import { startTracked, stopTracked } from '../helpers/binary';
import { createCa, issueCert, subjectHash, type NodeCert } from '../helpers/pki';
import { freePort } from '../helpers/procs';

/** Every character the brief calls hostile, plus the ones socat's lexer treats specially. */
const HOSTILE_NAME = `we,ird:dir 'sq' "dq" !!x\\y $(z) [b]{c}(d)%e`;

const ARGV_TOKENS = ['--config=/var/lib/my sql/a,b:c/rsync.conf', HOSTILE_NAME, '', '-', '$(touch nothing)', 'ünï'];

const PAYLOAD = 'payload through the tunnel\n';

interface Fixture {
  root: string;
  serverCert: string;
  serverKey: string;
  caFile: string;
  caPath: string;
  donorBundle: string;
  wrongName: NodeCert;
  v6Name: NodeCert;
  donor: NodeCert;
  stranger: NodeCert;
  otherCaFile: string;
  script: string;
}

let fx: Fixture;

/** Copies `from` into the hostile directory under a hostile name. */
function hostileCopy(dir: string, from: string, stem: string): string {
  const to = join(dir, `${stem}, it's "${stem}": ok!!.pem`);
  fs.copyFileSync(from, to);
  return to;
}

function makeFixture(): Fixture {
  const root = fs.mkdtempSync(join(tmpdir(), 'socat-tunnel-'));
  const ca = createCa(join(root, 'pki'), 'ca');
  const other = createCa(join(root, 'pki-other'), 'other');
  const server = issueCert(ca, { cn: '127.0.0.1', ips: ['127.0.0.1'], name: 'server' });
  const donor = issueCert(ca, { cn: 'donor.example', name: 'donor' });
  const hostile = join(root, HOSTILE_NAME);
  fs.mkdirSync(hostile);
  // Not under `hostile`: OpenSSL reads a `:` in a CA directory as a list separator, so the
  // builder refuses such a directory (unit-tested); everything else socat treats specially stays.
  const caPath = join(root, `ca path, 'sq' "dq" !!x\\y $(z) [b]{c}(d)%e`);
  fs.mkdirSync(caPath);
  fs.copyFileSync(ca.caCert, join(caPath, `${subjectHash(ca.caCert)}.0`));
  const script = join(hostile, 'argv and echo, "x".sh');
  fs.writeFileSync(script, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\0\' "$a"; done\nprintf \'END\\0\'\nexec cat\n');
  fs.chmodSync(script, 0o755);
  return {
    root,
    serverCert: hostileCopy(hostile, server.cert, 'cert'),
    serverKey: hostileCopy(hostile, server.key, 'key'),
    caFile: hostileCopy(hostile, ca.caCert, 'ca'),
    caPath,
    donorBundle: hostileCopy(hostile, donor.bundle, 'bundle'),
    wrongName: issueCert(ca, { cn: 'wrong.example', name: 'wrong' }),
    v6Name: issueCert(ca, { cn: '::1', name: 'v6' }),
    donor,
    stranger: issueCert(other, { cn: 'donor.example', name: 'stranger' }),
    otherCaFile: other.caCert,
    script,
  };
}

interface Listener {
  child: ChildProcess;
  stderr: () => string;
}

async function waitListening(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (child.pid === undefined || !pidListensOn(child.pid, port)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`socat listener exited: ${stderr()}`);
    if (Date.now() > deadline) throw new Error(`socat listener not listening on ${port}: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts socat with the listen address; stopped (group SIGKILL) when the test ends, pass or fail. */
async function startListener(t: TestContext, address: string, port: number, exec: string): Promise<Listener> {
  const child = startTracked('socat', ['-d', address, exec], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.after(() => stopTracked(child));
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  await waitListening(child, port, () => err);
  return { child, stderr: () => err };
}

interface ClientResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** socat - <address>: sends PAYLOAD, returns what came back once both directions are closed. */
function runClient(t: TestContext, address: string): Promise<ClientResult> {
  const child = startTracked('socat', ['-t', '5', '-T', '15', '-', address], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => stopTracked(child));
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  child.stdin?.on('error', () => {
    // The tunnel was refused before socat read its stdin.
  });
  child.stdin?.end(PAYLOAD);
  return new Promise((resolve) => {
    const timer = setTimeout(() => void stopTracked(child), 20_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

function expectedEcho(argv: readonly string[]): Buffer {
  return Buffer.from([...argv.map((a) => `${a}\0`), 'END\0', PAYLOAD].join(''), 'utf8');
}

const simpleExec = (): string => execAddress([fx.script]);

/** A listener on a fresh port, on every address, answering with the test script. */
async function tlsListener(
  t: TestContext,
  tls: TunnelTls,
  sockopt: string[] = [],
): Promise<Listener & { port: number }> {
  const port = await freePort();
  const listener = await startListener(t, listenAddress({ port, ipv6: false, tls, sockopt }), port, simpleExec());
  return { ...listener, port };
}

/** The client's address of 127.0.0.1:port. */
const toLoopback = (port: number, tls: TunnelTls, sockopt: string[] = []): string =>
  connectAddress({ host: '127.0.0.1', port, ipv6: false, tls, sockopt });

function hasIpv6Loopback(): boolean {
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((i) => i.family === 'IPv6' && i.address === '::1'),
  );
}

async function waitFor(text: () => string, pattern: RegExp, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  while (!pattern.test(text()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return text();
}

describe('socat tunnel with the real socat', () => {
  before(() => {
    fx = makeFixture();
  });
  after(() => {
    fs.rmSync(fx.root, { recursive: true, force: true });
  });

  test('cert, key, cafile, capath, bundle and EXEC argv at hostile paths survive the escaping', async (t) => {
    const port = await freePort();
    const listenTls: TunnelTls = { cert: fx.serverCert, key: fx.serverKey, caPath: fx.caPath, verify: true };
    const exec = execAddress([fx.script, ...ARGV_TOKENS]);
    const listener = await startListener(
      t,
      listenAddress({ port, bind: { host: '127.0.0.1', ipv6: false }, ipv6: false, tls: listenTls, sockopt: [] }),
      port,
      exec,
    );
    const connectTls: TunnelTls = { cert: fx.donorBundle, caFile: fx.caFile, verify: true };
    const r = await runClient(t, toLoopback(port, connectTls));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, expectedEcho(ARGV_TOKENS), listener.stderr());
  });

  test('a server certificate whose name does not match the host is refused', async (t) => {
    const { port } = await tlsListener(t, { cert: fx.wrongName.bundle, verify: false });
    const r = await runClient(t, toLoopback(port, { cert: fx.donor.bundle, caFile: fx.caFile, verify: true }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /commonName does not match hostname "127\.0\.0\.1"/);
    assert.equal(r.stdout.length, 0);
  });

  test("commonName '' skips the name check but still verifies the chain", async (t) => {
    const { port } = await tlsListener(t, { cert: fx.wrongName.bundle, verify: false });
    const chainOnly = (caFile: string): string =>
      toLoopback(port, { cert: fx.donor.bundle, caFile, verify: true, commonName: '' });
    const ok = await runClient(t, chainOnly(fx.caFile));
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.stdout, expectedEcho([]));
    const wrongCa = await runClient(t, chainOnly(fx.otherCaFile));
    assert.notEqual(wrongCa.code, 0);
    assert.match(wrongCa.stderr, /certificate verify failed/);
    assert.equal(wrongCa.stdout.length, 0);
  });

  test('an explicit commonName replaces the host in the check', async (t) => {
    const { port } = await tlsListener(t, { cert: fx.wrongName.bundle, verify: false });
    const r = await runClient(
      t,
      toLoopback(port, { cert: fx.donor.bundle, caFile: fx.caFile, verify: true, commonName: 'wrong.example' }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, expectedEcho([]));
  });

  test('the listener with verify=1 refuses a client certificate from another CA', async (t) => {
    const listener = await tlsListener(t, { cert: fx.serverCert, key: fx.serverKey, caFile: fx.caFile, verify: true });
    const port = listener.port;
    const r = await runClient(t, toLoopback(port, { cert: fx.stranger.bundle, caFile: fx.caFile, verify: true }));
    // With TLS 1.3 the client may finish its handshake and exit 0 before the server's verdict
    // arrives, so what proves the refusal is that nothing came back and the server said why.
    assert.equal(r.stdout.length, 0);
    assert.match(await waitFor(listener.stderr, /certificate verify failed/, 5000), /certificate verify failed/);
  });

  test('IPv6 [::1]: bind, connect and a CN=::1 certificate', async (t) => {
    if (!hasIpv6Loopback()) {
      t.skip('no ::1 on this host');
      return;
    }
    const port = await freePort('::1');
    await startListener(
      t,
      listenAddress({
        port,
        bind: { host: '::1', ipv6: true },
        ipv6: true,
        tls: { cert: fx.v6Name.bundle, caFile: fx.caFile, verify: true },
        sockopt: [],
      }),
      port,
      simpleExec(),
    );
    const r = await runClient(
      t,
      connectAddress({
        host: '::1',
        port,
        ipv6: true,
        tls: { cert: fx.donor.bundle, caFile: fx.caFile, verify: true },
        sockopt: [],
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, expectedEcho([]));
  });

  test("sockopt 'verify=0' replaces our verify=1", async (t) => {
    const { port } = await tlsListener(t, { cert: fx.wrongName.bundle, verify: true }, parseSockopt('verify=0'));
    const r = await runClient(
      t,
      toLoopback(port, { cert: fx.stranger.bundle, caFile: fx.caFile, verify: true }, parseSockopt(',verify=0,')),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, expectedEcho([]));
  });

  test('sockopt shell metacharacters reach socat literally; socat refuses them and nothing runs', async (t) => {
    const canary = join(fx.root, 'canary');
    const port = await freePort();
    const listen = listenAddress({
      port,
      ipv6: false,
      tls: { cert: fx.serverCert, key: fx.serverKey, verify: false },
      sockopt: parseSockopt(`cipher=$(touch ${canary})`),
    });
    const child = startTracked('socat', [listen, simpleExec()], { stdio: ['ignore', 'ignore', 'pipe'] });
    t.after(() => stopTracked(child));
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.notEqual(code, 0);
    assert.ok(err.includes(`$(touch ${canary})`), err);

    const { port: goodPort } = await tlsListener(t, { cert: fx.serverCert, key: fx.serverKey, verify: false });
    const r = await runClient(
      t,
      toLoopback(
        goodPort,
        { cert: fx.donor.bundle, caFile: fx.caFile, verify: true },
        parseSockopt(`commonname=$(touch ${canary});id`),
      ),
    );
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout.length, 0);
    assert.equal(fs.existsSync(canary), false);
  });

  test('socat itself: a duplicate option is fatal, which is why sockopt replaces ours', async (t) => {
    const port = await freePort();
    const child = startTracked(
      'socat',
      [`OPENSSL-LISTEN:${port},cert=${fx.wrongName.bundle},verify=0,verify=1`, simpleExec()],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    t.after(() => stopTracked(child));
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
    await waitListening(child, port, () => err);
    // The leftover option is noticed per connection, after the fork.
    const r = await runClient(t, toLoopback(port, { cert: fx.donor.bundle, verify: false }));
    assert.equal(r.stdout.length, 0);
    assert.match(await waitFor(() => err, /could not be used/, 5000), /1 option\(s\) could not be used/);
  });
});
