/**
 * The file-system side of access.ts: stats the directories on the way to a path, for the pure
 * permission walk. Symbolic links: stat() follows them, and the directories on the way to the
 * real path are searched too, since the kernel walks both the link's and the target's parents.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { posix as path } from 'node:path';
import type { AccessQuery, FileStat, PathState } from './access';

function kindOf(s: Stats): FileStat['kind'] {
  if (s.isDirectory()) return 'directory';
  return s.isFile() ? 'file' : 'other';
}

function pathState(p: string): PathState {
  try {
    const s = statSync(p);
    return { path: p, state: 'present', stat: { uid: s.uid, gid: s.gid, mode: s.mode, kind: kindOf(s) } };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // ENOTDIR: a file sits where a directory of the path should be; for the walk it is missing.
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return { path: p, state: 'missing' };
    return { path: p, state: 'unknown', error: err.code ?? err.message };
  }
}

/** `/`, `/a`, `/a/b` for `/a/b/c`: the directories the kernel searches to reach it. */
export function ancestors(abs: string): string[] {
  const out: string[] = [];
  for (let dir = path.dirname(abs); ; dir = path.dirname(dir)) {
    out.unshift(dir);
    if (dir === '/') return out;
  }
}

function realAncestors(abs: string): string[] {
  try {
    return ancestors(realpathSync(abs));
  } catch {
    // Unresolvable (a dangling link, or no permission to read it): the lexical walk still applies.
    return [];
  }
}

function unique(paths: readonly string[]): string[] {
  return paths.filter((p, i) => paths.indexOf(p) === i);
}

function nearestExisting(abs: string): string {
  let dir = path.dirname(abs);
  while (dir !== '/' && pathState(dir).state === 'missing') dir = path.dirname(dir);
  return dir;
}

/**
 * What evaluateAccess() needs for `file`. With `createMissing`, a missing directory is judged by
 * the nearest existing ancestor, where the joiner's mkdir -p would create it.
 */
export function accessQuery(file: string, createMissing: boolean): AccessQuery {
  const abs = path.resolve(file);
  const target = pathState(abs);
  if (target.state === 'missing' && createMissing) {
    const parent = nearestExisting(abs);
    return {
      search: unique([...ancestors(parent), ...realAncestors(parent)]).map(pathState),
      target,
      createIn: pathState(parent),
    };
  }
  const real = target.state === 'present' ? realAncestors(abs) : [];
  return { search: unique([...ancestors(abs), ...real]).map(pathState), target };
}
