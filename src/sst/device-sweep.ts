/**
 * A daemon that kept root (daemon-user.ts) creates the device files a donor pushes; ours never
 * sends any (no --devices), so one found after the transfer is an attack: it is removed, and the
 * SST fails naming it.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { posix as path } from 'node:path';

/** Device files below `roots` (not following symlinks), each removed; their paths. */
export function removeDeviceFiles(roots: readonly string[]): string[] {
  const removed: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const st = lstatSync(file, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isBlockDevice() || st.isCharacterDevice()) {
        unlinkSync(file);
        removed.push(file);
      } else if (st.isDirectory()) {
        walk(file);
      }
    }
  };
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    walk(root);
  }
  return removed;
}
