import * as fs from 'node:fs';

/*
 * What a path names. Each answers false for a path it cannot look at (missing, a dangling link,
 * a directory on the way that is not searchable): the callers treat those as "not one", as
 * OpenSSL does with a CA directory's entries.
 */

/** A directory, or a link to one. */
export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A regular file, or a link to one. */
export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A symbolic link itself, whatever it points to. */
export function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
