/**
 * `wsrep_sst_rsync_tunnel check`: an operator's dry run. Unlike the SST, whose stdout belongs to
 * mariadbd, this writes its report to stdout (people: aligned lines; tools: `--json`, one
 * object). Exit status: 0 when nothing FAILs, 1 otherwise; a bad command line exits 22 like any
 * other configuration error of the program.
 */
import { writeSync } from 'node:fs';
import type { CheckArgs } from './args';
import { runListen, runPeer, type Sink } from './live';
import { checkNode } from './node';
import { renderHeader, renderHuman, renderItem, renderJson, renderSummary, type Report } from './render';
import { exitCodeFor } from './result';
import { socatOwner } from './socat-owner';

let stdoutGone = false;

/** Synchronous, so nothing is lost when main() exits right after; a closed pipe (`| head`) just ends the output. */
function write(text: string): void {
  if (stdoutGone) return;
  try {
    writeSync(1, text);
  } catch {
    stdoutGone = true;
  }
}

const streaming: Sink = {
  item: (i) => write(renderItem(i)),
  note: (text) => write(`      ${text}\n`),
};

const quiet: Sink = {
  item: () => undefined,
  note: () => undefined,
};

export async function runCheck(args: CheckArgs): Promise<number> {
  let report: Report;
  if (args.mode === 'node') {
    report = await checkNode(args);
    write(args.json ? renderJson(report) : renderHuman(report));
    return exitCodeFor(report.items);
  }
  // The live modes report as they go: a listener runs for a minute and people want to see it listen.
  if (!args.json) write(renderHeader(args.mode, []));
  const sink = args.json ? quiet : streaming;
  const owner = socatOwner();
  report = args.mode === 'listen' ? await runListen(args, sink, owner) : await runPeer(args, sink, owner);
  write(args.json ? renderJson(report) : renderSummary(report.items));
  return exitCodeFor(report.items);
}
