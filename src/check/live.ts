/**
 * `check --listen` and `check --peer`: one real TLS handshake between two nodes with exactly the
 * socat addresses an SST uses (listenAddress/connectAddress with tunnelTls for the joiner and
 * the donor role), so certificate, CA, name and cipher problems show up before an SST needs them.
 *
 * The listener answers every verified connection with a fixed line from /bin/echo through
 * socat's EXEC (argv, no shell), in place of the SST's rsync daemon. That responder reads
 * nothing and writes nothing that depends on the peer, so whatever gets through the TLS gate
 * (which is the SST's own: socat verifies before it forks the EXEC) can do nothing with it.
 * The listener also ends after --timeout seconds and serves at most MAX_CHILDREN connections at
 * a time, so a forgotten or flooded listener costs little.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Exit, SstError } from '../errors';
import { DEFAULT_SST_PORT, formatHostPort, isIpLiteral, parseJoinerAddress, type HostPort } from '../net/address';
import { localBindHost } from '../net/local';
import { findProgram } from '../proc/find-program';
import { pidListensOn, portOwners } from '../proc/sockets';
import type { SupervisedChild } from '../proc/supervisor';
import { sockoptCommonName, tunnelTls } from '../tunnel/tunnel-tls';
import { connectAddress, execAddress, listenAddress, type TunnelTls } from '../tunnel/socat-address';
import { advertisedAddress } from './advertised';
import type { CheckArgs } from './args';
import { addressSettings, describeTls, loadConfig, resolveCheckTls, type CheckConfig, type TlsContext } from './config';
import { interfaceAddresses } from './node';
import type { Report } from './render';
import { item, type CheckItem } from './result';
import { connectionItem, ListenerLog, peerItem, summarizeClient, type Connection, type PeerOutcome } from './socat-log';
import { stopSignal } from './stop-signal';
import type { SocatOwner } from './socat-owner';
import { checkSocat } from './tools';
import type { SocatFeatures } from '../proc/tool-features';

/** The responder's line; `--peer` takes it as proof that the listener accepted its certificate. */
const RESPONSE = 'wsrep_sst_rsync_tunnel_check_ok';
const MAX_CHILDREN = 16;
const LISTEN_WAIT_MS = 10_000;
const POLL_MS = 50;

/** Where live results go as they happen (people) or nowhere until the end (--json). */
export interface Sink {
  item(i: CheckItem): void;
  note(text: string): void;
}

function sstMessage(e: unknown): string {
  if (e instanceof SstError) return e.message;
  throw e;
}

interface Setup {
  socat: string;
  socatFeatures: SocatFeatures;
  config: CheckConfig;
  tls: TlsContext;
}

/** socat, option files and TLS settings, each reported; undefined when one of them fails. */
function setup(args: CheckArgs, role: 'joiner' | 'donor', emit: (i: CheckItem) => void): Setup | undefined {
  const socat = checkSocat();
  emit(socat.item);
  if (socat.tool === undefined) return undefined;
  let config: CheckConfig;
  let tls: TlsContext;
  try {
    config = loadConfig(args);
  } catch (e) {
    emit(item('config', 'option files', 'FAIL', sstMessage(e)));
    return undefined;
  }
  try {
    tls = resolveCheckTls(config, role);
  } catch (e) {
    emit(item('tls', 'TLS settings', 'FAIL', sstMessage(e)));
    return undefined;
  }
  return { socat: socat.tool.path, socatFeatures: socat.tool.features, config, tls };
}

function verificationText(t: TunnelTls, role: 'joiner' | 'donor', peerName: string, verifyPeer: boolean): string {
  if (!verifyPeer) return 'verifies nothing about the peer (ssl-mode=REQUIRED or sockopt verify=0)';
  if (role === 'joiner') return "verifies the connecting node's certificate chain, not its name, as a joiner does";
  if (t.commonName === '')
    return "verifies the listener's certificate chain, not its name (ssl-mode=VERIFY_CA), as a donor does";
  return `verifies the listener's certificate chain and the name '${peerName}', as a donor does`;
}

function tlsItem(tls: TlsContext, how: string): CheckItem {
  const weak = !tls.verifyPeer;
  return item('tls', 'TLS settings', weak ? 'WARN' : 'PASS', `${describeTls(tls)}; ${how}`);
}

/** `--bind` as given: a host name, an IPv4 address or an IPv6 address with or without brackets, no port. */
function bindTarget(bind: string): HostPort {
  const text = isIpLiteral(bind) === 6 ? `[${bind}]` : bind;
  const parsed = parseJoinerAddress(text);
  if (/\]:|^[^:[\]]+:/.test(text))
    throw new SstError(Exit.BAD_CONFIG, `check: --bind takes a host without a port ('${bind}'); use --port`);
  return parsed;
}

/**
 * socat with both output streams read by us and stdin a pipe we never write to (so a peer's
 * socat waits for the listener, not for our EOF).
 */
function spawnSocat(
  owner: SocatOwner,
  socat: string,
  args: readonly string[],
  onStderrLine: (line: string) => void,
  onStdoutLine?: (line: string) => void,
): SupervisedChild {
  return owner
    .supervisor()
    .spawn({ name: 'socat', command: socat, args, stdin: 'pipe', stdout: 'pipe', onStderrLine, onStdoutLine });
}

/** The exit code (null when killed by a signal) once the child is reaped and its output read. */
async function closed(child: SupervisedChild): Promise<number | null> {
  const [exit] = await Promise.all([child.exited, child.stderrDone, child.stdoutDone]);
  return exit.code;
}

/** Kills the whole group and waits until the child is reaped and its output read. */
async function killSocat(owner: SocatOwner, child: SupervisedChild): Promise<void> {
  await owner.supervisor().kill(child);
  await closed(child);
}

async function waitListening(child: SupervisedChild, port: number): Promise<boolean> {
  let exited = false;
  void closed(child).then(() => {
    exited = true;
  });
  const deadline = Date.now() + LISTEN_WAIT_MS;
  while (!exited && Date.now() < deadline) {
    if (pidListensOn(child.pid, port)) return true;
    await delay(POLL_MS);
  }
  return false;
}

/** Where a listener for `check --listen` binds, and socat's arguments for it. */
interface ListenPlan {
  bind: HostPort | undefined;
  port: number;
  where: string;
  socatArgs: string[];
}

/** Where a joiner on this node would listen: its advertised host if that is local, else everywhere. */
async function planListener(
  args: CheckArgs,
  s: Setup,
  tunnel: TunnelTls,
  context: [string, string][],
): Promise<ListenPlan> {
  let bind: HostPort | undefined;
  const advertised =
    args.bind !== undefined && args.port !== undefined
      ? undefined
      : advertisedAddress(addressSettings(s.config), interfaceAddresses());
  if (advertised !== undefined) context.push(['SST address', `${formatHostPort(advertised)} (${advertised.source})`]);
  if (args.bind !== undefined) {
    bind = bindTarget(args.bind);
  } else if (advertised !== undefined) {
    const local = await localBindHost(advertised.host);
    bind =
      local === undefined
        ? undefined
        : { host: local, ipv6: advertised.ipv6, zone: advertised.zone, port: advertised.port };
  }
  const port = args.port ?? advertised?.port ?? DEFAULT_SST_PORT;
  const socatArgs = [
    '-d',
    '-d',
    listenAddress({
      port,
      bind,
      ipv6: bind?.ipv6 ?? advertised?.ipv6 ?? false,
      tls: tunnel,
      sockopt: s.tls.sockopt,
      socat: s.socatFeatures,
      maxChildren: MAX_CHILDREN,
    }),
    execAddress([findProgram('echo'), RESPONSE]),
  ];
  const where = bind === undefined ? `all interfaces, port ${port}` : formatHostPort({ ...bind, port });
  return { bind, port, where, socatArgs };
}

/** The items of one run, each shown as it comes, and the report they make. */
function collector(mode: Report['mode'], sink: Sink) {
  const items: CheckItem[] = [];
  const context: [string, string][] = [];
  const emit = (i: CheckItem): void => {
    items.push(i);
    sink.item(i);
  };
  return { context, emit, report: (): Report => ({ mode, context, items }) };
}

export async function runListen(args: CheckArgs, sink: Sink, owner: SocatOwner): Promise<Report> {
  const { context, emit, report } = collector('listen', sink);
  const s = setup(args, 'joiner', emit);
  if (s === undefined) return report();

  let plan: ListenPlan;
  const tunnel = tunnelTls({ tls: s.tls.settings }, 'joiner');
  try {
    plan = await planListener(args, s, tunnel, context);
  } catch (e) {
    emit(item('listener', 'TLS listener', 'FAIL', sstMessage(e)));
    return report();
  }
  context.push(['listening on', plan.where]);
  emit(tlsItem(s.tls, verificationText(tunnel, 'joiner', '', s.tls.verifyPeer)));

  const log = new ListenerLog();
  const namesClient = tunnel.verify && (Boolean(tunnel.commonName) || sockoptCommonName(s.tls.sockopt) !== undefined);
  const onConnection = (c: Connection): void => emit(connectionItem(c, namesClient));
  if (!(await serveListener({ args, sink, owner, socat: s.socat, plan, log, emit, onConnection }))) return report();
  log.unfinished().forEach(onConnection);
  if (log.connectionCount() === 0) {
    emit(item('handshake', 'handshake', 'WARN', `no node connected to ${plan.where} while the listener ran`));
  }
  return report();
}

/** A running `check --listen`: what serveListener needs and where it reports. */
interface Listening {
  args: CheckArgs;
  sink: Sink;
  owner: SocatOwner;
  socat: string;
  plan: ListenPlan;
  log: ListenerLog;
  emit: (i: CheckItem) => void;
  onConnection: (c: Connection) => void;
}

/**
 * Runs the listener until --timeout, Ctrl-C or its own end, reporting as it goes; it is killed in
 * any case. False when it never listened (reported as the listener's FAIL).
 */
async function serveListener({ args, sink, owner, socat, plan, log, emit, onConnection }: Listening): Promise<boolean> {
  const { bind, port, where } = plan;
  const stop = stopSignal();
  const t = spawnSocat(owner, socat, plan.socatArgs, (line) => log.feed(line).forEach(onConnection));
  try {
    if (!(await waitListening(t, port))) {
      const owners = portOwners(port).map((o) => `PID ${o.pid} (${o.command})`);
      const errors = log.listenerErrors.length > 0 ? log.listenerErrors.join(' | ') : 'it did not start listening';
      emit(
        item(
          'listener',
          'TLS listener',
          'FAIL',
          `socat: ${errors}${owners.length > 0 ? `; port ${port} is held by ${owners.join(', ')}` : ''}`,
        ),
      );
      return false;
    }
    const peerHint = bind === undefined ? `<this node's address>:${port}` : formatHostPort({ ...bind, port });
    emit(item('listener', 'TLS listener', 'PASS', `listening on ${where} for ${args.timeoutSeconds} s (pid ${t.pid})`));
    sink.note(`On another node run: wsrep_sst_rsync_tunnel check --peer ${peerHint}   (Ctrl-C ends this listener)`);
    const timer = new AbortController();
    const ended = await Promise.race([
      delay(args.timeoutSeconds * 1000, false, { signal: timer.signal }),
      stop.promise.then(() => false),
      closed(t).then(() => true),
    ]);
    timer.abort();
    if (ended) {
      const errors = log.listenerErrors.length > 0 ? `: socat: ${log.listenerErrors.join(' | ')}` : '';
      emit(item('listener-exit', 'TLS listener', 'FAIL', `the socat listener ended before the time was up${errors}`));
    } else {
      // A peer that just finished may not have had its connection's end logged yet.
      for (let i = 0; i < DRAIN_STEPS && log.unfinished().length > 0; i++) await delay(100);
    }
  } finally {
    stop.dispose();
    await killSocat(owner, t);
  }
  return true;
}

/** One connection by `socat` to the listener: its log, whether the listener answered, how it ended. */
async function connectOnce(
  owner: SocatOwner,
  socat: string,
  socatArgs: string[],
  timeoutSeconds: number,
): Promise<PeerOutcome> {
  const stop = stopSignal();
  const lines: string[] = [];
  const out: string[] = [];
  const t = spawnSocat(
    owner,
    socat,
    socatArgs,
    (line) => lines.push(line),
    (line) => out.push(line),
  );
  let timedOut = false;
  let interrupted = false;
  let code: number | null = null;
  try {
    const timer = new AbortController();
    const outcome = await Promise.race([
      closed(t).then((c) => ({ kind: 'exit' as const, code: c })),
      delay(timeoutSeconds * 1000, { kind: 'timeout' as const }, { signal: timer.signal }),
      stop.promise.then(() => ({ kind: 'signal' as const })),
    ]);
    timer.abort();
    if (outcome.kind === 'exit') code = outcome.code;
    timedOut = outcome.kind === 'timeout';
    interrupted = outcome.kind === 'signal';
  } finally {
    stop.dispose();
    await killSocat(owner, t);
  }
  return { handshake: summarizeClient(lines), answered: out.includes(RESPONSE), timedOut, interrupted, exitCode: code };
}

/** Up to 3 s for handshakes in progress when the listener is told to stop. */
const DRAIN_STEPS = 30;

export async function runPeer(args: CheckArgs, sink: Sink, owner: SocatOwner): Promise<Report> {
  const { context, emit, report } = collector('peer', sink);
  const s = setup(args, 'donor', emit);
  if (s === undefined) return report();

  const given = args.peer ?? '';
  let target: HostPort;
  let socatArgs: string[];
  const tunnel = tunnelTls({ tls: s.tls.settings }, 'donor');
  try {
    target = parseJoinerAddress(isIpLiteral(given) === 6 ? `[${given}]` : given);
    socatArgs = [
      '-d',
      '-d',
      '-',
      connectAddress({ ...target, tls: tunnel, sockopt: s.tls.sockopt, socat: s.socatFeatures }),
    ];
  } catch (e) {
    emit(item('handshake', `handshake with ${given}`, 'FAIL', sstMessage(e)));
    return report();
  }
  const shown = formatHostPort(target);
  context.push(['peer', shown]);
  emit(tlsItem(s.tls, verificationText(tunnel, 'donor', target.host, s.tls.verifyPeer)));

  emit(peerItem(shown, args.timeoutSeconds, await connectOnce(owner, s.socat, socatArgs, args.timeoutSeconds)));
  return report();
}
