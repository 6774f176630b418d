import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { repoRoot } from './binary';

const beside = (checkout: string): string => join(checkout, '..', 'shared', 'compat', 'bin');

/**
 * The socat and rsync builds of other distributions: SST_COMPAT_BIN, else ../shared/compat/bin
 * beside the checkout or, for a local clone (`git clone . /tmp/ci`), beside the checkout it was
 * cloned from. The path beside this checkout when none exists, for the SKIP line to name.
 */
export function compatBin(): string {
  if (process.env.SST_COMPAT_BIN !== undefined) return resolve(process.env.SST_COMPAT_BIN);
  const here = beside(repoRoot());
  if (existsSync(here)) return here;
  const origin = spawnSync('git', ['-C', repoRoot(), 'remote', 'get-url', 'origin'], { encoding: 'utf8' });
  const from = origin.status === 0 ? origin.stdout.trim() : '';
  return isAbsolute(from) && existsSync(beside(from)) ? resolve(beside(from)) : here;
}
