/**
 * docs/architecture.md §8.10 (4): a CA-signed stranger without the per-SST secret must not hold the joiner's
 * listener slots. With the real program, socat and rsync (a driver plays mariadbd), strangers
 * with a certificate of the test CA open TLS connections to the joiner's port before the donor
 * comes: some stay silent once TLS is up (the joiner's rsync daemon has sent its greeting), the
 * others speak the rsync daemon protocol up to the secret's challenge and never answer it. They
 * outnumber the listener's slots. The donor then copies a table at an `rlimit` that makes its
 * pass last longer than the handshake limit, so a joiner that did not see the donor authenticate
 * would cut it: the SST must complete byte-identical, and every stranger must be closed by the
 * joiner within the limit (plus its once-a-second look and a wide margin for a busy machine).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { describe, test } from 'node:test';
import { HANDSHAKE_LIMIT_MS, LISTENER_CHILDREN } from '../../src/protocol/streams';
import { AUTH_USER, MODULES } from '../../src/rsync/modules';
import { programCommand } from '../helpers/binary';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { authSecret, runSst, STATE_UUID, type NodeSide } from '../helpers/driver';
import type { NodeCert } from '../helpers/pki';
import { freePort, taggedProcesses, waitNoTagged } from '../helpers/procs';
import { toolSkip } from '../helpers/tool-skip';
import { JOINER_IP, nodeSide, twoNodeHooks } from '../helpers/two-nodes';
import { sstTls, type Options } from '../helpers/option-file';
import { tunnelClient } from '../helpers/tunnel-client';

/** More strangers than slots: the last ones wait in the kernel's backlog for a slot to free. */
const STRANGERS = LISTENER_CHILDREN + 3;
/**
 * How late past the limit a stranger may still be open: the joiner looks once a second and
 * starts counting when it first sees the connection. Wide, for a machine with both CPUs busy:
 * 0.3.0 never closes them at all.
 */
const CLOSE_MARGIN_MS = 10_000;
/** At 1 MiB/s, the big table's pass lasts over twice the handshake limit, however fast the machine. */
const BIG_TABLE = 12 * 1024 * 1024;
const RLIMIT = '1m';

let tag = '';
const nodes = twoNodeHooks('sst-slots-', () => [tag]);

function side(dir: string, cert: NodeCert, sst: Options): NodeSide {
  return nodeSide(dir, tag, sstTls(nodes.pki, cert, sst));
}

type Kind = 'silent after TLS' | 'silent at the challenge';

interface Stranger {
  kind: Kind;
  socket: TLSSocket;
  openedAt: number;
  /** When it reached the point where it goes silent (TLS up; or the challenge received). */
  holdingSince?: number;
  closedAt?: number;
  received: string;
}

/** A peer with a certificate of the test CA but without the secret. */
function openStranger(host: string, port: number, kind: Kind): Stranger {
  const socket = connect({
    host,
    port,
    key: fs.readFileSync(nodes.donorCert.key),
    cert: fs.readFileSync(nodes.donorCert.cert),
    ca: fs.readFileSync(nodes.pki.caCert),
    checkServerIdentity: () => undefined,
  });
  const s: Stranger = { kind, socket, openedAt: Date.now(), received: '' };
  socket.on('secureConnect', () => {
    if (kind === 'silent after TLS') s.holdingSince = Date.now();
  });
  socket.on('data', (chunk: Buffer) => {
    if (kind !== 'silent at the challenge') return;
    const before = s.received;
    s.received += chunk.toString('latin1');
    // The daemon's greeting: answer it as an rsync 3.1 client would, and name the data module.
    if (!before.includes('\n') && s.received.includes('\n')) socket.write(`@RSYNCD: 31.0\n${MODULES.data}\n`);
    if (s.holdingSince === undefined && /@RSYNCD: AUTHREQD \S+\n/.test(s.received)) s.holdingSince = Date.now();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    s.closedAt = Date.now();
  });
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const asRoot = process.geteuid?.() === 0;
const idOf = (flag: string): number => Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout.trim());

const WITHOUT_PTRACE = "root joiner without CAP_SYS_PTRACE, datadir owned by nobody (the daemon's uid shows it)";
const NOT_ROOT = 'needs root: the daemon changes user only under a root joiner';
if (!asRoot) console.log(`SKIP slots (${WITHOUT_PTRACE}): ${NOT_ROOT}`);

/**
 * The joiner as it runs: as itself with a datadir of its own; and as root with a datadir another
 * user owns, without CAP_SYS_PTRACE (a container's root): its rsync daemon then takes that
 * user's uid after the secret, and root may no longer read the daemon's working directory.
 */
const VARIANTS: {
  name: string;
  skip: string | false;
  owner?: { uid: number; gid: number };
  wrapper?: (dir: string) => string;
}[] = [
  { name: 'the daemon keeps our user', skip: false },
  {
    name: WITHOUT_PTRACE,
    skip: !asRoot
      ? NOT_ROOT
      : toolSkip(
          `slots (${WITHOUT_PTRACE})`,
          spawnSync('setpriv', ['--version']).status !== 0 && 'needs setpriv (util-linux) to drop CAP_SYS_PTRACE',
        ),
    owner: asRoot ? { uid: idOf('-u'), gid: idOf('-g') } : undefined,
    wrapper: (dir) => {
      const { command, args } = programCommand();
      const file = join(dir, 'joiner-without-ptrace');
      const quoted = [command, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      fs.writeFileSync(
        file,
        `#!/bin/sh\nexec setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace -- ${quoted} "$@"\n`,
        { mode: 0o755 },
      );
      return file;
    },
  },
];

/** The joiner's rsync daemons (and receivers) whose working directory is `dir`. */
function rsyncsIn(dir: string): number[] {
  return taggedProcesses(tag)
    .map((p) => p.pid)
    .filter((pid) => {
      try {
        return (
          fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'rsync' && fs.readlinkSync(`/proc/${pid}/cwd`) === dir
        );
      } catch {
        return false;
      }
    });
}

/** Stops the joiner, so that a donor queued behind strangers nobody closes fails instead of waiting for ever. */
function stopJoiner(): void {
  for (const p of taggedProcesses(tag).filter((t) => t.cmdline.includes('--role joiner'))) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // Gone meanwhile.
    }
  }
}

describe('CA-signed strangers without the secret (docs/architecture.md §8.10 (4))', () => {
  test(`${STRANGERS} strangers, silent after TLS or at the secret's challenge, are closed within the limit; the ` +
    `donor's slow pass is not cut`, {
    timeout: 300_000,
  }, async () => {
    tag = `slots-${randomBytes(4).toString('hex')}`;
    const base = join(nodes.root, tag);
    const joiner = side(join(base, 'joiner'), nodes.joinerCert, {});
    const donor = side(join(base, 'donor'), nodes.donorCert, { rlimit: RLIMIT });
    makeDatadir(donor.datadir, { bigTable: BIG_TABLE });
    const port = await freePort(JOINER_IP);

    const strangers: Stranger[] = [];
    let watchdog: NodeJS.Timeout | undefined;
    let donorStartedAt = 0;
    try {
      const r = await runSst({
        joiner,
        donor,
        address: `${JOINER_IP}:${port}`,
        onReady: async () => {
          for (let i = 0; i < STRANGERS; i++)
            strangers.push(openStranger(JOINER_IP, port, i % 2 === 0 ? 'silent after TLS' : 'silent at the challenge'));
          // Every slot is held, each by a stranger that got as far as it means to, before the donor comes.
          const deadline = Date.now() + 60_000;
          const holding = (): number =>
            strangers.filter((s) => s.holdingSince !== undefined && s.closedAt === undefined).length;
          while (holding() < LISTENER_CHILDREN && Date.now() < deadline) await sleep(20);
          assert.ok(holding() >= LISTENER_CHILDREN, `strangers holding a slot: ${holding()}`);
          assert.ok(
            strangers.some((s) => s.kind === 'silent at the challenge' && s.holdingSince !== undefined),
            'a stranger reached the secret challenge',
          );
          donorStartedAt = Date.now();
          // 0.3.0 never closes them: end the run rather than wait for the donor's timeouts.
          watchdog = setTimeout(stopJoiner, 2 * HANDSHAKE_LIMIT_MS + CLOSE_MARGIN_MS + 30_000);
        },
      });
      const copySeconds = (Date.now() - donorStartedAt) / 1000;
      const stderr = r.joiner.stderr();
      const held = strangers.filter((s) => s.holdingSince !== undefined);
      const longest = Math.max(...held.map((s) => (s.closedAt ?? Date.now()) - (s.holdingSince ?? 0)));
      const detail = `joiner stderr:\n${stderr}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
      // How long a peer takes to reach the secret's challenge (TLS, rsync started, greeting) on this machine now.
      const toChallenge = held
        .filter((s) => s.kind === 'silent at the challenge')
        .map((s) => (s.holdingSince ?? 0) - s.openedAt)
        .sort((a, b) => a - b);
      console.log(
        `slots: connect to challenge, first strangers (not queued): ${toChallenge.slice(0, 3).join(', ')} ms`,
      );
      console.log(
        `slots: ${held.length} of ${STRANGERS} strangers held a slot, the longest for ${longest} ms; ` +
          `${held.filter((s) => s.closedAt === undefined).length} still open; SST copy ` +
          `${copySeconds.toFixed(1)} s`,
      );
      assert.equal(r.donorCode, 0, detail);
      assert.equal(r.joinerCode, 0, detail);
      assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
      const copied = (rel: string): boolean => !STAYS_HOME.test(rel);
      assert.deepEqual(treeDigest(joiner.datadir, copied), treeDigest(donor.datadir, copied));
      assert.ok(
        copySeconds * 1000 > HANDSHAKE_LIMIT_MS,
        `the donor's pass outlasted the handshake limit (${copySeconds} s)`,
      );

      for (const s of held) {
        assert.ok(s.closedAt !== undefined, `a stranger (${s.kind}) is still connected`);
        const open = s.closedAt - (s.holdingSince ?? 0);
        assert.ok(open <= HANDSHAKE_LIMIT_MS + CLOSE_MARGIN_MS, `a stranger (${s.kind}) held its slot ${open} ms`);
      }
      assert.match(stderr, /closed a connection \(PID: \d+\) that did not authenticate within 5 s/);
      assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
    } finally {
      clearTimeout(watchdog);
      for (const s of strangers) s.socket.destroy();
    }
  });

  for (const variant of VARIANTS) {
    test(`a peer with the secret whose file list is slow to come (its receiver not yet forked) keeps its ` +
      `connection past the limit: ${variant.name}`, {
      timeout: 300_000,
      skip: variant.skip,
    }, async () => {
      tag = `slots-list-${randomBytes(4).toString('hex')}`;
      const base = join(nodes.root, tag);
      const joiner = side(join(base, 'joiner'), nodes.joinerCert, {});
      const donor = side(join(base, 'donor'), nodes.donorCert, {});
      if (variant.owner !== undefined) {
        fs.chmodSync(nodes.root, 0o755);
        fs.mkdirSync(joiner.datadir);
        fs.chownSync(joiner.datadir, variant.owner.uid, variant.owner.gid);
        joiner.binary = variant.wrapper?.(base);
      }
      makeDatadir(donor.datadir);
      const port = await freePort(JOINER_IP);
      // The file list is read from a FIFO the test holds open: the client authenticates, then waits
      // for names, as a donor stat-ing a huge batch would; the joiner's daemon forks no receiver meanwhile.
      const fifo = join(base, 'names');
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const writer = fs.openSync(fifo, 'r+');
      const src = join(base, 'late');
      fs.mkdirSync(src);
      fs.writeFileSync(join(src, 'late.ibd'), randomBytes(4096));
      let late: { code: number | null; stderr: string; heldMs: number } | undefined;
      try {
        const r = await runSst({
          joiner,
          donor,
          address: `${JOINER_IP}:${port}`,
          onReady: async (address, auth) => {
            const passwordFile = join(base, 'secret');
            fs.writeFileSync(passwordFile, `${authSecret(auth)}\n`, { mode: 0o600 });
            const tls = { cert: nodes.donorCert.bundle, caFile: nodes.pki.caCert };
            const { host, env } = tunnelClient(address, tls, tag);
            const client = spawn(
              'rsync',
              [
                `--password-file=${passwordFile}`,
                `--files-from=${fifo}`,
                '--from0',
                `${src}/`,
                `rsync://${AUTH_USER}@${host}:${port}/${MODULES.data}/`,
              ],
              {
                env,
                stdio: ['ignore', 'ignore', 'pipe'],
              },
            );
            let stderr = '';
            client.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
            const exited = new Promise<number | null>((res) => client.on('exit', (code) => res(code)));
            // Authenticated: the joiner's daemon is in the data module.
            const datadir = fs.realpathSync(joiner.datadir);
            const deadline = Date.now() + 60_000;
            while (rsyncsIn(datadir).length === 0 && Date.now() < deadline) await sleep(50);
            assert.ok(rsyncsIn(datadir).length > 0, `the peer with the secret authenticated: ${stderr}`);
            const authenticatedAt = Date.now();
            await sleep(HANDSHAKE_LIMIT_MS + 3_000);
            fs.writeSync(writer, 'late.ibd\0');
            fs.closeSync(writer);
            const code = await exited;
            late = { code, stderr, heldMs: Date.now() - authenticatedAt };
          },
        });
        const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
        console.log(
          `slots: the peer with a slow file list held its authenticated connection ${late?.heldMs} ms and ` +
            `exited ${late?.code}`,
        );
        assert.equal(late?.code, 0, `its transfer was not cut: ${late?.stderr}\n${detail}`);
        assert.ok((late?.heldMs ?? 0) > HANDSHAKE_LIMIT_MS);
        assert.equal(r.donorCode, 0, detail);
        assert.equal(r.joinerCode, 0, detail);
        if (variant.owner !== undefined)
          assert.match(r.joiner.stderr(), /rsync daemon runs as the datadir's owner/, detail);
        assert.doesNotMatch(r.joiner.stderr(), /closed a connection/);
        assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
      } finally {
        try {
          fs.closeSync(writer);
        } catch {
          // Closed above.
        }
      }
    });
  }
});
