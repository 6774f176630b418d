import * as fs from 'node:fs';
import { posix as path } from 'node:path';
import type { SstArgs } from '../config/args';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { formatHostPort, isIpLiteral, type DonorTarget } from '../net/address';
import type { Lifecycle } from '../proc/lifecycle';
import { cnOnlyAdvice } from '../proc/tool-features';
import { AUTH_USER, MARKER } from '../rsync/modules';
import { EXCLUDED_TOP_LEVEL, markerPass, transferPlan } from '../rsync/plan';
import { sockoptCommonName, tunnelTls } from '../tunnel/tunnel-tls';
import { peerCertificateNames } from '../tunnel/peer-certificate';
import { connectAddress } from '../tunnel/socat-address';
import { binlogsToSend, writeBinlogList } from './binlogs';
import { claimDatadir, entryExists, FILES, inDatadir, readDatadirFile, removeEntry } from './datadir-files';
import { isState, renderMarker } from './marker';
import { pathsInside, tlsFiles } from '../rsync/own-files';
import type { Prepared } from './prepare';
import { rsyncRunner, tunnelEnv, type RsyncRunner } from './rsync-runner';
import { engineBytes, databaseFiles, totalSize } from './source-files';
import { formatBytes, formatRate } from './progress-format';
import { formatDuration, TransferMonitor } from './transfer-monitor';
import { runQueue, TransferState } from './transfer-queue';
import { Precopy, type PrecopyTools } from './precopy';
import { readIo } from '../proc/io-meter';
import { isDirectory, isSymlink } from '../proc/file-kind';

/**
 * mariadbd renames tables_flushed into place; a look costs one stat, and each one late keeps the tables locked longer.
 */
const POLL_MS = 50;
const FLUSH_LOG_EVERY_MS = 30_000;

/** What the donor is handed: the request, what prepare() decided, and the effects it works through. */
export interface DonorRun {
  args: SstArgs;
  target: DonorTarget;
  prepared: Prepared;
  /** mariadbd, watched: no --parent for a donor, mariadbd is our parent or the one past its `sh -c`. */
  parent: number;
  /** Children through its supervisor, kill(2), the clock, waits that an abort ends, cleanups. */
  life: Lifecycle;
  /** Our private directory (proc/private-dir.ts), for the secret, the lists and the marker. */
  work: string;
  /** Writes one line to mariadbd (protocol/out.ts). */
  protocol: (line: string) => void;
  /** The auth lines mariadbd writes to stdin (protocol/stdin.ts). */
  stdinAuth: Promise<Map<string, string>>;
  /** Ours: WSREP_SST_OPT_REMOTE_AUTH, and the base of the children's environment. */
  env: NodeJS.ProcessEnv;
}

/**
 * The donor, step by step as docs/protocol.md §3.1: have mariadbd lock the tables, copy
 * the datadir through the tunnel, let mariadbd go on, send the marker, done.
 */
export async function runDonor(run: DonorRun): Promise<void> {
  const { args, target, prepared, life, work, protocol } = run;
  life.watchParent(run.parent);
  await claimDatadir(life, args.datadir);
  warnForeignOwner(args.datadir);

  const socatAddress = joinerTunnel(target, prepared);
  const secret = await requiredSecret(run);
  const passwordFile = path.join(work, 'rsync.password');
  fs.writeFileSync(passwordFile, `${secret}\n`, { mode: 0o600 });
  const runner = rsyncRunner(
    life,
    prepared.tools.rsync,
    tunnelEnv(run.env, prepared.tools.socat, socatAddress),
    args.datadir,
    passwordFile,
  );
  const rsyncTarget = `rsync://${AUTH_USER}@${formatHostPort(target)}`;

  const { state, unlocked } = await sendDatadir(run, runner, rsyncTarget);
  protocol('continue');
  unlocked?.();

  const marker = path.join(work, MARKER);
  fs.writeFileSync(marker, renderMarker({ state, secret, bypass: args.bypass }), { mode: 0o600 });
  await runner.run(markerPass(rsyncTarget, marker));

  await life.shutdown();
  protocol(`done ${state}`);
}

/** socat's address of the joiner's listener, logged with the name its certificate must carry. */
function joinerTunnel(target: DonorTarget, prepared: Prepared): string {
  const socatAddress = connectAddress({
    host: target.host,
    port: target.port,
    ipv6: target.ipv6,
    zone: target.zone,
    tls: tunnelTls(prepared, 'donor'),
    sockopt: prepared.sockopt,
    socat: prepared.tools.socatFeatures,
  });
  log.info(`tunnel to the joiner ${formatHostPort(target)}: ${prepared.tools.socat} - ${socatAddress}`);
  if (prepared.tls.mode === 'VERIFY_IDENTITY') {
    const name = expectedName(target, prepared);
    const cnOnly = cnOnlyAdvice(prepared.tools.socatFeatures, name, isIpLiteral(name) !== 0);
    log.info(
      cnOnly === undefined
        ? `the joiner's certificate must name '${name}' (CN or subjectAltName)`
        : `the joiner's certificate must have CN=${name}: ${cnOnly}`,
    );
  }
  return socatAddress;
}

async function requiredSecret(run: DonorRun): Promise<string> {
  const secret = await remoteSecret(run.env, run.target, run.stdinAuth);
  if (secret === undefined) {
    throw new SstError(
      Exit.BAD_CONFIG,
      'no secret from the joiner in the request (WSREP_SST_OPT_REMOTE_AUTH, stdin or --address ' +
        "'name:secret@'): the joiner would refuse this donor",
    );
  }
  return secret;
}

/**
 * Has mariadbd lock the tables and sends what the request asks for: the marker's state, and
 * what to report once mariadbd is told to go on.
 */
async function sendDatadir(
  run: DonorRun,
  runner: RsyncRunner,
  rsyncTarget: string,
): Promise<{ state: string; unlocked?: () => void }> {
  const { args, target, prepared, life, work, protocol } = run;
  const peerNames = async (e: unknown): Promise<never> => {
    throw await withPeerNames(e, target, prepared);
  };
  if (args.bypass) {
    const state = bypassState(args);
    log.info(`IST chosen: sending only the marker (state ${state})`);
    return { state };
  }
  if (prepared.precopy.mode === 'off') {
    const state = await flushTables(life, protocol, args.datadir);
    await transfer(run, runner, rsyncTarget).catch(peerNames);
    return { state };
  }
  // docs/protocol.md §3.3.1: copy while the donor is writable, then lock for the catch-up only.
  const precopy = new Precopy(life, runner, args, prepared, rsyncTarget, work, copyTools(run));
  const online = await precopy.online().catch(peerNames);
  const lockedAt = life.clock.now();
  const state = await flushTables(life, protocol, args.datadir);
  await precopy.catchUp(online).catch(peerNames);
  return { state, unlocked: () => Precopy.reportLock(online, life.clock.now() - lockedAt) };
}

/**
 * A failed name check says which names the joiner's certificate has, next to the one we expected,
 * and why a socat older than 1.7.4 did not see an IP subjectAltName.
 */
async function withPeerNames(e: unknown, target: DonorTarget, p: Prepared): Promise<unknown> {
  if (!(e instanceof SstError) || e.kind === undefined) return e;
  const names = await peerCertificateNames({ host: target.host, port: target.port, cert: p.tls.cert, key: p.tls.key });
  const name = expectedName(target, p);
  const cnOnly =
    e.kind === 'peer-name-mismatch' ? cnOnlyAdvice(p.tools.socatFeatures, name, isIpLiteral(name) !== 0) : undefined;
  const parts = [e.message];
  if (names !== undefined) parts.push(`expected the joiner's certificate to name '${name}', it has ${names}`);
  if (cnOnly !== undefined) parts.push(cnOnly);
  return parts.length === 1 ? e : new SstError(e.code, parts.join('; '), e.kind);
}

/** The name socat checks: the joiner's host, unless sockopt's `commonname=` replaces it. */
function expectedName(target: DonorTarget, p: Prepared): string {
  return sockoptCommonName(p.sockopt) ?? target.host;
}

/**
 * The donor's rsync reads the datadir by path, as root when we are root: whoever owns the
 * datadir can point a database directory, or swap one midway, at any directory of this host, and
 * that host's files then go to the joiner. Running rsync as that owner instead would fail on the
 * files a root mariadbd creates (root's, mode 0660), so the operator is told.
 */
function warnForeignOwner(datadir: string): void {
  const owner = fs.statSync(datadir).uid;
  if ((process.geteuid?.() ?? 0) !== 0 || owner === 0) return;
  log.warn(
    `the datadir ${datadir} is owned by uid ${owner} while this SST runs as root: whoever has that uid can ` +
      `make the donor's rsync read and send any file of this host; ` +
      'make root own the datadir, or run mariadbd as its owner',
  );
}

function bypassState(args: SstArgs): string {
  const state = `${args.gtid ?? ''} ${args.gtidDomainId ?? '0'}`;
  if (!isState(state))
    throw new SstError(Exit.BAD_CONFIG, `--bypass needs --gtid UUID:seqno (got '${args.gtid ?? ''}')`);
  return state;
}

/**
 * `flush tables`, then wait (without limit, as upstream) for mariadbd to
 * write tables_flushed, or sst_error when FTWRL failed (docs/protocol.md §3.1–3.2).
 */
async function flushTables(life: Lifecycle, protocol: (line: string) => void, datadir: string): Promise<string> {
  const flushed = inDatadir(datadir, FILES.tablesFlushed);
  const error = inDatadir(datadir, FILES.sstError);
  for (const stale of [flushed, error]) {
    removeEntry(stale);
    // A directory there would make mariadbd's rename fail, and is not ours to empty.
    if (entryExists(stale))
      throw new SstError(Exit.FAILED, `${stale} cannot be removed (a directory that is not empty?): SST aborted`);
  }
  // mariadbd writes tables_flushed twice; the second rename may land after we read the first.
  life.onCleanup(() => removeEntry(flushed));
  protocol('flush tables');
  const started = life.clock.now();
  let nextLog = started + FLUSH_LOG_EVERY_MS;
  for (;;) {
    if (entryExists(error)) {
      removeEntry(error);
      throw new SstError(Exit.FAILED, 'mariadbd failed to flush and lock tables (sst_error): SST aborted');
    }
    const line = readDatadirFile(flushed)?.split('\n')[0]?.trim();
    if (line?.includes(':')) {
      // Not quoted: what failed validation must not reach the log.
      if (!isState(line))
        throw new SstError(
          Exit.FAILED,
          `unexpected content in ${flushed}: its first line (${line.length} characters) is not UUID:seqno`,
        );
      removeEntry(flushed);
      log.info(`tables flushed and locked after ${((life.clock.now() - started) / 1000).toFixed(1)} s, state ${line}`);
      return line;
    }
    if (life.clock.now() > nextLog) {
      log.info(
        `still waiting for mariadbd to flush tables (${Math.round((life.clock.now() - started) / 1000)} s): ` +
          `long transactions delay FLUSH TABLES WITH READ LOCK`,
      );
      nextLog += FLUSH_LOG_EVERY_MS;
    }
    await life.sleep(POLL_MS);
  }
}

/** Top-level directories, following symlinks as upstream's `find -L` does (docs/protocol.md §7.32). */
export function databaseDirectories(datadir: string): string[] {
  return fs
    .readdirSync(datadir, { withFileTypes: true })
    .filter((e) => !(EXCLUDED_TOP_LEVEL as readonly string[]).includes(e.name))
    .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(path.join(datadir, e.name))))
    .map((e) => e.name)
    .sort();
}

async function transfer(run: DonorRun, runner: RsyncRunner, rsyncTarget: string): Promise<void> {
  const { args, prepared: p, life, work, protocol } = run;
  const binlogs = p.binlog ? binlogsToSend(p.binlog, args.datadir, p.maxBinlogs) : [];
  if (p.binlog) log.info(`binary logs to send: ${binlogs.length} (sst-max-binlogs ${p.maxBinlogs})`);
  const databases = databaseDirectories(args.datadir);
  const kept = pathsInside(args.datadir, [...tlsFiles(p.tls), ...(p.tls.caPath === undefined ? [] : [p.tls.caPath])]);
  if (kept.length > 0)
    log.warn(`kept on this node: ${kept.join(', ')}: this node's own TLS files inside the datadir are never sent`);
  const symlinked = Object.fromEntries(
    databases
      .filter((db) => isSymlink(path.join(args.datadir, db)))
      .map((db) => [db, fs.realpathSync(path.join(args.datadir, db))]),
  );
  const listed = life.clock.now();
  const files = databaseFiles(args.datadir, databases, symlinked, kept);
  const plan = transferPlan({
    target: rsyncTarget,
    datadir: p.layout.datadir,
    dataHome: p.layout.dataHome,
    logDir: p.layout.logDir,
    undoDir: p.layout.undoDir,
    ariaLog: p.layout.ariaLog,
    symlinkedDatabases: symlinked,
    files,
    engineBytes: engineBytes(p.layout),
    binlogs,
    binlogList: binlogs.length > 0 ? writeBinlogList(work, binlogs) : undefined,
    binlogBytes: totalSize(binlogs),
    keptOnDonor: kept,
    streams: p.backupThreads,
    listDir: work,
    rateLimit: p.rateLimit,
  });
  const total = plan.queue.reduce((n, pass) => n + pass.bytes, 0);
  log.info(
    `to send: ${formatBytes(total)} in ${files.length} files of ${databases.length} database directories, ` +
      `engine files and binary logs; ${plan.queue.length} passes for ${p.backupThreads} parallel streams ` +
      `(listed in ${((life.clock.now() - listed) / 1000).toFixed(1)} s)`,
  );
  if (p.rateLimit !== undefined) logRateLimit(p.rateLimit, total);
  if (args.progress) protocol(`total ${total}`);
  const started = life.clock.now();
  for (const pass of plan.structure) await runner.run(pass);
  const tools = copyTools(run);
  const state = new TransferState();
  const watching = tools.watch(tools.monitor(total, 0), state);
  try {
    await runQueue(plan.queue, p.backupThreads, runner, state, () => life.supervisor.stopAll());
  } finally {
    watching.stop();
  }
  if (args.progress) protocol(`complete ${total}`);
  const seconds = (life.clock.now() - started) / 1000;
  log.info(
    `data copied in ${seconds.toFixed(1)} s (${formatBytes(total)}, ` +
      `${formatRate(seconds > 0 ? total / seconds : 0)}, ` +
      `${plan.queue.length} passes, ${p.backupThreads} in parallel)`,
  );
}

/** How a copy is watched and reported: the locked copy of transfer() and each round of a precopy alike. */
function copyTools(run: DonorRun): PrecopyTools {
  const { args, prepared: p, life, protocol } = run;
  return {
    protocol,
    databaseDirectories,
    monitor: (total, offset, label) =>
      new TransferMonitor({
        total,
        offset,
        label,
        startedAt: life.clock.now(),
        logEveryMs: p.progressInterval * 1000,
        protocolEveryMs: args.progress ? (p.progressInterval || PROTOCOL_PROGRESS_DEFAULT_S) * 1000 : 0,
        rateLimit: p.rateLimit,
        idleTimeoutMs: p.timeouts.idle * 1000,
      }),
    watch: (monitor, state) =>
      watchTransfer(
        life,
        protocol,
        monitor,
        state,
        p.rateLimit === undefined ? LOOK_MS : LIMITED_LOOK_MS,
        p.timeouts.idle,
      ),
  };
}

/** The cost of a rate limit, said before the copy: the tables stay locked for all of it. */
function logRateLimit(rateLimit: number, total: number): void {
  log.info(
    `rate limit ${formatRate(rateLimit)} for the whole SST (rlimit): the copy takes at least ` +
      `${formatDuration(total / rateLimit)}, ` +
      "and this node's tables stay locked (FLUSH TABLES WITH READ LOCK) for as long",
  );
}

/** How often the monitor looks at the streams: for progress and idleness; for a rate limit. */
const LOOK_MS = 1000;
const LIMITED_LOOK_MS = 100;
/** `complete N` lines for mariadbd when progress-interval turned the log lines off. */
const PROTOCOL_PROGRESS_DEFAULT_S = 30;

/**
 * Looks at the copy every `everyMs`: logs progress, tells mariadbd, pauses and resumes the
 * streams for a rate limit (SIGSTOP/SIGCONT of the rsync process only: its tunnel socat keeps
 * the TLS session), and aborts the run when sst-idle-timeout passes without a byte sent.
 */
function watchTransfer(
  life: Lifecycle,
  protocol: (line: string) => void,
  monitor: TransferMonitor,
  state: TransferState,
  everyMs: number,
  idleSeconds: number,
): { stop(): void } {
  // A pid that has just exited is ignored.
  const signal = (pid: number, sig: NodeJS.Signals): void => life.kill(pid, sig);
  const timer = setInterval(() => {
    const a = monitor.tick(life.clock.now(), state, (pid) => readIo(pid)?.rchar);
    for (const pid of a.pause) signal(pid, 'SIGSTOP');
    for (const pid of a.resume) signal(pid, 'SIGCONT');
    if (a.log !== undefined) log.info(a.log);
    if (a.protocol !== undefined) protocol(a.protocol);
    if (a.idleFor !== undefined) {
      life.abort(
        new SstError(
          Exit.TIMED_OUT,
          `no data sent to the joiner for ${Math.round(a.idleFor / 1000)} s ` +
            `(sst-idle-timeout=${idleSeconds}); ${formatBytes(monitor.bytesSent)} had been sent`,
        ),
      );
    }
  }, everyMs);
  return {
    stop(): void {
      clearInterval(timer);
      for (const pid of monitor.takePaused()) signal(pid, 'SIGCONT');
    },
  };
}

/**
 * The joiner's secret reaches us as the password of the request's auth part:
 * in WSREP_SST_OPT_REMOTE_AUTH (seen in 10.5.29 and 10.11.19), on stdin as
 * sst_remote_password (11.8.9), or still in --address (a server that did not
 * strip it).
 */
async function remoteSecret(
  env: NodeJS.ProcessEnv,
  target: DonorTarget,
  stdinAuth: Promise<Map<string, string>>,
): Promise<string | undefined> {
  const remoteAuth = env.WSREP_SST_OPT_REMOTE_AUTH;
  return joinerSecret(
    remoteAuth,
    usable(remoteAuth) === undefined ? await stdinAuth : new Map(),
    target.auth?.password,
  );
}

/** Upstream reads the literal `(null)` as empty (docs/protocol.md §7.43). */
function usable(v: string | undefined): string | undefined {
  return v === undefined || v === '' || v === '(null)' ? undefined : v;
}

/**
 * Picks the secret from the channels in the order a server uses them: the
 * remote-auth environment variable (`name:secret`, cut at the first `:` as
 * mariadbd does), else the stdin lines, else the address's own auth part.
 */
export function joinerSecret(
  remoteAuthEnv: string | undefined,
  stdinAuth: ReadonlyMap<string, string>,
  addressPassword: string | undefined,
): string | undefined {
  const env = usable(remoteAuthEnv);
  if (env !== undefined) {
    const colon = env.indexOf(':');
    return colon < 0 ? undefined : usable(env.slice(colon + 1));
  }
  return usable(stdinAuth.get('sst_remote_password')) ?? usable(addressPassword);
}
