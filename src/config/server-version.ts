/**
 * The MariaDB version whose option groups apply: `[mysqld-10.11]`, `[mariadb-10.11]` and
 * `[mariadbd-10.11]` are read by a 10.11 server and by nothing else (docs/protocol.md §4.1).
 *
 * The running server is asked first, through `/proc/<pid>/exe`: a fresh joiner's datadir has no
 * mysql_upgrade_info yet. The version is taken from the group names compiled into that
 * executable rather than from running `<exe> --version`: those names are exactly what the
 * server reads, nothing is executed (no option files, no plugins, no timeout), and
 * `/proc/<pid>/exe` still opens the running binary after a package upgrade replaced the file.
 *
 * A server started as root with `user=mysql` is not dumpable, and its `/proc/<pid>/exe` cannot be
 * read by the SST (running as mysql), while its command line can: then the file its argv[0]
 * names is read instead, if it can only be the running binary. argv[0] is what root (or the
 * server's user) exec'd and must match the kernel's name of the process; relative paths are
 * refused (the server's working directory is hidden too), a bare name is looked up as the SST
 * looks up programs; the file and every directory above it must be writable by no one but root
 * and us, and the file must not have changed since the server started (an upgrade that replaced
 * it would name another version).
 *
 * Then the datadir's mysql_upgrade_info (written by mariadb-upgrade), then none: only the
 * unversioned groups.
 */
import * as fs from 'node:fs';
import { posix as path } from 'node:path';
import { skipShells } from '../proc/ancestors';
import { findProgram } from '../proc/find-program';
import { startTimeOf } from '../proc/identity';
import { attempt } from '../errors';

export interface ServerVersion {
  /** "major.minor"; undefined when unknown, and then only the unversioned groups are read. */
  version?: string;
  /** Where the version came from, or why there is none (for the log and `check`'s report). */
  source: string;
}

/** What this module reads from the system; tests pass their own. */
export interface ServerVersionIo {
  /** File contents, or undefined when it cannot be read. */
  readFile(file: string): Buffer | undefined;
  /** A symbolic link's target, or undefined. */
  readLink(link: string): string | undefined;
  /** Absolute path of a program where the SST looks for programs, or undefined. */
  findProgram(name: string): string | undefined;
  /** The path without symbolic links, or undefined. */
  realPath(file: string): string | undefined;
  /** What lstat(2) says of a path, or undefined. */
  stat(file: string): FileFacts | undefined;
  /** Our effective user: a file it owns is as trusted as the SST itself. */
  uid: number;
}

export interface FileFacts {
  uid: number;
  mode: number;
  kind: 'file' | 'directory' | 'other';
  /** The last change of content (mtime) or of the inode (ctime), whichever is later. */
  changedMs: number;
}

export const systemIo: ServerVersionIo = {
  readFile: (file) => attempt(() => readRegularFile(file)),
  readLink: (link) => attempt(() => fs.readlinkSync(link)),
  findProgram: (name) => attempt(() => findProgram(name)),
  realPath: (file) => attempt(() => fs.realpathSync(file)),
  stat: (file) =>
    attempt(() => {
      const st = fs.lstatSync(file);
      return {
        uid: st.uid,
        mode: st.mode,
        kind: st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other',
        changedMs: Math.max(st.mtimeMs, st.ctimeMs),
      };
    }),
  uid: process.geteuid?.() ?? 0,
};

/**
 * Regular files only, opened O_NONBLOCK: a FIFO the datadir's owner puts at mysql_upgrade_info
 * must not hang a root SST. Only a version number is ever taken from what is read.
 */
function readRegularFile(file: string): Buffer | undefined {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd) : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export const UPGRADE_INFO = 'mysql_upgrade_info';

/** Server executables: `mariadbd`, and `mysqld` (a link to it, or RHEL's /usr/libexec/mysqld). */
const SERVER_NAME = /^(mariadbd|mysqld)/;

/**
 * "major.minor" of a MariaDB server executable: the `mysqld-X.Y` group name it holds as a C
 * string. None, or several different ones, and the binary tells nothing.
 */
export function versionInBinary(bytes: Buffer): string | undefined {
  const marker = Buffer.from('\0mysqld-', 'latin1');
  const found = new Set<string>();
  for (let at = bytes.indexOf(marker); at >= 0; at = bytes.indexOf(marker, at + 1)) {
    const start = at + marker.length;
    const end = bytes.indexOf(0, start);
    const name = bytes.toString('latin1', start, end < 0 || end - start > 16 ? start : end);
    if (/^\d+\.\d+$/.test(name)) found.add(name);
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/** mysql_upgrade_info holds the full version, e.g. `10.11.19-MariaDB`, without a newline. */
export function versionInUpgradeInfo(text: string): string | undefined {
  const m = /^\s*(\d+)\.(\d+)\.\d+/.exec(text);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

function fromExecutable(bytes: Buffer | undefined, shown: string): ServerVersion {
  if (bytes === undefined) return { source: `${shown} is not readable` };
  const version = versionInBinary(bytes);
  return version === undefined ? { source: `${shown} names no server version` } : { version, source: shown };
}

function fromUpgradeInfo(datadir: string | undefined, before: string, io: ServerVersionIo): ServerVersion {
  if (datadir === undefined) return { source: before };
  const file = path.join(datadir, UPGRADE_INFO);
  const text = io.readFile(file);
  const version = text === undefined ? undefined : versionInUpgradeInfo(text.toString('latin1'));
  if (version !== undefined) return { version, source: `${file} (${before})` };
  return { source: `${before}; ${text === undefined ? `no ${file}` : `${file} names no version`}` };
}

/**
 * The SST's case: the server that started us, `pid` being `--parent` (joiner) or our parent
 * process (donor), with a `sh -c` in between skipped; then its argv[0] when /proc hides its
 * executable; then `<datadir>/mysql_upgrade_info`.
 */
export function runningServerVersion(pid: number, datadir: string, io: ServerVersionIo = systemIo): ServerVersion {
  const server = skipShells(pid, (p) => io.readFile(`/proc/${p}/stat`)?.toString('latin1'));
  const link = `/proc/${server}/exe`;
  const exe = io.readLink(link);
  let found: ServerVersion;
  if (exe === undefined) found = fromCommandLine(server, `${link} is not readable`, io);
  else if (!SERVER_NAME.test(path.basename(exe))) found = { source: `PID ${server} runs ${exe}, not a MariaDB server` };
  else found = fromExecutable(io.readFile(link), `${link} (${exe})`);
  return found.version !== undefined ? found : fromUpgradeInfo(datadir, found.source, io);
}

/** The kernel keeps this much of the executable's name as the process name (TASK_COMM_LEN - 1). */
const COMM_LENGTH = 15;
/** USER_HZ, the unit of /proc/<pid>/stat's start time, on every Linux architecture we run on. */
const CLOCK_TICKS = 100;
/** /proc/stat's boot time is whole seconds: start times computed from it may be early by that much. */
const START_SLACK_MS = 2000;

/** argv[0] of a server whose /proc/<pid>/exe is hidden, as a file we may trust (see the module comment). */
function fromCommandLine(pid: number, before: string, io: ServerVersionIo): ServerVersion {
  const refused = (why: string): ServerVersion => ({ source: `${before}; ${why}` });
  const argv0 = io.readFile(`/proc/${pid}/cmdline`)?.toString('utf8').split('\0')[0] ?? '';
  if (argv0 === '') return refused(`/proc/${pid}/cmdline is not readable`);
  // Shown in the log whatever it holds, so no control character of it reaches mariadbd's error log.
  const shown = `argv[0] '${argv0.replace(/[\x00-\x1f\x7f]/g, '?')}' of PID ${pid}`;
  const comm = commOf(io.readFile(`/proc/${pid}/stat`)?.toString('latin1') ?? '');
  if (comm !== path.basename(argv0).slice(0, COMM_LENGTH))
    return refused(`${shown} is not the process's name (${comm ?? 'unknown'})`);
  let named: string | undefined = argv0;
  if (!argv0.startsWith('/')) {
    if (argv0.includes('/')) return refused(`${shown} is relative to a working directory we cannot see`);
    named = io.findProgram(argv0);
    if (named === undefined) return refused(`${shown} is not found in PATH`);
  }
  const file = io.realPath(named);
  if (file === undefined) return refused(`${shown}: ${named} is not readable`);
  if (!SERVER_NAME.test(path.basename(file))) return refused(`${shown} is ${file}, not a MariaDB server`);
  const problem = untrusted(file, io) ?? changedSince(file, pid, io);
  if (problem !== undefined) return refused(`${shown}: ${problem}`);
  const found = fromExecutable(io.readFile(file), `${file}, ${shown}`);
  return { ...found, source: `${found.source} (${before})` };
}

/** The process name in /proc/<pid>/stat: it may hold blanks and `)`, so the last `)` ends it. */
function commOf(stat: string): string | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  return open < 0 || close < open ? undefined : stat.slice(open + 1, close);
}

/** Why `file` may not be the binary root installed: someone other than root or us could have put it there. */
function untrusted(file: string, io: ServerVersionIo): string | undefined {
  const trustedOwner = (uid: number): boolean => uid === 0 || uid === io.uid;
  const facts = io.stat(file);
  if (facts?.kind !== 'file') return `${file} is not a regular file`;
  if (!trustedOwner(facts.uid) || (facts.mode & 0o022) !== 0)
    return `${file} may be written by uid ${facts.uid} or by others than its owner`;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const d = io.stat(dir);
    if (d?.kind !== 'directory') return `${dir} is not a directory we can see`;
    // A sticky directory lets no one replace another user's entry (the file's own owner is checked above).
    if (!trustedOwner(d.uid) || ((d.mode & 0o022) !== 0 && (d.mode & 0o1000) === 0))
      return `${dir} may be written by uid ${d.uid} or by others than its owner`;
    if (dir === '/') return undefined;
  }
}

/** Why `file` may not be what the server runs: it changed after the server started (an upgrade, a copy). */
function changedSince(file: string, pid: number, io: ServerVersionIo): string | undefined {
  const ticks = startTimeOf(io.readFile(`/proc/${pid}/stat`)?.toString('latin1') ?? '');
  const boot = /^btime (\d+)$/m.exec(io.readFile('/proc/stat')?.toString('latin1') ?? '')?.[1];
  if (ticks === undefined || boot === undefined) return `the start time of PID ${pid} is unknown`;
  const startedMs = (Number(boot) + Number(ticks) / CLOCK_TICKS) * 1000;
  const changedMs = io.stat(file)?.changedMs ?? Infinity;
  return changedMs > startedMs + START_SLACK_MS ? `${file} changed after PID ${pid} started` : undefined;
}

/** `check`'s case, with no server to ask: the installed mariadbd (or mysqld), then the datadir. */
export function installedServerVersion(datadir: string | undefined, io: ServerVersionIo = systemIo): ServerVersion {
  const exe = io.findProgram('mariadbd') ?? io.findProgram('mysqld');
  const found =
    exe === undefined ? { source: 'no mariadbd or mysqld installed' } : fromExecutable(io.readFile(exe), exe);
  return found.version !== undefined ? found : fromUpgradeInfo(datadir, found.source, io);
}

/** For the log: `server version 10.11 from …`, or why only the unversioned groups are read. */
export function describeServerVersion(v: ServerVersion): string {
  return v.version !== undefined ? `server version ${v.version} from ${v.source}` : `no server version: ${v.source}`;
}
