/**
 * An SST's private directory: `wsrep_sst_rsync_tunnel.XXXXXX` (mkdtemp, mode 0700) directly in
 * our tmpdir. It holds the per-SST secret, the joiner's rsync daemon configuration and the
 * donor's file lists. Three parties remove one: the SST on its way out, its guard after a
 * SIGKILL (guard.ts), and a later SST that stops an orphan listener whose argv names it
 * (sst/leftovers.ts). A path from a pid file or from another process's argv proves nothing, so a
 * directory is removed only when it is named like ours, sits directly in our tmpdir, is a real
 * directory (not a symlink) owned by our uid and, for the guard, is the very directory its SST
 * created. Its entries are then removed through a handle on it (/proc/self/fd, as unlinkat
 * would), so a path swapped for a link meanwhile cannot send the removal elsewhere.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { posix as path } from 'node:path';
import { Exit, SstError } from '../errors';

const PREFIX = 'wsrep_sst_rsync_tunnel.';
const NAME = /^wsrep_sst_rsync_tunnel\.[A-Za-z0-9]{6}$/;

/** Which directory an SST created: device and inode, from lstat at creation. */
export interface DirIdentity {
  dev: number;
  ino: number;
}

/** Whose and where: the uid that must own the directory, and the tmpdir it must sit in. */
export interface PrivateDirOwner {
  uid: number;
  base: string;
  /** When given, only this very directory (the guard's: the one its SST created). */
  identity?: DirIdentity;
}

export type Removal = { removed: true } | { removed: false; gone: boolean; why: string };

/** The tmpdir, when socat's EXEC can carry paths in it (no blanks, commas or colons); else /tmp. */
export function privateBase(tmp: string = tmpdir()): string {
  return /^\/[A-Za-z0-9_./-]*$/.test(tmp) ? path.normalize(tmp).replace(/(.)\/$/, '$1') : '/tmp';
}

/** Pure: named like a private directory of ours, directly in `base`. */
export function isPrivateDirPath(dir: string, base: string): boolean {
  return (
    path.isAbsolute(dir) && path.normalize(dir) === dir && path.dirname(dir) === base && NAME.test(path.basename(dir))
  );
}

export function ownerHere(identity?: DirIdentity): PrivateDirOwner {
  return { uid: process.geteuid?.() ?? 0, base: privateBase(), ...(identity === undefined ? {} : { identity }) };
}

export function createPrivateDir(base: string = privateBase()): string {
  try {
    return fs.mkdtempSync(path.join(base, PREFIX));
  } catch (e) {
    throw new SstError(Exit.FAILED, `cannot create a private directory in ${base}: ${(e as Error).message}`);
  }
}

/** The directory's identity, not following a symlink; undefined when it is not a directory. */
export function dirIdentity(dir: string): DirIdentity | undefined {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  return st?.isDirectory() ? { dev: st.dev, ino: st.ino } : undefined;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Empties the directory open as `fd`, its subdirectories too, never following a link. */
function emptyThrough(fd: number): void {
  const handle = `/proc/self/fd/${fd}`;
  for (const name of fs.readdirSync(handle)) {
    const entry = `${handle}/${name}`;
    if (!fs.lstatSync(entry).isDirectory()) {
      fs.unlinkSync(entry);
      continue;
    }
    const sub = fs.openSync(entry, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    try {
      emptyThrough(sub);
    } finally {
      fs.closeSync(sub);
    }
    fs.rmdirSync(entry);
  }
}

/** Removes `dir` if it is provably a private directory of `owner`'s; says why not otherwise. */
export function removePrivateDir(dir: string, owner: PrivateDirOwner): Removal {
  if (!isPrivateDirPath(dir, owner.base))
    return { removed: false, gone: false, why: `not a private directory of ours directly in ${owner.base}` };
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return { removed: false, gone: true, why: 'already gone' };
    return {
      removed: false,
      gone: false,
      why: code === 'ELOOP' || code === 'ENOTDIR' ? 'a symbolic link or not a directory' : (e as Error).message,
    };
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.uid !== owner.uid) return { removed: false, gone: false, why: `owned by uid ${st.uid}, not ${owner.uid}` };
    if (owner.identity !== undefined && (st.dev !== owner.identity.dev || st.ino !== owner.identity.ino)) {
      return { removed: false, gone: false, why: 'not the directory this SST created' };
    }
    emptyThrough(fd);
    // The name still leads to the directory we emptied: rmdir removes only an empty one anyway.
    const now = dirIdentity(dir);
    if (now?.dev !== st.dev || now.ino !== st.ino)
      return { removed: false, gone: false, why: 'replaced while being emptied' };
    fs.rmdirSync(dir);
    return { removed: true };
  } catch (e) {
    return { removed: false, gone: false, why: (e as Error).message };
  } finally {
    fs.closeSync(fd);
  }
}
