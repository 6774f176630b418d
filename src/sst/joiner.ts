/**
 * The joiner. Run as root with a datadir another user owns (docs/architecture.md §8.10 (2)), it does no work there
 * by a path that user could redirect: the rsync daemon runs as the datadir's owner
 * (daemon-user.ts); the control files at the top of the datadir are never followed or removed
 * recursively (datadir-files.ts); directories are made and handed to the owner, keep files
 * written and the staging directory removed through directory handles (dir-handle.ts), and so
 * are the binlogs read, moved and removed (binlogs.ts) and device files swept (device-sweep.ts).
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync, writeFileSync } from 'node:fs';
import { posix as path } from 'node:path';
import type { SstArgs } from '../config/args';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { formatHost, type HostPort } from '../net/address';
import { localBindHost } from '../net/local';
import { probeListenPort } from '../net/port-probe';
import type { Clock } from '../proc/host';
import type { Lifecycle } from '../proc/lifecycle';
import { ipv6ListenerAdvice } from '../proc/tool-features';
import { descendants, receivers } from '../proc/descendants';
import { ByteMeter, writesOf } from '../proc/io-meter';
import { cwdAndUid, processTable, type ProcessEntry } from '../proc/process-table';
import type { QuietKind } from '../proc/quiet-lines';
import type { SupervisedChild } from '../proc/supervisor';
import { HANDSHAKE_LIMIT_MS, LISTENER_CHILDREN } from '../protocol/streams';
import { describeUid, systemPasswd } from '../proc/accounts';
import { KEEP_FILE, renderDaemonConfig, renderOwnExcludes, renderSecrets, type OwnPaths } from '../rsync/daemon-config';
import { BINLOG_STAGING, MODULE } from '../rsync/modules';
import { daemonUser, symlinkOwners, type DaemonUser } from '../rsync/daemon-user';
import { foreignSymlinkProblem, systemLinkFs } from '../rsync/module-symlinks';
import { execAddress, listenAddress } from '../tunnel/socat-address';
import { REFUSED_REPORT_MS } from '../tunnel/socat-messages';
import {
  installBinlogs,
  readPreviousBinlogs,
  stagingHasBinlogs,
  systemBinlogFs,
  type PreviousBinlogs,
} from './binlogs';
import { removeDeviceFiles } from './device-sweep';
import { daemonAuthenticated, idleConnections, type ListenerChild, type Seen } from './idle-connections';
import {
  claimDatadir,
  createDatadirFile,
  entryExists,
  FILES,
  inDatadir,
  readDatadirFile,
  removeEntry,
  removeTree,
} from './datadir-files';
import { openBelow, openDirectory, type DirHandle, using } from './dir-handle';
import { clearOrphansAmong, clearPreviousListener } from './leftovers';
import { parseMarker } from './marker';
import {
  describeLimits,
  describeReceived,
  startWatch,
  watchStep,
  type WatchLimits,
  type WatchState,
} from './copy-watch';
import { pathsInside, tlsFiles } from '../rsync/own-files';
import type { Prepared } from './prepare';
import { SOCAT_BUFFER } from './rsync-runner';
import { tunnelTls } from '../tunnel/tunnel-tls';
import { isDirectory } from '../proc/file-kind';

/** Also how often the copy is watched: a receiver that lives longer than this is seen. */
const POLL_MS = 100;
const LISTEN_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 10_000;
const IDLE_CHECK_MS = 1_000;
/** Our own lines about closed idle connections, aggregated like the refused peers socat reports. */
const IDLE_CLOSED: QuietKind = { kind: 'idle connections closed', everyMs: REFUSED_REPORT_MS };

/** What the joiner is handed: the request, what prepare() decided, and the effects it works through. */
export interface JoinerRun {
  args: SstArgs;
  address: HostPort;
  prepared: Prepared;
  /** Children through its supervisor, kill(2), the clock, waits that an abort ends, cleanups. */
  life: Lifecycle;
  /** Our private directory (proc/private-dir.ts). */
  work: string;
  /** Writes one line to mariadbd (protocol/out.ts). */
  protocol: (line: string) => void;
  /** Whether the process listens on the port (proc/sockets.ts). */
  listensOn: (pid: number, port: number) => boolean;
}

/**
 * The joiner, step by step as docs/protocol.md §2.1: listen, say `ready`, wait for the
 * donor's marker, check it, put binlogs in place, stop the listener, and only
 * then print the state mariadbd will start from.
 */
export async function runJoiner(run: JoinerRun): Promise<void> {
  const { args, address, prepared, life, protocol } = run;
  if (args.parent !== undefined) life.watchParent(args.parent);

  await claimDatadir(life, args.datadir);
  await clearPreviousListener(life, args.datadir);
  removeStaleFiles(args.datadir);
  const user = chooseDaemonUser(args.datadir);
  createDirectories(prepared, user);
  refuseForeignSymlinks(prepared, user);
  markInProgress(life, args.datadir);
  const previousBinlogs = readOwnBinlogs(args, prepared);

  const bindHost = await localBindHost(address.host);
  log.info(
    bindHost
      ? `listening on ${formatHost(address)}:${address.port} only`
      : `${address.host} is not a local address: listening on all interfaces, port ${address.port}`,
  );
  await checkPortFree(life, address, bindHost);
  const ipv6Advice = ipv6ListenerAdvice(prepared.tools.socatFeatures, address.ipv6 || bindHost?.includes(':') === true);
  if (ipv6Advice !== undefined) log.warn(ipv6Advice);
  const secret = randomBytes(16).toString('hex');
  const { listener, start } = await startListener(run, bindHost, secret, user);

  protocol(`ready ${readyName(prepared)}:${secret}@${formatHost(address)}:${address.port}/${MODULE}`);

  const limits = watchLimits(prepared);
  const limitsLine = describeLimits(limits);
  if (limitsLine !== undefined) log.info(limitsLine);
  const connections: ListenerConnections = { seen: new Map(), start };
  const watch: CopyWatch = { limits, state: startWatch(life.clock.now()), meter: new ByteMeter() };
  const markerFile = await waitForMarker(life, args.datadir, listener, connections, watch);
  const received = describeReceived(watch.state, life.clock.now());
  if (received !== undefined) log.info(received);
  await stopListener(life, listener, connections);
  const marker = parseMarker(readDatadirFile(markerFile, Exit.ABORTED) ?? '');
  if (marker.secret !== secret) throw new SstError(Exit.ABORTED, 'Donor does not know my secret!');

  if (user.root) refuseDeviceFiles(prepared, inDatadir(args.datadir, BINLOG_STAGING));
  handleBinlogs(args, prepared, marker.bypass, previousBinlogs);
  await life.shutdown();
  log.info(`rsync ${marker.bypass ? 'IST' : 'SST'} completed on joiner, state ${marker.state}`);
  protocol(marker.state);
}

/** A stale marker would end this SST at once with old coordinates (docs/protocol.md §7.15). */
function removeStaleFiles(datadir: string): void {
  removeEntry(inDatadir(datadir, FILES.marker));
  removeStaging(datadir);
}

/** The staging directory holds what the donor sent: removed through handles (datadir-files.ts). */
function removeStaging(datadir: string): void {
  using(openDirectory(datadir), (dir) => removeTree(dir, BINLOG_STAGING));
}

function chooseDaemonUser(datadir: string): DaemonUser {
  const euid = process.geteuid?.() ?? 0;
  const owner = statSync(datadir);
  const user = daemonUser(euid, owner);
  if (user.root) {
    log.warn(
      `the datadir ${datadir} is owned by root: the SST's rsync daemon keeps root, so only our checks after ` +
        `the transfer keep device files out; make the mariadbd user own the datadir`,
    );
  } else if (euid === 0) {
    log.info(`the SST's rsync daemon runs as the datadir's owner (uid ${owner.uid}, gid ${owner.gid}), not as root`);
  }
  return user;
}

function refuseDeviceFiles(p: Prepared, staging: string): void {
  const { datadir, dataHome, logDir, undoDir, ariaLog } = p.layout;
  const removed = removeDeviceFiles([datadir, dataHome, logDir, undoDir, ariaLog, staging]);
  if (removed.length > 0) {
    throw new SstError(
      Exit.ABORTED,
      `the donor pushed device files (removed): ` +
        `${removed.slice(0, 5).join(', ')}${removed.length > 5 ? `, … (${removed.length})` : ''}`,
    );
  }
}

/** Directories we create as root must be writable by the daemon that fills them. */
function createDirectories(p: Prepared, user: DaemonUser): void {
  for (const dir of [p.layout.datadir, p.layout.dataHome, p.layout.logDir, p.layout.undoDir, p.layout.ariaLog]) {
    if (!isDirectory(dir)) makeDirectory(dir, user);
  }
}

/** mkdir -p through handles (dir-handle.ts): what we create goes to the daemon's user by fchown. */
function makeDirectory(dir: string, user: DaemonUser): void {
  const owner = user.uid === undefined || user.root ? undefined : { uid: user.uid, gid: user.gid ?? -1 };
  openDirectory(dir, { owner })?.close();
}

/** rsync 3.5.0+ would refuse such a path only when the donor connects: say so now, before `ready`. */
function refuseForeignSymlinks(p: Prepared, user: DaemonUser): void {
  if (!p.tools.rsyncFeatures.refusesForeignSymlinks) return;
  const { datadir, dataHome, logDir, undoDir, ariaLog } = p.layout;
  const owners = symlinkOwners(process.geteuid?.() ?? 0, user);
  const passwd = systemPasswd();
  const problem = foreignSymlinkProblem(
    [datadir, dataHome, logDir, undoDir, ariaLog],
    owners,
    p.tools.rsyncVersion,
    systemLinkFs,
    (uid) => describeUid(uid, passwd),
  );
  if (problem !== undefined) throw new SstError(Exit.NOT_PERMITTED, problem);
}

function markInProgress(life: Lifecycle, datadir: string): void {
  const file = inDatadir(datadir, FILES.inProgress);
  createDatadirFile(file, '');
  life.onCleanup(() => removeEntry(file));
  life.onCleanup(() => removeEntry(inDatadir(datadir, FILES.marker)));
  life.onCleanup(() => removeStaging(datadir));
}

/** The name before `:secret@` must fit mariadbd's auth charset (docs/protocol.md §7.36). */
function readyName(p: Prepared): string {
  const cn = p.certificate.subjectCN ?? '';
  return /^[A-Za-z0-9._-]{1,64}$/.test(cn) ? cn : 'joiner';
}

/** Tells "port taken by someone else" apart before socat's bind error would hide it (docs/protocol.md §7.13). */
async function checkPortFree(life: Lifecycle, address: HostPort, bindHost: string | undefined): Promise<void> {
  let busy = await probeListenPort(address.port, bindHost, address.ipv6);
  // A wiped datadir loses the pid file, not the orphan listener of a killed SST that holds the port.
  if (
    busy?.inUse &&
    (await clearOrphansAmong(
      life,
      busy.owners.map((o) => o.pid),
    ))
  )
    busy = await probeListenPort(address.port, bindHost, address.ipv6);
  if (busy === undefined) return;
  if (busy.inUse) {
    const owners = busy.owners.map((o) => `PID: ${o.pid}, ${o.command}`);
    throw new SstError(
      Exit.BUSY,
      `socat daemon port '${address.port}' has been taken by another ` +
        `program${owners.length ? ` (${owners.join('; ')})` : ''}`,
    );
  }
  throw new SstError(Exit.BUSY, `cannot listen on ${busy.host}:${address.port}: ${busy.message}`);
}

/**
 * The donor's --delete must not remove what this node's own configuration points to inside the
 * datadir: its InnoDB/Aria directories and its TLS files. Returns the exclude file, if any.
 */
function protectOwnPaths(life: Lifecycle, datadir: string, p: Prepared, dir: string): string | undefined {
  const { dataHome, logDir, undoDir, ariaLog } = p.layout;
  const own: OwnPaths = {
    layoutDirs: pathsInside(datadir, [dataHome, logDir, undoDir, ariaLog]),
    files: pathsInside(datadir, tlsFiles(p.tls)),
    trees: p.tls.caPath === undefined ? [] : pathsInside(datadir, [p.tls.caPath]),
  };
  const all = [...own.layoutDirs, ...own.files, ...own.trees];
  if (all.length === 0) return undefined;
  for (const d of own.layoutDirs) {
    const dir = layoutDirInside(datadir, d);
    if (dir === undefined) continue;
    const keep = path.join(datadir, d, KEEP_FILE);
    createDatadirFile(keep, '', { via: dir.at(KEEP_FILE) });
    life.onCleanup(() => {
      removeEntry(keep, { via: dir.at(KEEP_FILE) });
      dir.close();
    });
  }
  const file = path.join(dir, 'rsyncd.exclude');
  writeFileSync(file, renderOwnExcludes(own), { mode: 0o600 });
  log.info(`kept on this node, safe from the donor's --delete: ${all.join(', ')}`);
  return file;
}

/**
 * The layout directory `relative` of the datadir, opened as dir-handle.ts does. One reached only
 * through a symlink of the datadir's owner gets no keep file: the daemon, which runs as that
 * owner, follows such a link, but a root joiner does not.
 */
function layoutDirInside(datadir: string, relative: string): DirHandle | undefined {
  const top = openDirectory(datadir);
  if (top === undefined) return undefined;
  try {
    return openBelow(top, relative);
  } catch (error) {
    if (!(error instanceof SstError) || error.code !== Exit.NOT_PERMITTED) throw error;
    log.warn(`no keep file in ${path.join(datadir, relative)}: ${error.message}`);
    return undefined;
  } finally {
    top.close();
  }
}

async function startListener(
  run: JoinerRun,
  bindHost: string | undefined,
  secret: string,
  user: DaemonUser,
): Promise<{ listener: SupervisedChild; start: DaemonStart }> {
  const { args, address, prepared: p, life, work: dir } = run;
  const conf = writeDaemonConfig(run, secret, user);
  const socatArgs = [
    '-b',
    String(SOCAT_BUFFER),
    listenAddress({
      port: address.port,
      bind: bindHost === undefined ? undefined : { host: bindHost, ipv6: address.ipv6, zone: address.zone },
      ipv6: address.ipv6,
      tls: tunnelTls(p, 'joiner'),
      sockopt: p.sockopt,
      socat: p.tools.socatFeatures,
      maxChildren: LISTENER_CHILDREN,
    }),
    execAddress([p.tools.rsync, '--server', '--daemon', `--config=${conf}`, '.']),
  ];
  log.info(`starting: ${p.tools.socat} ${socatArgs.join(' ')}`);
  // The supervisor tags it with our identity: should it ever outlive us, a later SST can tell.
  // It runs in our private directory, no module's: its rsync daemons start there and leave it only
  // once their peer has proved the secret (daemonAuthenticated).
  const listener = life.supervisor.spawn({ name: 'socat listener', command: p.tools.socat, args: socatArgs, cwd: dir });
  const pidFile = inDatadir(args.datadir, FILES.listenerPid);
  createDatadirFile(pidFile, `${listener.pid}\n`);
  life.onCleanup(() => removeEntry(pidFile));
  await untilListening(run, listener);
  return { listener, start: { cwd: realpathSync(dir), uid: process.getuid?.() ?? 0 } };
}

/** The rsync daemon's configuration and secrets in our private directory; the configuration's path. */
function writeDaemonConfig(run: JoinerRun, secret: string, user: DaemonUser): string {
  const { args, prepared: p, life, work: dir } = run;
  // rsync reads its configuration and the secrets as the joiner, before it changes user.
  const secretsFile = path.join(dir, 'rsyncd.secrets');
  writeFileSync(secretsFile, renderSecrets(secret), { mode: 0o600 });
  const staging = inDatadir(args.datadir, BINLOG_STAGING);
  makeDirectory(staging, user);
  const excludeFrom = protectOwnPaths(life, args.datadir, p, dir);
  const conf = path.join(dir, 'rsyncd.conf');
  writeFileSync(
    conf,
    renderDaemonConfig({
      layout: { ...p.layout, binlogStaging: staging },
      uid: user.uid,
      gid: user.gid,
      secretsFile,
      excludeFrom,
    }),
    { mode: 0o600 },
  );
  return conf;
}

async function untilListening(run: JoinerRun, listener: SupervisedChild): Promise<void> {
  const { address, life } = run;
  const deadline = life.clock.now() + LISTEN_TIMEOUT_MS;
  while (!run.listensOn(listener.pid, address.port)) {
    if (!listener.running()) {
      throw new SstError(
        Exit.BUSY,
        `the socat listener (PID: ${listener.pid}) terminated unexpectedly: ` +
          `${listener.stderrTail().slice(-3).join(' | ')}`,
      );
    }
    if (life.clock.now() > deadline)
      throw new SstError(
        Exit.BUSY,
        `the socat listener (PID: ${listener.pid}) did not listen on port ${address.port} within ` +
          `${LISTEN_TIMEOUT_MS / 1000} s`,
      );
    await life.sleep(50);
  }
}

/** Where and as whom the listener's rsync daemons start: what they leave once their peer authenticated. */
interface DaemonStart {
  cwd: string;
  uid: number;
}

/** The listener's children we have seen, and whether each one's peer authenticated (idle-connections.ts). */
interface ListenerConnections {
  seen: Map<number, Seen>;
  start: DaemonStart;
}

/**
 * Each listener child (one per connection) and whether its peer authenticated: below it, socat's
 * EXEC child is the rsync daemon, and the daemon's own rsync child its receiver. Children already
 * known as served are not looked into again.
 */
function listenerChildren(listenerPid: number, connections: ListenerConnections): ListenerChild[] {
  const live = processTable().filter((p) => !p.zombie);
  const childrenOf = (pid: number): ProcessEntry[] => live.filter((p) => p.ppid === pid);
  return childrenOf(listenerPid).map(({ pid }) => {
    if (connections.seen.get(pid)?.served === true) return { pid, authenticated: true };
    const daemons = childrenOf(pid).filter((p) => p.comm === 'rsync');
    const authenticated = daemons.some((d) => {
      const hasReceiver = childrenOf(d.pid).some((r) => r.comm === 'rsync');
      return daemonAuthenticated({ ...cwdAndUid(d.pid), hasReceiver }, connections.start);
    });
    return { pid, authenticated };
  });
}

/** The copy as the joiner sees it: the timeouts and progress lines of `[sst]`. */
interface CopyWatch {
  limits: WatchLimits;
  state: WatchState;
  meter: ByteMeter;
}

function watchLimits(p: Prepared): WatchLimits {
  return {
    initialMs: p.timeouts.initial * 1000,
    idleMs: p.timeouts.idle * 1000,
    progressMs: p.progressInterval * 1000,
  };
}

/** One look at the listener's processes: has a donor authenticated, and how much has arrived. */
function observeCopy(listener: SupervisedChild, watch: CopyWatch, clock: Clock): void {
  const found = receivers(descendants(listener.pid));
  const sample = { now: clock.now(), authenticated: found.length > 0, bytes: watch.meter.observe(writesOf(found)) };
  const step = watchStep(watch.state, watch.limits, sample);
  watch.state = step.state;
  for (const event of step.events) {
    if (event.kind === 'timeout') throw new SstError(Exit.TIMED_OUT, event.message);
    log.info(event.message);
  }
}

/**
 * Waits for the marker, the listener's death or mariadbd's; with no timeout set, for ever
 * (docs/protocol.md §7.42). Meanwhile closes connections that hold a listener slot without authenticating,
 * and watches the copy. When the marker is there, one last look records the children the donor
 * may still be using.
 */
async function waitForMarker(
  life: Lifecycle,
  datadir: string,
  listener: SupervisedChild,
  connections: ListenerConnections,
  watch: CopyWatch,
): Promise<string> {
  const marker = inDatadir(datadir, FILES.marker);
  let nextIdleCheck = 0;
  for (;;) {
    if (entryExists(marker)) {
      closeIdleConnections(life, listener, connections, true);
      return marker;
    }
    if (!listener.running()) {
      throw new SstError(
        Exit.ABORTED,
        `rsync process ended without creating magic file (${marker}): the socat listener exited`,
      );
    }
    observeCopy(listener, watch, life.clock);
    if (life.clock.now() >= nextIdleCheck) {
      closeIdleConnections(life, listener, connections, true);
      nextIdleCheck = life.clock.now() + IDLE_CHECK_MS;
    }
    await life.sleep(POLL_MS);
  }
}

const CLOSED_BECAUSE = {
  idle: `did not authenticate within ${HANDSHAKE_LIMIT_MS / 1000} s`,
  'over cap': `was past the listener's limit of ${LISTENER_CHILDREN} connections`,
  late: "came after the donor's last transfer",
} as const;

/** Returns how many children are left. */
function closeIdleConnections(
  life: Lifecycle,
  listener: SupervisedChild,
  connections: ListenerConnections,
  admitNew: boolean,
): number {
  const children = listenerChildren(listener.pid, connections);
  const decision = idleConnections(connections.seen, children, life.clock.now(), {
    idleMs: HANDSHAKE_LIMIT_MS,
    cap: LISTENER_CHILDREN,
    admitNew,
  });
  connections.seen = decision.seen;
  for (const { pid, why } of decision.kill) {
    // Our listener's own child: only the listener reaps it, so the pid cannot belong to anyone else yet
    // (one that ended by itself meanwhile is ignored).
    life.kill(pid, 'SIGKILL');
    life.supervisor.note(listener.name, IDLE_CLOSED, `closed a connection (PID: ${pid}) that ${CLOSED_BECAUSE[why]}`);
  }
  life.supervisor.reportFloods();
  return children.length - decision.kill.length;
}

/**
 * The marker is the donor's last rsync: let that connection finish before the listener goes, so
 * the donor does not see its final transfer cut (its rsync may have ended already, the socat
 * child still closing the TLS session). Connections accepted since the marker are not the
 * donor's and go at once; older idle ones still get their handshake time.
 */
async function stopListener(
  life: Lifecycle,
  listener: SupervisedChild,
  connections: ListenerConnections,
): Promise<void> {
  const deadline = life.clock.now() + DRAIN_TIMEOUT_MS;
  while (closeIdleConnections(life, listener, connections, false) > 0 && life.clock.now() < deadline)
    await life.sleep(50);
  await life.supervisor.stop(listener);
}

/** Before listening: once the donor can write, the index on disk is no longer ours to trust. */
function readOwnBinlogs(args: SstArgs, p: Prepared): PreviousBinlogs | undefined {
  return p.binlog ? readPreviousBinlogs(p.binlog, args.datadir, systemBinlogFs) : undefined;
}

function handleBinlogs(args: SstArgs, p: Prepared, bypass: boolean, previous: PreviousBinlogs | undefined): void {
  const staging = inDatadir(args.datadir, BINLOG_STAGING);
  if (bypass) {
    if (stagingHasBinlogs(staging)) log.warn('binary logs were transferred in IST (bypass) mode: left untouched');
    return;
  }
  if (!p.binlog || !previous) {
    if (stagingHasBinlogs(staging)) log.info('the donor sent binary logs but binary logging is off here: ignored');
    return;
  }
  const count = installBinlogs(p.binlog, args.datadir, staging, previous);
  log.info(`binary logs: ${count} installed, index ${p.binlog.index}`);
}
