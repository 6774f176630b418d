/**
 * What mariadbd's command line tells an SST run (docs/protocol.md §1.2, §1.3), as cli/args.ts parses it.
 *
 * The type lives here and not beside its parser: the SST reads it as one source of its
 * configuration, next to the option files, and settings.ts resolves the layout and binlog names
 * from it, so it must sit no higher than config/. No lower either: below config/, the layers
 * take the values they need, not the whole command line.
 */
import type { Role } from './tls';

/** Layout options that mariadbd's own command line may override (docs/protocol.md §1.3). */
export interface MysqldOverrides {
  datadir?: string;
  ariaLogDirPath?: string;
  innodbDataHomeDir?: string;
  innodbLogGroupHomeDir?: string;
  innodbUndoDirectory?: string;
  logBin?: string;
  logBinIndex?: string;
  logBasename?: string;
}

export interface SstArgs {
  role: Role;
  /** As given: joiner `host[:port]`, donor `[auth@]host:port/module[/...]`. */
  address: string;
  /** Absolute, normalised, without a trailing slash. */
  datadir: string;
  defaultsFile?: string;
  defaultsExtraFile?: string;
  defaultsGroupSuffix?: string;
  parent?: number;
  progress: boolean;
  binlog?: string;
  binlogIndex?: string;
  logBasename?: string;
  gtid?: string;
  gtidDomainId?: string;
  bypass: boolean;
  localPort?: number;
  socket?: string;
  /** `--port`, only to detect a conflict with the address (docs/protocol.md §5.2). */
  port?: number;
  mysqld: MysqldOverrides;
}
