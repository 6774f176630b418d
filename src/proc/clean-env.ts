/**
 * The single executable must not obey the Node.js runtime's own environment
 * variables: NODE_V8_COVERAGE writes files, NODE_DEBUG prints into mariadbd's
 * error log, UV_THREADPOOL_SIZE sizes libuv's pool, and so on. Node reads them
 * before any of our code runs, so the only way out is to start again without
 * them: execve of our own executable. What Node does before our first line
 * stays done: NODE_COMPILE_CACHE has created its directory by then, and its
 * cache is written by the exit hooks that Node runs inside execve.
 *
 * The rule is by prefix, NODE_ and UV_, so a variable a later Node adds is
 * covered too; none of them means anything to socat, rsync or mariadbd.
 * OPENSSL_* and SSL_CERT_* stay, for socat: admins set them (FIPS, a trust
 * store), and our Node does not obey them: it reads OPENSSL_CONF only for a
 * `nodejs_conf` section, and SSL_CERT_FILE/SSL_CERT_DIR only with
 * --use-openssl-ca, which the executable is not built with.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { Exit, SstError } from '../errors';

const RUNTIME_PREFIXES = ['NODE_', 'UV_'] as const;

export function isRuntimeVariable(name: string): boolean {
  return RUNTIME_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The names of the runtime variables present, sorted: empty when no restart is needed. */
export function runtimeVariables(env: NodeJS.ProcessEnv, startNames: readonly string[] = []): string[] {
  return [...new Set([...Object.keys(env), ...startNames])].filter(isRuntimeVariable).sort();
}

/** The names in a NUL-separated NAME=value list, as /proc/<pid>/environ holds it. */
export function environNames(environ: string): string[] {
  return environ
    .split('\0')
    .map((entry) => entry.slice(0, entry.indexOf('=')))
    .filter((name) => name !== '');
}

/**
 * The names the process was started with. Node obeys NODE_CHANNEL_FD and
 * NODE_UNIQUE_ID, then deletes them from process.env before our code runs.
 */
export function startEnvironmentNames(read: (file: string) => string = (file) => readFileSync(file, 'utf8')): string[] {
  try {
    return environNames(read('/proc/self/environ'));
  } catch {
    // No /proc: process.env is all we can know.
    return [];
  }
}

export function withoutRuntimeVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !isRuntimeVariable(name)) clean[name] = value;
  }
  return clean;
}

export interface RestartHost {
  env: NodeJS.ProcessEnv;
  /** Names in the environment the process started with (startEnvironmentNames). */
  startNames: readonly string[];
  /** Only the single executable restarts: under a plain Node, the tsc build is a developer's script. */
  isSea: boolean;
  execPath: string;
  argv0: string;
  /** Our own arguments, without the executable's path that a SEA puts in argv[1]. */
  args: readonly string[];
  execve: ((file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never) | undefined;
  /**
   * Node runs its exit hooks inside execve, and with NODE_V8_COVERAGE one of
   * them writes a coverage file: stopping the coverage first leaves no file
   * (Node then prints one complaint about it to stderr, which no JS can stop).
   */
  stopCoverage: () => void;
  /** Throws when the file cannot be executed. */
  checkExecutable: (file: string) => void;
}

/**
 * Replaces the process by itself without the runtime variables when one is
 * present; returns when there is nothing to do. The restarted process finds
 * none of them, so it never restarts again.
 */
export function restartWithoutRuntimeVariables(host: RestartHost): void {
  const present = runtimeVariables(host.env, host.startNames);
  if (!host.isSea || present.length === 0) return;
  const why = `cannot restart without the Node.js runtime variables ${present.join(', ')}`;
  if (host.execve === undefined) throw new SstError(Exit.FAILED, `${why}: this Node.js has no process.execve`);
  // Node aborts with a core dump when execve(2) fails; check what we can first
  // (a binary deleted by a package upgrade leaves "/path (deleted)" here).
  try {
    host.checkExecutable(host.execPath);
  } catch (error) {
    throw new SstError(
      Exit.FAILED,
      `${why}: ${host.execPath}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (present.includes('NODE_V8_COVERAGE')) host.stopCoverage();
  host.execve(host.execPath, [host.argv0, ...host.args], withoutRuntimeVariables(host.env));
}

export function checkExecutable(file: string): void {
  accessSync(file, constants.X_OK);
}
