/**
 * Work below directories another user may own (docs/architecture.md §8.10 (2)). A root joiner or donor works in a
 * datadir that belongs to the mariadbd user, who can put a symlink at any name there, or swap one
 * in (rename, renameat2 RENAME_EXCHANGE) between two calls of ours. So no path under such a
 * directory is resolved twice, and no final name is followed:
 *
 * - a directory is opened once (O_DIRECTORY|O_NOFOLLOW) and its entries are then named through
 *   `/proc/self/fd/<fd>/<name>`: Linux resolves that prefix to the opened directory itself, as
 *   openat() would (Node has no openat), so a later swap of the directory's own path changes
 *   nothing;
 * - files are opened O_NOFOLLOW (new ones O_CREAT|O_EXCL), owners are set with fchown on the
 *   opened directory, an entry is removed with unlink or, when it is an empty directory, rmdir;
 *   a tree (the binlog staging directory) is removed by walking handles, never by path;
 * - on the way to a directory a symlink is followed only when the directory holding it belongs to
 *   root or to us and nobody else may write it: only its owner could have put it there. Any other
 *   is refused (NOT_PERMITTED). For a non-root SST the datadir is its own, so nothing changes.
 */
import * as fs from 'node:fs';
import { posix as path } from 'node:path';
import { Exit, SstError } from '../errors';

const DIRECTORY = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;
/** Linux gives up after 40 links in one lookup (ELOOP); so do we. */
const MAX_LINKS = 40;
const MAX_RETRIES = 100;

export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String((error as NodeJS.ErrnoException).code) : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Pure: may a symlink found in a directory with this owner and mode be followed by `euid`? */
export function trustedForLinks(dir: { uid: number; mode: number }, euid: number): boolean {
  return (dir.uid === 0 || dir.uid === euid) && (dir.mode & 0o022) === 0;
}

/** An opened directory; `path` is what it was opened as, for messages only. */
export class DirHandle {
  private constructor(
    private readonly fd: number,
    readonly path: string,
  ) {}

  static root(): DirHandle {
    return new DirHandle(fs.openSync('/', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY), '/');
  }

  /** The name of entry `name` of this very directory, whatever its path leads to by now. */
  at(name: string): string {
    if (name === '' || name === '.' || name === '..' || name.includes('/'))
      throw new Error(`not a single path component: ${JSON.stringify(name)}`);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  shown(name: string): string {
    return path.join(this.path, name);
  }

  stat(): fs.Stats {
    return fs.fstatSync(this.fd);
  }

  chown(uid: number, gid: number): void {
    fs.fchownSync(this.fd, uid, gid);
  }

  /** The same directory again, as a handle of its own to walk from. */
  dup(): DirHandle {
    return new DirHandle(
      fs.openSync(`/proc/self/fd/${this.fd}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY),
      this.path,
    );
  }

  list(): string[] {
    return fs.readdirSync(`/proc/self/fd/${this.fd}`);
  }

  /**
   * Entry `name` as a directory, never through a symlink; undefined when there is none. Throws ELOOP/ENOTDIR otherwise.
   */
  child(name: string): DirHandle | undefined {
    const opened = name === '..' ? `/proc/self/fd/${this.fd}/..` : this.at(name);
    try {
      return new DirHandle(fs.openSync(opened, DIRECTORY), name === '..' ? path.dirname(this.path) : this.shown(name));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }
}

/** Who gets a directory we create: the datadir's owner when a root joiner hands it to its daemon. */
export interface NewOwner {
  uid: number;
  gid: number;
}

/**
 * Opens directory `target` (absolute), following a symlink on the way only where trustedForLinks
 * allows. `create`: missing directories are made (mode 0777 less the umask, as mkdir -p) and,
 * with an owner, handed to it by fchown. Without `create`, undefined when a directory is missing.
 */
export function openDirectory(
  target: string,
  create?: { owner?: NewOwner },
  euid: number = process.geteuid?.() ?? 0,
): DirHandle | undefined {
  return walkFrom(DirHandle.root(), path.resolve(target), create, euid);
}

/** As openDirectory, for `relative` below the opened directory `start` (which stays open). */
export function openBelow(
  start: DirHandle,
  relative: string,
  create?: { owner?: NewOwner },
  euid: number = process.geteuid?.() ?? 0,
): DirHandle | undefined {
  return walkFrom(start.dup(), relative, create, euid);
}

function walkFrom(
  start: DirHandle,
  target: string,
  create: { owner?: NewOwner } | undefined,
  euid: number,
): DirHandle | undefined {
  const pending = target.split('/').filter((c) => c !== '' && c !== '.');
  let at = start;
  let links = 0;
  let retries = 0;
  const again = (name: string): void => {
    // Only someone racing us makes an entry appear and vanish: give up rather than spin.
    if (++retries > MAX_RETRIES) throw new SstError(Exit.FAILED, `${at.shown(name)} keeps changing while it is opened`);
    pending.unshift(name);
  };
  try {
    while (pending.length > 0) {
      const name = pending.shift() as string;
      let next: DirHandle | undefined;
      try {
        next = at.child(name);
      } catch (error) {
        const code = errnoCode(error);
        if (code !== 'ELOOP' && code !== 'ENOTDIR') throw error;
        if (!mayFollow(at, name, euid)) {
          again(name);
          continue;
        }
        if (++links > MAX_LINKS)
          throw new SstError(Exit.FAILED, `${at.shown(name)}: too many levels of symbolic links`);
        const link = fs.readlinkSync(at.at(name));
        pending.unshift(...link.split('/').filter((c) => c !== '' && c !== '.'));
        if (link.startsWith('/')) {
          at.close();
          at = DirHandle.root();
        }
        continue;
      }
      if (next === undefined) {
        if (create === undefined) {
          at.close();
          return undefined;
        }
        next = makeChild(at, name, create.owner, euid);
        if (next === undefined) {
          again(name);
          continue;
        }
      }
      at.close();
      at = next;
    }
    return at;
  } catch (error) {
    at.close();
    throw error;
  }
}

/**
 * Entry `name` of `at`, found not to be a directory: true when it is a symlink we may follow,
 * false when it vanished meanwhile (look again); anything else is refused.
 */
function mayFollow(at: DirHandle, name: string, euid: number): boolean {
  const entry = fs.lstatSync(at.at(name), { throwIfNoEntry: false });
  if (entry === undefined) return false;
  if (!entry.isSymbolicLink()) throw new SstError(Exit.FAILED, `${at.shown(name)} is not a directory`);
  const holder = at.stat();
  if (!trustedForLinks(holder, euid)) {
    throw new SstError(
      Exit.NOT_PERMITTED,
      `${at.shown(name)} is a symbolic link in a directory that uid ${holder.uid} ` +
        `${holder.uid === 0 ? 'lets others write' : 'owns'}: ` +
        'not followed, since whoever may write that directory could ' +
        'point it anywhere (configure the real directory instead)',
    );
  }
  return true;
}

/** mkdir, then open what is there now without following it; undefined when someone else was first (look again). */
function makeChild(parent: DirHandle, name: string, owner: NewOwner | undefined, euid: number): DirHandle | undefined {
  try {
    fs.mkdirSync(parent.at(name));
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return undefined;
    throw new SstError(Exit.FAILED, `cannot create directory ${parent.shown(name)}: ${message(error)}`);
  }
  let made: DirHandle | undefined;
  try {
    made = parent.child(name);
  } catch (error) {
    throw new SstError(
      Exit.FAILED,
      `directory ${parent.shown(name)} was replaced as it was created (${errnoCode(error) ?? message(error)}): refused`,
    );
  }
  if (made === undefined) throw new SstError(Exit.FAILED, `directory ${parent.shown(name)} vanished as it was created`);
  // Only a directory of our own making changes owner: one swapped in meanwhile is left as it is.
  if (owner !== undefined && made.stat().uid === euid && euid !== owner.uid) made.chown(owner.uid, owner.gid);
  return made;
}

/** Runs `work` on `handle`, then closes it; undefined, and nothing run, when there is no handle. */
export function using<T>(handle: DirHandle | undefined, work: (dir: DirHandle) => T): T | undefined {
  if (handle === undefined) return undefined;
  try {
    return work(handle);
  } finally {
    handle.close();
  }
}
