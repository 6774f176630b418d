/**
 * A daemon that kept root (daemon-user.ts) creates the device files a donor pushes; ours never
 * sends any (no --devices), so one found after the transfer is an attack: it is removed, and the
 * SST fails naming it. The walk goes through directory handles (dir-handle.ts): a directory
 * swapped for a symlink midway (its owner may be any uid the donor sent) leads nowhere, so no
 * device node outside the datadir is ever removed.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { posix as path } from 'node:path';
import { openDirectory, type DirHandle, using } from './dir-handle';

/** Device files below `roots` (not following symlinks), each removed; their paths. */
export function removeDeviceFiles(roots: readonly string[]): string[] {
  const removed: string[] = [];
  const walk = (dir: DirHandle, shown: string): void => {
    let names: string[];
    try {
      names = dir.list();
    } catch {
      return;
    }
    for (const name of names) {
      const st = lstatSync(dir.at(name), { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isBlockDevice() || st.isCharacterDevice()) {
        unlinkSync(dir.at(name));
        removed.push(path.join(shown, name));
      } else if (st.isDirectory()) {
        let inner: DirHandle | undefined;
        try {
          inner = dir.child(name);
        } catch {
          // Swapped for something else since: not a directory of this tree any more.
          continue;
        }
        using(inner, (d) => walk(d, path.join(shown, name)));
      }
    }
  };
  for (const root of new Set(roots)) {
    using(openDirectory(root), (dir) => walk(dir, root));
  }
  return removed;
}
