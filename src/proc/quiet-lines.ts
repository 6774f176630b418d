/**
 * Stderr lines of our children that are expected, or come in floods, and must not reach
 * mariadbd's error log one by one. Pure: lines and the time in, lines to log out.
 */

export interface QuietKind {
  /** Plural noun for the summary ("refused connections"). */
  kind: string;
  /**
   * A flood worth seeing while it lasts: its first line is logged as it is, then one count per
   * `everyMs` with the last line. Without it, a kind is only counted for the summary at the end.
   */
  everyMs?: number;
}

interface Flood {
  source: string;
  kind: string;
  everyMs: number;
  since: number;
  count: number;
  last: string;
}

export class QuietLines {
  private readonly expected = new Map<string, number>();
  private readonly floods = new Map<string, Flood>();

  /** Lines to log now for `line` of `kind` from `source` (a child's name). */
  add(source: string, kind: QuietKind, line: string, now: number): string[] {
    if (kind.everyMs === undefined) {
      this.expected.set(kind.kind, (this.expected.get(kind.kind) ?? 0) + 1);
      return [];
    }
    const key = `${source}\u0000${kind.kind}`;
    const flood = this.floods.get(key);
    if (flood === undefined) {
      this.floods.set(key, { source, kind: kind.kind, everyMs: kind.everyMs, since: now, count: 0, last: line });
      return [`${source}: ${line}`];
    }
    flood.count++;
    flood.last = line;
    return this.due(now);
  }

  /** Counts whose interval has passed, each reported once and started again. */
  due(now: number): string[] {
    return [...this.floods.values()]
      .filter((f) => f.count > 0 && now - f.since >= f.everyMs)
      .map((f) => this.report(f, now));
  }

  /** At the end: every count not reported yet. */
  takeFloods(now: number): string[] {
    return [...this.floods.values()].filter((f) => f.count > 0).map((f) => this.report(f, now));
  }

  /** One line for all the expected lines so far, then the count starts again. */
  takeExpected(): string | undefined {
    if (this.expected.size === 0) return undefined;
    const total = [...this.expected.values()].reduce((a, b) => a + b, 0);
    const kinds = [...this.expected].map(([kind, n]) => `${kind} ×${n}`).join(', ');
    this.expected.clear();
    return `${total} expected warnings not logged one by one (${kinds})`;
  }

  private report(f: Flood, now: number): string {
    const seconds = Math.max(1, Math.round((now - f.since) / 1000));
    const text = `${f.source}: ${f.count} more ${f.kind} in the last ${seconds} s (last: ${f.last})`;
    f.count = 0;
    f.since = now;
    return text;
  }
}
