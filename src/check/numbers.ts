/**
 * The numeric settings of the option files, read by the SST's own resolvers: a value outside its
 * range (src/config/ranges.ts) ends every SST with 22, so `check` says so first.
 */
import type { Lookup } from '../config/settings';
import {
  resolveBackupThreads,
  resolveMaxBinlogs,
  resolvePrecopy,
  resolveProgressInterval,
  resolveRateLimit,
  resolveTimeouts,
} from '../config/settings';
import { SstError } from '../errors';
import { item, type CheckItem } from './result';

const READERS: readonly ((lookup: Lookup, mysqld: readonly string[]) => unknown)[] = [
  (lookup) => resolveProgressInterval(lookup),
  (lookup) => resolveTimeouts(lookup),
  (lookup) => resolveRateLimit(lookup),
  (lookup, mysqld) => resolveBackupThreads(lookup, mysqld, 1, () => undefined),
  (lookup, mysqld) => resolveMaxBinlogs(lookup, mysqld),
  (lookup) => resolvePrecopy(lookup),
];

export function numbersItem(lookup: Lookup, mysqld: readonly string[]): CheckItem {
  const problems = READERS.flatMap((read) => {
    try {
      read(lookup, mysqld);
      return [];
    } catch (e) {
      if (e instanceof SstError) return [e.message];
      throw e;
    }
  });
  return problems.length > 0
    ? item('numbers', 'numeric settings', 'FAIL', problems.join('; '))
    : item(
        'numbers',
        'numeric settings',
        'PASS',
        'progress-interval, sst-initial-timeout, sst-idle-timeout, rlimit, backup-threads, sst-max-binlogs, ' +
          'precopy and precopy-rounds are unset or within their ranges',
      );
}

/**
 * `precopy on, at most 2 online rounds`: what the donor does before it locks, for the context lines;
 * undefined when the setting is refused (numbersItem says why).
 */
export function precopyContext(lookup: Lookup): string | undefined {
  try {
    const p = resolvePrecopy(lookup);
    return p.mode === 'off'
      ? 'off (the whole copy under the lock)'
      : `${p.mode}, at most ${p.rounds} online ${p.rounds === 1 ? 'round' : 'rounds'} before the lock`;
  } catch (e) {
    if (e instanceof SstError) return undefined;
    throw e;
  }
}
