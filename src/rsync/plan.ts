import { BINLOG_STAGING, MODULES } from './modules';

/** Flags every data pass uses, as 10.11's rsync method does (spec §3.3). */
export const COMMON_FLAGS = [
  '--owner',
  '--group',
  '--perms',
  '--links',
  '--specials',
  '--ignore-times',
  '--inplace',
  '--quiet',
  '--whole-file',
] as const;

/** Top-level entries that are never database directories (spec §7.32). */
export const EXCLUDED_TOP_LEVEL = ['lost+found', '.zfs', '.snapshot', '.fseventsd', '.Trashes', BINLOG_STAGING] as const;

export interface Pass {
  /** Named in logs and in the error that ends a failed transfer. */
  name: string;
  args: string[];
  /** Pass 1's rsync exit codes are told apart (spec §3.3); later passes fail with 255. */
  first: boolean;
}

export interface PlanInput {
  /** `rsync://host:port` of the joiner (the tunnel replaces the connection itself). */
  target: string;
  datadir: string;
  dataHome: string;
  logDir: string;
  undoDir: string;
  ariaLog: string;
  /** Database directories (top-level directories of the datadir), sorted. */
  databases: readonly string[];
  /** Those of `databases` that are symlinks to a directory elsewhere. */
  symlinkedDatabases?: readonly string[];
  /** Absolute binlog paths to send, oldest first; plus the list file that orders them. */
  binlogs: readonly string[];
  binlogList?: string;
  /**
   * Paths relative to the datadir that stay on this node (its own TLS files): a node's
   * certificate and key are its identity, and the joiner has its own.
   */
  keptOnDonor?: readonly string[];
}

const slash = (dir: string): string => (dir.endsWith('/') ? dir : `${dir}/`);

/** A path for the start of an rsync pattern that has (or gets) a wildcard: rsync then reads `\\` as an escape. */
export const escapePattern = (relative: string): string => relative.replace(/[\\*?[]/g, '\\$&');

/** A path as an rsync filter pattern matching only itself: without a wildcard rsync takes `\\` literally. */
export function literalPattern(relative: string): string {
  return /[*?[]/.test(relative) ? escapePattern(relative) : relative;
}

/**
 * Pure: those of `paths` (absolute, symlinks already resolved) that lie strictly inside `datadir`,
 * relative to it, sorted and without duplicates.
 */
export function insideDatadir(datadir: string, paths: readonly string[]): string[] {
  const root = slash(datadir);
  const inside = paths.map((p) => p.replace(/\/+$/, '')).filter((p) => p.startsWith(root) && p.length > root.length);
  return [...new Set(inside.map((p) => p.slice(root.length)))].sort();
}

/** Those of `kept` below directory `dir` (relative to the datadir), relative to `dir`. */
function keptBelow(kept: readonly string[], dir: string): string[] {
  return kept.filter((k) => k.startsWith(`${dir}/`)).map((k) => k.slice(dir.length + 1));
}

const excludeRule = (relative: string): string => `- /${literalPattern(relative)}`;

const filters = (rules: readonly string[]): string[] => rules.flatMap((r) => ['-f', r]);

function onlyFiles(name: string, source: string, target: string, patterns: readonly string[]): Pass {
  return {
    name,
    first: false,
    args: [...COMMON_FLAGS, '--dirs', '--delete', ...filters([...patterns.map((p) => `+ /${p}`), '- **']), slash(source), target],
  };
}

/**
 * `/./` anchors --relative so the joiner gets `<db>/`; the trailing slash follows a symlinked
 * database directory (upstream uses find -L). But rsync 3.5.0 without the 3.5.1 fix refuses a
 * --relative source through a symlink ("Too many levels of symbolic links"), so a symlinked one
 * goes without --relative, into `<module>/<db>/`: the same result on every rsync version.
 */
function databaseCopy(datadir: string, db: string, symlink: boolean, module: string): string[] {
  return symlink ? [`${slash(datadir)}${db}/`, `${module}/${db}/`] : ['--relative', `${slash(datadir)}./${db}/`, `${module}/`];
}

/** Pure: the rsync passes of one SST, in the order the donor runs them. */
export function transferPlan(input: PlanInput): { serial: Pass[]; databases: Pass[] } {
  const url = (module: string): string => `${input.target}/${module}`;
  const kept = input.keptOnDonor ?? [];
  // A kept directory is not a database directory: pass 1 and pass 6 leave it out whole.
  const keptTop = kept.filter((k) => !k.includes('/'));
  const topLevel: Pass = {
    name: 'pass 1 (top-level directories)',
    first: true,
    args: [
      ...COMMON_FLAGS,
      '--dirs',
      '--delete',
      ...filters([...EXCLUDED_TOP_LEVEL.map((e) => `- /${e}`), ...keptTop.map(excludeRule), '+ /*/', '- /*']),
      slash(input.datadir),
      url(MODULES.data),
    ],
  };
  const serial = [topLevel];
  if (input.binlogs.length > 0) {
    serial.push({
      name: 'binary logs',
      first: false,
      args: [...COMMON_FLAGS, ...input.binlogs, ...(input.binlogList ? [input.binlogList] : []), `${url(MODULES.binlog)}/`],
    });
  }
  serial.push(
    onlyFiles('pass 2 (InnoDB system tablespace)', input.dataHome, url(MODULES.dataHome), ['ibdata*', 'ib_lru_dump']),
    onlyFiles('pass 3 (InnoDB redo log)', input.logDir, url(MODULES.logDir), ['ib_logfile0']),
    onlyFiles('pass 4 (InnoDB undo tablespaces)', input.undoDir, url(MODULES.undoDir), ['undo*']),
    onlyFiles('pass 5 (Aria logs)', input.ariaLog, url(MODULES.ariaLog), ['aria_log_control', 'aria_log.*']),
  );
  const symlinked = new Set(input.symlinkedDatabases ?? []);
  const databases = input.databases
    .filter((db) => !keptTop.includes(db))
    .map<Pass>((db) => {
      const symlink = symlinked.has(db);
      // --relative keeps `<db>/` in the transferred names; without it they start inside the db.
      const rules = keptBelow(kept, db).map((k) => excludeRule(symlink ? k : `${db}/${k}`));
      return {
        name: `pass 6 (database directory '${db}')`,
        first: false,
        args: [...COMMON_FLAGS, '--recursive', '--delete', ...filters(rules), ...databaseCopy(input.datadir, db, symlink, url(MODULES.data))],
      };
    });
  return { serial, databases };
}

/** The last rsync: the marker, written by the receiver to a temp file and renamed, so it appears whole. */
export function markerPass(target: string, markerFile: string): Pass {
  return {
    name: 'completion marker',
    first: false,
    args: ['--archive', '--quiet', '--checksum', markerFile, `${target}/${MODULES.data}/`],
  };
}
