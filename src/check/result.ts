/**
 * What `check` reports: one item per thing an SST depends on, and the verdict an operator or a
 * tool acts on. Pure.
 */

/**
 * PASS: fine. WARN: an SST works, but something deserves attention (a certificate about to
 * expire, a check we could not make). FAIL: an SST would fail. SKIP: not checked because
 * something it depends on failed already; the FAIL line above says why.
 */
export type Status = 'PASS' | 'WARN' | 'FAIL' | 'SKIP';

export const STATUSES: readonly Status[] = ['PASS', 'WARN', 'FAIL', 'SKIP'];

export interface CheckItem {
  /** Stable identifier for tools (`--json`), e.g. `socat`, `key-match`, `writable:datadir`. */
  id: string;
  /** Short name for people. */
  label: string;
  status: Status;
  detail: string;
}

export type Counts = Record<Status, number>;

export function item(id: string, label: string, status: Status, detail: string): CheckItem {
  return { id, label, status, detail };
}

export function countStatuses(items: readonly CheckItem[]): Counts {
  const counts: Counts = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const i of items) counts[i.status] += 1;
  return counts;
}

/** Exit 0 when nothing failed (warnings and skips included), 1 otherwise. */
export function exitCodeFor(items: readonly CheckItem[]): 0 | 1 {
  return items.some((i) => i.status === 'FAIL') ? 1 : 0;
}
