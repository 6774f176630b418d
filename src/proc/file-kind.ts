import * as fs from 'node:fs';
import { attempt } from '../errors';

/*
 * What a path names. Each answers false for a path it cannot look at (missing, a dangling link,
 * a directory on the way that is not searchable): the callers treat those as "not one", as
 * OpenSSL does with a CA directory's entries.
 */

function holds(look: (p: string) => fs.Stats, p: string, test: (s: fs.Stats) => boolean): boolean {
  return attempt(() => test(look(p))) ?? false;
}

/** A directory, or a link to one. */
export const isDirectory = (p: string): boolean => holds(fs.statSync, p, (s) => s.isDirectory());

/** A regular file, or a link to one. */
export const isFile = (p: string): boolean => holds(fs.statSync, p, (s) => s.isFile());

/** A symbolic link itself, whatever it points to. */
export const isSymlink = (p: string): boolean => holds(fs.lstatSync, p, (s) => s.isSymbolicLink());
