// First: it restarts the executable without Node.js runtime variables before any other module runs.
import './proc/early-restart';
import { parseArgs } from './cli/args';
import { HELP_TEXT } from './cli/help';
import { Exit, SstError } from './errors';
import { log } from './log';
import { PROGRAM, VERSION } from './version';

/**
 * Each role imports its own modules when it runs: the bundle evaluates a module
 * (and the node:tls, node:crypto, ... it needs) only on first import, and
 * evaluating them all cost --version about 23 ms of CPU under --jitless.
 */
async function main(argv: readonly string[]): Promise<number> {
  const command = parseArgs(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(HELP_TEXT);
      return Exit.OK;
    case 'version':
      process.stdout.write(
        `${PROGRAM} ${VERSION} (Node.js ${process.versions.node}, OpenSSL ${process.versions.openssl})\n`,
      );
      return Exit.OK;
    case 'sst': {
      const { runSst } = await import('./sst/run');
      return runSst(command.args);
    }
    case 'check': {
      const { runCheck } = await import('./check/run');
      return runCheck(command.args);
    }
    case 'guard': {
      const { privateDirCleanup, processesCarrying, runGuard } = await import('./proc/guard');
      const { hostProcess, killQuietly } = await import('./proc/host');
      const kill = (pid: number): void => killQuietly(hostProcess, pid, 'SIGKILL');
      return runGuard(
        process.stdin,
        () => processesCarrying(command.tag, process.pid),
        kill,
        privateDirCleanup(command.privateDir),
      );
    }
  }
}

/** The one place that turns an error into a log line and an exit code. */
function exitWith(error: unknown): number {
  if (error instanceof SstError) {
    log.error(error.message);
    return error.code;
  }
  log.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return Exit.FAILED;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(exitWith(error)),
);
