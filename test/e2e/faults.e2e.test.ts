/**
 * The fault matrix under a real cluster: each case breaks one thing and
 * checks what a DBA must be able to rely on: one clear WSREP_SST ERROR line,
 * the documented exit code (as mariadbd logs it), nothing of the SST left
 * running or listening, the donor Synced with its data untouched, and a
 * joiner that never reports success.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { listeningSockets } from '../../src/proc/sockets';
import { createCa, issueCert } from '../helpers/pki';
import { listeningPortsOf, portBindable, taggedProcesses } from '../helpers/procs';
import type { Cluster, ClusterNode } from './cluster';
import { bootstrap, destroyCluster, leftoverProcesses, TABLES, waitFor } from './harness';

const mounts: string[] = [];
afterEach(() =>
  destroyCluster(() => {
    for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m]);
  }),
);

function checksums(c: Cluster, n: ClusterNode): string {
  return TABLES.map((t) => c.sql(n, `SELECT COUNT(*) FROM ${t}; CHECKSUM TABLE ${t}`)).join('\n');
}

/** `Process completed with error: wsrep_sst_rsync_tunnel --role 'R' …: N (…)`, as mariadbd logs our exit. */
function exitCodeLogged(c: Cluster, n: ClusterNode, role: 'joiner' | 'donor'): number | undefined {
  const m = new RegExp(`Process completed with error: wsrep_sst_rsync_tunnel --role '${role}'.*: (\\d+) \\(`).exec(
    c.log(n),
  );
  return m ? Number(m[1]) : undefined;
}

function errorLines(c: Cluster, n: ClusterNode): string[] {
  return c
    .log(n)
    .split('\n')
    .filter((l) => l.startsWith('WSREP_SST: [ERROR]'));
}

interface Expect {
  /** Where the SST fails and what our program exits with there. */
  side: 'joiner' | 'donor';
  code?: number;
  message: RegExp;
}

/**
 * Joins node 2 and expects the join to fail as described; then checks the
 * aftermath. Returns the seconds from node 2's start to a clean machine.
 */
async function expectFailedJoin(
  c: Cluster,
  n1: ClusterNode,
  n2: ClusterNode,
  e: Expect,
  during?: () => Promise<void>,
): Promise<number> {
  const before = checksums(c, n1);
  const t0 = Date.now();
  c.start(n2);
  await during?.();
  // A joiner whose SST failed aborts; give it the time Galera needs to notice a failed donor.
  const timer = setTimeout(() => void c.kill(n2), 180_000);
  await n2.exited;
  clearTimeout(timer);
  const failing = e.side === 'joiner' ? n2 : n1;
  await waitFor(() => errorLines(c, failing).length > 0, 30_000).catch(() => undefined);
  const errors = errorLines(c, failing);
  assert.ok(
    errors.some((l) => e.message.test(l)),
    `expected ${e.message} among:\n${errors.join('\n')}\n--- ${failing.spec.name} log ---\n${c.tail(failing, 80)}`,
  );
  if (e.code !== undefined) {
    await waitFor(() => exitCodeLogged(c, failing, e.side) !== undefined, 30_000).catch(() => undefined);
    assert.equal(exitCodeLogged(c, failing, e.side), e.code, c.tail(failing, 40));
  }
  assert.doesNotMatch(c.log(n2), /(SST|IST) completed|SST succeeded/, 'the joiner must never report success');
  assert.deepEqual(await leftoverProcesses(c, 15_000), [], 'no socat, rsync or SST program may outlive the failed SST');
  assert.equal(listeningPortsOf(c.tag).includes(n2.sstPort), false, 'nothing of ours listens on the SST port any more');
  await c.waitSynced(n1, 60_000);
  assert.equal(checksums(c, n1), before, 'the donor data is untouched');
  return (Date.now() - t0) / 1000;
}

function twoNodes(
  name: string,
  joinerSst?: (c: Cluster, n2: ClusterNode) => Record<string, string>,
  octet = 100,
): Promise<{ c: Cluster; nodes: ClusterNode[] }> {
  // Weight 2: the donor keeps quorum alone when a test kills the joiner outright.
  return bootstrap(
    name,
    [
      { name: 'node1', ip: `127.0.1.${octet}`, provider: 'pc.weight=2' },
      { name: 'node2', ip: `127.0.1.${octet + 1}` },
    ],
    (c, ns) => {
      const n2 = ns[1]!;
      if (joinerSst) n2.spec.sst = joinerSst(c, n2);
    },
  );
}

function report(name: string, seconds: number): void {
  console.log(`# fault '${name}': cleaned up ${seconds.toFixed(1)} s after the joiner started`);
}

/** Polls for a tagged process whose command line matches, and SIGKILLs it once. */
async function killWhenSeen(c: Cluster, match: RegExp, ms = 120_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = taggedProcesses(c.tag).find((t) => match.test(t.cmdline));
    if (p) {
      process.kill(p.pid, 'SIGKILL');
      return p.cmdline;
    }
    if (Date.now() > deadline) throw new Error(`no process matching ${match} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('fault matrix', { timeout: 1_800_000 }, () => {
  test('joiner certificate with the wrong name → donor exits 13 with socat’s reason', async () => {
    const { c, nodes } = await twoNodes(
      'f-wrongcn',
      (cl) => {
        const wrong = issueCert(cl.pki, { cn: '127.0.9.9', ips: ['127.0.9.9'], name: 'wrong' });
        return { tca: cl.pki.caCert, tcert: wrong.bundle };
      },
      10,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'wrong CN',
      await expectFailedJoin(c, n1, n2, {
        side: 'donor',
        code: 13,
        message: /TLS verification failed in pass 1.*(commonName|does not match)/,
      }),
    );
  });

  test('joiner certificate from an untrusted CA → donor exits 13', async () => {
    const { c, nodes } = await twoNodes(
      'f-untrusted',
      (cl, n2) => {
        const other = createCa(join(cl.root, 'other-ca'), 'other');
        const foreign = issueCert(other, { cn: n2.spec.ip, ips: [n2.spec.ip], name: 'foreign' });
        return { tca: other.caCert, tcert: foreign.bundle };
      },
      20,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'untrusted CA',
      await expectFailedJoin(c, n1, n2, {
        side: 'donor',
        code: 13,
        message: /TLS verification failed.*(certificate verify failed|unknown ca)/i,
      }),
    );
  });

  test('expired joiner certificate → joiner exits 22 before ready', async () => {
    const { c, nodes } = await twoNodes(
      'f-expired',
      (cl, n2) => ({
        tca: cl.pki.caCert,
        tcert: issueCert(cl.pki, { cn: n2.spec.ip, ips: [n2.spec.ip], expired: true, name: 'old' }).bundle,
      }),
      30,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report('expired certificate', await expectFailedJoin(c, n1, n2, { side: 'joiner', code: 22, message: /expired/ }));
  });

  test('key that does not match the certificate → joiner exits 22', async () => {
    const { c, nodes } = await twoNodes(
      'f-keymismatch',
      (cl, n2) => ({
        tca: cl.pki.caCert,
        tcert: n2.cert.cert,
        tkey: issueCert(cl.pki, { cn: 'other', name: 'other' }).key,
      }),
      40,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'key mismatch',
      await expectFailedJoin(c, n1, n2, {
        side: 'joiner',
        code: 22,
        message: /The certificate and private key do not match/,
      }),
    );
  });

  test('certificate file that cannot be read → joiner exits 22 naming the path', async () => {
    const { c, nodes } = await twoNodes(
      'f-unreadable',
      (cl) => ({ tca: cl.pki.caCert, tcert: join(cl.root, 'no-such-dir', 'node2.pem') }),
      50,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'unreadable certificate',
      await expectFailedJoin(c, n1, n2, { side: 'joiner', code: 22, message: /no-such-dir\/node2\.pem/ }),
    );
  });

  test('tcert missing → joiner exits 22 before ready', async () => {
    const { c, nodes } = await twoNodes('f-notcert', (cl) => ({ tca: cl.pki.caCert }), 60);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report('tcert missing', await expectFailedJoin(c, n1, n2, { side: 'joiner', code: 22, message: /tcert/ }));
  });

  test('SST port taken by another program → joiner exits 16 naming its PID', async () => {
    const { c, nodes } = await twoNodes('f-porttaken', undefined, 70);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(n2.sstPort, n2.spec.ip, r));
    try {
      report(
        'port taken',
        await expectFailedJoin(c, n1, n2, {
          side: 'joiner',
          code: 16,
          message: new RegExp(`port '${n2.sstPort}' has been taken by another program \\(PID: ${process.pid}`),
        }),
      );
    } finally {
      squatter.close();
    }
  });

  test('sockopt with shell metacharacters → nothing executed, exit 22 before ready', async () => {
    const canary = `/tmp/sst-canary-${process.pid}`;
    const { c, nodes } = await twoNodes(
      'f-shellmeta',
      (cl, n2) => ({ tca: cl.pki.caCert, tcert: n2.cert.bundle, sockopt: `"$(touch ${canary}); \`touch ${canary}\`"` }),
      80,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'sockopt shell metacharacters',
      await expectFailedJoin(c, n1, n2, { side: 'joiner', code: 22, message: /Invalid sockopt/ }),
    );
    assert.equal(existsSync(canary), false, 'no shell ran the sockopt');
  });

  test("sockopt with '!!' or a newline → exit 22 before ready", async () => {
    const { c, nodes } = await twoNodes(
      'f-bangbang',
      (cl, n2) => ({ tca: cl.pki.caCert, tcert: n2.cert.bundle, sockopt: 'verify=1!!TCP:127.0.0.1:9' }),
      90,
    );
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      "sockopt '!!'",
      await expectFailedJoin(c, n1, n2, { side: 'joiner', code: 22, message: /Invalid sockopt.*'!!'/ }),
    );
    await destroyCluster();
    // my_print_defaults turns "\n" into a newline in a value.
    const second = await twoNodes(
      'f-newline',
      (cl, n) => ({ tca: cl.pki.caCert, tcert: n.cert.bundle, sockopt: 'verify=1\\nEXEC:/bin/true' }),
      110,
    );
    const [m1, m2] = second.nodes as [ClusterNode, ClusterNode];
    report(
      'sockopt newline',
      await expectFailedJoin(second.c, m1, m2, {
        side: 'joiner',
        code: 22,
        message: /Invalid sockopt.*(line break|control character)/,
      }),
    );
  });

  test('stale pid, marker and tables_flushed files of a crashed SST do not stop the next one', async () => {
    const { c, nodes } = await twoNodes('f-stale', undefined, 120);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    mkdirSync(n2.datadir, { recursive: true });
    writeFileSync(join(n2.datadir, 'wsrep_sst.pid'), '999999\n');
    writeFileSync(join(n2.datadir, 'rsync_tunnel_sst_complete'), '00000000-0000-0000-0000-000000000000:1 0\n');
    writeFileSync(join(n2.datadir, 'rsync_tunnel_sst-socat.pid'), '999998\n');
    writeFileSync(join(n2.datadir, 'sst_in_progress'), '');
    writeFileSync(join(n1.datadir, 'tables_flushed'), '00000000-0000-0000-0000-000000000000:1 0\n');
    c.start(n2);
    await c.waitSynced(n2);
    assert.equal(checksums(c, n2), checksums(c, n1));
    assert.equal(existsSync(join(n2.datadir, 'rsync_tunnel_sst_complete')), false);
  });

  test("donor's rsync killed mid-copy → donor exits 255 naming the pass, joiner aborts", async () => {
    const { c, nodes } = await twoNodes('f-killrsync', undefined, 130);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'donor rsync killed',
      await expectFailedJoin(
        c,
        n1,
        n2,
        { side: 'donor', code: 255, message: /files \d+\/\d+ \(.*\) failed/ },
        async () => {
          // A batch of database files (the donor's --files-from list): the table data itself.
          await killWhenSeen(c, /^\/usr\/bin\/rsync --password-file=.*--files-from=/);
        },
      ),
    );
  });

  test("donor's tunnel socat killed mid-copy → donor fails, joiner aborts", async () => {
    const { c, nodes } = await twoNodes('f-killsocat', undefined, 140);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'donor socat killed',
      await expectFailedJoin(c, n1, n2, { side: 'donor', message: /failed|unreachable/ }, async () => {
        await killWhenSeen(c, /socat -b \d+ - OPENSSL:/);
      }),
    );
  });

  test('joiner mariadbd killed during the copy → its SST program exits 32, donor back to Synced', async () => {
    const { c, nodes } = await twoNodes('f-killjoiner', undefined, 150);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    report(
      'joiner mariadbd killed',
      await expectFailedJoin(
        c,
        n1,
        n2,
        { side: 'joiner', message: /Parent mysqld process \(PID: \d+\) terminated unexpectedly/ },
        async () => {
          const deadline = Date.now() + 120_000;
          while (!taggedProcesses(c.tag).some((t) => /rsync --password-file/.test(t.cmdline)) && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 5));
          await c.kill(n2);
        },
      ),
    );
  });

  test('joiner disk full (a 24 MiB tmpfs datadir) → the SST fails, never a partial success', async () => {
    const { c, nodes } = await twoNodes('f-diskfull', undefined, 160);
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    mkdirSync(n2.datadir, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', n2.datadir]);
    assert.equal(r.status, 0, `mount tmpfs: ${r.stderr}`);
    mounts.push(n2.datadir);
    report(
      'joiner disk full',
      await expectFailedJoin(c, n1, n2, { side: 'donor', code: 255, message: /broke in (pass|files)|failed/ }),
    );
    assert.match(c.log(n2), /No space left on device/, "the joiner's log names the cause");
  });

  test(
    'joiner SST program SIGKILLed mid-copy → ' + 'its listener goes at once; the node then syncs in normal time',
    async () => {
      const { c, nodes } = await twoNodes('f-killprogram', undefined, 180);
      const [n1, n2] = nodes as [ClusterNode, ClusterNode];
      const timer = setTimeout(() => void c.kill(n2), 180_000);
      c.start(n2);
      await waitFor(() => taggedProcesses(c.tag).some((t) => /rsync --password-file/.test(t.cmdline)), 120_000);
      const program = taggedProcesses(c.tag).find((t) => /wsrep_sst_rsync_tunnel .*--role joiner/.test(t.cmdline));
      assert.ok(program, 'the joiner program runs');
      process.kill(program.pid, 'SIGKILL');
      const t0 = Date.now();
      await waitFor(() => !listeningPortsOf(c.tag).includes(n2.sstPort), 2_500).catch(() => undefined);
      const goneAfter = (Date.now() - t0) / 1000;
      assert.equal(
        listeningPortsOf(c.tag).includes(n2.sstPort),
        false,
        `the listener outlived its program by ${goneAfter} s`,
      );
      await n2.exited;
      clearTimeout(timer);
      await c.waitSynced(n1, 60_000);
      // The restart reuses node 2's ports, all in the ephemeral range: a short-lived client socket of
      // anyone on the machine may hold one for a moment (seen once on the IST port: mariadbd then aborts).
      const host = n2.spec.ip;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
        const free = await Promise.all(
          [n2.port, n2.galeraPort, n2.istPort, n2.sstPort].map((p) => portBindable(host, p)),
        );
        if (free.every(Boolean)) break;
      }
      const t1 = Date.now();
      c.start(n2);
      await c.waitSynced(n2);
      const seconds = (Date.now() - t1) / 1000;
      console.log(
        `# fault 'joiner program killed': listener gone within ${goneAfter.toFixed(1)} s; next join took ` +
          `${seconds.toFixed(1)} s`,
      );
      assert.ok(seconds < 60, `the next SST took ${seconds} s (no 30 s wait, no 114)`);
      assert.doesNotMatch(c.log(n2), /still running|waiting up to 30 s/);
      assert.equal(checksums(c, n2), checksums(c, n1));
    },
  );

  test(
    'a CA-signed stranger pushing files to the joiner during an ' +
      'SST is refused; the SST completes with the donor data only',
    async () => {
      const { c, nodes } = await twoNodes('f-stranger', undefined, 170);
      const [n1, n2] = nodes as [ClusterNode, ClusterNode];
      const stranger = issueCert(c.pki, { cn: '127.0.1.199', ips: ['127.0.1.199'], name: 'stranger' });
      const evil = join(c.root, 'evil.txt');
      writeFileSync(evil, 'foreign data\n');
      c.start(n2);
      await waitFor(() => listeningSockets().some((s) => s.port === n2.sstPort), 120_000);
      const address = `OPENSSL:${n2.spec.ip}:${n2.sstPort},cert=${stranger.bundle},cafile=${c.pki.caCert},verify=1`;
      const push = spawnSync('rsync', ['--quiet', evil, `rsync://sst@${n2.spec.ip}:${n2.sstPort}/rsync_tunnel_sst/`], {
        encoding: 'utf8',
        env: {
          ...process.env,
          RSYNC_PASSWORD: 'guess',
          RSYNC_CONNECT_PROG: 'exec socat - "$STRANGER_ADDRESS"',
          STRANGER_ADDRESS: address,
        },
        timeout: 60_000,
      });
      assert.notEqual(push.status, 0, 'the stranger must be refused');
      // It races the real donor: refused by the secret while the SST runs, or cut off when the
      // SST ends and the listener goes; the integration suite pins the auth refusal down alone.
      assert.match(
        push.stderr,
        /auth failed|didn't get server startup line|connection unexpectedly closed|Connection (refused|reset)/,
      );
      await c.waitSynced(n2);
      assert.equal(existsSync(join(n2.datadir, 'evil.txt')), false, 'no foreign file in the joiner datadir');
      assert.equal(checksums(c, n2), checksums(c, n1));
    },
  );
});
