/**
 * docs/architecture.md §8.10 (10), as it happens: mariadbd started as root with `user=mysql` switches user
 * after exec, which makes it non-dumpable, so its /proc/<pid>/exe is unreadable to the SST program
 * running as that user; a fresh datadir has no mysql_upgrade_info. The versioned groups
 * (`[mariadb-11.8]`) must still be read.
 *
 * The stand-in server is a copy of python3 named `mariadbd` with `mysqld-11.8` among its strings
 * (a version not installed here, so it can only come from that file), started as root; it drops
 * to an unprivileged user (mysql, else nobody) itself, as mariadbd does. Then the real mariadbd
 * installed here, started the same way, is asked for its own version. The joiner runs as that user with
 * `--parent` of it, and its TLS settings are only in `[mariadb-11.8]`: reaching `ready` proves the
 * group was read.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before, describe, test } from 'node:test';
import { versionInBinary } from '../../src/config/server-version';
import { programCommand } from '../helpers/binary';
import { joinerArgv, type NodeSide } from '../helpers/driver';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged } from '../helpers/procs';
import { toolSkip } from '../helpers/tool-skip';
import { JOINER_IP } from '../helpers/two-nodes';

const asRoot = process.geteuid?.() === 0;

/** A python3 binary (not a wrapper script such as pyenv's shim): it is copied, so it must be the interpreter itself. */
function python(): string | undefined {
  for (const candidate of ['/usr/bin/python3', '/usr/local/bin/python3']) {
    if (fs.existsSync(candidate)) return fs.realpathSync(candidate);
  }
  const r = spawnSync('python3', ['-c', 'import os, sys; print(os.path.realpath(sys.executable))'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const interpreter = asRoot ? python() : undefined;
const skip = !asRoot
  ? 'needs root: the stand-in server starts as root and switches user'
  : toolSkip(
      'server version when mariadbd switched user',
      interpreter === undefined && 'needs python3 for the stand-in server',
    );

/**
 * What the stand-in does after exec, as mariadbd does with user=mysql: setgid, setuid, then wait for its stdin to
 * close.
 */
const SERVER_SCRIPT = `
import ctypes, os, sys
uid, gid = int(sys.argv[1]), int(sys.argv[2])
libc = ctypes.CDLL(None)
os.setgroups([])
os.setgid(gid)
os.setuid(uid)
# The kernel made us non-dumpable at setuid when fs.suid_dumpable is 0; make sure whatever it is.
libc.prctl(4, 0, 0, 0, 0)
print('switched', flush=True)
sys.stdin.read()
`;

let root: string;
let pki: Pki;
let cert: NodeCert;
let user = { uid: 65534, gid: 65534 };
/** mariadbd's usual user when the package made one; the stand-in runs as it too. */
let userName = 'nobody';

/** Debian's server package: the real binary, for one run with its own version. */
const REAL_SERVER = '/usr/sbin/mariadbd';

const REAL_SERVER_SKIP =
  skip || toolSkip('the real mariadbd switching user', !fs.existsSync(REAL_SERVER) && `no ${REAL_SERVER} installed`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let tag = '';
const started: ChildProcess[] = [];

before(() => {
  if (skip) return;
  userName = spawnSync('id', ['-u', 'mysql']).status === 0 ? 'mysql' : 'nobody';
  const id = (flag: string): number => Number(spawnSync('id', [flag, userName], { encoding: 'utf8' }).stdout.trim());
  user = { uid: id('-u'), gid: id('-g') };
  root = fs.mkdtempSync(join(tmpdir(), 'sst-server-user-'));
  fs.chmodSync(root, 0o755);
  pki = createCa(join(root, 'pki'));
  cert = issueCert(pki, { cn: JOINER_IP, ips: [JOINER_IP], name: 'joiner' });
  for (const f of [cert.cert, cert.key, cert.bundle]) fs.chownSync(f, user.uid, user.gid);
  // The server binary, root's as a package would install it.
  fs.mkdirSync(join(root, 'sbin'), { mode: 0o755 });
  fs.copyFileSync(interpreter as string, join(root, 'sbin', 'mariadbd'));
  fs.appendFileSync(join(root, 'sbin', 'mariadbd'), Buffer.from('\0mysqld-11.8\0mariadb-11.8\0', 'latin1'));
  fs.chmodSync(join(root, 'sbin', 'mariadbd'), 0o755);
});
after(() => {
  if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  killTagged(tag);
  for (const c of started.splice(0)) {
    c.stdin?.end();
    if (c.exitCode === null) c.kill('SIGKILL');
  }
});

/** The stand-in server: started as root, running as `user` once it has said so. */
async function startServer(argv0?: string): Promise<number> {
  const server = spawn(join(root, 'sbin', 'mariadbd'), ['-c', SERVER_SCRIPT, String(user.uid), String(user.gid)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    ...(argv0 === undefined ? {} : { argv0 }),
  });
  started.push(server);
  const first = await new Promise<string | undefined>((resolve) => {
    const rl = createInterface({ input: server.stdout! });
    rl.once('line', resolve);
    rl.once('close', () => resolve(undefined));
  });
  assert.equal(first, 'switched', 'the stand-in server switched user');
  return server.pid as number;
}

/** As the unprivileged user: what /proc of the server shows us. */
function asUser(command: string, args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(command, args, { uid: user.uid, gid: user.gid, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

function joinerSide(): NodeSide {
  tag = `server-user-${randomBytes(4).toString('hex')}`;
  const dir = join(root, tag);
  fs.mkdirSync(join(dir, 'data'), { recursive: true });
  fs.chownSync(join(dir, 'data'), user.uid, user.gid);
  const cnf = join(dir, 'my.cnf');
  // No TLS at all unless the 11.8 groups are read.
  fs.writeFileSync(
    cnf,
    `[mysqld]\n\n[mariadb-11.8]\nssl-ca=${pki.caCert}\nssl-cert=${cert.cert}\nssl-key=${cert.key}\n\n[sst]\n`,
  );
  return { datadir: join(dir, 'data'), cnf, env: { SST_TEST_TAG: tag } };
}

/** The joiner as the unprivileged user, until `ready` (then stopped) or its end. */
async function joinerAsUser(
  side: NodeSide,
  parent: number,
  path?: string,
): Promise<{ first: string | undefined; stderr: string; code: number | null }> {
  const { command, args } = programCommand();
  const port = await freePort(JOINER_IP);
  const env = { ...process.env, ...side.env, ...(path === undefined ? {} : { PATH: path }) };
  const joiner = spawn(command, [...args, ...joinerArgv(side, `${JOINER_IP}:${port}`, parent)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    uid: user.uid,
    gid: user.gid,
  });
  let stderr = '';
  joiner.stderr.setEncoding('utf8');
  joiner.stderr.on('data', (d: string) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => joiner.once('exit', (code) => resolve(code)));
  const first = await new Promise<string | undefined>((resolve) => {
    const rl = createInterface({ input: joiner.stdout });
    rl.once('line', resolve);
    rl.once('close', () => resolve(undefined));
  });
  if (first !== undefined) joiner.kill('SIGTERM');
  return { first, stderr, code: await exit };
}

describe('server version when mariadbd switched user (its /proc/<pid>/exe hidden)', { skip }, () => {
  test('argv[0] an absolute path: [mariadb-11.8] is read, the joiner reaches ready', async () => {
    const pid = await startServer();
    assert.notEqual(
      asUser('readlink', [`/proc/${pid}/exe`]).status,
      0,
      `/proc/${pid}/exe must be hidden from the user for this test to mean anything`,
    );
    assert.match(asUser('cat', [`/proc/${pid}/cmdline`]).stdout, /sbin\/mariadbd\0-c\0/);

    const r = await joinerAsUser(joinerSide(), pid);
    const binary = join(root, 'sbin', 'mariadbd');
    assert.match(
      r.stderr,
      new RegExp(
        `option groups read: mysqld, server, mysqld-11\\.8, mariadb, mariadb-11\\.8, mariadbd, ` +
          `mariadbd-11\\.8, .*\\(server version 11\\.8 from ${binary}, argv\\[0\\] '${binary}' of PID ${pid} ` +
          `\\(/proc/${pid}/exe is not readable\\)\\)`,
      ),
      r.stderr,
    );
    assert.match(r.first ?? '', /^ready /, r.stderr);
  });

  test("argv[0] a bare name found in mariadbd's PATH (docker's exec mariadbd): the same", async () => {
    const pid = await startServer('mariadbd');
    assert.equal(asUser('cat', [`/proc/${pid}/cmdline`]).stdout.split('\0')[0], 'mariadbd');
    const r = await joinerAsUser(joinerSide(), pid, `${join(root, 'sbin')}:${process.env.PATH ?? '/usr/bin:/bin'}`);
    assert.match(
      r.stderr,
      new RegExp(
        String.raw`\(server version 11\.8 from .*sbin\/mariadbd, argv\[0\] 'mariadbd' of PID \d+ ` +
          String.raw`\(\/proc\/\d+\/exe is not readable\)\)`,
      ),
      r.stderr,
    );
    assert.match(r.first ?? '', /^ready /, r.stderr);
  });

  test('the real mariadbd, started as root with --user: its own version is read by the joiner running as that user', {
    skip: REAL_SERVER_SKIP,
  }, async () => {
    const expected = versionInBinary(fs.readFileSync(REAL_SERVER));
    assert.ok(expected !== undefined, `${REAL_SERVER} names its version`);
    const side = joinerSide();
    const run = join(root, tag, 'run');
    fs.mkdirSync(run);
    fs.chownSync(run, user.uid, user.gid);
    const server = spawn(
      REAL_SERVER,
      [
        '--no-defaults',
        `--datadir=${side.datadir}`,
        `--user=${userName}`,
        '--skip-networking',
        `--socket=${join(run, 'sock')}`,
        `--pid-file=${join(run, 'pid')}`,
        `--log-error=${join(run, 'err')}`,
        '--skip-grant-tables',
        '--innodb-buffer-pool-size=8M',
        '--innodb-log-file-size=4M',
      ],
      { stdio: 'ignore' },
    );
    started.push(server);
    const pid = server.pid as number;
    // It switches user right after reading its options, before InnoDB starts; or it exits, and says why.
    const status = (): string => {
      if (server.exitCode !== null)
        assert.fail(`${REAL_SERVER} exited with ${server.exitCode}: ${fs.readFileSync(join(run, 'err'), 'utf8')}`);
      return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    };
    while (!new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm').test(status())) await sleep(50);
    assert.notEqual(asUser('readlink', [`/proc/${pid}/exe`]).status, 0, `/proc/${pid}/exe is hidden from ${userName}`);
    fs.writeFileSync(
      side.cnf,
      `[mysqld]\n\n[mariadb-${expected}]\nssl-ca=${pki.caCert}\nssl-cert=${cert.cert}\nssl-key=${cert.key}\n\n[sst]\n`,
    );
    const r = await joinerAsUser(side, pid);
    assert.match(
      r.stderr,
      new RegExp(
        `\\(server version ${expected?.replace('.', '\\.')} from ${REAL_SERVER}, argv\\[0\\] ` +
          `'${REAL_SERVER}' of PID ${pid} \\(/proc/${pid}/exe is not readable\\)\\)`,
      ),
      r.stderr,
    );
    assert.match(r.first ?? '', /^ready /, r.stderr);
  });

  test(
    'a server binary another user owns (and could have replaced) is not believed: only the unversioned groups, ' +
      'and the log says why',
    async () => {
      fs.chownSync(join(root, 'sbin', 'mariadbd'), 1, 1);
      try {
        const pid = await startServer();
        const r = await joinerAsUser(joinerSide(), pid);
        assert.match(
          r.stderr,
          new RegExp(
            String.raw`option groups read: mysqld, server, mariadb, mariadbd, client-server, galera, sst \(no ` +
              String.raw`server version: .*sbin\/mariadbd may be written by uid 1`,
          ),
          r.stderr,
        );
        assert.equal(r.first, undefined, 'no TLS settings without the 11.8 groups: no ready');
        assert.equal(r.code, 22);
      } finally {
        fs.chownSync(join(root, 'sbin', 'mariadbd'), 0, 0);
      }
    },
  );
});
