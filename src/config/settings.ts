import { posix as path } from 'node:path';
import type { SstArgs } from './args';
import {
  BACKUP_THREADS,
  describeRule,
  inRange,
  parseNumber,
  PRECOPY_ROUNDS,
  PROGRESS_INTERVAL,
  RLIMIT,
  SST_IDLE_TIMEOUT,
  SST_INITIAL_TIMEOUT,
  SST_MAX_BINLOGS,
  type NumberRule,
} from './ranges';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { MAX_STREAMS } from '../protocol/streams';

/** Reads one key from the option files: the first group set with a non-empty value wins. */
export type Lookup = (groupSets: readonly (readonly string[])[], key: string) => string | undefined;

export interface Layout {
  datadir: string;
  dataHome: string;
  logDir: string;
  undoDir: string;
  ariaLog: string;
}

export interface BinlogSettings {
  /** Directory of the binlog files, absolute. */
  dir: string;
  /** What the index lines are prefixed with: dirname of --binlog as given (`.` for a bare name). */
  indexPrefix: string;
  /** File name stem: `mysql-bin` for `mysql-bin.000001`. */
  basename: string;
  /** Index file, absolute. */
  index: string;
}

/** Environment variables mariadbd or an operator may set for the layout (docs/protocol.md §1.4). */
export interface LayoutEnv {
  INNODB_DATA_HOME_DIR?: string;
  INNODB_LOG_GROUP_HOME?: string;
  INNODB_UNDO_DIR?: string;
}

const nonEmpty = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v.trim();

/**
 * Where InnoDB and Aria keep their files, resolved the same way on both roles
 * (10.11's donor forgets to, docs/protocol.md §3.3): mariadbd's command line first, then
 * the environment, then the option files; relative paths are under the datadir.
 */
export function resolveLayout(
  args: Pick<SstArgs, 'datadir' | 'mysqld'>,
  lookup: Lookup,
  mysqld: readonly string[],
  env: LayoutEnv,
): Layout {
  const datadir = args.datadir;
  const pick = (override: string | undefined, envValue: string | undefined, key: string): string => {
    const value = nonEmpty(override) ?? nonEmpty(envValue) ?? nonEmpty(lookup([mysqld], key));
    return value === undefined ? datadir : path.resolve(datadir, value);
  };
  return {
    datadir,
    dataHome: pick(args.mysqld.innodbDataHomeDir, env.INNODB_DATA_HOME_DIR, 'innodb-data-home-dir'),
    logDir: pick(args.mysqld.innodbLogGroupHomeDir, env.INNODB_LOG_GROUP_HOME, 'innodb-log-group-home-dir'),
    undoDir: pick(args.mysqld.innodbUndoDirectory, env.INNODB_UNDO_DIR, 'innodb-undo-directory'),
    ariaLog: pick(args.mysqld.ariaLogDirPath, undefined, 'aria-log-dir-path'),
  };
}

const withIndexExtension = (name: string): string => (path.extname(name) ? name : `${name}.index`);

/**
 * Binary log names (docs/protocol.md §2.5): index = --binlog-index, else
 * `<log-basename>-bin.index`, else `<binlog>.index`; all relative to the datadir.
 */
export function resolveBinlog(args: SstArgs, lookup: Lookup, mysqld: readonly string[]): BinlogSettings | undefined {
  const binlog = nonEmpty(args.binlog) ?? nonEmpty(lookup([mysqld], 'log-bin'));
  if (binlog === undefined) return undefined;
  const indexName = nonEmpty(args.binlogIndex) ?? nonEmpty(lookup([mysqld], 'log-bin-index'));
  const basenameOpt = nonEmpty(args.logBasename) ?? nonEmpty(lookup([mysqld], 'log-basename'));
  // Only an explicit index name may carry its own extension; derived ones always get `.index`.
  const index =
    indexName !== undefined ? withIndexExtension(indexName) : `${basenameOpt ? `${basenameOpt}-bin` : binlog}.index`;
  return {
    dir: path.resolve(args.datadir, path.dirname(binlog)),
    indexPrefix: path.dirname(binlog),
    basename: path.basename(binlog),
    index: path.resolve(args.datadir, index),
  };
}

/** `sst-max-binlogs`: default 1, 0 = none, negative = all (docs/protocol.md §3.4). */
export function resolveMaxBinlogs(lookup: Lookup, mysqld: readonly string[]): number {
  const raw = nonEmpty(lookup([mysqld, ['sst']], 'sst-max-binlogs'));
  return raw === undefined ? 1 : parseNumber(SST_MAX_BINLOGS, raw);
}

/**
 * Parallel rsync streams of the queue: `backup-threads`, else the CPU count, never more than the joiner's
 * listener serves at once (MAX_STREAMS). `note` tells the operator when the setting is cut down.
 */
export function resolveBackupThreads(
  lookup: Lookup,
  mysqld: readonly string[],
  cpus: number,
  note: (message: string) => void = log.info,
): number {
  const raw = nonEmpty(lookup([mysqld, ['sst']], 'backup-threads'));
  if (raw === undefined) return Math.min(MAX_STREAMS, Math.max(1, cpus));
  const n = parseNumber(BACKUP_THREADS, raw);
  if (n > MAX_STREAMS) {
    note(`backup-threads=${n}: copying with ${MAX_STREAMS} parallel passes, the most a joiner accepts at once`);
    return MAX_STREAMS;
  }
  return n;
}

/** A number of seconds from `[sst]` within `rule`; `fallback` when unset. */
function seconds(lookup: Lookup, rule: NumberRule, fallback: number): number {
  const raw = nonEmpty(lookup([['sst']], rule.name));
  return raw === undefined ? fallback : parseNumber(rule, raw);
}

/** `progress-interval`: seconds between progress lines in the log during the copy; 0 = none. */
export function resolveProgressInterval(lookup: Lookup): number {
  return seconds(lookup, PROGRESS_INTERVAL, 30);
}

/**
 * `sst-initial-timeout` (joiner: from `ready` to the first authenticated donor connection) and
 * `sst-idle-timeout` (from that connection to the marker, no byte moved): mariabackup's and PXC's
 * names; 0, the default, waits for ever as the stock rsync method does.
 */
export function resolveTimeouts(lookup: Lookup): { initial: number; idle: number } {
  return { initial: seconds(lookup, SST_INITIAL_TIMEOUT, 0), idle: seconds(lookup, SST_IDLE_TIMEOUT, 0) };
}

const RATE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * `rlimit`: the whole SST's rate in bytes per second, as mariabackup's method passes it to
 * `pv -L` (suffixes k, m, g in powers of 1024, either case), within RLIMIT; 0 = no limit.
 */
export function parseRate(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b?)?$/i.exec(raw.trim());
  const unit = m ? RATE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new SstError(Exit.BAD_CONFIG, `rlimit=${raw}: must be ${describeRule(RLIMIT)}, as for mariabackup`);
  // Checked before rounding: only a written 0 is "no limit", 0.5 (bytes) is a rate too small to use.
  return Math.floor(inRange(RLIMIT, Number(m[1]) * unit, raw));
}

export function resolveRateLimit(lookup: Lookup): number | undefined {
  const raw = nonEmpty(lookup([['sst']], 'rlimit'));
  if (raw === undefined) return undefined;
  const rate = parseRate(raw);
  return rate > 0 ? rate : undefined;
}

/**
 * `[sst] precopy`: copy online before the lock (`on`), everything under the lock (`off`), or `on` plus a
 * checksum of what the catch-up skips (`verify`).
 */
export type PrecopyMode = 'on' | 'off' | 'verify';
const PRECOPY_MODES: readonly PrecopyMode[] = ['on', 'off', 'verify'];

export interface PrecopySettings {
  mode: PrecopyMode;
  /** Online rounds at most (precopy-rounds). */
  rounds: number;
}

/**
 * `precopy` and `precopy-rounds` from `[sst]` (docs/protocol.md §3.3.1). `on` by default since 0.5.0
 * (`off`, 0.4.0's default, is 0.3.0's behaviour); an unknown value is refused with 22.
 */
export function resolvePrecopy(lookup: Lookup): PrecopySettings {
  const raw = nonEmpty(lookup([['sst']], 'precopy'));
  const mode = raw === undefined ? 'on' : PRECOPY_MODES.find((m) => m === raw.toLowerCase());
  if (mode === undefined) throw new SstError(Exit.BAD_CONFIG, `precopy=${raw ?? ''}: must be on, off or verify`);
  const rounds = nonEmpty(lookup([['sst']], PRECOPY_ROUNDS.name));
  return { mode, rounds: rounds === undefined ? 2 : parseNumber(PRECOPY_ROUNDS, rounds) };
}
