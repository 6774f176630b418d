/**
 * Our children never outlive us by more than ~2 s, even when we are SIGKILLed and run no
 * cleanup: the guard (src/proc/guard.ts) ends them, and removes our private directory with the
 * per-SST secret; a donor also ends when its mariadbd dies although it has no --parent. Real
 * program, socat and rsync; the driver plays mariadbd. Each side has a TMPDIR of its own, so its
 * private directory is found while other tests run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { programCommand } from '../helpers/binary';
import { makeDatadir } from '../helpers/datadir';
import {
  donorArgv,
  joinerArgv,
  splitReady,
  startRole,
  STATE_UUID,
  writeTablesFlushed,
  type NodeSide,
  type Ready,
} from '../helpers/driver';
import { createCa, issueCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, listeningPortsOf, taggedProcesses, waitNoTagged } from '../helpers/procs';
import { sstTls, writeOptionFile } from '../helpers/option-file';

const JOINER_IP = '127.0.0.2';
let root: string;
let pki: Pki;
const tags: string[] = [];

before(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'sst-guard-'));
  pki = createCa(join(root, 'pki'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => tags.splice(0).forEach(killTagged));

function side(name: string, cn: string): NodeSide {
  const tag = `guard-${name}-${randomBytes(3).toString('hex')}`;
  tags.push(tag);
  const dir = join(root, tag);
  fs.mkdirSync(dir, { recursive: true });
  const cert = issueCert(pki, { cn, ips: [cn], name: tag });
  const cnf = writeOptionFile(dir, sstTls(pki, cert));
  fs.mkdirSync(join(dir, 'tmp'));
  return { datadir: join(dir, 'data'), cnf, env: { SST_TEST_TAG: tag, TMPDIR: join(dir, 'tmp') } };
}

const tagOf = (s: NodeSide): string => s.env?.SST_TEST_TAG ?? '';

/** The side's private directories (wsrep_sst_rsync_tunnel.*) in its TMPDIR. */
/** A joiner started on a fresh port of JOINER_IP, once it has announced itself. */
async function readyJoiner(joiner: NodeSide): Promise<{ j: ReturnType<typeof startRole>; ready: Ready }> {
  const port = await freePort(JOINER_IP);
  const j = startRole(joinerArgv(joiner, `${JOINER_IP}:${port}`, process.pid), joiner.env);
  return { j, ready: splitReady((await j.nextLine()) ?? '') };
}

/** The one private directory of `s`, which holds `secret`. */
function privateDirOf(s: NodeSide, secret: string): string {
  const tmp = s.env?.TMPDIR ?? '';
  const dirs = fs.readdirSync(tmp).filter((n) => n.startsWith('wsrep_sst_rsync_tunnel.'));
  assert.equal(dirs.length, 1, `private directories: ${dirs.join(' ') || 'none'}`);
  const dir = join(tmp, dirs[0] ?? '');
  assert.ok(fs.existsSync(join(dir, secret)), `no ${secret} in ${dir}`);
  return dir;
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('nothing of ours outlives us', () => {
  test('joiner SIGKILLed after ready: its listener is gone within 2 s', async () => {
    const joiner = side('joiner', JOINER_IP);
    const port = await freePort(JOINER_IP);
    const j = startRole(joinerArgv(joiner, `${JOINER_IP}:${port}`, process.pid), joiner.env);
    assert.match((await j.nextLine()) ?? '', /^ready /, j.stderr());
    assert.deepEqual(listeningPortsOf(tagOf(joiner)), [port]);
    const t0 = Date.now();
    j.child.kill('SIGKILL');
    await j.exit;
    const left = await waitNoTagged(tagOf(joiner), 2_000);
    assert.deepEqual(left, [], `still running ${Date.now() - t0} ms after SIGKILL`);
  });

  test('donor SIGKILLed mid-copy: its rsync and socat are gone within 2 s', async () => {
    const joiner = side('joiner', JOINER_IP);
    const donor = side('donor', '127.0.0.3');
    makeDatadir(donor.datadir, { bigTable: 256 * 1024 * 1024 });
    const { j, ready } = await readyJoiner(joiner);
    const d = startRole(donorArgv(donor, ready.address, 42), {
      ...donor.env,
      WSREP_SST_OPT_REMOTE_AUTH: ready.auth ?? '',
    });
    assert.equal(await d.nextLine(), 'flush tables', d.stderr());
    writeTablesFlushed(donor.datadir, `${STATE_UUID}:42 0`);
    await until('a donor rsync', () =>
      taggedProcesses(tagOf(donor)).some((p) => /rsync .*--password-file/.test(p.cmdline)),
    );
    d.child.kill('SIGKILL');
    await d.exit;
    assert.deepEqual(await waitNoTagged(tagOf(donor), 2_000), [], 'donor children still running 2 s after SIGKILL');
    j.child.kill('SIGTERM');
    await j.exit;
  });

  test('joiner SIGKILLed after ready: its guard removes its private directory, with the secret', async () => {
    const joiner = side('joiner', JOINER_IP);
    const port = await freePort(JOINER_IP);
    const j = startRole(joinerArgv(joiner, `${JOINER_IP}:${port}`, process.pid), joiner.env);
    assert.match((await j.nextLine()) ?? '', /^ready /, j.stderr());
    const dir = privateDirOf(joiner, 'rsyncd.secrets');
    j.child.kill('SIGKILL');
    await j.exit;
    assert.deepEqual(await waitNoTagged(tagOf(joiner), 10_000), []);
    await until(`${dir} removed`, () => !fs.existsSync(dir), 10_000);
  });

  test('donor SIGKILLed holding the secret: its guard removes its private directory', async () => {
    const joiner = side('joiner', JOINER_IP);
    const donor = side('donor', '127.0.0.3');
    makeDatadir(donor.datadir);
    const { j, ready } = await readyJoiner(joiner);
    const d = startRole(donorArgv(donor, ready.address, 42), {
      ...donor.env,
      WSREP_SST_OPT_REMOTE_AUTH: ready.auth ?? '',
    });
    assert.equal(await d.nextLine(), 'flush tables', d.stderr());
    const dir = privateDirOf(donor, 'rsync.password');
    d.child.kill('SIGKILL');
    await d.exit;
    assert.deepEqual(await waitNoTagged(tagOf(donor), 10_000), []);
    await until(`${dir} removed`, () => !fs.existsSync(dir), 10_000);
    j.child.kill('SIGTERM');
    await j.exit;
  });

  test(
    'donor whose mariadbd dies (no --parent, ' + 'started through sh -c): exits 32 within 2 s, nothing left',
    async () => {
      const joiner = side('joiner', JOINER_IP);
      const donor = side('donor', '127.0.0.3');
      makeDatadir(donor.datadir);
      const { j, ready } = await readyJoiner(joiner);
      // The stand-in mariadbd is `timeout` (not a shell): it runs `sh -c` (which forks, as dash does
      // for a command followed by another), which runs the donor; killing it is mariadbd dying.
      const { command, args } = programCommand();
      const quoted = [command, ...args, ...donorArgv(donor, ready.address, 42)]
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      const server = spawn('timeout', ['600', 'sh', '-c', `${quoted}; true`], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...donor.env, WSREP_SST_OPT_REMOTE_AUTH: ready.auth ?? '' },
      });
      let stdout = '';
      let stderr = '';
      server.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      server.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      await until('flush tables', () => stdout.includes('flush tables'));
      // The donor now waits for tables_flushed, which never comes: its server dies instead.
      const t0 = Date.now();
      server.kill('SIGKILL');
      assert.deepEqual(
        await waitNoTagged(tagOf(donor), 2_500),
        [],
        `donor still running ${Date.now() - t0} ms after its server died`,
      );
      await until(
        'the error line',
        () => /\[ERROR\] Parent mysqld process \(PID: \d+\) terminated unexpectedly/.test(stderr),
        2_000,
      );
      j.child.kill('SIGTERM');
      await j.exit;
    },
  );
});
