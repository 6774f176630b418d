import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { posix as path } from 'node:path';
import { Exit, SstError } from '../errors';
import { log } from '../log';
import { BINLOG_LIST } from '../rsync/modules';
import type { BinlogSettings } from './settings';

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Pure: the last `max` index entries (0 = none, negative = all), spec §3.4. */
export function tailOfIndex(entries: readonly string[], max: number): string[] {
  if (max === 0) return [];
  return max < 0 ? [...entries] : entries.slice(-max);
}

/**
 * Donor: the binlog files to send, oldest first, as absolute paths. Entries
 * of the index are relative to the datadir or absolute; names that are not
 * files are skipped as upstream does.
 */
export function binlogsToSend(binlog: BinlogSettings, datadir: string, max: number): string[] {
  if (!existsSync(binlog.index)) {
    log.info(`binlog index ${binlog.index} not found: no binary logs to send`);
    return [];
  }
  return tailOfIndex(readLines(binlog.index), max)
    .map((entry) => path.resolve(datadir, entry))
    .filter(isFile);
}

/** Donor: the list that tells the joiner the order of the binlogs (their names only). */
export function writeBinlogList(dir: string, files: readonly string[]): string {
  const list = path.join(dir, BINLOG_LIST);
  writeFileSync(list, files.map((f) => `${path.basename(f)}\n`).join(''));
  return list;
}

/** A received name must be a plain file name: the list comes over the network. */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !/[\0\n]/.test(name);
}

/** Joiner: delete the binlogs of the old index, the index, and unindexed `<basename>.NNN` files (spec §2.5). */
export function removeOldBinlogs(binlog: BinlogSettings, datadir: string): void {
  if (existsSync(binlog.index)) {
    for (const entry of readLines(binlog.index)) rmSync(path.resolve(datadir, entry), { force: true });
    rmSync(binlog.index, { force: true });
  }
  if (!existsSync(binlog.dir)) return;
  const numbered = new RegExp(`^${binlog.basename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9]+$`);
  for (const name of readdirSync(binlog.dir)) {
    if (numbered.test(name)) rmSync(path.join(binlog.dir, name), { force: true });
  }
}

/** Joiner: move the received binlogs into place and write a new index in the donor's order. */
export function installBinlogs(binlog: BinlogSettings, datadir: string, staging: string): number {
  removeOldBinlogs(binlog, datadir);
  const listFile = path.join(staging, BINLOG_LIST);
  if (!existsSync(listFile)) return 0;
  const names = readLines(listFile);
  mkdirSync(binlog.dir, { recursive: true });
  mkdirSync(path.dirname(binlog.index), { recursive: true });
  const indexLines: string[] = [];
  for (const name of names) {
    const received = path.join(staging, name);
    if (!isPlainName(name) || !isFile(received)) {
      throw new SstError(Exit.ABORTED, `Error installing binary log '${name}': not received from the donor`);
    }
    renameSync(received, path.join(binlog.dir, name));
    indexLines.push(`${binlog.indexPrefix}/${name}\n`);
  }
  writeFileSync(binlog.index, indexLines.join(''));
  return names.length;
}

export function stagingHasBinlogs(staging: string): boolean {
  return existsSync(path.join(staging, BINLOG_LIST));
}
