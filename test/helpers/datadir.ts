/**
 * A generated datadir shaped like MariaDB 10.11's, and a digest of trees to
 * compare a joiner's copy with the donor's, byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join, relative } from 'node:path';

export interface DatadirOptions {
  /** Bytes of the largest table file (default 2 MiB). */
  bigTable?: number;
  binlogs?: number;
  /** Put InnoDB/Aria files in these directories instead of the datadir (absolute). */
  dataHome?: string;
  logDir?: string;
  undoDir?: string;
  ariaLog?: string;
}

/** Writes `file`, with the directories above it: `content` as given, or that many random bytes. */
export function put(file: string, content: number | string | Buffer): void {
  fs.mkdirSync(join(file, '..'), { recursive: true });
  fs.writeFileSync(file, typeof content === 'number' ? randomBytes(content) : content);
}

export function makeDatadir(dir: string, o: DatadirOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  put(join(o.dataHome ?? dir, 'ibdata1'), 256 * 1024);
  put(join(o.logDir ?? dir, 'ib_logfile0'), 128 * 1024);
  for (const n of ['undo001', 'undo002', 'undo003']) put(join(o.undoDir ?? dir, n), 64 * 1024);
  put(join(o.ariaLog ?? dir, 'aria_log_control'), 52);
  put(join(o.ariaLog ?? dir, 'aria_log.00000001'), 16 * 1024);
  put(join(dir, 'mysql', 'user.MAI'), 8192);
  put(join(dir, 'mysql', 'user.MAD'), 4096);
  put(join(dir, 'mysql', 'db.opt'), 'default-character-set=utf8mb4\n');
  put(join(dir, 'shop', 'orders.ibd'), o.bigTable ?? 2 * 1024 * 1024);
  put(join(dir, 'shop', 'orders.frm'), 1024);
  put(join(dir, 'shop', 'customers.ibd'), 96 * 1024);
  put(join(dir, 'shop', 'table with spaces.ibd'), 4096);
  put(join(dir, 'shop', 'nested', 'deep.bin'), 100);
  put(join(dir, 'sales@002d2024', 't.ibd'), 32 * 1024);
  fs.mkdirSync(join(dir, 'empty_db'), { recursive: true });
  // Top-level files that must stay on the donor (docs/protocol.md §3.3).
  put(join(dir, 'grastate.dat'), '# GALERA saved state\nversion: 2.1\n');
  put(join(dir, 'galera.cache'), 64 * 1024);
  put(join(dir, 'ib_buffer_pool'), 'x');
  for (let i = 1; i <= (o.binlogs ?? 0); i++) put(join(dir, `mysql-bin.${String(i).padStart(6, '0')}`), 8192 + i);
  if (o.binlogs) {
    const names = Array.from({ length: o.binlogs }, (_, i) => `./mysql-bin.${String(i + 1).padStart(6, '0')}\n`);
    put(join(dir, 'mysql-bin.index'), names.join(''));
  }
}

/** path → sha256 (files), 'dir', or 'link:<target>'; only entries `keep` accepts. */
export function treeDigest(root: string, keep: (rel: string) => boolean = () => true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative(root, full);
      const st = fs.lstatSync(full);
      if (!keep(rel)) continue;
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(full);
      } else if (st.isSymbolicLink()) {
        out.set(rel, `link:${fs.readlinkSync(full)}`);
      } else {
        out.set(rel, createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
      }
    }
  };
  walk(root);
  return out;
}

/** What an SST copies from a datadir laid out by makeDatadir: everything but the stay-home files. */
export const STAYS_HOME =
  /^(grastate\.dat|galera\.cache|ib_buffer_pool|mysql-bin\.[0-9]+|mysql-bin\.index|wsrep_sst\.pid|tables_flushed)$/;
