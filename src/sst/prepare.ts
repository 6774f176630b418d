import { cpus } from 'node:os';
import type { SstArgs } from '../config/args';
import { describeGroups, loadServerConfig } from '../config/load';
import { runningServerVersion } from '../config/server-version';
import type { TlsSettings } from '../config/tls';
import { preflightTls, type CertificateInfo } from '../config/tls-preflight';
import { log } from '../log';
import { describeFeatures } from '../proc/tool-features';
import { locateTools, type Tools } from '../proc/tools';
import { describeWeakening } from '../tunnel/sockopt-policy';
import { resolveTunnelSettings } from '../tunnel/tunnel-tls';
import {
  resolveBackupThreads,
  resolveBinlog,
  resolveLayout,
  resolveMaxBinlogs,
  resolvePrecopy,
  resolveProgressInterval,
  resolveRateLimit,
  resolveTimeouts,
  type BinlogSettings,
  type Layout,
  type PrecopySettings,
} from '../config/settings';
import { isDirectory } from '../proc/file-kind';

/** Everything both roles decide before they print their first protocol line. */
export interface Prepared {
  tools: Tools;
  tls: TlsSettings;
  certificate: CertificateInfo;
  sockopt: string[];
  layout: Layout;
  binlog: BinlogSettings | undefined;
  maxBinlogs: number;
  backupThreads: number;
  /** Seconds between progress lines in the log; 0 = none. */
  progressInterval: number;
  /** Bytes per second for the whole SST; undefined = unlimited. */
  rateLimit: number | undefined;
  /** Seconds; 0 = off. */
  timeouts: { initial: number; idle: number };
  /** Online rounds before the lock (docs/protocol.md §3.3.1). */
  precopy: PrecopySettings;
}

/**
 * Reads the configuration mariadbd pointed us at, checks the TLS material
 * and finds the tools. Any failure here ends the SST before `ready` or
 * `flush tables`, so mariadbd never waits on a transfer that cannot work.
 */
export function prepare(args: SstArgs): Prepared {
  // The joiner names mariadbd with --parent; the donor's mariadbd is its parent (docs/protocol.md §1.5).
  const server = runningServerVersion(args.parent ?? process.ppid, args.datadir);
  const config = loadServerConfig(
    {
      defaultsFile: args.defaultsFile,
      defaultsExtraFile: args.defaultsExtraFile,
      defaultsGroupSuffix: args.defaultsGroupSuffix,
    },
    server,
  );
  log.info(`option files read: ${config.files.length > 0 ? config.files.join(', ') : '(none)'}`);
  log.info(`option groups read: ${describeGroups(config)}`);
  const { lookup, mysqld } = config;

  const { tls, sockopt, verdict, verifyPeer } = resolveTunnelSettings(
    config,
    args.role,
    args.datadir,
    isDirectory,
    (decided) => {
      for (const n of decided.notes) log.info(n);
      for (const w of decided.warnings) log.warn(w);
    },
  );
  for (const w of verdict.weakens) log.warn(describeWeakening(w));
  const preflight = preflightTls(tls, { verifyPeer });
  for (const n of preflight.infos) log.info(n);
  for (const w of preflight.warnings) log.warn(w);
  log.info(
    `TLS: ssl-mode ${tls.mode}, certificate ${tls.cert}${tls.key ? `, key ${tls.key}` : ' (key in the same file)'}, ` +
      `CA ${tls.caFile ?? tls.caPath ?? 'system default trust store'}` +
      `${sockopt.length ? `, sockopt ${sockopt.join(',')}` : ''}`,
  );

  const tools = locateTools();
  log.info(`using socat ${tools.socatVersion} (${tools.socat}) and rsync ${tools.rsyncVersion} (${tools.rsync})`);
  const adaptations = describeFeatures(tools.socatFeatures, tools.rsyncFeatures);
  if (adaptations !== undefined) log.info(adaptations);

  return {
    tools,
    tls,
    certificate: preflight.certificate,
    sockopt,
    layout: resolveLayout(args, lookup, mysqld, process.env),
    binlog: resolveBinlog(args, lookup, mysqld),
    maxBinlogs: resolveMaxBinlogs(lookup, mysqld),
    backupThreads: resolveBackupThreads(lookup, mysqld, cpus().length),
    progressInterval: resolveProgressInterval(lookup),
    rateLimit: resolveRateLimit(lookup),
    timeouts: resolveTimeouts(lookup),
    precopy: resolvePrecopy(lookup),
  };
}
