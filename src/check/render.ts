/**
 * `check` output. People get aligned `STATUS  label  detail` lines on stdout; tools get one JSON
 * object (`--json`). Pure: the runner decides when to write what.
 */
import { PROGRAM, VERSION } from '../version';
import type { CheckMode } from './args';
import { countStatuses, exitCodeFor, STATUSES, type CheckItem } from './result';

export interface Report {
  mode: CheckMode;
  /** What the items were computed from (option files, user, datadir, addresses), in display order. */
  context: [string, string][];
  items: CheckItem[];
}

/**
 * A fixed width rather than the longest label: the listener prints handshake lines as they
 * happen, before later labels are known. Longer labels push their detail right.
 */
const LABEL_WIDTH = 22;

/** One line per item: a detail with line breaks (socat messages, file names) must not break the columns. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

export function renderItem(i: CheckItem): string {
  return `${i.status.padEnd(4)}  ${oneLine(i.label).padEnd(LABEL_WIDTH)}  ${oneLine(i.detail)}\n`;
}

export function renderHeader(mode: CheckMode, context: readonly [string, string][]): string {
  const title = `${PROGRAM} ${VERSION} check${mode === 'node' ? '' : ` --${mode}`}\n`;
  return title + context.map(([k, v]) => `  ${k}: ${oneLine(v)}\n`).join('');
}

export function renderSummary(items: readonly CheckItem[]): string {
  const counts = countStatuses(items);
  const list = STATUSES.map((s) => `${counts[s]} ${s}`).join(', ');
  const verdict = exitCodeFor(items) === 0 ? 'nothing fails' : 'an SST would fail: fix the FAIL lines';
  return `${list}: ${verdict}\n`;
}

export function renderHuman(report: Report): string {
  return (
    renderHeader(report.mode, report.context) + report.items.map(renderItem).join('') + renderSummary(report.items)
  );
}

/** One object on one line, so tools can read it with a plain JSON parser. */
export function renderJson(report: Report): string {
  return `${JSON.stringify({
    program: PROGRAM,
    version: VERSION,
    mode: report.mode,
    ok: exitCodeFor(report.items) === 0,
    counts: countStatuses(report.items),
    context: Object.fromEntries(report.context),
    items: report.items,
  })}\n`;
}
