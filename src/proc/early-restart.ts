/**
 * Imported first by main.ts, for its side effect: the restart without Node.js
 * runtime variables (./clean-env) must happen before any other module runs.
 */
import { isSea } from 'node:sea';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { checkExecutable, restartWithoutRuntimeVariables, startEnvironmentNames } from './clean-env';

/**
 * Only a coverage run (NODE_V8_COVERAGE) needs node:v8, and loading it costs
 * about 10 ms under --jitless: required here, when called, not imported.
 */
function stopCoverage(): void {
  const v8: typeof import('node:v8') = require('node:v8');
  v8.stopCoverage();
}

try {
  restartWithoutRuntimeVariables({
    env: process.env,
    startNames: startEnvironmentNames(),
    isSea: isSea(),
    execPath: process.execPath,
    argv0: process.argv0,
    args: process.argv.slice(2),
    execve: process.execve?.bind(process),
    stopCoverage,
    checkExecutable,
  });
} catch (error) {
  log.error(error instanceof Error ? error.message : String(error));
  process.exit(error instanceof SstError ? error.code : Exit.FAILED);
}
