/**
 * rsync 3.5.0 daemons (every build; CVE hardening) refuse to chdir into a module whose path
 * goes through a symlink owned by anyone but root or the daemon's own user: the donor would only
 * see `@ERROR: chdir failed`. The joiner finds such a link before it says `ready`, and `check`
 * with the same functions. The walk is pure (the file system is passed in); systemLinkFs is the real one.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { posix as path } from 'node:path';

export interface LinkFs {
  /** undefined when the path does not exist. */
  lstat(p: string): { symlink: boolean; uid: number } | undefined;
  readlink(p: string): string;
}

export interface ForeignLink {
  link: string;
  uid: number;
}

/** Linux gives up after 40 links in one lookup (ELOOP); so do we. */
const MAX_LINKS = 40;

/** The first symlink on the way to `dir` (following links as chdir does) whose owner is not in `owners`. */
export function foreignSymlink(dir: string, owners: readonly number[], fs: LinkFs): ForeignLink | undefined {
  const pending = path
    .resolve(dir)
    .split('/')
    .filter((c) => c !== '');
  let at = '/';
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift() ?? '';
    const next = name === '..' ? path.dirname(at) : path.join(at, name);
    const st = name === '.' || name === '..' ? undefined : fs.lstat(next);
    if (st === undefined || !st.symlink) {
      at = name === '.' ? at : next;
      continue;
    }
    if (!owners.includes(st.uid)) return { link: next, uid: st.uid };
    if (++links > MAX_LINKS) return undefined;
    const target = fs.readlink(next);
    if (target.startsWith('/')) at = '/';
    pending.unshift(...target.split('/').filter((c) => c !== ''));
  }
  return undefined;
}

/**
 * The message for a module path rsync would refuse, naming the link, its owner and the remedy;
 * undefined when every directory is fine. `userName` turns a uid into a name for the message.
 */
export function foreignSymlinkProblem(
  dirs: readonly string[],
  owners: readonly number[],
  rsyncVersion: string,
  fs: LinkFs,
  userName: (uid: number) => string,
): string | undefined {
  for (const dir of dirs) {
    const found = foreignSymlink(dir, owners, fs);
    if (found === undefined) continue;
    const allowed = [...new Set(owners)].map(userName).join(' or ');
    return (
      `rsync ${rsyncVersion} refuses the path ${dir}: it goes through the symlink ${found.link}, owned by ` +
      `${userName(found.uid)}, ` +
      `and its daemon accepts only symlinks owned by ${allowed} ("@ERROR: chdir failed" for the donor). ` +
      `Make ${userName(owners[0] ?? 0)} own the link (chown -h), or configure the real directory instead of the link`
    );
  }
  return undefined;
}

/** The real file system, for the SST and `check`. */
export const systemLinkFs: LinkFs = {
  lstat(p) {
    try {
      const st = lstatSync(p);
      return { symlink: st.isSymbolicLink(), uid: st.uid };
    } catch {
      return undefined;
    }
  },
  readlink: (p) => readlinkSync(p),
};
