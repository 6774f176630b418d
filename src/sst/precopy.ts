/**
 * Precopy (docs/protocol.md §3.3.1): online rounds before `flush tables`, while the donor is
 * writable, then a locked catch-up that sends only what may have changed since the last round
 * began. The rule and the argument for it are in precopy-rule.ts; this module reads the clocks,
 * lists, plans and runs the rounds through the same tunnel, queue and streams as the copy under
 * the lock (donor.ts's transfer, which precopy=off keeps).
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { posix as path } from 'node:path';
import type { SstArgs } from '../config/args';
import { log } from '../log';
import type { Lifecycle } from '../proc/lifecycle';
import { pathsInside, tlsFiles } from '../rsync/own-files';
import { onlinePasses, transferPlan, verifyPasses, type Pass, type SourceFile } from '../rsync/plan';
import { binlogsToSend, writeBinlogList } from './binlogs';
import {
  alwaysSent,
  clockStep,
  selectChanged,
  worthAnotherRound,
  type ClockLook,
  type FileStamp,
  type Reason,
} from './precopy-rule';
import type { Prepared } from './prepare';
import { formatBytes, formatRate } from './progress-format';
import type { RsyncRunner } from './rsync-runner';
import { databaseFiles, engineBytes, totalSize, type ListingFs } from './source-files';
import { formatDuration, type TransferMonitor } from './transfer-monitor';
import { runQueue, TransferState } from './transfer-queue';
import { isSymlink } from '../proc/file-kind';

/** What donor.ts lends the rounds, so that they list, watch and report as its own copy does. */
export interface PrecopyTools {
  databaseDirectories(datadir: string): string[];
  /** A monitor for one round of `total` bytes, its `complete` lines counting on from `offset`. */
  monitor(total: number, offset: number, label?: string): TransferMonitor;
  watch(monitor: TransferMonitor, state: TransferState): { stop(): void };
  /** Writes a line to mariadbd (`total`, `complete`). */
  protocol(line: string): void;
}

/** One listing: the database files and binlogs with their stamps, and the clocks read right before. */
interface Listing {
  look: ClockLook;
  databases: string[];
  symlinked: Record<string, string>;
  kept: string[];
  /** Database files relative to the datadir, as the plan takes them. */
  files: SourceFile[];
  /** Binlogs to send, absolute, oldest first. */
  binlogs: string[];
  /** By relative path (database files) or absolute path (binlogs). */
  stamps: Map<string, FileStamp>;
}

/**
 * What the catch-up compares against: the last round's clocks, and the stamps of the files whose bytes the
 * joiner holds.
 */
export interface Online {
  look: ClockLook;
  held: Map<string, FileStamp>;
  rounds: number;
  /** Bytes sent so far, for the `complete` lines; also the last `total` printed. */
  sent: number;
  /** Round 1's size and duration: its rate says what a copy under the lock would have cost. */
  first: { bytes: number; seconds: number };
  /** Everything a copy under the lock would have sent, as the catch-up found it. */
  fullBytes?: number;
}

const stampOf = (st: fs.Stats): FileStamp => ({
  size: st.isFile() ? st.size : 0,
  mtimeMs: st.mtimeMs,
  ctimeMs: st.ctimeMs,
  ino: st.ino,
  dev: st.dev,
});

/**
 * The reference of each filesystem the copy reads from: the stamp the kernel put on a file we
 * create there (O_EXCL: never through a link someone put at the name) and remove at once. A
 * directory we cannot create in leaves its device without a reference: its files are then
 * always sent again.
 */
function probe(dirs: readonly string[]): Map<number, number> {
  const refs = new Map<number, number>();
  for (const dir of dirs) {
    let dev: number;
    try {
      dev = fs.statSync(dir).dev;
    } catch {
      continue;
    }
    if (refs.has(dev)) continue;
    const file = path.join(dir, `.rsync_tunnel_sst_probe.${process.pid}.${randomBytes(6).toString('hex')}`);
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        const st = fs.fstatSync(fd);
        // Created now: both stamps are the filesystem's present; the older one is the safer reference.
        refs.set(st.dev, Math.min(st.mtimeMs, st.ctimeMs));
      } finally {
        fs.closeSync(fd);
        fs.unlinkSync(file);
      }
    } catch (e) {
      log.warn(
        `precopy: no reference time for ${dir} (${(e as Error).message}): its files are sent again under the lock`,
      );
    }
  }
  return refs;
}

function look(dirs: readonly string[]): ClockLook {
  const refs = probe(dirs);
  return { wallMs: Date.now(), monotonicMs: performance.now(), refs };
}

/** Where a symlinked database directory leads, or undefined once it is gone (dropped during an online round). */
function realOrGone(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * A directory dropped while the donor is writable has nothing left to send (pass 1 deletes it
 * on the joiner); any other failure (EACCES) ends the SST as it does without precopy.
 */
function readdirUnlessGone(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}

function readdirOrNone(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

export class Precopy {
  constructor(
    private readonly life: Lifecycle,
    private readonly runner: RsyncRunner,
    private readonly args: SstArgs,
    private readonly p: Prepared,
    private readonly target: string,
    private readonly work: string,
    private readonly tools: PrecopyTools,
  ) {}

  /** Clocks first, then the listing: every byte a round reads is read after its reference. */
  private list(): Listing {
    const datadir = this.args.datadir;
    const databases = this.tools.databaseDirectories(datadir);
    const symlinked: Record<string, string> = {};
    for (const db of databases.filter((d) => isSymlink(path.join(datadir, d)))) {
      const resolved = realOrGone(path.join(datadir, db));
      if (resolved !== undefined) symlinked[db] = resolved;
    }
    const { layout, binlog } = this.p;
    const clocks = look([
      datadir,
      ...Object.values(symlinked),
      layout.dataHome,
      layout.logDir,
      layout.undoDir,
      layout.ariaLog,
      ...(binlog ? [binlog.dir] : []),
    ]);
    const kept = pathsInside(datadir, [
      ...tlsFiles(this.p.tls),
      ...(this.p.tls.caPath === undefined ? [] : [this.p.tls.caPath]),
    ]);
    const byFull = new Map<string, FileStamp>();
    const recording: ListingFs = {
      readdir: readdirUnlessGone,
      lstat: (p) => {
        const st = fs.lstatSync(p);
        byFull.set(p, stampOf(st));
        return st;
      },
    };
    const files = databaseFiles(datadir, databases, symlinked, kept, recording);
    const stamps = new Map<string, FileStamp>();
    for (const f of files) {
      const db = f.path.slice(0, f.path.indexOf('/'));
      const full = path.join(symlinked[db] ?? path.join(datadir, db), f.path.slice(db.length + 1));
      const st = byFull.get(full);
      if (st !== undefined) stamps.set(f.path, st);
    }
    const binlogs = binlog ? binlogsToSend(binlog, datadir, this.p.maxBinlogs) : [];
    for (const b of binlogs) {
      try {
        stamps.set(b, stampOf(fs.lstatSync(b)));
      } catch {
        // Purged since the index was read: rsync skips it (online) or says so (locked).
      }
    }
    return { look: clocks, databases, symlinked, kept, files, binlogs, stamps };
  }

  /** The files of `now` to send after `held` (and `since`'s clocks); everything, with a WARNING, after a clock step. */
  private select(
    held: ReadonlyMap<string, FileStamp>,
    since: ClockLook,
    now: Listing,
    when: string,
  ): { send: Set<string>; reasons: Partial<Record<Reason, number>> } {
    const step = clockStep(since, now.look);
    if (step !== undefined) {
      log.warn(
        `precopy: a clock stepped between the last round and ${when} (${step}): ` +
          'file times cannot be trusted, so everything is sent again',
      );
      return { send: new Set(now.stamps.keys()), reasons: {} };
    }
    const r = selectChanged(held, now.stamps, since.refs);
    return { send: new Set(r.send), reasons: r.reasons };
  }

  /**
   * Runs one round's passes; returns the bytes planned. `total` is printed first for --progress; the progress
   * lines in the log name the round (`label`), since each counts its own bytes.
   */
  private async run(
    structure: readonly Pass[],
    queue: readonly Pass[],
    offset: number,
    label: string,
  ): Promise<number> {
    const bytes = queue.reduce((n, pass) => n + pass.bytes, 0);
    if (this.args.progress) this.tools.protocol(`total ${offset + bytes}`);
    for (const pass of structure) await this.runner.run(pass);
    const monitor = this.tools.monitor(bytes, offset, label);
    const state = new TransferState();
    const watching = this.tools.watch(monitor, state);
    try {
      await runQueue(queue, this.p.backupThreads, this.runner, state, () => this.life.supervisor.stopAll());
    } finally {
      watching.stop();
    }
    if (this.args.progress) this.tools.protocol(`complete ${offset + bytes}`);
    return bytes;
  }

  private plan(
    l: Listing,
    files: readonly SourceFile[],
    binlogs: readonly string[],
    locked: boolean,
  ): { structure: Pass[]; queue: Pass[] } {
    const { layout } = this.p;
    return transferPlan({
      target: this.target,
      datadir: layout.datadir,
      dataHome: layout.dataHome,
      logDir: layout.logDir,
      undoDir: layout.undoDir,
      ariaLog: layout.ariaLog,
      symlinkedDatabases: l.symlinked,
      files,
      engines: locked,
      engineBytes: locked ? engineBytes(layout) : undefined,
      binlogs,
      // The list the joiner builds its index from: all binlogs, as the lock found them.
      binlogList: locked && l.binlogs.length > 0 ? writeBinlogList(this.work, l.binlogs) : undefined,
      binlogBytes: totalSize(binlogs),
      keptOnDonor: l.kept,
      streams: this.p.backupThreads,
      listDir: this.work,
      rateLimit: this.p.rateLimit,
    });
  }

  /**
   * The online rounds: round 1 sends every database file and every closed binlog; each further
   * round what changed since the one before began, while that shrinks, at most precopy-rounds.
   * The files the catch-up always sends (engine files, the binlog being written) wait for it.
   */
  async online(): Promise<Online> {
    const max = this.p.precopy.rounds;
    let l = this.list();
    this.announce(l);
    let send = new Set(l.stamps.keys());
    let online: Online | undefined;
    for (let round = 1; round <= max; round++) {
      const sentBefore = online?.sent ?? 0;
      online = await this.onlineRound(l, send, round, online);
      if (round === max) break;
      const next = this.list();
      const chosen = this.select(online.held, online.look, next, `round ${round + 1}`);
      const nextFiles =
        next.files.filter((f) => chosen.send.has(f.path)).length +
        next.binlogs.filter((b) => chosen.send.has(b)).length;
      const nextBytes = sumSizes(next.stamps, chosen.send);
      if (!worthAnotherRound(nextBytes, nextFiles, online.sent - sentBefore)) {
        log.info(
          `precopy: ${nextFiles} files, ${formatBytes(nextBytes)} changed during round ${round}; ` +
            'no further online round',
        );
        break;
      }
      l = next;
      send = chosen.send;
    }
    return online as Online;
  }

  private announce(l: Listing): void {
    if (l.kept.length > 0)
      log.warn(`kept on this node: ${l.kept.join(', ')}: this node's own TLS files inside the datadir are never sent`);
    if (this.p.binlog) log.info(`binary logs to send: ${l.binlogs.length} (sst-max-binlogs ${this.p.maxBinlogs})`);
    if (this.p.rateLimit !== undefined) {
      log.info(
        `rate limit ${formatRate(this.p.rateLimit)} for the whole SST (rlimit): ` +
          'the online rounds take longer, with this node writable; the lock lasts only the catch-up',
      );
    }
  }

  /** One online round: the files of `send` in `l`, but the binlog being written; what the joiner then holds. */
  private async onlineRound(l: Listing, send: Set<string>, round: number, before?: Online): Promise<Online> {
    const max = this.p.precopy.rounds;
    const current = l.binlogs[l.binlogs.length - 1];
    send.delete(current ?? '');
    const files = l.files.filter((f) => send.has(f.path));
    const binlogs = l.binlogs.filter((b) => send.has(b));
    const plan = this.plan(l, files, binlogs, false);
    const started = performance.now();
    const bytes = await this.run(
      onlinePasses(plan.structure),
      onlinePasses(plan.queue),
      before?.sent ?? 0,
      `precopy round ${round}`,
    );
    const seconds = (performance.now() - started) / 1000;
    log.info(
      `precopy round ${round} of at most ${max}: sent ${files.length + binlogs.length} files, ` +
        `${formatBytes(bytes)} in ${seconds.toFixed(1)} s ` +
        `(${formatRate(seconds > 0 ? bytes / seconds : 0)}), donor writable`,
    );
    // The joiner holds what this round sent, and what it skipped as unchanged; not the binlog being written.
    const held = new Map(l.stamps);
    if (current !== undefined) held.delete(current);
    return {
      look: l.look,
      held,
      rounds: round,
      sent: (before?.sent ?? 0) + bytes,
      first: before?.first ?? { bytes, seconds },
    };
  }

  /**
   * Under the lock: the structure and deletion pass, the engine passes, the binlog being written
   * with the list, and the files the rule selects against the last round; with precopy=verify,
   * the skipped files compared by checksum too.
   */
  async catchUp(online: Online): Promise<void> {
    const l = this.list();
    const chosen = this.select(online.held, online.look, l, 'the lock');
    const current = l.binlogs[l.binlogs.length - 1];
    if (current !== undefined) chosen.send.add(current);
    const files = l.files.filter((f) => chosen.send.has(f.path));
    const binlogs = l.binlogs.filter((b) => chosen.send.has(b));
    const always = alwaysSent(this.p.layout, readdirOrNone, l.binlogs);
    const plan = this.plan(l, files, binlogs, true);
    const bytes = plan.queue.reduce((n, pass) => n + pass.bytes, 0);
    const reasons = Object.entries(chosen.reasons)
      .map(([why, n]) => `${n} ${why}`)
      .join(', ');
    log.info(
      `precopy catch-up under the lock: ${files.length + binlogs.length} changed files` +
        `${reasons === '' ? '' : ` (${reasons})`} and ${always.length} always sent ` +
        `(engine files, the binlog being written), ${formatBytes(bytes)}; ` +
        `${l.files.length - files.length} database files unchanged since round ${online.rounds} began`,
    );
    if (this.p.rateLimit !== undefined) {
      log.info(
        `rate limit ${formatRate(this.p.rateLimit)} (rlimit): ` +
          `the catch-up takes at least ${formatDuration(bytes / this.p.rateLimit)}, with this node's tables locked`,
      );
    }
    online.fullBytes =
      sumBytes(l.files) + totalSize(l.binlogs) + Object.values(engineBytes(this.p.layout)).reduce((n, b) => n + b, 0);
    const started = performance.now();
    await this.run(plan.structure, plan.queue, online.sent, 'precopy catch-up');
    online.sent += bytes;
    if (this.p.precopy.mode === 'verify') {
      const skipped = l.files.filter((f) => !chosen.send.has(f.path));
      const closed = l.binlogs.filter((b) => !chosen.send.has(b));
      // Only the queue: the structure pass has just run; the list files are rewritten as each pass starts.
      const checked = verifyPasses(this.plan(l, skipped, closed, false).queue);
      log.info(
        `precopy=verify: comparing the ${skipped.length + closed.length} skipped files ` +
          `(${formatBytes(sumBytes(skipped) + totalSize(closed))}) by checksum under the lock; ` +
          'any that differs is named and sent',
      );
      for (const pass of checked) await this.runner.run(pass);
    }
    log.info(`precopy catch-up done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  /**
   * At `continue`: how long the tables were locked, against what round 1's rate says a locked full copy
   * would have taken.
   */
  static reportLock(online: Online, lockedMs: number): void {
    const rate = online.first.seconds > 0 ? online.first.bytes / online.first.seconds : 0;
    const full =
      rate > 0 && online.fullBytes !== undefined
        ? `; a copy of everything (${formatBytes(online.fullBytes)}) under the lock ` +
          `would have taken about ${formatDuration(online.fullBytes / rate)} at round 1's rate`
        : '';
    log.info(
      `tables were locked for ${(lockedMs / 1000).toFixed(1)} s ` +
        `(precopy, ${online.rounds} online ${online.rounds === 1 ? 'round' : 'rounds'})${full}`,
    );
  }
}

const sumBytes = (files: readonly SourceFile[]): number => files.reduce((n, f) => n + f.size, 0);

function sumSizes(stamps: ReadonlyMap<string, FileStamp>, names: ReadonlySet<string>): number {
  let n = 0;
  for (const name of names) n += stamps.get(name)?.size ?? 0;
  return n;
}
