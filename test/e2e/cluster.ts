/**
 * A real MariaDB Galera cluster for end-to-end tests: mariadbd and galera-4
 * from Debian, each node on its own loopback address 127.0.0.x with its own
 * datadir, socket, ports and my.cnf, started with --defaults-file, and our
 * single executable first on its PATH as `wsrep_sst_rsync_tunnel`.
 * Everything a test starts carries SST_TEST_TAG in its environment, so the
 * test can find and end it by PID whatever happens.
 *
 * A `System` says where the programs run: the host (the default), or another
 * distribution's root filesystem (test/distros/), where every program runs
 * chrooted and node files live under the root, named in my.cnf by their path
 * inside it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { binaryPath } from '../helpers/binary';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, waitNoTagged } from '../helpers/procs';

export const PROVIDER = '/usr/lib/galera/libgalera_smm.so';

export interface System {
  /** The root filesystem's path on the host; '/' for the host itself. */
  root: string;
  /** The argv that runs `argv` (a path inside the system) there, as `user` (default root). */
  command(argv: readonly string[], user?: string): string[];
  /** What mariadbd's `user` option names, and who owns the node directories (undefined: leave them alone). */
  mysqlUser: string;
  owner?: { uid: number; gid: number };
  /** PATH inside the system, after the directory of our executable. */
  path: string;
}

export const HOST: System = {
  root: '/',
  command: (argv) => [...argv],
  mysqlUser: 'root',
  get path() {
    return process.env.PATH ?? '/usr/bin:/bin';
  },
};

export interface NodeSpec {
  name: string;
  /** Loopback address (127.0.0.x or ::1). */
  ip: string;
  /** Extra [mysqld] settings. */
  mysqld?: Record<string, string>;
  /** Extra wsrep_provider_options, `;`-separated. */
  provider?: string;
  /** [sst] settings; default: tca + tcert bundle. */
  sst?: Record<string, string>;
  /**
   * A name that resolves to `ip` where the nodes run: the certificate carries it as a DNS name, the SST address uses
   * it.
   */
  hostName?: string;
}

export interface ClusterNode {
  spec: NodeSpec;
  dir: string;
  datadir: string;
  cnf: string;
  socket: string;
  port: number;
  galeraPort: number;
  istPort: number;
  sstPort: number;
  cert: NodeCert;
  errorLog: string;
  process?: ChildProcess;
  exited?: Promise<number | null>;
}

function hostFor(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  readonly pki: Pki;
  readonly bin: string;

  /**
   * `sstProgram: 'installed'` leaves PATH alone, so mariadbd runs the packaged
   * /usr/bin/wsrep_sst_rsync_tunnel as it would on a real node.
   */
  constructor(
    readonly root: string,
    readonly tag: string,
    sstProgram: 'dist' | 'installed' = 'dist',
    readonly system: System = HOST,
  ) {
    fs.mkdirSync(root, { recursive: true });
    this.pki = createCa(join(root, 'pki'));
    // mariadbd finds SST programs by PATH: put ours first.
    this.bin = join(root, 'bin');
    fs.mkdirSync(this.bin, { recursive: true });
    // A link out of a root filesystem would dangle inside it: there the executable is copied.
    if (sstProgram === 'dist' && system.root === '/')
      fs.symlinkSync(binaryPath(), join(this.bin, 'wsrep_sst_rsync_tunnel'));
    else if (sstProgram === 'dist') fs.copyFileSync(binaryPath(), join(this.bin, 'wsrep_sst_rsync_tunnel'));
  }

  /** The path inside the system of a host path under its root. */
  inner(hostPath: string): string {
    if (this.system.root === '/') return hostPath;
    const prefix = this.system.root.replace(/\/$/, '');
    if (!hostPath.startsWith(`${prefix}/`)) throw new Error(`${hostPath} is outside the root ${prefix}`);
    return hostPath.slice(prefix.length);
  }

  /** Gives the system's mysql user the node files (certificates and keys included), as a packaged install would. */
  private chownTree(): void {
    const o = this.system.owner;
    if (o === undefined) return;
    const r = spawnSync('chown', ['-R', `${o.uid}:${o.gid}`, this.root], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chown -R ${this.root}: ${r.stderr}`);
  }

  async addNode(spec: NodeSpec): Promise<ClusterNode> {
    const dir = join(this.root, spec.name);
    fs.mkdirSync(dir, { recursive: true });
    const host = spec.ip.includes(':') ? '::1' : spec.ip;
    const names = spec.hostName === undefined ? [] : [spec.hostName];
    const node: ClusterNode = {
      spec,
      dir,
      datadir: join(dir, 'data'),
      cnf: join(dir, 'my.cnf'),
      socket: join(dir, 'mysqld.sock'),
      port: await freePort(host),
      galeraPort: await freePort(host),
      istPort: await freePort(host),
      sstPort: await freePort(host),
      cert: issueCert(this.pki, { cn: spec.hostName ?? spec.ip, ips: [spec.ip], dns: names, name: spec.name }),
      errorLog: join(dir, 'error.log'),
    };
    this.nodes.push(node);
    return node;
  }

  /** Writes every node's my.cnf; call after all nodes are added (the cluster address lists them all). */
  writeConfigs(): void {
    const members = this.nodes.map((n) => `${hostFor(n.spec.ip)}:${n.galeraPort}`).join(',');
    for (const n of this.nodes) {
      const h = hostFor(n.spec.ip);
      // log_basename changes the defaults of the options after it only: it goes first.
      const basename = n.spec.mysqld?.log_basename;
      const mysqld: Record<string, string> = {
        ...(basename === undefined ? {} : { log_basename: basename }),
        user: this.system.mysqlUser,
        datadir: n.datadir,
        socket: n.socket,
        port: String(n.port),
        bind_address: n.spec.ip,
        'pid-file': join(n.dir, 'mysqld.pid'),
        log_error: n.errorLog,
        skip_name_resolve: 'ON',
        innodb_buffer_pool_size: '64M',
        innodb_log_file_size: '16M',
        binlog_format: 'ROW',
        default_storage_engine: 'InnoDB',
        innodb_autoinc_lock_mode: '2',
        wsrep_on: 'ON',
        wsrep_provider: PROVIDER,
        wsrep_cluster_name: `e2e-${this.tag}`,
        wsrep_cluster_address: `gcomm://${members}`,
        wsrep_node_address: `${h}:${n.galeraPort}`,
        wsrep_node_name: n.spec.name,
        wsrep_provider_options:
          `"gmcast.listen_addr=tcp://${h}:${n.galeraPort};ist.recv_addr=${h}:${n.istPort};gcache.size=32M;` +
          `gcache.dir=${n.dir}${n.spec.provider ? `;${n.spec.provider}` : ''}"`,
        wsrep_sst_receive_address: `${n.spec.hostName ?? h}:${n.sstPort}`,
        wsrep_sst_method: 'rsync_tunnel',
        ...n.spec.mysqld,
      };
      const sst = n.spec.sst ?? { tca: this.pki.caCert, tcert: n.cert.bundle };
      // An empty value writes the bare key (`log_bin` alone switches binary logging on).
      const body = (o: Record<string, string>): string =>
        Object.entries(o)
          .map(([k, v]) => (v === '' ? `${k}\n` : `${k}=${v}\n`))
          .join('');
      const text = `[mysqld]\n${body(mysqld)}\n[sst]\n${body(sst)}`;
      // Inside a root filesystem my.cnf names the paths as the server sees them.
      fs.writeFileSync(
        n.cnf,
        this.system.root === '/' ? text : text.replaceAll(`${this.system.root.replace(/\/$/, '')}/`, '/'),
      );
    }
    this.chownTree();
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.inner(this.bin)}:${this.system.path}`, SST_TEST_TAG: this.tag };
  }

  /** mariadb-install-db for a node that bootstraps the cluster. */
  initialise(n: ClusterNode): void {
    const [cmd, ...args] = this.system.command([
      'mariadb-install-db',
      `--defaults-file=${this.inner(n.cnf)}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ]);
    const r = spawnSync(cmd ?? '', args, { encoding: 'utf8', env: this.env() });
    if (r.status !== 0)
      throw new Error(
        `mariadb-install-db failed (${r.status}): ${r.stdout}${r.stderr}\n--- ${n.errorLog} ---\n${this.tail(n, 40)}`,
      );
  }

  start(n: ClusterNode, extra: string[] = []): void {
    if (!fs.existsSync(n.datadir)) {
      fs.mkdirSync(n.datadir, { recursive: true });
      this.chownTree();
    }
    const [cmd, ...args] = this.system.command(
      ['/usr/sbin/mariadbd', `--defaults-file=${this.inner(n.cnf)}`, ...extra],
      this.system.mysqlUser,
    );
    const child = spawn(cmd ?? '', args, { stdio: 'ignore', env: this.env() });
    n.process = child;
    n.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  }

  sql(n: ClusterNode, query: string, timeoutMs = 60_000): string {
    const [cmd, ...args] = this.system.command([
      'mariadb',
      '--no-defaults',
      `--socket=${this.inner(n.socket)}`,
      '-uroot',
      '-N',
      '-B',
      '-e',
      query,
    ]);
    const r = spawnSync(cmd ?? '', args, { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`SQL on ${n.spec.name} failed (${r.status}): ${query}\n${r.stderr}`);
    return r.stdout.trim();
  }

  status(n: ClusterNode, variable: string): string | undefined {
    try {
      const out = this.sql(n, `SHOW GLOBAL STATUS LIKE '${variable}'`, 5000);
      return out.split('\t')[1];
    } catch {
      return undefined;
    }
  }

  /** Waits until the node reports Synced; fails early if mariadbd exits. */
  async waitSynced(n: ClusterNode, timeoutMs = 240_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void n.exited?.then(() => (exited = true));
    for (;;) {
      if (this.status(n, 'wsrep_local_state_comment') === 'Synced') return;
      if (exited) throw new Error(`${n.spec.name}: mariadbd exited before Synced\n${this.tail(n)}`);
      if (Date.now() > deadline)
        throw new Error(`${n.spec.name}: not Synced within ${timeoutMs / 1000} s\n${this.tail(n)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  tail(n: ClusterNode, lines = 60): string {
    if (!fs.existsSync(n.errorLog)) return '(no error log)';
    return fs.readFileSync(n.errorLog, 'utf8').split('\n').slice(-lines).join('\n');
  }

  log(n: ClusterNode): string {
    return fs.existsSync(n.errorLog) ? fs.readFileSync(n.errorLog, 'utf8') : '';
  }

  /** Clean shutdown (SIGTERM, as systemd does), SIGKILL after the timeout. */
  async stop(n: ClusterNode, timeoutMs = 60_000): Promise<void> {
    if (!n.process || n.process.exitCode !== null || n.process.signalCode !== null) return;
    n.process.kill('SIGTERM');
    const timer = setTimeout(() => n.process?.kill('SIGKILL'), timeoutMs);
    await n.exited;
    clearTimeout(timer);
  }

  kill(n: ClusterNode): Promise<number | null> | undefined {
    n.process?.kill('SIGKILL');
    return n.exited;
  }

  /** Ends every node, then anything else the test started; returns what had to be killed. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stop(n, 30_000)));
    killTagged(this.tag);
    await waitNoTagged(this.tag, 10_000);
  }
}
