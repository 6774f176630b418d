import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { posix as path } from 'node:path';
import { ENGINE_FILES, engineDirs, matchesEnginePattern, type EnginePass, type SourceFile } from '../rsync/plan';
import type { Layout } from '../config/settings';

/** The file system calls the listing makes, passed in so a test can hand it a tree. */
export interface ListingFs {
  readdir(dir: string): string[];
  lstat(p: string): Pick<Stats, 'isDirectory' | 'isFile' | 'size'>;
}

export const systemListingFs: ListingFs = {
  readdir: (dir) => readdirSync(dir),
  lstat: (p) => lstatSync(p),
};

/**
 * Everything below the database directories that is not a directory, relative to the datadir,
 * with the size rsync will send (0 for links and special files). A symlinked database directory
 * is read where it resolves to (`roots`); a symlink further down is sent as a link, as rsync
 * without --copy-links does. `kept` (relative to the datadir) is left out, a kept directory whole.
 */
export function databaseFiles(
  datadir: string,
  databases: readonly string[],
  roots: Readonly<Record<string, string>>,
  kept: readonly string[],
  fs: ListingFs = systemListingFs,
): SourceFile[] {
  const skip = new Set(kept);
  const out: SourceFile[] = [];
  const walk = (dir: string, relative: string): void => {
    for (const name of fs.readdir(dir).sort()) {
      const rel = `${relative}/${name}`;
      if (skip.has(rel)) continue;
      const full = path.join(dir, name);
      let st: Pick<Stats, 'isDirectory' | 'isFile' | 'size'>;
      try {
        st = fs.lstat(full);
      } catch {
        // Gone since readdir: nothing to send.
        continue;
      }
      if (st.isDirectory()) walk(full, rel);
      else out.push({ path: rel, size: st.isFile() ? st.size : 0 });
    }
  };
  for (const db of databases) {
    if (!skip.has(db)) walk(roots[db] ?? path.join(datadir, db), db);
  }
  return out;
}

/** Bytes each engine pass sends: the regular files of its directory that match its patterns. */
export function engineBytes(layout: Layout, fs: ListingFs = systemListingFs): Record<EnginePass, number> {
  const dirs = engineDirs(layout);
  const out = { dataHome: 0, logDir: 0, undoDir: 0, ariaLog: 0 };
  for (const pass of Object.keys(dirs) as EnginePass[]) {
    let names: string[];
    try {
      names = fs.readdir(dirs[pass]);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!ENGINE_FILES[pass].patterns.some((p) => matchesEnginePattern(name, p))) continue;
      try {
        const st = fs.lstat(path.join(dirs[pass], name));
        if (st.isFile()) out[pass] += st.size;
      } catch {
        // Gone since readdir.
      }
    }
  }
  return out;
}

/** Total size of the files at `paths` (absolute); a missing one counts 0. */
export function totalSize(paths: readonly string[], fs: ListingFs = systemListingFs): number {
  let sum = 0;
  for (const p of paths) {
    try {
      sum += fs.lstat(p).size;
    } catch {
      // rsync will say so.
    }
  }
  return sum;
}
