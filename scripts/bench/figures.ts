/** `make bench`: units, medians and the plain-text tables of the report. Pure. */

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const GB = 1e9;

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The median when every run has the figure, else undefined (a missing log line must not pass unnoticed as a smaller
 * sample).
 */
export function medianOf(values: readonly (number | undefined)[]): number | undefined {
  return values.length > 0 && values.every((v) => v !== undefined) ? median(values as number[]) : undefined;
}

export const fmt = (v: number | undefined, digits = 1): string =>
  v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
export const ratio = (a?: number, b?: number): string =>
  a === undefined || b === undefined ? '-' : `×${(a / b).toFixed(2)}`;
export const per = (a?: number, b?: number): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b;

export function table(header: string[], rows: string[][], textColumns = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
