import { accessSync, constants, statSync } from 'node:fs';
import { posix as path } from 'node:path';
import { Exit, SstError } from '../errors';

/** Upstream's common library appends these to PATH (docs/protocol.md §1.4), so we search them too. */
const FALLBACK_DIRS = ['/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin', '/usr/bin', '/usr/sbin'];

export function searchPath(envPath: string | undefined): string[] {
  const dirs = (envPath ?? '').split(':').filter((d) => d.startsWith('/'));
  for (const d of FALLBACK_DIRS) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name`, or exit 2 like upstream when it is missing (docs/protocol.md §7.7). */
export function findProgram(name: string, envPath = process.env.PATH): string {
  for (const dir of searchPath(envPath)) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new SstError(Exit.NOT_FOUND, `'${name}' not found in path`);
}
