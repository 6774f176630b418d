/**
 * The joiner's opt-in timeouts and progress lines (`[sst] sst-initial-timeout`,
 * `sst-idle-timeout`, `progress-interval`) with the real program, socat and rsync: no donor,
 * a stranger without the secret, a donor frozen with SIGSTOP mid-copy, and a normal SST.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { joinerArgv, runSst, startRole, type NodeSide } from '../helpers/driver';
import { freePort, taggedProcesses, waitNoTagged } from '../helpers/procs';
import { JOINER_IP, nodeSide, twoNodeHooks } from '../helpers/two-nodes';
import { sstTls } from '../helpers/option-file';
import { tunnelClient } from '../helpers/tunnel-client';

let tag = '';
const twoNodes = twoNodeHooks('sst-timeouts-', () => [tag, `${tag}-donor`]);

/** Joiner and donor get their own tags, so the test can tell the donor's rsync from the joiner's. */
function nodes(
  name: string,
  joinerSst: Record<string, string>,
  bigTable?: number,
  donorSst: Record<string, string> = {},
): { joiner: NodeSide; donor: NodeSide; base: string } {
  tag = `${name}-${randomBytes(4).toString('hex')}`;
  const base = join(twoNodes.root, tag);
  const joiner = nodeSide(join(base, 'joiner'), tag, sstTls(twoNodes.pki, twoNodes.joinerCert, joinerSst));
  const donor = nodeSide(join(base, 'donor'), `${tag}-donor`, sstTls(twoNodes.pki, twoNodes.donorCert, donorSst));
  makeDatadir(donor.datadir, bigTable === undefined ? {} : { bigTable });
  return { joiner, donor, base };
}

const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('[ERROR]'));

/** The joiner alone, as mariadbd starts it; resolves at `ready`. */
async function joinerAlone(
  joiner: NodeSide,
): Promise<{ run: ReturnType<typeof startRole>; readyAt: number; address: string }> {
  const port = await freePort(JOINER_IP);
  const run = startRole(joinerArgv(joiner, `${JOINER_IP}:${port}`, process.pid), joiner.env);
  const ready = await run.nextLine(120_000);
  assert.match(ready ?? '', /^ready /, run.stderr());
  return { run, readyAt: Date.now(), address: `${JOINER_IP}:${port}` };
}

/** A CA-signed peer that reaches the daemon through the real tunnel but does not know the secret. */
function stranger(address: string, passwordFile: string, src: string): { status: number | null; stderr: string } {
  const tls = { cert: twoNodes.donorCert.bundle, caFile: twoNodes.pki.caCert };
  const { host, port, env } = tunnelClient(address, tls, `${tag}-donor`);
  const r = spawnSync(
    'rsync',
    [`--password-file=${passwordFile}`, '--recursive', `${src}/`, `rsync://sst@${host}:${port}/rsync_tunnel_sst/`],
    {
      encoding: 'utf8',
      env,
      timeout: 30_000,
    },
  );
  return { status: r.status, stderr: r.stderr };
}

/** The donor's rsync clients, found by the donor's own tag. */
function donorRsyncs(): number[] {
  return rsyncsTagged(`${tag}-donor`);
}

function rsyncsTagged(t: string): number[] {
  return taggedProcesses(t)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === 'rsync';
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

const signal = (pids: number[], sig: NodeJS.Signals): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Exited meanwhile.
    }
  }
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bytes a process has read (/proc/<pid>/io rchar); 0 once it is gone. */
function bytesRead(pid: number): number {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Waits until a donor rsync has read 8 MiB of table data (so it is past authentication and the
 * copy is flowing, whatever the machine's speed), then SIGSTOPs what `targets` lists; the time of
 * the freeze, or 0 if no copy started within two minutes.
 */
async function freezeOnceCopying(
  donorRsyncPids: () => number[],
  targets: () => number[],
  stopped: Set<number>,
): Promise<number> {
  for (const started = Date.now(); Date.now() - started < 120_000; await sleep(50)) {
    if (!donorRsyncPids().some((pid) => bytesRead(pid) >= 8 * 1024 * 1024)) continue;
    for (const pid of targets()) stopped.add(pid);
    signal([...stopped], 'SIGSTOP');
    return Date.now();
  }
  return 0;
}

describe('joiner timeouts and progress', () => {
  test('sst-initial-timeout=3 and no donor: 110 after about 3 s, one ERROR line, nothing left', async () => {
    const { joiner } = nodes('initial', { 'sst-initial-timeout': '3' });
    const { run, readyAt } = await joinerAlone(joiner);
    const code = await run.exit;
    const elapsed = Date.now() - readyAt;
    const stderr = run.stderr();
    assert.equal(code, 110, stderr);
    assert.ok(elapsed >= 2_900, `exited ${elapsed} ms after ready: too early`);
    assert.ok(elapsed < 6_000, `exited ${elapsed} ms after ready: too late`);
    assert.match(stderr, /\[INFO\] sst-initial-timeout=3: the donor must connect within 3 s of ready/);
    const errors = errorLines(stderr);
    assert.equal(errors.length, 1, stderr);
    assert.match(
      errors[0] ?? '',
      /sst-initial-timeout=3: no donor connected and authenticated within 3 s of ready\. .*FLUSH TABLES WITH READ LOCK/,
    );
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
  });

  test('a CA-signed stranger without the secret does not count as the donor: still 110', async () => {
    const { joiner, base } = nodes('stranger', { 'sst-initial-timeout': '3' });
    const passwordFile = join(base, 'wrong.password');
    writeFileSync(passwordFile, 'not-the-secret\n', { mode: 0o600 });
    const src = join(base, 'junk');
    mkdirSync(src);
    writeFileSync(join(src, 'junk.ibd'), randomBytes(64 * 1024));
    const { run, readyAt, address } = await joinerAlone(joiner);
    let exited = false;
    void run.exit.then(() => (exited = true));
    const attempts: { status: number | null; stderr: string }[] = [];
    while (!exited && Date.now() - readyAt < 10_000) {
      attempts.push(stranger(address, passwordFile, src));
      await sleep(200);
    }
    const code = await run.exit;
    const elapsed = Date.now() - readyAt;
    const stderr = run.stderr();
    assert.equal(code, 110, stderr);
    assert.ok(elapsed < 6_500, `exited ${elapsed} ms after ready`);
    assert.ok(attempts.length >= 2, `the stranger connected ${attempts.length} times`);
    assert.ok(
      attempts.some((a) => /auth failed/.test(a.stderr)),
      `the stranger reached the daemon and failed its authentication:\n${attempts.map((a) => a.stderr).join('\n')}`,
    );
    assert.doesNotMatch(stderr, /the donor connected and authenticated/);
    assert.equal(errorLines(stderr).length, 1, stderr);
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    assert.deepEqual(await waitNoTagged(`${tag}-donor`, 15_000), []);
  });

  test('sst-idle-timeout=3 and the donor frozen by SIGSTOP mid-copy: the joiner exits 110', async () => {
    // rlimit holds the 400 MiB copy to at least 25 s however fast the machine is, so the freeze
    // always lands mid-copy; the donor's whole tree is frozen, its rate limiter (which resumes the
    // rsyncs it paused) included.
    const { joiner, donor } = nodes('idle', { 'sst-idle-timeout': '3', 'progress-interval': '1' }, 400 * 1024 * 1024, {
      rlimit: '16m',
    });
    const port = await freePort(JOINER_IP);
    const stopped = new Set<number>();
    let frozenAt = 0;
    let joinerGoneAt = 0;
    const freezer = (async (): Promise<void> => {
      frozenAt = await freezeOnceCopying(donorRsyncs, () => taggedProcesses(`${tag}-donor`).map((p) => p.pid), stopped);
      const joinerPids = (): number[] =>
        taggedProcesses(tag)
          .filter((p) => p.cmdline.includes('--role joiner'))
          .map((p) => p.pid);
      while (frozenAt > 0 && joinerPids().length > 0) await sleep(100);
      joinerGoneAt = Date.now();
      signal([...stopped], 'SIGCONT');
    })();
    try {
      const r = await runSst({ joiner, donor, address: `${JOINER_IP}:${port}` });
      await freezer;
      const stderr = r.joiner.stderr();
      assert.ok(frozenAt > 0, 'the donor was frozen mid-copy');
      assert.equal(r.joinerCode, 110, stderr);
      assert.equal(r.joinerFinal, undefined, 'no state after a timeout');
      assert.notEqual(r.donorCode, 0, r.donor?.stderr());
      const quiet = joinerGoneAt - frozenAt;
      // At least the timeout; the upper bound only catches a timer that never fires (a loaded machine is slow to exit).
      assert.ok(quiet >= 2_900, `the joiner ended ${quiet} ms after the freeze: too early`);
      assert.ok(quiet < 20_000, `the joiner ended ${quiet} ms after the freeze: too late`);
      assert.match(stderr, /\[INFO\] sst-idle-timeout=3: the copy fails after 3 s without a byte received/);
      assert.match(stderr, /\[INFO\] received [\d.]+ (B|KiB|MiB|GiB), [\d.]+ (B|KiB|MiB|GiB)\/s/);
      const errors = errorLines(stderr);
      assert.equal(errors.length, 1, stderr);
      assert.match(
        errors[0] ?? '',
        new RegExp(
          String.raw`sst-idle-timeout=3: nothing received for [\d.]+ s, [\d.]+ (B|KiB|MiB|GiB) received in the ` +
            String.raw`[\d.]+ s since the donor's first connection`,
        ),
      );
    } finally {
      signal([...stopped], 'SIGCONT');
    }
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    assert.deepEqual(await waitNoTagged(`${tag}-donor`, 15_000), []);
  });

  test(
    "the donor's sst-idle-timeout=3 and the joiner's rsync " + 'frozen by SIGSTOP mid-copy: the donor exits 110',
    async () => {
      // As above, rlimit makes the copy outlast the freeze on any machine.
      const { joiner, donor } = nodes('donor-idle', {}, 400 * 1024 * 1024, { 'sst-idle-timeout': '3', rlimit: '16m' });
      const port = await freePort(JOINER_IP);
      const stopped = new Set<number>();
      let frozenAt = 0;
      const freezer = (async (): Promise<void> => {
        // Every rsync of the joiner's stops: the donor's rsync soon blocks on a full pipe.
        frozenAt = await freezeOnceCopying(donorRsyncs, () => rsyncsTagged(tag), stopped);
      })();
      try {
        const r = await runSst({ joiner, donor, address: `${JOINER_IP}:${port}` });
        await freezer;
        const stderr = r.donor?.stderr() ?? '';
        assert.ok(frozenAt > 0, 'the joiner was frozen mid-copy');
        assert.equal(r.donorCode, 110, stderr);
        assert.equal(r.joinerFinal, undefined);
        const errors = errorLines(stderr);
        assert.equal(errors.length, 1, stderr);
        assert.match(
          errors[0] ?? '',
          /no data sent to the joiner for \d+ s \(sst-idle-timeout=3\); [\d.]+ (B|KiB|MiB|GiB) had been sent/,
        );
      } finally {
        signal([...stopped], 'SIGCONT');
      }
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
      assert.deepEqual(await waitNoTagged(`${tag}-donor`, 15_000), []);
    },
  );

  test('generous timeouts leave a normal SST alone; progress-interval=1 logs what arrives', async () => {
    // rlimit bounds what a late sample can miss, whatever the machine's speed: at 12 MiB/s even a
    // sampling timer held back 1.5 s by a busy machine loses less than 20 MiB of the 120.
    const { joiner, donor } = nodes(
      'normal',
      { 'sst-initial-timeout': '120', 'sst-idle-timeout': '60', 'progress-interval': '1' },
      120 * 1024 * 1024,
      { rlimit: '12m' },
    );
    const port = await freePort(JOINER_IP);
    const started = Date.now();
    const r = await runSst({ joiner, donor, address: `${JOINER_IP}:${port}` });
    const stderr = r.joiner.stderr();
    assert.equal(r.donorCode, 0, r.donor?.stderr());
    assert.equal(r.joinerCode, 0, stderr);
    assert.equal(errorLines(stderr).length, 0, stderr);
    const progress = stderr
      .split('\n')
      .filter((l) => /\[INFO\] received [\d.]+ (B|KiB|MiB|GiB), [\d.]+ (B|KiB|MiB|GiB)\/s/.test(l));
    assert.ok(progress.length >= 1, `progress lines in a ${Date.now() - started} ms SST:\n${stderr}`);
    assert.match(stderr, /\[INFO\] the donor connected and authenticated [\d.]+ s after ready: copying/);
    const summary = /\[INFO\] received about (\d+) MiB in [\d.]+ s/.exec(stderr);
    assert.ok(summary, stderr);
    // Sampled every 100 ms: a receiver that ends between two samples takes its last writes along.
    assert.ok(Number(summary[1]) >= 100, `counted ${summary[1]} MiB of a 120 MiB table`);
    assert.doesNotMatch(r.joiner.lines.join('\n'), /^(total|complete) /m, 'the joiner never prints total/complete');
    const copied = (rel: string): boolean => !STAYS_HOME.test(rel);
    assert.deepEqual(treeDigest(joiner.datadir, copied), treeDigest(donor.datadir, copied));
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    assert.deepEqual(await waitNoTagged(`${tag}-donor`, 15_000), []);
  });
});
