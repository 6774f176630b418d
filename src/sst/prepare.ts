import { statSync } from 'node:fs';
import { cpus } from 'node:os';
import type { SstArgs } from '../cli/args';
import { mysqldGroups, OptionFiles } from '../config/option-files';
import { readRawTlsValues, resolveTls, type TlsSettings } from '../config/tls';
import { preflightTls, type CertificateInfo } from '../config/tls-preflight';
import { log } from '../log';
import { locateTools, type Tools } from '../proc/tools';
import { parseSockopt, sockoptDisablesVerify } from '../tunnel/socat-address';
import { resolveBackupThreads, resolveBinlog, resolveLayout, resolveMaxBinlogs, type BinlogSettings, type Layout, type Lookup } from './settings';

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
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads the configuration mariadbd pointed us at, checks the TLS material
 * and finds the tools. Any failure here ends the SST before `ready` or
 * `flush tables`, so mariadbd never waits on a transfer that cannot work.
 */
export function prepare(args: SstArgs): Prepared {
  const options = OptionFiles.load({
    defaultsFile: args.defaultsFile,
    defaultsExtraFile: args.defaultsExtraFile,
    defaultsGroupSuffix: args.defaultsGroupSuffix,
  });
  log.info(`option files read: ${options.files.length > 0 ? options.files.join(', ') : '(none)'}`);
  const lookup: Lookup = (sets, key) => options.get(sets, key);
  const mysqld = mysqldGroups();

  const tls = resolveTls(readRawTlsValues(lookup, mysqld), args.role, isDirectory, args.datadir);
  tls.notes.forEach((n) => log.info(n));
  tls.warnings.forEach((w) => log.warn(w));
  const sockopt = parseSockopt(lookup([['sst']], 'sockopt'));
  const verifyPeer = tls.mode !== 'REQUIRED' && !sockoptDisablesVerify(sockopt);
  if (!verifyPeer && tls.mode !== 'REQUIRED') log.warn('sockopt verify=0: the peer certificate is not verified; do not do this in production');
  const preflight = preflightTls(tls, { verifyPeer });
  preflight.infos.forEach((n) => log.info(n));
  preflight.warnings.forEach((w) => log.warn(w));
  log.info(
    `TLS: ssl-mode ${tls.mode}, certificate ${tls.cert}${tls.key ? `, key ${tls.key}` : ' (key in the same file)'}, ` +
      `CA ${tls.caFile ?? tls.caPath ?? 'system default trust store'}${sockopt.length ? `, sockopt ${sockopt.join(',')}` : ''}`,
  );

  const tools = locateTools();
  log.info(`using socat ${tools.socatVersion} (${tools.socat}) and rsync ${tools.rsyncVersion} (${tools.rsync})`);

  return {
    tools,
    tls,
    certificate: preflight.certificate,
    sockopt,
    layout: resolveLayout(args, lookup, mysqld, process.env),
    binlog: resolveBinlog(args, lookup, mysqld),
    maxBinlogs: resolveMaxBinlogs(lookup, mysqld),
    backupThreads: resolveBackupThreads(lookup, mysqld, cpus().length),
  };
}
