/**
 * Whom the joiner's rsync daemon runs as (issue: a secret holder writes database files and
 * nothing more). A daemon started by root keeps root unless rsyncd.conf names a uid; as root it
 * would create device files and any owner the donor sends. So a root joiner gives the daemon the
 * datadir owner's uid and gid: a non-root daemon skips device files and cannot chown. When that
 * owner is root itself there is nobody else to become: root is kept, and the joiner says so.
 * A non-root joiner's daemon runs as the joiner (rsync cannot change user; a gid in rsyncd.conf
 * even makes it fail with "setgroups failed"). Pure.
 */
export interface DaemonUser {
  /** undefined: rsyncd.conf names no user, the daemon runs as the joiner. */
  uid?: number;
  gid?: number;
  /** The daemon will run as root. */
  root: boolean;
}

export function daemonUser(euid: number, datadirOwner: { uid: number; gid: number }): DaemonUser {
  if (euid !== 0) return { root: false };
  return { uid: datadirOwner.uid, gid: datadirOwner.gid, root: datadirOwner.uid === 0 };
}

/** The uids rsync 3.5.0+ accepts as owners of symlinks in module paths: root and the daemon's user. */
export function symlinkOwners(euid: number, user: DaemonUser): number[] {
  return [...new Set([0, user.uid ?? euid])];
}
