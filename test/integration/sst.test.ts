/**
 * Donor→joiner SSTs with the real program, socat, rsync and certificates made
 * for the test; a driver plays mariadbd. Nodes live on 127.0.0.2 (joiner) and
 * 127.0.0.3 (donor), certificates name them by IP SAN.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runSst, startRole, joinerArgv, splitReady, STATE_UUID, type NodeSide } from '../helpers/driver';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { createCa, issueCert, selfSigned } from '../helpers/pki';
import { DONOR_IP, JOINER_IP, twoNodeHooks } from '../helpers/two-nodes';
import { freePort, listeningPortsOf, waitNoTagged } from '../helpers/procs';
import { sstTls, writeOptionFile } from '../helpers/option-file';

let tag = '';
const nodes = twoNodeHooks('sst-it-', () => [tag]);

interface Pair {
  joiner: NodeSide;
  donor: NodeSide;
  address: string;
  port: number;
}

async function pair(
  name: string,
  o: {
    joinerSst?: Record<string, string>;
    donorSst?: Record<string, string>;
    joinerMysqld?: Record<string, string>;
    donorMysqld?: Record<string, string>;
    joinerHost?: string;
  } = {},
): Promise<Pair> {
  tag = `${name}-${randomBytes(4).toString('hex')}`;
  const base = join(nodes.root, tag);
  const jdir = join(base, 'joiner');
  const ddir = join(base, 'donor');
  fs.mkdirSync(jdir, { recursive: true });
  fs.mkdirSync(ddir, { recursive: true });
  const host = o.joinerHost ?? JOINER_IP;
  const port = await freePort(host.startsWith('[') ? '::1' : host);
  const env = { SST_TEST_TAG: tag };
  return {
    joiner: {
      datadir: join(jdir, 'data'),
      cnf: writeOptionFile(jdir, o.joinerSst ?? sstTls(nodes.pki, nodes.joinerCert), o.joinerMysqld),
      env,
    },
    donor: {
      datadir: join(ddir, 'data'),
      cnf: writeOptionFile(ddir, o.donorSst ?? sstTls(nodes.pki, nodes.donorCert), o.donorMysqld),
      env,
    },
    address: `${host}:${port}`,
    port,
  };
}

const copied = (rel: string): boolean => !STAYS_HOME.test(rel);

async function assertNothingLeft(p: Pair): Promise<void> {
  const left = await waitNoTagged(tag, 15_000);
  assert.deepEqual(left, [], 'no process of the SST may survive it');
  for (const f of [
    'wsrep_sst.pid',
    'sst_in_progress',
    'rsync_tunnel_sst_complete',
    'rsync_tunnel_sst-socat.pid',
    '.rsync_tunnel_sst_binlogs',
  ]) {
    assert.equal(fs.existsSync(join(p.joiner.datadir, f)), false, `joiner ${f} removed`);
  }
  for (const f of ['wsrep_sst.pid', 'rsync_tunnel_sst_complete', 'tables_flushed']) {
    assert.equal(fs.existsSync(join(p.donor.datadir, f)), false, `donor ${f} removed`);
  }
}

async function assertGoodSst(
  p: Pair,
  o: Parameters<typeof runSst>[0] extends infer T ? Partial<T> : never = {},
): Promise<void> {
  const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address, ...o });
  const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerCode, 0, detail);
  assert.deepEqual(r.donor?.lines, ['flush tables', 'continue', `done ${STATE_UUID}:42 0`], detail);
  assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
  assert.match(r.ready ?? '', /^ready [A-Za-z0-9._-]+:[0-9a-f]{32}@[^@]+\/rsync_tunnel_sst$/);
  assert.deepEqual(treeDigest(p.joiner.datadir, copied), treeDigest(p.donor.datadir, copied));
  assert.equal(fs.existsSync(join(p.joiner.datadir, 'grastate.dat')), false, 'top-level files stay on the donor');
  await assertNothingLeft(p);
}

describe('full SST through the tunnel', () => {
  test('bundle certificate (key+cert in tcert): byte-identical copy', async () => {
    const p = await pair('bundle');
    makeDatadir(p.donor.datadir);
    await assertGoodSst(p);
  });

  test('split tcert + tkey', async () => {
    const p = await pair('split', {
      joinerSst: { tca: nodes.pki.caCert, tcert: nodes.joinerCert.cert, tkey: nodes.joinerCert.key },
      donorSst: { tca: nodes.pki.caCert, tcert: nodes.donorCert.cert, tkey: nodes.donorCert.key },
    });
    makeDatadir(p.donor.datadir);
    await assertGoodSst(p);
  });

  test('self-signed certificates listed in tca (original README, scenario 1)', async () => {
    const dir = join(nodes.root, 'selfsigned');
    const j = selfSigned(dir, JOINER_IP, { ips: [JOINER_IP], name: 'j' });
    const d = selfSigned(dir, DONOR_IP, { ips: [DONOR_IP], name: 'd' });
    const all = join(dir, 'all-mysql.crt');
    fs.writeFileSync(all, fs.readFileSync(j.cert, 'utf8') + fs.readFileSync(d.cert, 'utf8'));
    const p = await pair('selfsigned', {
      joinerSst: { tca: all, tcert: j.bundle },
      donorSst: { tca: all, tcert: d.bundle },
    });
    makeDatadir(p.donor.datadir);
    await assertGoodSst(p);
  });

  test('sockopt="verify=0" accepts a peer that is not trusted', async () => {
    const stranger = selfSigned(join(nodes.root, 'noverify'), 'somebody-else', { name: 's' });
    const p = await pair('noverify', {
      joinerSst: { tca: nodes.pki.caCert, tcert: stranger.bundle, sockopt: '"verify=0"' },
      donorSst: { tca: nodes.pki.caCert, tcert: nodes.donorCert.bundle, sockopt: 'verify=0' },
    });
    makeDatadir(p.donor.datadir);
    await assertGoodSst(p);
  });

  test('IPv6 [::1]', async () => {
    const six = issueCert(nodes.pki, { cn: '::1', ips: ['::1'], name: 'six' });
    const p = await pair('ipv6', { joinerHost: '[::1]', joinerSst: { tca: nodes.pki.caCert, tcert: six.bundle } });
    makeDatadir(p.donor.datadir);
    await assertGoodSst(p);
  });

  test('joiner datadir with old content: stale directories go, data is replaced', async () => {
    const p = await pair('overwrite');
    makeDatadir(p.donor.datadir);
    makeDatadir(p.joiner.datadir, { bigTable: 1000 });
    fs.rmSync(join(p.joiner.datadir, 'grastate.dat'));
    fs.mkdirSync(join(p.joiner.datadir, 'dropped_db'));
    fs.writeFileSync(join(p.joiner.datadir, 'dropped_db', 't.ibd'), 'old');
    await assertGoodSst(p);
    assert.equal(fs.existsSync(join(p.joiner.datadir, 'dropped_db')), false);
  });

  test('separate InnoDB and Aria directories on both nodes', async () => {
    const layout = {
      'innodb-data-home-dir': 'ibdata',
      innodb_log_group_home_dir: '../redo',
      'innodb-undo-directory': 'undo',
      'aria-log-dir-path': 'aria',
    };
    const p = await pair('layout', { joinerMysqld: layout, donorMysqld: layout });
    const d = p.donor.datadir;
    makeDatadir(d, {
      dataHome: join(d, 'ibdata'),
      logDir: join(d, '..', 'redo'),
      undoDir: join(d, 'undo'),
      ariaLog: join(d, 'aria'),
    });
    await assertGoodSst(p);
    const j = p.joiner.datadir;
    assert.equal(fs.readFileSync(join(j, '..', 'redo', 'ib_logfile0')).length, 128 * 1024);
    for (const f of ['ibdata/ibdata1', 'undo/undo003', 'aria/aria_log_control'])
      assert.ok(fs.existsSync(join(j, f)), f);
  });
});

describe('binary logs and IST', () => {
  test('the last sst-max-binlogs binlogs arrive with a rebuilt index; old ones are removed', async () => {
    const p = await pair('binlog', {
      donorSst: { tca: nodes.pki.caCert, tcert: nodes.donorCert.bundle, 'sst-max-binlogs': '2' },
    });
    makeDatadir(p.donor.datadir, { binlogs: 3 });
    makeDatadir(p.joiner.datadir, { binlogs: 5 });
    fs.rmSync(join(p.joiner.datadir, 'grastate.dat'));
    p.joiner.extraArgs = ['--binlog', 'mysql-bin'];
    p.donor.extraArgs = ['--binlog', 'mysql-bin'];
    await assertGoodSst(p);
    const j = p.joiner.datadir;
    assert.equal(fs.readFileSync(join(j, 'mysql-bin.index'), 'utf8'), './mysql-bin.000002\n./mysql-bin.000003\n');
    assert.deepEqual(
      fs.readFileSync(join(j, 'mysql-bin.000003')),
      fs.readFileSync(join(p.donor.datadir, 'mysql-bin.000003')),
    );
    for (const old of ['mysql-bin.000001', 'mysql-bin.000004', 'mysql-bin.000005'])
      assert.equal(fs.existsSync(join(j, old)), false, old);
  });

  test('bypass (IST): only the marker travels, data and binlogs stay', async () => {
    const p = await pair('bypass');
    makeDatadir(p.donor.datadir);
    makeDatadir(p.joiner.datadir, { binlogs: 2 });
    const before = treeDigest(p.joiner.datadir);
    const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address, bypass: true, seqno: 77 });
    assert.equal(r.donorCode, 0, r.donor?.stderr());
    assert.deepEqual(r.donor?.lines, ['continue', `done ${STATE_UUID}:77 0`]);
    assert.equal(r.joinerFinal, `${STATE_UUID}:77 0`);
    assert.equal(r.joinerCode, 0);
    assert.deepEqual(treeDigest(p.joiner.datadir), before);
    await assertNothingLeft(p);
  });
});

describe('refusals', () => {
  test('joiner certificate with the wrong name: donor exits 13 naming it, nothing copied', async () => {
    const wrong = issueCert(nodes.pki, { cn: '127.0.0.9', ips: ['127.0.0.9'], name: 'wrong' });
    const p = await pair('wrongcn', { joinerSst: { tca: nodes.pki.caCert, tcert: wrong.bundle } });
    makeDatadir(p.donor.datadir);
    const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
    assert.equal(r.donorCode, 13, r.donor?.stderr());
    assert.match(
      r.donor?.stderr() ?? '',
      new RegExp(
        String.raw`WSREP_SST: \[ERROR\] TLS verification failed in pass 1.*expected the joiner's certificate ` +
          String.raw`to name '127\.0\.0\.2', it has CN=127\.0\.0\.9, IP:127\.0\.0\.9`,
      ),
    );
    assert.notEqual(r.joinerCode, 0);
    assert.equal(fs.existsSync(join(p.joiner.datadir, 'shop')), false);
    await assertNothingLeft(p);
  });

  test('joiner certificate from an untrusted CA: donor exits 13', async () => {
    const other = createCa(join(nodes.root, 'other-ca'), 'other');
    const foreign = issueCert(other, { cn: JOINER_IP, ips: [JOINER_IP], name: 'foreign' });
    const p = await pair('untrusted', { joinerSst: { tca: other.caCert, tcert: foreign.bundle } });
    makeDatadir(p.donor.datadir);
    const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
    assert.equal(r.donorCode, 13, r.donor?.stderr());
    assert.match(r.donor?.stderr() ?? '', /certificate verify failed|unknown ca/i);
    await assertNothingLeft(p);
  });

  test('a CA-signed client that does not know the secret cannot write a single file', async () => {
    // The daemon answers a wrong secret with "@ERROR: auth failed" and exits 255; socat, seeing its
    // child fail, may end the connection before that last line has crossed the tunnel (more often
    // on a busy machine), and the donor then reads EOF and exits 255 instead of 13. Every attempt
    // must write nothing; one of a few must show the refusal itself.
    const refusal = new RegExp(
      String.raw`WSREP_SST: \[ERROR\] the joiner refused our per-SST secret in pass 1 \(directories and ` +
        String.raw`deletions\) \(@ERROR: auth failed`,
    );
    const attempts: string[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const p = await pair(`stranger${attempt}`);
      makeDatadir(p.donor.datadir);
      // mariadbd would hand over the real secret; this donor, CA-signed too, guesses.
      const res = await runSst({
        joiner: p.joiner,
        donor: p.donor,
        address: p.address,
        donorAuth: 'joiner:0123456789abcdef0123456789abcdef',
      });
      const stderr = res.donor?.stderr() ?? '';
      assert.notEqual(res.donorCode, 0, stderr);
      assert.notEqual(res.joinerCode, 0);
      assert.equal(res.joinerFinal, undefined, 'the joiner must not report a state');
      assert.deepEqual(
        treeDigest(p.joiner.datadir, (rel) => !rel.startsWith('.')),
        new Map(),
        'nothing written into the joiner datadir',
      );
      await assertNothingLeft(p);
      if (res.donorCode === 13 && refusal.test(stderr)) return;
      assert.match(stderr, /didn't get server startup line/, `neither the refusal nor a cut connection:\n${stderr}`);
      attempts.push(`attempt ${attempt}: ${res.donorCode}`);
    }
    assert.fail(`the refusal never reached the donor (${attempts.join(', ')})`);
  });

  test('a donor without the secret refuses before flush tables (exit 22)', async () => {
    const p = await pair('nosecret');
    makeDatadir(p.donor.datadir);
    const res = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address, donorAuth: '' });
    assert.equal(res.donorCode, 22, res.donor?.stderr());
    assert.deepEqual(res.donor?.lines, []);
    assert.match(res.donor?.stderr() ?? '', /no secret from the joiner/);
    await assertNothingLeft(p);
  });

  test('missing tcert: exit 22 before ready', async () => {
    const p = await pair('notcert', { joinerSst: { tca: nodes.pki.caCert } });
    const j = startRole(joinerArgv(p.joiner, p.address, process.pid), p.joiner.env);
    assert.equal(await j.nextLine(), undefined);
    assert.equal(await j.exit, 22);
    assert.match(j.stderr(), /^WSREP_SST: \[ERROR\] .*tcert/m);
    await assertNothingLeft(p);
  });

  test('port taken by another program: exit 16 naming its PID', async () => {
    const p = await pair('porttaken');
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(p.port, JOINER_IP, r));
    try {
      const j = startRole(joinerArgv(p.joiner, p.address, process.pid), p.joiner.env);
      assert.equal(await j.nextLine(), undefined);
      assert.equal(await j.exit, 16);
      assert.match(j.stderr(), new RegExp(`port '${p.port}' has been taken by another program \\(PID: ${process.pid}`));
    } finally {
      squatter.close();
    }
    await assertNothingLeft(p);
  });

  test('parent death: joiner exits 32 within 2 s, nothing left', async () => {
    const p = await pair('parent');
    const { spawn } = await import('node:child_process');
    const fakeParent = spawn('sleep', ['600'], { stdio: 'ignore' });
    const j = startRole(joinerArgv(p.joiner, p.address, fakeParent.pid ?? 0), p.joiner.env);
    assert.match((await j.nextLine()) ?? '', /^ready /);
    const t0 = Date.now();
    fakeParent.kill('SIGKILL');
    assert.equal(await j.exit, 32);
    assert.ok(Date.now() - t0 < 2000, `exit took ${Date.now() - t0} ms`);
    assert.match(j.stderr(), /Parent mysqld process \(PID: \d+\) terminated unexpectedly/);
    await assertNothingLeft(p);
  });

  /** A real joiner of ours on the same datadir (another port), ready and waiting for a donor. */
  async function previousJoiner(p: Pair): Promise<ReturnType<typeof startRole>> {
    const port = await freePort(JOINER_IP);
    const previous = startRole(joinerArgv(p.joiner, `${JOINER_IP}:${port}`, process.pid), p.joiner.env);
    assert.match((await previous.nextLine()) ?? '', /^ready /, previous.stderr());
    return previous;
  }

  test('a previous SST of ours still running: wait up to 30 s, then exit 114 before ready', {
    timeout: 90_000,
  }, async () => {
    const p = await pair('previous');
    const previous = await previousJoiner(p);
    try {
      const pidFile = fs.readFileSync(join(p.joiner.datadir, 'wsrep_sst.pid'), 'utf8');
      assert.match(pidFile, new RegExp(`^${previous.child.pid} \\d+\\n$`));
      const t0 = Date.now();
      const j = startRole(joinerArgv(p.joiner, p.address, process.pid), p.joiner.env);
      assert.equal(await j.nextLine(60_000), undefined);
      assert.equal(await j.exit, 114);
      assert.ok(Date.now() - t0 >= 29_000, `gave up after ${Date.now() - t0} ms`);
      assert.match(j.stderr(), /WSREP_SST: \[ERROR\] previous SST script still running \(PID: \d+/);
      assert.equal(
        fs.readFileSync(join(p.joiner.datadir, 'wsrep_sst.pid'), 'utf8'),
        pidFile,
        "the other SST's pid file is not ours to remove",
      );
    } finally {
      previous.child.kill('SIGTERM');
      await previous.exit;
    }
    assert.deepEqual(await waitNoTagged(tag, 15_000), []);
  });

  test('a previous SST of ours that ends during the wait lets this one go on', async () => {
    const p = await pair('previousends');
    makeDatadir(p.donor.datadir);
    const previous = await previousJoiner(p);
    const ending = setTimeout(() => previous.child.kill('SIGTERM'), 2_000);
    try {
      await assertGoodSst(p);
    } finally {
      clearTimeout(ending);
    }
  });

  test('a pid file naming a live process that is not ours (a reused PID, PID 1): WARNING, no wait', async () => {
    const p = await pair('reusedpid');
    makeDatadir(p.donor.datadir);
    fs.mkdirSync(p.joiner.datadir, { recursive: true });
    fs.writeFileSync(join(p.joiner.datadir, 'wsrep_sst.pid'), '1\n');
    fs.writeFileSync(join(p.joiner.datadir, 'rsync_tunnel_sst-socat.pid'), '1\n');
    const t0 = Date.now();
    const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
    assert.equal(r.joinerCode, 0, r.joiner.stderr());
    assert.ok(Date.now() - t0 < 25_000, `took ${Date.now() - t0} ms`);
    assert.match(r.joiner.stderr(), /\[WARNING\] .*wsrep_sst\.pid names PID 1, which is not an SST program of ours/);
    assert.match(
      r.joiner.stderr(),
      /\[WARNING\] .*rsync_tunnel_sst-socat\.pid names PID 1, which is not a socat listener of ours/,
    );
    assert.doesNotMatch(r.joiner.stderr(), /waiting up to 30 s/);
  });

  test('a stale marker from an earlier run is not trusted', async () => {
    const p = await pair('stalemarker');
    makeDatadir(p.donor.datadir);
    fs.mkdirSync(p.joiner.datadir, { recursive: true });
    fs.writeFileSync(join(p.joiner.datadir, 'rsync_tunnel_sst_complete'), `${STATE_UUID}:1 0\n`);
    await assertGoodSst(p);
  });

  test('during the transfer the only listening socket is the joiner TLS port', async () => {
    const p = await pair('listeners');
    makeDatadir(p.donor.datadir, { bigTable: 64 * 1024 * 1024 });
    const seen = new Set<number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const port of listeningPortsOf(tag)) seen.add(port);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await assertGoodSst(p).finally(() => (sampling = false));
    await sampler;
    assert.deepEqual([...seen], [p.port]);
  });

  test('TLS on the wire: the first bytes to the joiner port are a TLS handshake, never @RSYNCD', async () => {
    const p = await pair('wire');
    const j = startRole(joinerArgv(p.joiner, p.address, process.pid), p.joiner.env);
    const ready = (await j.nextLine()) ?? '';
    assert.match(ready, /^ready /);
    // A plaintext rsync client gets no rsync greeting from a TLS listener.
    const greeting = await new Promise<string>((resolve) => {
      const s = connect(p.port, JOINER_IP, () => s.write('@RSYNCD: 31.0\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
      setTimeout(() => s.destroy(), 3000);
    });
    assert.doesNotMatch(greeting, /@RSYNCD/);
    assert.deepEqual(splitReady(ready).address, `${p.address}/rsync_tunnel_sst`);
    j.child.kill('SIGTERM');
    assert.equal(await j.exit, 3);
    await assertNothingLeft(p);
  });
});
