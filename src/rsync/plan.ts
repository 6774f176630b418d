import type { Layout } from '../config/settings';
import { BINLOG_STAGING, MODULES } from './modules';

/** Flags every data pass uses, as 10.11's rsync method does (docs/protocol.md §3.3). */
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

/** Top-level entries that are never database directories (docs/protocol.md §7.32). */
export const EXCLUDED_TOP_LEVEL = [
  'lost+found',
  '.zfs',
  '.snapshot',
  '.fseventsd',
  '.Trashes',
  BINLOG_STAGING,
] as const;

export interface Pass {
  /** Named in logs and in the error that ends a failed transfer. */
  name: string;
  args: string[];
  /** Pass 1's rsync exit codes are told apart (docs/protocol.md §3.3); later passes fail with 255. */
  first: boolean;
  /** What it sends, for progress and the order of the queue (largest first). */
  bytes: number;
  /** A batch's file list: the donor writes `entries` (NUL-separated) to `file` before the pass runs. */
  list?: { file: string; entries: string[] };
  /**
   * An online precopy pass (docs/protocol.md §3.3.1): rsync's 24, files that vanished while it read, is not
   * a failure.
   */
  vanishedOk?: boolean;
}

/** A regular file, symlink or special file below a database directory, relative to the datadir. */
export interface SourceFile {
  path: string;
  size: number;
}

export interface PlanInput extends Layout {
  /** `rsync://host:port` of the joiner (the tunnel replaces the connection itself). */
  target: string;
  /** Database directories that are symlinks to a directory elsewhere, each with the directory it resolves to. */
  symlinkedDatabases?: Readonly<Record<string, string>>;
  /** Everything below the database directories but directories, kept files left out (sst/source-files.ts). */
  files?: readonly SourceFile[];
  /** Bytes of each engine pass's files (sizes only steer the queue and the progress figures). */
  engineBytes?: Partial<Record<EnginePass, number>>;
  /** Absolute binlog paths to send, oldest first; plus the list file that orders them. */
  binlogs: readonly string[];
  binlogList?: string;
  binlogBytes?: number;
  /**
   * Paths relative to the datadir that stay on this node (its own TLS files): a node's
   * certificate and key are its identity, and the joiner has its own.
   */
  keptOnDonor?: readonly string[];
  /** Parallel streams the queue feeds: batches are cut so that each gets several. */
  streams?: number;
  /** Directory for the batches' file lists. */
  listDir?: string;
  /**
   * rlimit, in bytes per second: no single stream may go faster than the whole SST, so that the
   * donor's pauses (which share the limit among the streams) never follow a burst at full speed.
   */
  rateLimit?: number;
  /**
   * False: no engine passes (a precopy's online rounds leave them to the locked catch-up, which always sends
   * them whole).
   */
  engines?: boolean;
}

export type EnginePass = 'dataHome' | 'logDir' | 'undoDir' | 'ariaLog';

/** Which files each engine pass sends from its directory (docs/protocol.md §3.3 rows 2–5). */
/** The directory each engine pass copies from. */
export function engineDirs(layout: Layout): Record<EnginePass, string> {
  return { dataHome: layout.dataHome, logDir: layout.logDir, undoDir: layout.undoDir, ariaLog: layout.ariaLog };
}

export const ENGINE_FILES: Record<EnginePass, { name: string; patterns: readonly string[] }> = {
  dataHome: { name: 'pass 2 (InnoDB system tablespace)', patterns: ['ibdata*', 'ib_lru_dump'] },
  logDir: { name: 'pass 3 (InnoDB redo log)', patterns: ['ib_logfile0'] },
  undoDir: { name: 'pass 4 (InnoDB undo tablespaces)', patterns: ['undo*'] },
  ariaLog: { name: 'pass 5 (Aria logs)', patterns: ['aria_log_control', 'aria_log.*'] },
};

/** Pure: whether a file name matches an engine pattern (a literal with at most a trailing `*`). */
export function matchesEnginePattern(name: string, pattern: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
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

const excludeRule = (relative: string): string => `- /${literalPattern(relative)}`;

const filters = (rules: readonly string[]): string[] => rules.flatMap((r) => ['-f', r]);

function onlyFiles(pass: EnginePass, source: string, target: string, bytes: number): Pass {
  const { name, patterns } = ENGINE_FILES[pass];
  return {
    name,
    first: false,
    bytes,
    args: [
      ...COMMON_FLAGS,
      '--dirs',
      '--delete',
      ...filters([...patterns.map((p) => `+ /${p}`), '- **']),
      slash(source),
      target,
    ],
  };
}

/** Smallest batch worth its own rsync and TLS handshake. */
export const MIN_BATCH_BYTES = 64 * 1024 * 1024;
/** Batches per stream when the data is large: enough to even out the streams' finishing times. */
const BATCHES_PER_STREAM = 4;

/**
 * Pure: files cut into batches, largest batch first. A file at least as large as the batch size
 * goes alone (one big table is one stream); the others are packed in size order until a batch
 * reaches the batch size, so a small datadir is one batch and one handshake.
 */
export function batchFiles<T extends SourceFile>(files: readonly T[], batchBytes: number): T[][] {
  const sorted = [...files].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  const out: T[][] = [];
  let open: T[] = [];
  let openBytes = 0;
  for (const f of sorted) {
    if (f.size >= batchBytes) {
      out.push([f]);
      continue;
    }
    open.push(f);
    openBytes += f.size;
    if (openBytes >= batchBytes) {
      out.push(open);
      open = [];
      openBytes = 0;
    }
  }
  if (open.length > 0) out.push(open);
  return out;
}

export const sumBytes = (files: readonly SourceFile[]): number => files.reduce((n, f) => n + f.size, 0);

/** The batch size for `total` bytes over `streams` streams. */
export function batchSize(total: number, streams: number): number {
  return Math.max(MIN_BATCH_BYTES, Math.ceil(total / (Math.max(1, streams) * BATCHES_PER_STREAM)));
}

interface Tree {
  /** Source directory the list's paths are relative to. */
  root: string;
  /** Where they go on the joiner. */
  dest: string;
  files: SourceFile[];
}

/**
 * The database files by the tree they are sent from: the datadir itself for ordinary database
 * directories, and each symlinked one from the directory it resolves to, into `<module>/<db>/`:
 * rsync 3.5.0 without the 3.5.1 fix refuses a relative path through a symlink ("Too many levels
 * of symbolic links"), and the joiner gets a directory either way.
 */
function trees(input: PlanInput, dataUrl: string): Tree[] {
  const linked = input.symlinkedDatabases ?? {};
  const main: Tree = { root: slash(input.datadir), dest: `${dataUrl}/`, files: [] };
  const byDb = new Map<string, Tree>();
  for (const f of input.files ?? []) {
    const db = f.path.slice(0, f.path.indexOf('/'));
    const resolved = linked[db];
    if (resolved === undefined) {
      main.files.push(f);
      continue;
    }
    let tree = byDb.get(db);
    if (tree === undefined) {
      tree = { root: slash(resolved), dest: `${dataUrl}/${db}/`, files: [] };
      byDb.set(db, tree);
    }
    tree.files.push({ path: f.path.slice(db.length + 1), size: f.size });
  }
  return [main, ...[...byDb.keys()].sort().map((db) => byDb.get(db) as Tree)].filter((t) => t.files.length > 0);
}

const MiB = 1024 * 1024;

/** Those of `kept` below directory `dir` (relative to the datadir), relative to `dir`. */
function keptBelow(kept: readonly string[], dir: string): string[] {
  return kept.filter((k) => k.startsWith(`${dir}/`)).map((k) => k.slice(dir.length + 1));
}

/** Creates directories, links and empty files, deletes what the donor lacks, sends no content. */
const STRUCTURE_FLAGS = ['--recursive', '--delete', '--ignore-existing', '--max-size=0'] as const;

/**
 * Pure: the rsync passes of one SST. Pass 1 runs alone and first: it creates every directory,
 * deletes what the joiner has and the donor does not (as each database's own --delete pass did;
 * split file lists cannot delete for each other) and sends no file content (`--ignore-existing
 * --max-size=0`: only empty files, links and specials). A symlinked database directory is not a
 * directory to its directory rule, as in upstream's filter, and gets a pass 1 of its own. Then
 * the queue, largest first, for N parallel streams: the binary logs, the engine passes and the
 * database files in batches. The marker (markerPass) comes last of all.
 */
export function transferPlan(input: PlanInput): { structure: Pass[]; queue: Pass[] } {
  const url = (module: string): string => `${input.target}/${module}`;
  const queue: Pass[] = [];
  if (input.binlogs.length > 0) {
    queue.push({
      name: 'binary logs',
      first: false,
      bytes: input.binlogBytes ?? 0,
      args: [
        ...COMMON_FLAGS,
        ...input.binlogs,
        ...(input.binlogList ? [input.binlogList] : []),
        `${url(MODULES.binlog)}/`,
      ],
    });
  }
  const dirs = engineDirs(input);
  for (const pass of input.engines === false ? [] : (Object.keys(ENGINE_FILES) as EnginePass[])) {
    queue.push(onlyFiles(pass, dirs[pass], url(MODULES[pass]), input.engineBytes?.[pass] ?? 0));
  }
  queue.push(...batchPasses(input, url(MODULES.data)));
  // Stable: equal sizes keep the order above (binary logs, engine passes, batches).
  queue.sort((a, b) => b.bytes - a.bytes);
  if (input.rateLimit !== undefined) {
    // rsync's unit is KiB/s; it cannot go below 1.
    const bwlimit = `--bwlimit=${Math.max(1, Math.floor(input.rateLimit / 1024))}`;
    for (const pass of queue) pass.args.splice(COMMON_FLAGS.length, 0, bwlimit);
  }
  return { structure: structurePasses(input, url(MODULES.data)), queue };
}

/** transferPlan's pass 1: the datadir's, then one per symlinked database directory not kept. */
function structurePasses(input: PlanInput, dataUrl: string): Pass[] {
  const kept = input.keptOnDonor ?? [];
  const linked = input.symlinkedDatabases ?? {};
  return [
    {
      name: 'pass 1 (directories and deletions)',
      first: true,
      bytes: 0,
      args: [
        ...COMMON_FLAGS,
        ...STRUCTURE_FLAGS,
        // A kept directory is not a database directory; a kept file is the joiner's to keep. A symlinked
        // database is a directory on the joiner, which `+ /*/` would match there and delete (its files
        // gone, when a later pass 1 runs after a precopy round): its own pass 1 keeps it in step.
        ...filters([
          ...EXCLUDED_TOP_LEVEL.map((e) => `- /${e}`),
          ...kept.map(excludeRule),
          ...Object.keys(linked).sort().map(excludeRule),
          '+ /*/',
          '- /*',
        ]),
        slash(input.datadir),
        dataUrl,
      ],
    },
    ...Object.keys(linked)
      .filter((db) => !kept.includes(db))
      .sort()
      .map<Pass>((db) => ({
        name: `pass 1 (directories and deletions in '${db}')`,
        first: false,
        bytes: 0,
        args: [
          ...COMMON_FLAGS,
          ...STRUCTURE_FLAGS,
          ...filters(keptBelow(kept, db).map(excludeRule)),
          slash(linked[db] as string),
          `${dataUrl}/${db}/`,
        ],
      })),
  ];
}

/** The database files in batches of one size over all trees, each batch a pass with its own list file. */
function batchPasses(input: PlanInput, dataUrl: string): Pass[] {
  const all = trees(input, dataUrl);
  const size = batchSize(
    all.reduce((n, t) => n + sumBytes(t.files), 0),
    input.streams ?? 1,
  );
  const batches = all.flatMap((t) => batchFiles(t.files, size).map((files) => ({ tree: t, files })));
  return batches.map(({ tree, files }, i) => {
    const bytes = sumBytes(files);
    const file = `${slash(input.listDir ?? '.')}files.${i + 1}`;
    return {
      name:
        `files ${i + 1}/${batches.length} (${files.length} ${files.length === 1 ? 'file' : 'files'}, ` +
        `${(bytes / MiB).toFixed(1)} MiB)`,
      first: false,
      bytes,
      list: { file, entries: files.map((f) => f.path) },
      args: [...COMMON_FLAGS, `--files-from=${file}`, '--from0', tree.root, tree.dest],
    };
  });
}

/** The last rsync: the marker, written by the receiver to a temp file and renamed, so it appears whole. */
export function markerPass(target: string, markerFile: string): Pass {
  return {
    name: 'completion marker',
    first: false,
    bytes: 0,
    args: ['--archive', '--quiet', '--checksum', markerFile, `${target}/${MODULES.data}/`],
  };
}

/**
 * Pure: `passes` for an online precopy round, while the donor is writable: a file listed and
 * gone before rsync reads it is skipped (`--ignore-missing-args`, rsync ≥ 3.1.0, else exit 23)
 * and one gone while read (exit 24) is no failure. Either is sent, or deleted, by the catch-up.
 */
export function onlinePasses(passes: readonly Pass[]): Pass[] {
  return passes.map((p) => ({
    ...p,
    vanishedOk: true,
    args: [...p.args.slice(0, COMMON_FLAGS.length), '--ignore-missing-args', ...p.args.slice(COMMON_FLAGS.length)],
  }));
}

/** What the verify passes print for each file whose checksum differed, and which they therefore sent again. */
export const VERIFY_OUT_FORMAT = 'precopy verify: %n differed on the joiner and was sent again';

/**
 * Pure: `passes` (of files the catch-up skipped) as checksum comparisons under the lock
 * (precopy=verify): `--checksum` in place of `--ignore-times`, so only a file whose content
 * differs is sent, and without `--quiet`, so each such file is named in the log.
 */
export function verifyPasses(passes: readonly Pass[]): Pass[] {
  return passes.map((p) => ({
    ...p,
    name: `verify ${p.name}`,
    args: p.args.flatMap((a) =>
      a === '--ignore-times' ? ['--checksum'] : a === '--quiet' ? [`--out-format=${VERIFY_OUT_FORMAT}`] : [a],
    ),
  }));
}
