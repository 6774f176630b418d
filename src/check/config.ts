/**
 * The configuration `check` judges, read by the SST's own loader (src/config/load.ts): the same
 * option-file reader, groups and TLS rules, so a PASS here means the SST sees the same.
 */
import { posix as path } from 'node:path';
import { loadServerConfig, type ServerConfig } from '../config/load';
import { installedServerVersion } from '../config/server-version';
import type { Role, TlsSettings } from '../config/tls';
import { describeWeakening } from '../tunnel/sockopt-policy';
import { resolveTunnelSettings } from '../tunnel/tunnel-tls';
import type { AddressSettings } from './advertised';
import type { CheckArgs } from './args';
import { isDirectory } from '../proc/file-kind';

/** Debian's and upstream's compiled-in defaults. */
export const DEFAULT_USER = 'mysql';
const DEFAULT_DATADIR = '/var/lib/mysql';

export interface CheckConfig extends ServerConfig {
  /** `user=` of the mysqld groups: whom mariadbd, and so the SST, runs as. */
  user: string;
  datadir: string;
  /** Where the datadir came from, for the report. */
  datadirSource: string;
}

function datadirOf(args: CheckArgs, config: ServerConfig): { datadir: string; source: string } {
  const fromFiles = config.lookup([config.mysqld], 'datadir');
  const text = args.datadir ?? fromFiles ?? DEFAULT_DATADIR;
  const source =
    args.datadir !== undefined ? '--datadir' : fromFiles !== undefined ? 'datadir in the option files' : 'the default';
  return { datadir: path.resolve(text), source };
}

/**
 * Throws SstError (exit code as the SST would use) when the option files cannot be read. No
 * server started us, so the version comes from the installed mariadbd, else from the datadir's
 * mysql_upgrade_info; that datadir is first looked up in the unversioned groups.
 */
export function loadConfig(args: CheckArgs): CheckConfig {
  const sources = {
    defaultsFile: args.defaultsFile,
    defaultsExtraFile: args.defaultsExtraFile,
    defaultsGroupSuffix: args.defaultsGroupSuffix,
  };
  const unversioned = loadServerConfig(sources, { source: 'not looked up yet' });
  const config = loadServerConfig(sources, installedServerVersion(datadirOf(args, unversioned).datadir));
  const { datadir, source } = datadirOf(args, config);
  return { ...config, user: config.lookup([config.mysqld], 'user') ?? DEFAULT_USER, datadir, datadirSource: source };
}

export function addressSettings(config: CheckConfig): AddressSettings {
  const get = (key: string): string | undefined => config.lookup([config.mysqld], key);
  return {
    receiveAddress: get('wsrep-sst-receive-address'),
    nodeAddress: get('wsrep-node-address'),
    bindAddress: get('bind-address'),
  };
}

export interface TlsContext {
  settings: TlsSettings;
  sockopt: string[];
  /** False for ssl-mode=REQUIRED or sockopt verify=0: nobody checks the peer. */
  verifyPeer: boolean;
  /** One sentence per sockopt item that weakens peer verification, as the SST logs it. */
  weakens: string[];
}

/** The SST's TLS decisions for `role`; throws SstError with the SST's own message. */
export function resolveCheckTls(config: CheckConfig, role: Role): TlsContext {
  const {
    tls: settings,
    sockopt,
    verdict,
    verifyPeer,
  } = resolveTunnelSettings(config, role, config.datadir, isDirectory);
  return { settings, sockopt, verifyPeer, weakens: verdict.weakens.map(describeWeakening) };
}

export function describeTls(tls: TlsContext): string {
  const s = tls.settings;
  const parts = [
    `ssl-mode ${s.mode}`,
    `certificate ${s.cert}`,
    s.key !== undefined ? `key ${s.key}` : 'key in the certificate file',
    `CA ${s.caFile ?? s.caPath ?? 'system default trust store'}`,
  ];
  if (tls.sockopt.length > 0) parts.push(`sockopt ${tls.sockopt.join(',')}`);
  return parts.join('; ');
}
