/** Reading mariadb-test-run's console output into one result per twin, and printing them. */

export type Outcome = 'PASS' | 'FAIL' | 'SKIP' | 'N/A';

export interface TestResult {
  test: string;
  outcome: Outcome;
  /** Test time as MTR measured it (PASS/FAIL). */
  ms?: number;
  reason?: string;
}

/** `<suite dir>.<test>[ '<combinations>'][ w<n>] [ pass ]  47162` (worker tag only with --parallel). */
function resultLine(suite: string): RegExp {
  return new RegExp(
    `(?:^|/)${suite}\\.([\\w-]+)(?: '([^']*)')?(?: w\\d+)? +\\[ (pass|fail|skipped|disabled) \\] *(.*)$`,
  );
}

/** The most telling line of a failure's details, best first. */
const FAILURE_CLUES: readonly RegExp[] = [
  /^mysqltest: .*/,
  new RegExp(
    String.raw`^.*(Found warnings\/errors in server log file|Test ended with timeout|timed out|` +
      'Server .* failed during test run|crashed).*',
    'i',
  ),
  /^.*\[(ERROR|Warning)\].*/,
  /^\+\+\+ .*\.reject.*/,
];

/** mariadbd's error lines quote whole command lines: the start says enough, the log has the rest. */
const REASON_MAX = 300;

function failureReason(details: readonly string[]): string {
  const reason = bestClue(details);
  return reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX)}…` : reason;
}

function bestClue(details: readonly string[]): string {
  const lines = details.map((l) => l.trim()).filter((l) => l !== '');
  for (const clue of FAILURE_CLUES) {
    const hit = lines.find((l) => clue.test(l));
    if (hit !== undefined)
      return hit.startsWith('+++ ') ? `result differs from the .result file (${hit.slice(4)})` : hit;
  }
  return lines[0] ?? 'MTR gave no details';
}

/**
 * One result per test name MTR reported (a combination is named `test 'comb'`). Failure reasons
 * come from the lines MTR prints between a `[ fail ]` line and the next result line.
 */
export function parseMtrOutput(output: string, suite: string): TestResult[] {
  const line = resultLine(suite);
  const results: TestResult[] = [];
  let details: string[] | undefined;
  let failing: TestResult | undefined;
  const closeFailure = (): void => {
    if (failing !== undefined && details !== undefined) failing.reason = failureReason(details);
    failing = undefined;
    details = undefined;
  };
  for (const raw of output.split('\n')) {
    const m = line.exec(raw);
    if (m === null) {
      if (details !== undefined) {
        if (/^-{20,}$/.test(raw.trim())) closeFailure();
        else details.push(raw);
      }
      continue;
    }
    closeFailure();
    const [, name, combination, status, rest] = m as unknown as [string, string, string | undefined, string, string];
    const test = combination === undefined ? name : `${name} '${combination}'`;
    const ms = /^\d+$/.test(rest.trim()) ? Number(rest.trim()) : undefined;
    if (status === 'pass') results.push({ test, outcome: 'PASS', ...(ms === undefined ? {} : { ms }) });
    else if (status === 'fail') {
      failing = { test, outcome: 'FAIL', ...(ms === undefined ? {} : { ms }) };
      results.push(failing);
      details = [];
    } else results.push({ test, outcome: 'SKIP', reason: `MTR: ${rest.trim() || status}` });
  }
  closeFailure();
  return results;
}

/**
 * Results for every expected twin: those MTR never reported (it stopped, or skipped them
 * without a line) are failures, so nothing goes missing silently.
 */
export function completeResults(
  expected: readonly string[],
  reported: readonly TestResult[],
  notApplicable: Readonly<Record<string, string>>,
): TestResult[] {
  const byBase = (r: TestResult): string => r.test.replace(/ '.*$/, '');
  const out: TestResult[] = Object.entries(notApplicable).map(([test, reason]) => ({
    test,
    outcome: 'N/A' as const,
    reason,
  }));
  for (const test of expected) {
    const mine = reported.filter((r) => byBase(r) === test);
    out.push(
      ...(mine.length > 0
        ? mine
        : [{ test, outcome: 'FAIL' as const, reason: 'MTR reported no result for this test' }]),
    );
  }
  return out.sort((a, b) => a.test.localeCompare(b.test));
}

export function formatResult(r: TestResult): string {
  const time = r.ms === undefined ? '' : `${(r.ms / 1000).toFixed(1)} s`;
  const detail = [time, r.reason ?? ''].filter((s) => s !== '').join('  ');
  return `${r.outcome.padEnd(4)}  ${r.test.padEnd(44)}  ${detail}`.trimEnd();
}

export function summary(results: readonly TestResult[]): string {
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  const parts = [`${count('PASS')} passed`, `${count('FAIL')} failed`];
  if (count('SKIP') > 0) parts.push(`${count('SKIP')} skipped`);
  if (count('N/A') > 0) parts.push(`${count('N/A')} not applicable`);
  return parts.join(', ');
}
