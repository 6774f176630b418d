/**
 * docs/architecture.md §8.10: TLS files inside a directory the joiner's rsync daemon serves. The daemon hides them
 * and refuses the options that could read them, but they then sit in the one tree a donor
 * writes, next to whatever it pushes; outside every module nothing of the transfer reaches them.
 */
import type { TlsSettings } from '../config/tls';
import { pathsInside } from '../rsync/own-files';
import { item, type CheckItem } from './result';

/** A directory the joiner serves as an rsync module, with what it is for people. */
export interface ModuleDir {
  what: string;
  dir: string;
}

function named(tls: TlsSettings): [string, string][] {
  const files: [string, string | undefined][] = [
    ['tcert', tls.cert],
    ['tkey', tls.key],
    ['tca', tls.caFile],
    ['tcapath', tls.caPath],
  ];
  return files.filter((f): f is [string, string] => f[1] !== undefined);
}

/** WARN naming each TLS file inside a module directory (symlinks resolved too), else PASS. */
export function tlsPlacementItem(modules: readonly ModuleDir[], settings: readonly TlsSettings[]): CheckItem {
  const found = new Set<string>();
  for (const [option, file] of settings.flatMap(named)) {
    for (const { what, dir } of modules) {
      if (pathsInside(dir, [file]).length > 0) found.add(`${option} ${file} lies inside the ${what} (${dir})`);
    }
  }
  const label = 'TLS files outside the SST';
  if (found.size === 0)
    return item(
      'tls-placement',
      label,
      'PASS',
      `no TLS file inside ${modules
        .map((m) => m.dir)
        .filter((d, i, all) => all.indexOf(d) === i)
        .join(', ')}`,
    );
  return item(
    'tls-placement',
    label,
    'WARN',
    `${[...found].join('; ')}: the SST keeps it from the donor's writes and deletions, but it sits where the ` +
      `donor writes; move it outside the datadir and the InnoDB/Aria directories`,
  );
}
