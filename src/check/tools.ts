/**
 * socat and rsync, found the way the SST finds them (PATH plus upstream's fallback directories,
 * src/proc/find-program.ts) and judged by the SST's rule (socat must be built with OpenSSL).
 */
import { spawnSync } from 'node:child_process';
import { SstError } from '../errors';
import { findProgram } from '../proc/find-program';
import { firstMatch, socatHasOpenssl } from '../proc/tools';
import { item, type CheckItem } from './result';

function output(program: string, flag: string): string {
  const r = spawnSync(program, [flag], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function locate(name: string, envPath: string | undefined): string | SstError {
  try {
    return findProgram(name, envPath);
  } catch (e) {
    if (e instanceof SstError) return e;
    throw e;
  }
}

export interface ToolCheck {
  item: CheckItem;
  /** Set when the tool is usable. */
  path?: string;
}

export function checkSocat(envPath = process.env.PATH): ToolCheck {
  const found = locate('socat', envPath);
  if (found instanceof SstError) {
    return { item: item('socat', 'socat', 'FAIL', `${found.message} (nor in /usr/local/bin, /bin, /usr/bin, …): install the socat package`) };
  }
  const text = output(found, '-V');
  const version = firstMatch(text, /socat version (\S+)/);
  if (!socatHasOpenssl(text)) {
    return { item: item('socat', 'socat', 'FAIL', `socat ${version} (${found}) was built without OpenSSL: it cannot carry an encrypted SST`) };
  }
  return { item: item('socat', 'socat', 'PASS', `socat ${version} (${found}), built with OpenSSL`), path: found };
}

export function checkRsync(envPath = process.env.PATH): ToolCheck {
  const found = locate('rsync', envPath);
  if (found instanceof SstError) {
    return { item: item('rsync', 'rsync', 'FAIL', `${found.message} (nor in /usr/local/bin, /bin, /usr/bin, …): install the rsync package`) };
  }
  const version = firstMatch(output(found, '--version'), /rsync\s+version\s+(\S+)/);
  if (version === 'unknown') return { item: item('rsync', 'rsync', 'FAIL', `${found} does not answer --version like rsync`) };
  return { item: item('rsync', 'rsync', 'PASS', `rsync ${version} (${found})`), path: found };
}
