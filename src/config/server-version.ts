/**
 * The MariaDB version whose option groups apply: `[mysqld-10.11]`, `[mariadb-10.11]` and
 * `[mariadbd-10.11]` are read by a 10.11 server and by nothing else (spec §4.1).
 *
 * The running server is asked first, through `/proc/<pid>/exe`: a fresh joiner's datadir has no
 * mysql_upgrade_info yet. The version is taken from the group names compiled into that
 * executable rather than from running `<exe> --version`: those names are exactly what the
 * server reads, nothing is executed (no option files, no plugins, no timeout), and
 * `/proc/<pid>/exe` still opens the running binary after a package upgrade replaced the file.
 * Then the datadir's mysql_upgrade_info (written by mariadb-upgrade), then none: only the
 * unversioned groups.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { posix as path } from 'node:path';
import { skipShells } from '../proc/ancestors';
import { findProgram } from '../proc/find-program';

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
}

export const systemIo: ServerVersionIo = {
  readFile: (file) => attempt(() => readRegularFile(file)),
  readLink: (link) => attempt(() => readlinkSync(link)),
  findProgram: (name) => attempt(() => findProgram(name)),
};

/**
 * Regular files only, opened O_NONBLOCK: a FIFO the datadir's owner puts at mysql_upgrade_info
 * must not hang a root SST. Only a version number is ever taken from what is read.
 */
function readRegularFile(file: string): Buffer | undefined {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd) : undefined;
  } finally {
    closeSync(fd);
  }
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
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
 * process (donor), with a `sh -c` in between skipped; then `<datadir>/mysql_upgrade_info`.
 */
export function runningServerVersion(pid: number, datadir: string, io: ServerVersionIo = systemIo): ServerVersion {
  const server = skipShells(pid, (p) => io.readFile(`/proc/${p}/stat`)?.toString('latin1'));
  const link = `/proc/${server}/exe`;
  const exe = io.readLink(link);
  let found: ServerVersion;
  if (exe === undefined) found = { source: `${link} is not readable` };
  else if (!SERVER_NAME.test(path.basename(exe))) found = { source: `PID ${server} runs ${exe}, not a MariaDB server` };
  else found = fromExecutable(io.readFile(link), `${link} (${exe})`);
  return found.version !== undefined ? found : fromUpgradeInfo(datadir, found.source, io);
}

/** `check`'s case, with no server to ask: the installed mariadbd (or mysqld), then the datadir. */
export function installedServerVersion(datadir: string | undefined, io: ServerVersionIo = systemIo): ServerVersion {
  const exe = io.findProgram('mariadbd') ?? io.findProgram('mysqld');
  const found = exe === undefined ? { source: 'no mariadbd or mysqld installed' } : fromExecutable(io.readFile(exe), exe);
  return found.version !== undefined ? found : fromUpgradeInfo(datadir, found.source, io);
}

/** For the log: `server version 10.11 from …`, or why only the unversioned groups are read. */
export function describeServerVersion(v: ServerVersion): string {
  return v.version !== undefined ? `server version ${v.version} from ${v.source}` : `no server version: ${v.source}`;
}
