/**
 * The option files as the SST reads them, for the SST (src/sst/prepare.ts) and for `check`
 * (src/check/config.ts) alike: one reader, one group list, so `check` judges what the SST uses.
 */
import {
  mysqldGroups,
  OptionFiles,
  optionFileEnv,
  SST_GROUPS,
  type OptionFileEnv,
  type OptionFileSources,
} from './option-files';
import { describeServerVersion, type ServerVersion } from './server-version';
import type { ConfigLookup } from './tls';

export interface ServerConfig {
  /** The files read, in order. */
  files: readonly string[];
  /** What my_print_defaults would have warned about (ignored files, broken includes). */
  warnings: readonly string[];
  lookup: ConfigLookup;
  /** The server's groups (`--mysqld`), versioned ones included when the version is known. */
  mysqld: readonly string[];
  server: ServerVersion;
  /** Every group any setting is read from, group-suffixed ones included. */
  groups: readonly string[];
}

/** Throws SstError (exit code as the SST uses it) when a required file is missing or broken. */
export function loadServerConfig(
  sources: OptionFileSources,
  server: ServerVersion,
  env: OptionFileEnv = optionFileEnv(),
): ServerConfig {
  const options = OptionFiles.load(sources, env);
  const mysqld = mysqldGroups(server.version);
  return {
    files: options.files,
    warnings: options.warnings,
    lookup: (sets, key) => options.get(sets, key),
    mysqld,
    server,
    groups: options.withSuffix([...mysqld, ...SST_GROUPS]),
  };
}

/** `mysqld, server, mysqld-10.11, …, sst (server version 10.11 from /proc/1234/exe (/usr/sbin/mariadbd))` */
export function describeGroups(config: ServerConfig): string {
  return `${config.groups.join(', ')} (${describeServerVersion(config.server)})`;
}
