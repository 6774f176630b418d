/**
 * `wsrep_sst_rsync_tunnel check` on a node, with the real program (SST_TEST_BINARY or the tsc
 * output), real socat/rsync and certificates made by openssl: a good configuration passes
 * everything, and each broken one fails on the item that names its cause.
 *
 * Tests run as root, so the good case checks for `user=root`; permission failures are checked
 * for `nobody`, which the permission walk judges from owners and modes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { programCommand, run, type RunResult } from '../helpers/binary';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort } from '../helpers/procs';
import { writeOptionFile } from '../helpers/option-file';

const HOST = '127.0.0.2';

interface Item {
  id: string;
  label: string;
  status: 'PASS' | 'WARN' | 'FAIL' | 'SKIP';
  detail: string;
}
interface JsonReport {
  mode: string;
  ok: boolean;
  counts: Record<string, number>;
  context: Record<string, string>;
  items: Item[];
}

let root: string;
let ca: Pki;
let good: NodeCert;
let port: number;
let counter = 0;

before(async () => {
  root = fs.mkdtempSync(join(tmpdir(), 'check-it-'));
  // `nobody` must be able to reach what the tests mean it to reach.
  fs.chmodSync(root, 0o755);
  ca = createCa(join(root, 'pki'));
  good = issueCert(ca, { cn: HOST, ips: [HOST], name: 'good' });
  port = await freePort(HOST);
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A fresh directory with a datadir and an option file; returns the option file. */
function node(sst: Record<string, string>, mysqld: Record<string, string> = {}): { cnf: string; dir: string } {
  const dir = join(root, `node${++counter}`);
  fs.mkdirSync(join(dir, 'data'), { recursive: true });
  fs.chmodSync(dir, 0o755);
  const cnf = writeOptionFile(dir, sst, {
    user: 'root',
    datadir: join(dir, 'data'),
    wsrep_sst_receive_address: `${HOST}:${port}`,
    ...mysqld,
  });
  return { cnf, dir };
}

const GOOD_SST = (): Record<string, string> => ({ tca: ca.caCert, tcert: good.cert, tkey: good.key });

async function check(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const p = programCommand();
  return run(p.command, [...p.args, 'check', ...args], { env, timeoutMs: 30_000 });
}

async function checkJson(cnf: string, env?: NodeJS.ProcessEnv): Promise<{ r: RunResult; report: JsonReport }> {
  const r = await check(['--defaults-file', cnf, '--json'], env);
  assert.equal(r.stderr, '', 'check writes nothing to stderr');
  return { r, report: JSON.parse(r.stdout) as JsonReport };
}

function byId(report: JsonReport, id: string): Item {
  const found = report.items.find((i) => i.id === id);
  assert.ok(found, `no item '${id}' in ${report.items.map((i) => i.id).join(', ')}`);
  return found;
}

/** The report fails, and exactly on `ids`. */
function failsOn(r: RunResult, report: JsonReport, ids: string[]): void {
  const failed = report.items.filter((i) => i.status === 'FAIL').map((i) => i.id);
  assert.deepEqual(failed.sort(), [...ids].sort(), JSON.stringify(report.items, null, 1));
  assert.equal(r.code, 1);
  assert.equal(report.ok, false);
}

describe('check: a good node', () => {
  test('every item passes, exit 0, aligned human-readable lines on stdout', async () => {
    const { cnf } = node(GOOD_SST());
    const r = await check(['--defaults-file', cnf]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^wsrep_sst_rsync_tunnel \S+ check$/);
    const itemLines = lines.filter((l) => /^(PASS|WARN|FAIL|SKIP) {2}/.test(l));
    assert.ok(itemLines.length >= 13, r.stdout);
    assert.ok(
      itemLines.every((l) => l.startsWith('PASS  ')),
      r.stdout,
    );
    for (const expected of [
      /^PASS {2}socat +socat \S+ \(\S+\), built with OpenSSL$/m,
      /^PASS {2}rsync +rsync \S+ \(\S+\)$/m,
      /^PASS {2}cert name for donors +donors verify '127\.0\.0\.2' \(wsrep_sst_receive_address=127\.0\.0\.2:\d+\)/m,
      new RegExp(`^PASS  SST port free +port ${port} on 127\\.0\\.0\\.2 is free$`, 'm'),
      /^PASS {2}key readable +user root can read /m,
    ]) {
      assert.match(r.stdout, expected);
    }
    assert.match(lines[lines.length - 1] ?? '', /^\d+ PASS, 0 WARN, 0 FAIL, 0 SKIP: nothing fails$/);
  });

  test('--json is one object with the same verdicts', async () => {
    const { cnf, dir } = node(GOOD_SST());
    const { r, report } = await checkJson(cnf);
    assert.equal(r.code, 0);
    assert.equal(report.mode, 'node');
    assert.equal(report.ok, true);
    assert.equal(report.counts.FAIL, 0);
    assert.deepEqual(
      report.items.filter((i) => i.status !== 'PASS'),
      [],
    );
    assert.equal(report.context.datadir, `${join(dir, 'data')} (datadir in the option files)`);
    for (const id of [
      'socat',
      'rsync',
      'config',
      'user',
      'address',
      'tls',
      'readable:cert',
      'readable:key',
      'readable:ca',
      'key-match',
      'ca',
      'expiry',
      'name',
      'port',
      'writable:datadir',
    ]) {
      assert.equal(byId(report, id).status, 'PASS', id);
    }
  });

  test('--datadir overrides the option files', async () => {
    const { cnf, dir } = node(GOOD_SST());
    const other = join(dir, 'other-data');
    fs.mkdirSync(other);
    const r = await check(['--defaults-file', cnf, '--datadir', other, '--json']);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.equal(report.context.datadir, `${other} (--datadir)`);
    assert.match(byId(report, 'writable:datadir').detail, new RegExp(`can write in ${other}`));
  });
});

describe('check: ssl-server-*/ssl-client-* give the joiner and the donor different material', () => {
  test('each side is checked, and only the joiner certificate against the advertised name', async () => {
    const client = issueCert(ca, { cn: 'donor-side', name: 'client-side' });
    const dir = join(root, `node${++counter}`);
    fs.mkdirSync(join(dir, 'data'), { recursive: true });
    const cnf = join(dir, 'my.cnf');
    fs.writeFileSync(
      cnf,
      [
        '[mysqld]',
        'user=root',
        `datadir=${join(dir, 'data')}`,
        `wsrep_sst_receive_address=${HOST}:${port}`,
        `ssl-ca=${ca.caCert}`,
        `ssl-server-cert=${good.cert}`,
        `ssl-server-key=${good.key}`,
        `ssl-client-cert=${client.cert}`,
        `ssl-client-key=${client.key}`,
        '',
      ].join('\n'),
    );
    const { r, report } = await checkJson(cnf);
    assert.equal(r.code, 0, JSON.stringify(report.items, null, 1));
    for (const id of [
      'key-match:joiner',
      'ca:joiner',
      'expiry:joiner',
      'key-match:donor',
      'ca:donor',
      'expiry:donor',
      'readable:cert:donor',
      'name',
    ]) {
      assert.equal(byId(report, id).status, 'PASS', id);
    }
    assert.match(byId(report, 'key-match:donor').detail, /CN=donor-side/);
    assert.equal(report.items.filter((i) => i.id === 'name').length, 1);
  });
});

describe('check: sockopt and CA settings that weaken peer verification (docs/architecture.md §8.5, §6)', () => {
  test('each weakening sockopt item is named in a WARN; nothing fails', async () => {
    const { cnf } = node({
      ...GOOD_SST(),
      sockopt: `cipher=HIGH:!aNULL,CN=${HOST},cafile=${join(root, 'other-ca.pem')},VERIFY=0`,
    });
    const { r, report } = await checkJson(cnf);
    const tls = byId(report, 'tls');
    assert.equal(tls.status, 'WARN', tls.detail);
    assert.match(
      tls.detail,
      new RegExp(
        `sockopt CN=${HOST.replace(/\./g, '\\.')} weakens peer verification: donors accept any certificate ` +
          `from the CA that names`,
      ),
    );
    assert.match(
      tls.detail,
      /sockopt cafile=\S+other-ca\.pem weakens peer verification: peers are verified against the CA file/,
    );
    assert.match(tls.detail, /sockopt VERIFY=0 weakens peer verification: the peer certificate is not verified at all/);
    assert.doesNotMatch(tls.detail, /cipher=HIGH:!aNULL weakens/);
    assert.equal(r.code, 0, JSON.stringify(report.items, null, 1));
  });

  test('a cipher list, nosni or a protocol floor stays silent', async () => {
    const { cnf } = node({ ...GOOD_SST(), sockopt: 'cipher=HIGH:!aNULL,nosni=1,min-version=TLS1.2' });
    const { r, report } = await checkJson(cnf);
    assert.equal(byId(report, 'tls').status, 'PASS', byId(report, 'tls').detail);
    assert.equal(r.code, 0);
  });

  test("verify=\\t0 (socat: verify=0) is refused as the SST refuses it (22's message)", async () => {
    // The option file reader turns `\\` into one backslash: sockopt reaches us as `verify=\t0`.
    const { cnf } = node({ ...GOOD_SST(), sockopt: 'verify=\\\\t0' });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['tls']);
    assert.match(
      byId(report, 'tls').detail,
      /^Invalid sockopt item "verify=\\\\t0": socat decodes \\t into a control character/,
    );
  });

  test('no CA configured: the TLS settings WARN that public CAs are trusted', async () => {
    const { cnf } = node({ tcert: good.cert, tkey: good.key });
    const { report } = await checkJson(cnf);
    const tls = byId(report, 'tls');
    assert.equal(tls.status, 'WARN', tls.detail);
    assert.match(
      tls.detail,
      new RegExp(
        String.raw`No CA configured \(tca, tcapath, ssl-ca or ssl-capath\): the joiner accepts a donor ` +
          'certificate from any CA in the system trust store, public CAs included',
      ),
    );
    assert.equal(byId(report, 'ca').status, 'WARN');
  });
});

describe('check: each broken node fails on its cause', () => {
  test('tcert not configured', async () => {
    const { cnf } = node({ tca: ca.caCert });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['tls']);
    assert.match(byId(report, 'tls').detail, /No TLS certificate configured: set tcert/);
    assert.equal(byId(report, 'key-match').status, 'SKIP');
  });

  test('tcert names a missing file', async () => {
    const { cnf, dir } = node({ ...GOOD_SST(), tcert: join(root, 'nowhere', 'node.crt') });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['readable:cert', 'key-match']);
    assert.match(byId(report, 'readable:cert').detail, /nowhere does not exist/);
    assert.match(byId(report, 'key-match').detail, /certificate file '.*nowhere\/node\.crt' was not found/);
    assert.ok(dir);
  });

  test('key does not match the certificate', async () => {
    const other = issueCert(ca, { cn: HOST, ips: [HOST], name: 'other-key' });
    const { cnf } = node({ ...GOOD_SST(), tkey: other.key });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['key-match']);
    assert.match(byId(report, 'key-match').detail, /The certificate and private key do not match/);
    assert.equal(byId(report, 'ca').status, 'SKIP');
  });

  test('certificate from another CA', async () => {
    const other = createCa(join(root, 'pki-other'), 'other');
    const stranger = issueCert(other, { cn: HOST, ips: [HOST], name: 'stranger' });
    const { cnf } = node({ ...GOOD_SST(), tcert: stranger.cert, tkey: stranger.key });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['ca']);
    assert.match(byId(report, 'ca').detail, /It does not appear that the certificate was issued by the CA/);
    assert.equal(byId(report, 'expiry').status, 'PASS');
  });

  test('expired certificate', async () => {
    const expired = issueCert(ca, { cn: HOST, ips: [HOST], name: 'expired', expired: true });
    const { cnf } = node({ ...GOOD_SST(), tcert: expired.cert, tkey: expired.key });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['expiry']);
    assert.match(byId(report, 'expiry').detail, /expired on/);
    assert.equal(byId(report, 'ca').status, 'PASS', 'the CA is judged apart from the dates');
    assert.equal(byId(report, 'key-match').status, 'PASS');
  });

  test('a certificate about to expire warns but passes', async () => {
    const soon = issueCert(ca, { cn: HOST, ips: [HOST], name: 'soon', days: 10 });
    const { cnf } = node({ ...GOOD_SST(), tcert: soon.cert, tkey: soon.key });
    const { r, report } = await checkJson(cnf);
    assert.equal(r.code, 0);
    assert.equal(byId(report, 'expiry').status, 'WARN');
    assert.match(byId(report, 'expiry').detail, /expires on .* \(in \d+ days\)/);
  });

  test('certificate name does not match the receive address', async () => {
    const wrong = issueCert(ca, { cn: 'wrong.example', dns: ['wrong.example'], name: 'wrong-name' });
    const { cnf } = node({ ...GOOD_SST(), tcert: wrong.cert, tkey: wrong.key });
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['name']);
    assert.match(
      byId(report, 'name').detail,
      new RegExp(
        String.raw`donors verify '127\.0\.0\.2' \(wsrep_sst_receive_address=127\.0\.0\.2:\d+\), which the ` +
          String.raw`certificate does not name \(CN=wrong\.example, DNS:wrong\.example\)`,
      ),
    );
  });

  test('datadir behind a symlink owned by another user: rsync 3.5.0 would refuse it', async () => {
    const { cnf, dir } = node(GOOD_SST());
    const link = join(dir, 'link');
    fs.symlinkSync(join(dir, 'data'), link);
    const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    fs.lchownSync(link, nobody, nobody);
    const { r, report } = await checkJson(cnf);
    assert.equal(byId(report, 'symlinks').status, 'PASS', r.stdout);
    const linked = join(dir, 'linked.cnf');
    fs.writeFileSync(
      linked,
      `[mysqld]\nuser=root\ndatadir=${link}/\nwsrep_sst_receive_address=${HOST}:${port}\n[sst]\ntca=` +
        `${ca.caCert}\ntcert=${good.cert}\ntkey=${good.key}\n`,
    );
    const bad = await checkJson(linked);
    failsOn(bad.r, bad.report, ['symlinks']);
    assert.match(
      byId(bad.report, 'symlinks').detail,
      new RegExp(
        `rsync 3\\.5\\.0 refuses the path .*: it goes through the symlink ${link.replace(/\./g, '\\.')}, ` +
          `owned by nobody \\(uid ${nobody}\\)`,
      ),
    );
  });

  test('SST port held by another program', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
    try {
      const { cnf } = node(GOOD_SST());
      const { r, report } = await checkJson(cnf);
      failsOn(r, report, ['port']);
      assert.match(
        byId(report, 'port').detail,
        new RegExp(`port ${port} on 127\\.0\\.0\\.2 is taken by PID ${process.pid} \\(`),
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('certificate and key unreadable for the mariadbd user', async () => {
    const { cnf, dir } = node({}, { user: 'nobody' });
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    fs.copyFileSync(good.cert, cert);
    fs.copyFileSync(good.key, key);
    fs.chmodSync(cert, 0o600);
    fs.chmodSync(key, 0o600);
    const caCopy = join(dir, 'ca.pem');
    fs.copyFileSync(ca.caCert, caCopy);
    fs.chmodSync(caCopy, 0o644);
    fs.chmodSync(join(dir, 'data'), 0o777);
    fs.writeFileSync(
      cnf,
      `[mysqld]\nuser=nobody\ndatadir=${join(dir, 'data')}\nwsrep_sst_receive_address=${HOST}:${port}\n[sst]` +
        `\ntca=${caCopy}\ntcert=${cert}\ntkey=${key}\n`,
    );
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['readable:cert', 'readable:key']);
    assert.match(
      byId(report, 'readable:cert').detail,
      new RegExp(`user nobody cannot read ${cert} \\(owner 0:0, mode 0600\\)`),
    );
    assert.match(byId(report, 'readable:key').detail, new RegExp(`user nobody cannot read ${key} `));
    assert.equal(byId(report, 'readable:ca').status, 'PASS');
    assert.match(byId(report, 'user').detail, /^nobody \(uid 65534/);
  });

  test('datadir and a separate redo log dir not writable for the mariadbd user; other dirs fine', async () => {
    const { cnf, dir } = node({}, { user: 'nobody' });
    const pub = join(dir, 'pub');
    fs.mkdirSync(pub);
    fs.chmodSync(pub, 0o755);
    const files = { tca: join(pub, 'ca.pem'), tcert: join(pub, 'cert.pem'), tkey: join(pub, 'key.pem') };
    fs.copyFileSync(ca.caCert, files.tca);
    fs.copyFileSync(good.cert, files.tcert);
    fs.copyFileSync(good.key, files.tkey);
    for (const f of Object.values(files)) fs.chmodSync(f, 0o644);
    const aria = join(dir, 'aria');
    fs.mkdirSync(aria);
    fs.chmodSync(aria, 0o777);
    const body = [
      '[mysqld]',
      'user=nobody',
      `datadir=${join(dir, 'data')}`,
      `wsrep_sst_receive_address=${HOST}:${port}`,
      `innodb_log_group_home_dir=${join(dir, 'redo')}`,
      `aria_log_dir_path=${aria}`,
      'innodb_undo_directory=undo',
      '[sst]',
      ...Object.entries(files).map(([k, v]) => `${k}=${v}`),
    ];
    fs.writeFileSync(cnf, `${body.join('\n')}\n`);
    const { r, report } = await checkJson(cnf);
    failsOn(r, report, ['writable:datadir', 'writable:innodb-log-group-home-dir', 'writable:innodb-undo-directory']);
    assert.match(
      byId(report, 'writable:datadir').detail,
      new RegExp(`user nobody cannot create files in ${join(dir, 'data')} \\(owner 0:0, mode 0755\\)`),
    );
    assert.match(
      byId(report, 'writable:innodb-log-group-home-dir').detail,
      new RegExp(`${join(dir, 'redo')} does not exist and user nobody cannot create it in ${dir} `),
    );
    assert.match(
      byId(report, 'writable:innodb-undo-directory').detail,
      new RegExp(
        `${join(dir, 'data', 'undo')} does not exist and user nobody cannot create it in ${join(dir, 'data')} `,
      ),
    );
    assert.equal(byId(report, 'writable:aria-log-dir-path').status, 'PASS');
  });

  test('a user that does not exist: WARN, and the permission checks are skipped', async () => {
    const { cnf } = node(GOOD_SST(), { user: 'no-such-user-here' });
    const { r, report } = await checkJson(cnf);
    assert.equal(r.code, 0);
    assert.equal(byId(report, 'user').status, 'WARN');
    assert.match(byId(report, 'user').detail, /'no-such-user-here' .* is not in \/etc\/passwd/);
    assert.equal(byId(report, 'readable:key').status, 'SKIP');
    assert.equal(byId(report, 'writable:datadir').status, 'SKIP');
  });

  test('a missing --defaults-file', async () => {
    const r = await check(['--defaults-file', join(root, 'none.cnf'), '--json']);
    const report = JSON.parse(r.stdout) as JsonReport;
    failsOn(r, report, ['config']);
    assert.match(byId(report, 'config').detail, /Could not open required defaults file/);
  });

  test('socat built without OpenSSL, first on PATH', async () => {
    const bin = join(root, 'fake-bin');
    fs.mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'socat');
    fs.writeFileSync(fake, '#!/bin/sh\necho "socat version 1.7.4.4 on 06 Nov 2022"\necho "  #define WITH_OPENSSL 0"\n');
    fs.chmodSync(fake, 0o755);
    const { cnf } = node(GOOD_SST());
    const { r, report } = await checkJson(cnf, { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
    failsOn(r, report, ['socat']);
    assert.equal(
      byId(report, 'socat').detail,
      `socat 1.7.4.4 (${fake}) was built without OpenSSL: it cannot carry an encrypted SST`,
    );
  });

  test('socat missing everywhere the SST looks (hidden in a private mount namespace)', async (t: TestContext) => {
    // The SST searches PATH plus /usr/bin, /bin, … (docs/protocol.md §1.4), so a PATH override alone cannot
    // hide /usr/bin/socat; a bind mount over it in a private mount namespace can, as root.
    const probe = spawnSync('unshare', ['--mount', '--', 'sh', '-c', 'mount --bind /dev/null /usr/bin/socat'], {
      encoding: 'utf8',
    });
    if (probe.status !== 0) {
      t.skip(`no private mount namespace here: ${probe.stderr || probe.error?.message || ''}`);
      return;
    }
    const { cnf } = node(GOOD_SST());
    const p = programCommand();
    const hide =
      'for f in /usr/bin/socat /usr/local/bin/socat /usr/sbin/socat /usr/local/sbin/socat; do [ -e "$f" ] && ' +
      'mount --bind /dev/null "$f"; done; exec "$@"';
    const r = await run(
      'unshare',
      ['--mount', '--', 'sh', '-c', hide, 'sh', p.command, ...p.args, 'check', '--defaults-file', cnf, '--json'],
      {
        env: { ...process.env, PATH: '/usr/bin:/bin' },
        timeoutMs: 30_000,
      },
    );
    const report = JSON.parse(r.stdout) as JsonReport;
    failsOn(r, report, ['socat']);
    assert.match(byId(report, 'socat').detail, /'socat' not found in path .*install the socat package/);
    assert.equal(byId(report, 'rsync').status, 'PASS');
  });
});

describe('check: TLS files inside a directory the SST serves (docs/architecture.md §8.10)', () => {
  test('outside: PASS', async () => {
    const { cnf } = node(GOOD_SST());
    const { report } = await checkJson(cnf);
    assert.equal(byId(report, 'tls-placement').status, 'PASS', byId(report, 'tls-placement').detail);
  });

  test('tcert and tkey in the datadir, tca in a redo log directory outside it: WARN naming each', async () => {
    const dir = join(root, `node${counter + 1}`);
    const redo = join(dir, 'redo');
    const files = {
      tca: join(redo, 'ca.pem'),
      tcert: join(dir, 'data', 'ssl', 'cert.pem'),
      tkey: join(dir, 'data', 'ssl', 'key.pem'),
    };
    const { cnf } = node(files, { innodb_log_group_home_dir: redo });
    fs.mkdirSync(join(dir, 'data', 'ssl'), { recursive: true });
    fs.mkdirSync(redo, { recursive: true });
    fs.copyFileSync(ca.caCert, files.tca);
    fs.copyFileSync(good.cert, files.tcert);
    fs.copyFileSync(good.key, files.tkey);
    const { report } = await checkJson(cnf);
    const placement = byId(report, 'tls-placement');
    assert.equal(placement.status, 'WARN', placement.detail);
    assert.match(placement.detail, new RegExp(`tcert ${files.tcert} lies inside the datadir`));
    assert.match(placement.detail, new RegExp(`tkey ${files.tkey} lies inside the datadir`));
    assert.match(placement.detail, new RegExp(`tca ${files.tca} lies inside the InnoDB redo log directory`));
    assert.equal(report.items.filter((i) => i.status === 'FAIL').length, 0, JSON.stringify(report.items, null, 1));
  });
});
