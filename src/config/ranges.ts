/**
 * Every number the program takes from an option file or from mariadbd's command line, with the
 * range it accepts. A number outside its range is refused (exit 22) with one line naming the key,
 * the value as written and the range: a value no operator means (`progress-interval=0.0000001`,
 * `--parent=0`) would otherwise reach timers, signals and loops as it is.
 */
import { Exit, SstError } from '../errors';

export interface NumberRule {
  /** As the operator writes it: `progress-interval`, or `--parent` for the command line. */
  name: string;
  min: number;
  max: number;
  /** Whole numbers only (no fraction, no exponent). */
  whole: boolean;
  /** What 0 means when it is accepted below `min` (`off`, `no limit`); undefined: 0 is not special. */
  zero?: string;
  /** The quantity, for the message: `a number of seconds`, `a TCP port`. */
  what: string;
  /** A bound as the operator would write it (`64k`); plain digits otherwise. */
  show?: (n: number) => string;
  /** Said after the range: what parts of it mean. */
  note?: string;
}

/** `0 (off) or a number of seconds from 1 to 86400`: the accepted values, for messages and docs. */
export function describeRule(rule: NumberRule): string {
  const show = rule.show ?? String;
  const range = `${rule.what} from ${show(rule.min)} to ${show(rule.max)}`;
  return (
    `${rule.zero === undefined ? range : `0 (${rule.zero}) or ${range}`}` +
    `${rule.note === undefined ? '' : ` (${rule.note})`}`
  );
}

function refuse(rule: NumberRule, raw: string): SstError {
  return new SstError(Exit.BAD_CONFIG, `${rule.name}=${raw}: must be ${describeRule(rule)}`);
}

/**
 * `value` (already read from `raw`) if the rule accepts it; else exit 22 naming the rule's key, `raw` and the range.
 */
export function inRange(rule: NumberRule, value: number, raw: string): number {
  const accepted =
    (value === 0 && rule.zero !== undefined) ||
    (value >= rule.min && value <= rule.max && (!rule.whole || Number.isInteger(value)));
  if (!accepted) throw refuse(rule, raw);
  return value;
}

const WHOLE = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** Decimal digits, with a fraction unless the rule wants whole numbers; surrounding blanks ignored. */
export function parseNumber(rule: NumberRule, raw: string): number {
  const text = raw.trim();
  if (!(rule.whole ? WHOLE : DECIMAL).test(text)) throw refuse(rule, raw);
  // `-0` is 0.
  return inRange(rule, Number(text) + 0, raw);
}

const DAY = 86_400;

/** Seconds between progress lines: a line a second at most, one a day at least. */
export const PROGRESS_INTERVAL: NumberRule = {
  name: 'progress-interval',
  min: 1,
  max: DAY,
  whole: false,
  zero: 'off',
  what: 'a number of seconds',
};

/** Timeouts: long enough for any FLUSH TABLES WITH READ LOCK, short of a forgotten node. */
const timeout = (name: string): NumberRule => ({
  name,
  min: 1,
  max: 7 * DAY,
  whole: false,
  zero: 'off',
  what: 'a number of seconds',
});
export const SST_INITIAL_TIMEOUT = timeout('sst-initial-timeout');
export const SST_IDLE_TIMEOUT = timeout('sst-idle-timeout');

const RATE_SUFFIX: readonly [number, string][] = [
  [1024 ** 3, 'g'],
  [1024 ** 2, 'm'],
  [1024, 'k'],
];

/** `64k`, `100g`: a rate as rlimit is written, when it is a whole number of such units. */
export function showRate(bytes: number): string {
  for (const [unit, suffix] of RATE_SUFFIX) if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  return String(bytes);
}

/**
 * The whole SST's rate: below 64 KiB/s a copy of any real datadir keeps the donor's tables locked
 * for hours; 100 GiB/s is beyond any network.
 */
export const RLIMIT: NumberRule = {
  name: 'rlimit',
  min: 64 * 1024,
  max: 100 * 1024 ** 3,
  // `1.5m` is a rate too; the bytes are rounded down once the range is checked.
  whole: false,
  zero: 'no limit',
  what: 'a rate in bytes per second',
  show: showRate,
  note: 'suffixes k, m, g in powers of 1024',
};

/** Parallel streams: more than the joiner serves are cut down to that (MAX_STREAMS), with a note. */
export const BACKUP_THREADS: NumberRule = {
  name: 'backup-threads',
  min: 1,
  max: 1024,
  whole: true,
  what: 'a whole number',
};

/** Binary logs sent with a full SST: six digits of binlog sequence number are a million files. */
export const SST_MAX_BINLOGS: NumberRule = {
  name: 'sst-max-binlogs',
  min: -1_000_000,
  max: 1_000_000,
  whole: true,
  what: 'a whole number',
  note: '0 none, negative all',
};

/**
 * Online copy rounds before the lock (docs/protocol.md §3.3.1): each re-reads what changed during the last,
 * so more than a few only repeat the hot files.
 */
export const PRECOPY_ROUNDS: NumberRule = {
  name: 'precopy-rounds',
  min: 1,
  max: 10,
  whole: true,
  what: 'a whole number',
};

/** Linux's PID_MAX_LIMIT: no PID is higher; 0 and negative numbers name process groups to kill(2). */
export const PARENT: NumberRule = { name: '--parent', min: 1, max: 4_194_304, whole: true, what: 'a process ID' };

export const PORT: NumberRule = { name: '--port', min: 1, max: 65_535, whole: true, what: 'a TCP port' };

/** mariadbd's own port; 0 when it runs with skip-networking. Not used, only checked. */
export const LOCAL_PORT: NumberRule = { name: '--local-port', min: 0, max: 65_535, whole: true, what: 'a TCP port' };

/** mariadbd passes `%d` of wsrep_debug's switch; anything but 0 lets us print progress lines. */
export const PROGRESS: NumberRule = {
  name: '--progress',
  min: 0,
  max: 2_147_483_647,
  whole: true,
  what: 'a whole number',
  note: '0 off, any other on',
};

/** wsrep_gtid_domain_id's own range in mariadbd; the joiner's server reads it back with strtoul. */
export const GTID_DOMAIN_ID: NumberRule = {
  name: '--gtid-domain-id',
  min: 0,
  max: 4_294_967_295,
  whole: true,
  what: 'a whole number',
};

/** Every rule, for the documentation and the property tests. */
export const NUMBER_RULES: readonly NumberRule[] = [
  PROGRESS_INTERVAL,
  SST_INITIAL_TIMEOUT,
  SST_IDLE_TIMEOUT,
  RLIMIT,
  BACKUP_THREADS,
  SST_MAX_BINLOGS,
  PRECOPY_ROUNDS,
  PARENT,
  PORT,
  LOCAL_PORT,
  PROGRESS,
  GTID_DOMAIN_ID,
];
