import minimist from 'minimist';
import { posix as path } from 'node:path';
import { parseCheckArgs, type CheckArgs } from '../check/args';
import { GUARD_COMMAND } from '../proc/guard';
import type { MysqldOverrides, SstArgs } from '../config/args';
import { GTID_DOMAIN_ID, LOCAL_PORT, parseNumber, PARENT, PORT, PROGRESS, type NumberRule } from '../config/ranges';
import { Exit, SstError } from '../errors';

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'sst'; args: SstArgs }
  | { kind: 'check'; args: CheckArgs }
  /** Internal: the guard an SST run starts (src/proc/guard.ts). */
  | { kind: 'guard'; tag: string; privateDir?: string };

const STRING_OPTIONS = [
  'role',
  'address',
  'datadir',
  'defaults-file',
  'defaults-extra-file',
  'defaults-group-suffix',
  'parent',
  'progress',
  'binlog',
  'binlog-index',
  'log-basename',
  'gtid',
  'gtid-domain-id',
  'local-port',
  'socket',
  'port',
  'host',
  'user',
  'password',
  'auth',
];

const VALUED = new Set(STRING_OPTIONS.map((o) => `--${o}`));

/**
 * `--name value` as `--name=value` for the options that take a value: minimist would read a
 * value starting with `-` (a group suffix `-node2`) as options of its own and drop it, while
 * upstream's parser takes the next word, whatever it is.
 */
function attachValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    const next = argv[i + 1];
    if (VALUED.has(token) && next !== undefined) {
      out.push(`${token}=${next}`);
      i++;
    } else {
      out.push(token);
    }
  }
  return out;
}

/** Options of mariadbd's own argv that we extract (last one wins), by normalised name. */
const MYSQLD_EXTRACTED: Record<string, keyof MysqldOverrides> = {
  datadir: 'datadir',
  'aria-log-dir-path': 'ariaLogDirPath',
  'innodb-data-home-dir': 'innodbDataHomeDir',
  'innodb-log-group-home-dir': 'innodbLogGroupHomeDir',
  'innodb-undo-directory': 'innodbUndoDirectory',
  'log-bin': 'logBin',
  'log-bin-index': 'logBinIndex',
  'log-basename': 'logBasename',
};

function lastString(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  if (v === undefined || v === null || typeof v === 'boolean') return undefined;
  return String(v);
}

/** A number of mariadbd's command line within its rule (src/config/ranges.ts), or undefined when absent. */
function argNumber(rule: NumberRule, value: string | undefined): number | undefined {
  return value === undefined || value.trim() === '' ? undefined : parseNumber(rule, value);
}

/**
 * Parses the tail after `--mysqld-args`: mariadbd's own argv, already unquoted
 * by `sh`. Only the layout options matter to an rsync SST (docs/protocol.md §1.3).
 */
export function parseMysqldArgs(tokens: readonly string[]): MysqldOverrides {
  const out: MysqldOverrides = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (token === '-h' && i + 1 < tokens.length) {
      out.datadir = tokens[++i];
      continue;
    }
    if (token.startsWith('-h') && !token.startsWith('--')) {
      out.datadir = token.slice(2);
      continue;
    }
    if (!token.startsWith('--')) continue;
    const eq = token.indexOf('=');
    let name = (eq < 0 ? token.slice(2) : token.slice(2, eq)).replace(/_/g, '-');
    if (name.startsWith('loose-')) name = name.slice('loose-'.length);
    const key = MYSQLD_EXTRACTED[name];
    if (!key) continue;
    if (eq >= 0) {
      out[key] = token.slice(eq + 1);
    } else if (key !== 'logBin' && i + 1 < tokens.length && !(tokens[i + 1] ?? '').startsWith('-')) {
      // `--log-bin` alone switches binary logging on with the default name; the
      // others take the next token, as mariadbd's option parser does.
      out[key] = tokens[++i];
    }
  }
  return out;
}

/** A datadir as mariadbd passes it: absolute with a trailing `/`. We keep it without. */
export function normaliseDir(dir: string, base = process.cwd()): string {
  return path.resolve(base, dir);
}

export function parseArgs(argv: readonly string[]): Command {
  // An operator's subcommand; mariadbd's argv always starts with an option.
  if (argv[0] === GUARD_COMMAND && (argv.length === 2 || argv.length === 3)) {
    return { kind: 'guard', tag: argv[1] ?? '', ...(argv[2] === undefined ? {} : { privateDir: argv[2] }) };
  }
  if (argv[0] === 'check') {
    const check = parseCheckArgs(argv.slice(1));
    return check === 'help' ? { kind: 'help' } : { kind: 'check', args: check };
  }
  const split = argv.indexOf('--mysqld-args');
  const own = split < 0 ? [...argv] : argv.slice(0, split);
  const tail = split < 0 ? [] : argv.slice(split + 1);

  const parsed = minimist(attachValues(own), {
    string: STRING_OPTIONS,
    boolean: ['bypass', 'help', 'version'],
    alias: { h: 'help', V: 'version' },
  });
  if (parsed.help) return { kind: 'help' };
  if (parsed.version) return { kind: 'version' };
  return { kind: 'sst', args: sstArgs(parsed, parseMysqldArgs(tail)) };
}

/** The SST's own options (minimist's reading of them) and mariadbd's layout options, checked. */
function sstArgs(parsed: minimist.ParsedArgs, mysqld: MysqldOverrides): SstArgs {
  const role = lastString(parsed.role);
  if (role !== 'joiner' && role !== 'donor') {
    throw new SstError(Exit.BAD_CONFIG, `Unrecognized role: '${role ?? ''}'`);
  }

  const datadirArg = lastString(parsed.datadir) || mysqld.datadir;
  if (!datadirArg) {
    throw new SstError(Exit.NOT_FOUND, "The '--datadir' parameter must be passed to the SST script");
  }

  const address = (lastString(parsed.address) ?? '').trim();
  if (!address) throw new SstError(Exit.BAD_CONFIG, "The '--address' parameter must be passed to the SST script");

  const nonEmpty = (name: string): string | undefined => {
    const v = lastString(parsed[name]);
    return v === undefined || v === '' ? undefined : v;
  };
  const progress = argNumber(PROGRESS, nonEmpty('progress'));
  const gtidDomainId = argNumber(GTID_DOMAIN_ID, nonEmpty('gtid-domain-id'));

  return {
    role,
    address,
    datadir: normaliseDir(datadirArg),
    defaultsFile: nonEmpty('defaults-file'),
    defaultsExtraFile: nonEmpty('defaults-extra-file'),
    defaultsGroupSuffix: nonEmpty('defaults-group-suffix'),
    parent: argNumber(PARENT, nonEmpty('parent')),
    progress: progress !== undefined && progress !== 0,
    binlog: nonEmpty('binlog') ?? mysqld.logBin,
    binlogIndex: nonEmpty('binlog-index') ?? mysqld.logBinIndex,
    logBasename: nonEmpty('log-basename') ?? mysqld.logBasename,
    gtid: nonEmpty('gtid'),
    gtidDomainId: gtidDomainId === undefined ? undefined : String(gtidDomainId),
    bypass: parsed.bypass === true,
    localPort: argNumber(LOCAL_PORT, nonEmpty('local-port')),
    socket: nonEmpty('socket'),
    port: argNumber(PORT, nonEmpty('port')),
    mysqld,
  };
}
