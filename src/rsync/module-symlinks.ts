/**
 * rsync 3.5.0 daemons (every build; CVE hardening) refuse to chdir into a module whose path
 * goes through a symlink owned by anyone but root or the daemon's own user: the donor would only
 * see `@ERROR: chdir failed`. The joiner finds such a link before it says `ready`. Pure: the file
 * system is passed in.
 */
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
  const pending = path.resolve(dir).split('/').filter((c) => c !== '');
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
