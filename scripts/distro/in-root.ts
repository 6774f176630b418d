/**
 * The argv that runs a program inside another distribution's root filesystem
 * (make test-distros, make test-mtr with SST_MTR_ROOT): `unshare` gives it a
 * mount namespace of its own, mounts /proc there and chroots, so nothing stays
 * mounted once it exits. Without `as` it runs as root.
 */
export interface InRoot {
  /** Working directory inside the root (default /). */
  wd?: string;
  /** Numeric ids from the root's own /etc/passwd. */
  as?: { uid: number; gid: number };
}

export function inRoot(root: string, argv: readonly string[], options: InRoot = {}): string[] {
  const as = options.as === undefined ? [] : [`--setgid=${options.as.gid}`, `--setuid=${options.as.uid}`];
  return [
    'unshare',
    '--mount',
    '--propagation=private',
    '--mount-proc',
    `--root=${root}`,
    `--wd=${options.wd ?? '/'}`,
    ...as,
    '--',
    ...argv,
  ];
}
