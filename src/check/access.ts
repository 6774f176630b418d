/**
 * Whether the mariadbd user can reach a file, from owners and mode bits alone (pure).
 *
 * The kernel's rule (path_resolution(7)): every directory on the way needs search (x)
 * permission, and the object itself read or write permission; the owner class applies when the
 * uid matches (even if the group or other bits would allow more), else the group class when one
 * of the user's groups matches, else "other". uid 0 may read and write anything and search any
 * directory. POSIX ACLs, capabilities other than root's, read-only mounts, SELinux/AppArmor and
 * systemd sandboxing are not modelled: a PASS here means "the mode bits allow it".
 */
import type { Identity } from '../proc/accounts';

export interface FileStat {
  uid: number;
  gid: number;
  /** st_mode; only the permission bits are used. */
  mode: number;
  kind: 'file' | 'directory' | 'other';
}

export type PathState =
  | { path: string; state: 'present'; stat: FileStat }
  | { path: string; state: 'missing' }
  /** stat() failed for another reason: nothing can be concluded. */
  | { path: string; state: 'unknown'; error: string };

export interface AccessQuery {
  /** Directories the kernel searches on the way, in order (ancestors of the path as written and of its real path). */
  search: PathState[];
  target: PathState;
  /** For a directory the joiner creates when missing (mkdir -p): its nearest existing ancestor. */
  createIn?: PathState;
}

/** read-file: a certificate or key; read-dir: a CA directory; write-dir: where an SST writes. */
export type Need = 'read-file' | 'read-dir' | 'write-dir';

export type AccessVerdict =
  | { ok: true; detail: string }
  | { ok: false; kind: 'denied' | 'missing' | 'unknown'; path: string; detail: string };

interface Bits {
  r?: boolean;
  w?: boolean;
  x?: boolean;
}

/** The permission triplet that applies to `id` for `stat`, as the kernel picks it. */
function applicableTriplet(id: Identity, stat: FileStat): number {
  if (stat.uid === id.uid) return (stat.mode >> 6) & 7;
  if (id.gids.includes(stat.gid)) return (stat.mode >> 3) & 7;
  return stat.mode & 7;
}

export function permits(id: Identity, stat: FileStat, want: Bits): boolean {
  if (id.uid === 0) {
    // CAP_DAC_OVERRIDE: everything but executing a file without any x bit, which we never ask.
    return !(want.x === true && stat.kind !== 'directory' && (stat.mode & 0o111) === 0);
  }
  const t = applicableTriplet(id, stat);
  return (!want.r || (t & 4) !== 0) && (!want.w || (t & 2) !== 0) && (!want.x || (t & 1) !== 0);
}

function describeStat(stat: FileStat): string {
  return `owner ${stat.uid}:${stat.gid}, mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}`;
}

function unusable(p: PathState): AccessVerdict | undefined {
  if (p.state === 'missing') return { ok: false, kind: 'missing', path: p.path, detail: `${p.path} does not exist` };
  if (p.state === 'unknown')
    return { ok: false, kind: 'unknown', path: p.path, detail: `cannot inspect ${p.path}: ${p.error}` };
  return undefined;
}

function denied(path: string, detail: string): AccessVerdict {
  return { ok: false, kind: 'denied', path, detail };
}

function checkSearch(id: Identity, dir: PathState): AccessVerdict | undefined {
  const bad = unusable(dir);
  if (bad !== undefined || dir.state !== 'present') return bad;
  if (dir.stat.kind !== 'directory') return denied(dir.path, `${dir.path} is not a directory`);
  if (!permits(id, dir.stat, { x: true })) {
    return denied(
      dir.path,
      `user ${id.user} cannot enter the directory ${dir.path} (no x permission; ${describeStat(dir.stat)})`,
    );
  }
  return undefined;
}

function checkTarget(id: Identity, target: PathState & { state: 'present' }, need: Need): AccessVerdict {
  const { path, stat } = target;
  const where = describeStat(stat);
  switch (need) {
    case 'read-file':
      if (stat.kind === 'directory') return denied(path, `${path} is a directory, not a file`);
      return permits(id, stat, { r: true })
        ? { ok: true, detail: `user ${id.user} can read ${path}` }
        : denied(path, `user ${id.user} cannot read ${path} (${where})`);
    case 'read-dir':
      if (stat.kind !== 'directory') return denied(path, `${path} is not a directory`);
      return permits(id, stat, { r: true, x: true })
        ? { ok: true, detail: `user ${id.user} can list ${path}` }
        : denied(path, `user ${id.user} cannot list ${path} (${where})`);
    case 'write-dir':
      if (stat.kind !== 'directory') return denied(path, `${path} is not a directory`);
      return permits(id, stat, { w: true, x: true })
        ? { ok: true, detail: `user ${id.user} can write in ${path}` }
        : denied(path, `user ${id.user} cannot create files in ${path} (${where})`);
  }
}

/** A missing directory is fine when the user can create it where it would go. */
function checkCreate(id: Identity, missing: string, parent: PathState): AccessVerdict {
  const bad = unusable(parent);
  if (bad !== undefined || parent.state !== 'present')
    return bad ?? denied(parent.path, `cannot inspect ${parent.path}`);
  if (parent.stat.kind === 'directory' && permits(id, parent.stat, { w: true, x: true })) {
    return { ok: true, detail: `${missing} does not exist yet; user ${id.user} can create it in ${parent.path}` };
  }
  return denied(
    parent.path,
    `${missing} does not exist and user ${id.user} cannot create it in ${parent.path} (${describeStat(parent.stat)})`,
  );
}

export function evaluateAccess(id: Identity, query: AccessQuery, need: Need): AccessVerdict {
  for (const dir of query.search) {
    const bad = checkSearch(id, dir);
    if (bad !== undefined) return bad;
  }
  const { target } = query;
  if (target.state === 'present') return checkTarget(id, target, need);
  if (target.state === 'missing' && need === 'write-dir' && query.createIn !== undefined) {
    return checkCreate(id, target.path, query.createIn);
  }
  return unusable(target) ?? denied(target.path, `cannot inspect ${target.path}`);
}

/** mariadb.service sets ProtectHome=true: these trees are invisible to mariadbd, whatever the modes say. */
const PROTECTED_HOME = ['/home', '/root', '/run/user'];

export function underProtectedHome(path: string): boolean {
  return PROTECTED_HOME.some((p) => path === p || path.startsWith(`${p}/`));
}
