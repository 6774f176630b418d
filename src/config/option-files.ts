/**
 * MariaDB option files, read the way `my_print_defaults` (mariadb-client 10.11) reads them
 * (docs/protocol.md §4.1): the upstream SST scripts see the configuration only through that program, so
 * its output is the contract, quirks included.
 *
 * Why not the `ini` package: it cannot give my_print_defaults' results. It treats `;` after a
 * value as a comment (MariaDB keeps it), cuts `"a # b" # c` inside the quotes, keeps one value
 * per key (we need every occurrence in file order), nests `[sst.n2]` as `sst` → `n2`, compares
 * group names case-sensitively and works on decoded text rather than bytes. A line parser of
 * our own is shorter than working around all of that.
 *
 * Text is handled as "byte strings" (latin1-decoded, one char per byte), because MariaDB
 * parses bytes with latin1 rules: byte 0xA0 counts as whitespace and group names fold case as
 * latin1. A UTF-8 value ending in "à" (C3 A0) therefore loses its last byte, exactly as with
 * my_print_defaults. Results are decoded as UTF-8 at the API boundary.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { Exit, SstError, type ExitCode } from '../errors';

export interface OptionFileSources {
  defaultsFile?: string;
  defaultsExtraFile?: string;
  defaultsGroupSuffix?: string;
}

/** The process state my_print_defaults consults. Absent fields are unset variables. */
export interface OptionFileEnv {
  /**
   * HOME: `~/.my.cnf` and `~/` in file names. When unset, `~` files are skipped (my_print_defaults
   * would look for a literal `~` directory under its working directory).
   */
  home?: string;
  /** MARIADB_HOME: a directory whose my.cnf is read; when set (even empty) MYSQL_HOME is ignored. */
  mariadbHome?: string;
  mysqlHome?: string;
  /** MARIADB_GROUP_SUFFIX, then MYSQL_GROUP_SUFFIX: used when no --defaults-group-suffix is given. */
  mariadbGroupSuffix?: string;
  mysqlGroupSuffix?: string;
  /** Base of relative file names (my_print_defaults opens them from its working directory). */
  cwd?: string;
}

export type GroupSets = readonly (readonly string[])[];

export const SST_GROUPS: readonly string[] = Object.freeze(['sst']);

/** The fixed part of the default search order, as `my_print_defaults --help` lists it on Linux. */
export const SYSTEM_OPTION_FILES: readonly string[] = Object.freeze(['/etc/my.cnf', '/etc/mysql/my.cnf']);

const HOME_OPTION_FILE = '~/.my.cnf';
/** MariaDB reads with fgets, at most this many bytes at a time: longer lines arrive as several "lines". */
const MAX_READ = 4094;
/** Deeper `!include`/`!includedir` directives are skipped with a warning. */
const MAX_INCLUDE_DEPTH = 10;
/** my_isspace() of MariaDB's latin1 charset, NBSP included. */
const SPACES = new Set(['\t', '\n', '\v', '\f', '\r', ' ', '\xa0']);
const ESCAPES = new Map([
  ['b', '\b'],
  ['t', '\t'],
  ['n', '\n'],
  ['r', '\r'],
  ['\\', '\\'],
  ['s', ' '],
  ['"', '"'],
  ["'", "'"],
]);

/** What load() uses by default: the variables my_print_defaults consults, and our working directory. */
export function optionFileEnv(env: NodeJS.ProcessEnv = process.env): OptionFileEnv {
  return {
    home: env.HOME,
    mariadbHome: env.MARIADB_HOME,
    mysqlHome: env.MYSQL_HOME,
    mariadbGroupSuffix: env.MARIADB_GROUP_SUFFIX,
    mysqlGroupSuffix: env.MYSQL_GROUP_SUFFIX,
    cwd: process.cwd(),
  };
}

/**
 * The groups `my_print_defaults --mysqld` and the server read (docs/protocol.md §4.1), in their order. The
 * versioned ones follow the server's "major.minor" (src/config/server-version.ts); without a
 * usable version only the plain groups remain.
 */
export function mysqldGroups(serverVersion?: string): string[] {
  const m = /^(\d+)\.(\d+)/.exec(serverVersion ?? '');
  const v = m ? `-${m[1]}.${m[2]}` : undefined;
  const withVersion = (g: string): string[] => (v ? [g, g + v] : [g]);
  return [
    'mysqld',
    'server',
    ...(v ? [`mysqld${v}`] : []),
    ...withVersion('mariadb'),
    ...withVersion('mariadbd'),
    'client-server',
    'galera',
  ];
}

/** Upstream's group spec (`'--mysqld|sst'`) as group sets for OptionFiles.get(). */
export function parseGroupSpec(spec: string, serverVersion?: string): string[][] {
  return spec.split('|').map((g) => (g === '--mysqld' ? mysqldGroups(serverVersion) : [g]));
}

interface ParsedOption {
  /** Group name, case-folded, as bytes. */
  readonly group: string;
  /** `--key[=value]` exactly as my_print_defaults prints it, as bytes. */
  readonly text: string;
}

export class OptionFiles {
  private constructor(
    private readonly options: readonly ParsedOption[],
    /** The files actually read, in order (for logging). */
    readonly files: readonly string[],
    /** What my_print_defaults would print on stderr without failing (ignored files, broken includes). */
    readonly warnings: readonly string[],
    readonly groupSuffix: string | undefined,
  ) {}

  /**
   * Reads what `my_print_defaults [--defaults-file] [--defaults-extra-file] [--defaults-group-suffix]`
   * reads. `searchPath` replaces SYSTEM_OPTION_FILES (tests); the MARIADB_HOME/MYSQL_HOME file,
   * the extra file and ~/.my.cnf still follow it.
   */
  static load(
    sources: OptionFileSources,
    env: OptionFileEnv = optionFileEnv(),
    searchPath: readonly string[] = SYSTEM_OPTION_FILES,
  ): OptionFiles {
    const reader = new Reader(env);
    for (const { path, required } of fileList(sources, env, searchPath)) {
      reader.readTopLevel(toBytes(path), required);
    }
    const suffix = sources.defaultsGroupSuffix ?? env.mariadbGroupSuffix ?? env.mysqlGroupSuffix;
    return new OptionFiles(reader.options, reader.files.map(fromBytes), reader.warnings, suffix || undefined);
  }

  /** What `my_print_defaults <groups>` prints: one `--key=value` (or `--key`) per entry, file order. */
  print(groups: readonly string[]): string[] {
    const wanted = new Set(this.withSuffix(groups).map((g) => foldCase(toBytes(g))));
    return this.options.filter((o) => wanted.has(o.group)).map((o) => fromBytes(o.text));
  }

  /**
   * Upstream parse_cnf semantics: try each group set in order; within a set the last occurrence
   * (file order) wins; a set whose value is empty/absent falls through to the next; returns
   * undefined if none yields a non-empty value. Key matching normalises '_' to '-' and strips a
   * 'loose-' prefix on both sides.
   */
  get(groupSets: GroupSets, key: string): string | undefined {
    const wanted = `--${key.replace(/_/g, '-').replace(/^loose-/, '')}`;
    for (const groups of groupSets) {
      const value = lastValue(this.print(groups), wanted);
      if (value) return value;
    }
    return undefined;
  }

  /** The groups read for `groups`: each one, then each with the group suffix. */
  withSuffix(groups: readonly string[]): string[] {
    const suffix = this.groupSuffix;
    return suffix ? [...groups, ...groups.map((g) => g + suffix)] : [...groups];
  }
}

/**
 * Like upstream's parse_cnf, but a value holding a newline (written `\n` in the file) is kept
 * whole instead of being cut there as awk would: a silently shortened setting is worse than a
 * refused one, and the callers refuse control characters (sockopt → 22, paths → 21).
 */
function lastValue(printed: readonly string[], wanted: string): string | undefined {
  let value: string | undefined;
  for (const raw of printed) {
    const line = raw.replace(/^--loose/, '-');
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).replace(/_/g, '-');
    if (name === wanted) value = eq < 0 ? '' : line.slice(eq + 1);
  }
  return value?.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}

interface FileSlot {
  readonly path: string;
  readonly required: boolean;
}

/**
 * --defaults-file alone replaces everything (the extra file is then ignored). Otherwise: the
 * system files, the MARIADB_HOME/MYSQL_HOME my.cnf, the extra file, ~/.my.cnf. A name listed
 * twice is read once, at its later place, as my_print_defaults does when MYSQL_HOME=/etc.
 */
function fileList(sources: OptionFileSources, env: OptionFileEnv, searchPath: readonly string[]): FileSlot[] {
  if (sources.defaultsFile !== undefined) return [{ path: sources.defaultsFile, required: true }];
  const homeDir = env.mariadbHome ?? env.mysqlHome;
  const envFile = homeDir ? [dirOptionFile(homeDir)] : [];
  const globals = uniqueLast([...searchPath, ...envFile]).filter((path) => path !== HOME_OPTION_FILE);
  const extra = sources.defaultsExtraFile ? [{ path: sources.defaultsExtraFile, required: true }] : [];
  return [...globals.map(optional), ...extra, optional(HOME_OPTION_FILE)];
}

function optional(path: string): FileSlot {
  return { path, required: false };
}

/** A `~` directory is a home directory, whose option file is hidden. */
function dirOptionFile(dir: string): string {
  return (dir.endsWith('/') ? dir : `${dir}/`) + (dir.startsWith('~') ? '.my.cnf' : 'my.cnf');
}

function uniqueLast(names: readonly string[]): string[] {
  return names.filter((name, i) => names.indexOf(name, i + 1) < 0);
}

/** A failure inside one file: fatal for a top-level file, a warning for an included one. */
class ParseError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

interface Place {
  readonly file: string;
  readonly line: number;
  readonly depth: number;
}

/** Paths and text below are byte strings (see the file comment). */
class Reader {
  readonly options: ParsedOption[] = [];
  readonly files: string[] = [];
  readonly warnings: string[] = [];
  private readonly home: string | undefined;
  private readonly cwd: string;

  constructor(env: OptionFileEnv) {
    this.home = env.home === undefined ? undefined : toBytes(env.home);
    this.cwd = toBytes(env.cwd ?? process.cwd());
  }

  readTopLevel(name: string, required: boolean): void {
    const shown = this.absolute(name);
    let found: boolean;
    try {
      found = this.readFile(this.expandHome(shown), 0);
    } catch (err) {
      if (err instanceof ParseError) throw new SstError(err.code, err.message);
      throw err;
    }
    if (!found && required) {
      throw new SstError(Exit.NOT_FOUND, `Could not open required defaults file: ${fromBytes(shown)}`);
    }
  }

  /** `~/` names are left for expandHome; the error message shows them that way. */
  private absolute(name: string): string {
    return name.startsWith('~/') ? name : this.fromCwd(name);
  }

  /**
   * Joined as text, not normalised, so that the error message shows what my_print_defaults
   * shows: one leading `./` goes, `..` and `//` stay.
   */
  private fromCwd(name: string): string {
    if (name.startsWith('/')) return name;
    const base = this.cwd.endsWith('/') ? this.cwd : `${this.cwd}/`;
    return base + (name.startsWith('./') ? name.slice(2) : name);
  }

  private expandHome(name: string): string | undefined {
    if (!name.startsWith('~/')) return name;
    if (this.home === undefined) return undefined;
    return (this.home.endsWith('/') ? this.home : `${this.home}/`) + name.slice(2);
  }

  /**
   * False when the file cannot be opened. A directory opens but yields nothing; a world-writable
   * file is ignored with a warning; neither counts as missing.
   */
  private readFile(file: string | undefined, depth: number): boolean {
    if (file === undefined) return false;
    const content = readBytes(file);
    switch (content.kind) {
      case 'missing':
        return false;
      case 'world-writable':
        this.warnings.push(`World-writable config file '${fromBytes(file)}' is ignored`);
        return true;
      case 'directory':
        return true;
      case 'text':
        this.files.push(file);
        this.parse(content.text, file, depth);
        return true;
    }
  }

  private parse(content: string, file: string, depth: number): void {
    let group: string | undefined;
    for (const [i, raw] of physicalLines(content).entries()) {
      const place = { file, line: i + 1, depth };
      const start = skipSpaces(raw, 0);
      const body = raw.slice(start);
      if (body === '' || body.startsWith('#') || body.startsWith(';')) continue;
      if (body.startsWith('!')) {
        this.directive(body, place);
      } else if (body.startsWith('[')) {
        group = groupName(body, place);
      } else if (group === undefined) {
        throw new ParseError(
          Exit.BAD_CONFIG,
          `Found option without preceding group in config file: ${fromBytes(file)} at line: ${place.line}`,
        );
      } else {
        this.options.push({ group, text: optionText(body, start > 0) });
      }
    }
  }

  /** `!include` and `!includedir` must be followed by whitespace; other `!` lines are ignored. */
  private directive(body: string, place: Place): void {
    if (place.depth >= MAX_INCLUDE_DEPTH) {
      this.warnings.push(
        `skipping '${fromBytes(trimEnd(body))}' directive as maximum include recursion level was reached in ` +
          `file ${fromBytes(place.file)} at line ${place.line}`,
      );
      return;
    }
    for (const keyword of ['includedir', 'include'] as const) {
      if (body.startsWith(keyword, 1) && SPACES.has(body.charAt(keyword.length + 1))) {
        const arg = directiveArgument(body.slice(keyword.length + 1), keyword, place);
        if (keyword === 'include') this.includeFile(arg, place.depth + 1);
        else this.includeDir(arg, place);
        return;
      }
    }
  }

  /** A missing included file is silently skipped. */
  private includeFile(name: string, depth: number): void {
    this.guarded(() => this.readFile(this.expandHome(this.absolute(name)), depth));
  }

  /**
   * Only names whose last extension is exactly `.cnf`, in byte order; `~` is not expanded here.
   * An unreadable directory is an error of the including file.
   */
  private includeDir(name: string, place: Place): void {
    const dir = this.fromCwd(name);
    let entries: Buffer[];
    try {
      entries = readdirSync(Buffer.from(dir, 'latin1'), { encoding: 'buffer' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ParseError(
        Exit.NOT_FOUND,
        `Can't read dir of '${fromBytes(name)}' (${code}) in config file: ${fromBytes(place.file)}`,
      );
    }
    const names = entries
      .filter((e) => e.lastIndexOf('.') >= 0 && e.subarray(e.lastIndexOf('.')).toString('latin1') === '.cnf')
      .sort(Buffer.compare);
    for (const entry of names) {
      this.guarded(() => this.readFile(posix.join(dir, entry.toString('latin1')), place.depth + 1));
    }
  }

  /** An error inside an included file ends that file only; the includer reads on. */
  private guarded(read: () => void): void {
    try {
      read();
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.warnings.push(err.message);
    }
  }
}

type FileContent =
  | { readonly kind: 'missing' }
  | { readonly kind: 'directory' }
  | { readonly kind: 'world-writable' }
  | { readonly kind: 'text'; readonly text: string };

/** Anything that cannot be stat'ed or read counts as missing, as with fopen() in MariaDB. */
function readBytes(file: string): FileContent {
  const path = Buffer.from(file, 'latin1');
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { kind: 'directory' };
    if (st.isFile() && (st.mode & 0o002) !== 0) return { kind: 'world-writable' };
    return { kind: 'text', text: readFileSync(path).toString('latin1') };
  } catch {
    return { kind: 'missing' };
  }
}

/** fgets semantics: a line ends after '\n' or MAX_READ bytes, and C strings end at NUL. */
function physicalLines(content: string): string[] {
  const lines: string[] = [];
  for (let pos = 0; pos < content.length; ) {
    const nl = content.indexOf('\n', pos);
    const end = Math.min(nl < 0 ? content.length : nl + 1, pos + MAX_READ);
    const line = content.slice(pos, end);
    const nul = line.indexOf('\0');
    lines.push(nul < 0 ? line : line.slice(0, nul));
    pos = end;
  }
  return lines;
}

/** Up to the first `]`; trailing blanks are dropped, leading ones kept, the rest ignored. */
function groupName(body: string, place: Place): string {
  const close = body.indexOf(']', 1);
  if (close < 0) {
    throw new ParseError(
      Exit.BAD_CONFIG,
      `Wrong group definition in config file: ${fromBytes(place.file)} at line ${place.line}`,
    );
  }
  return foldCase(trimEnd(body.slice(1, close)));
}

/** The rest of the line, trimmed, without comment handling: `!include f # x` names "f # x". */
function directiveArgument(rest: string, keyword: string, place: Place): string {
  const arg = trimEnd(rest.slice(skipSpaces(rest, 0)));
  if (arg === '') {
    throw new ParseError(
      Exit.BAD_CONFIG,
      `Wrong '!${keyword}' directive in config file: ${fromBytes(place.file)} at line ${place.line}`,
    );
  }
  return arg;
}

/**
 * `key`, `key = value`. A key that is empty while the line was indented makes MariaDB copy the
 * rest of the line as the key (its backwards trim runs past the line start); reproduced so that
 * such a line prints the same.
 */
function optionText(body: string, indented: boolean): string {
  const text = body.slice(0, commentStart(body));
  const eq = text.indexOf('=');
  if (eq < 0) return `--${trimEnd(text)}`;
  const key = eq === 0 && indented ? text : trimEnd(text.slice(0, eq));
  return `--${key}=${optionValue(text.slice(eq + 1))}`;
}

/**
 * `#` starts a comment anywhere outside quotes, even without a blank before it (`a#b` is `a`).
 * A quote opens even after a backslash, but inside quotes a backslash protects the next char.
 */
function commentStart(text: string): number {
  let quote = '';
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if ((c === '"' || c === "'") && !escaped) {
      if (quote === '') quote = c;
      else if (quote === c) quote = '';
    }
    if (quote === '' && c === '#') return i;
    escaped = quote !== '' && c === '\\' && !escaped;
  }
  return text.length;
}

/** Trimmed, then one pair of matching outer quotes removed, then escapes resolved. */
function optionValue(raw: string): string {
  let value = trimEnd(raw.slice(skipSpaces(raw, 0)));
  const first = value.charAt(0);
  if (value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)) {
    value = value.slice(1, -1);
  }
  return resolveEscapes(value);
}

/** Only \b \t \n \r \\ \s \" \' mean something; any other backslash stays as written. */
function resolveEscapes(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\' && i + 1 < value.length) {
      const next = value.charAt(++i);
      out += ESCAPES.get(next) ?? c + next;
    } else {
      out += c;
    }
  }
  return out;
}

function skipSpaces(text: string, from: number): number {
  let i = from;
  while (i < text.length && SPACES.has(text.charAt(i))) i++;
  return i;
}

function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0 && SPACES.has(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** latin1 case folding; every latin1 letter's lower case is latin1 too. */
function foldCase(bytes: string): string {
  return bytes.toLowerCase();
}

function toBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function fromBytes(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
