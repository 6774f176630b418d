/** Sizes for progress lines, in powers of 1024 with IEC names, so rlimit (k, m, g = 1024) reads the same. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * `0 B`, `512 B`, `1.2 GiB`, `140 MiB`: one decimal below 10 of a unit, whole numbers above,
 * so a line stays short and its width steady. A value that rounds up to 1024 of a unit is
 * shown in the next one (`1.0 GiB`, never `1024 MiB`).
 */
export function formatBytes(n: number): string {
  let value = Number.isFinite(n) && n > 0 ? n : 0;
  let unit = 0;
  while (unit < UNITS.length - 1 && value >= 1024) {
    value /= 1024;
    unit++;
  }
  let digits = unit > 0 && value < 9.95 ? 1 : 0;
  if (digits === 0 && Math.round(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
    digits = 1;
  }
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}
