import { realpathSync } from 'node:fs';
import { posix as path } from 'node:path';
import type { TlsSettings } from '../config/tls';
import { insideDatadir } from './plan';

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Paths inside the datadir, relative to it, seen both as written and with symlinks resolved:
 * rsync walks the datadir by name and follows symlinked database directories, so a file is
 * inside when either view puts it there.
 */
export function pathsInside(datadir: string, paths: readonly string[]): string[] {
  const written = insideDatadir(
    path.resolve(datadir),
    paths.map((p) => path.resolve(datadir, p)),
  );
  const resolved = insideDatadir(
    real(datadir),
    paths.map((p) => real(path.resolve(datadir, p))),
  );
  return [...new Set([...written, ...resolved])].sort();
}

/** This node's certificate, key and CA file (not its CA directory) as configured. */
export function tlsFiles(tls: TlsSettings): string[] {
  return [tls.cert, tls.key, tls.caFile].filter((p): p is string => p !== undefined);
}
