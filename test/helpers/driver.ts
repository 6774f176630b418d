/**
 * Plays mariadbd for integration tests: spawns the joiner and the donor with
 * the argv of MariaDB 10.11.19 (docs/protocol.md §1.2), reads their stdout line by line,
 * hands the joiner's address to the donor, and writes tables_flushed on
 * `flush tables` as the server does (tmp file + rename).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { programCommand } from './binary';

export const STATE_UUID = '6bd123a8-ea9b-11f1-a038-7a47bd6ba6d1';

export interface RoleRun {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Resolves with the next stdout line, or undefined at EOF. */
  nextLine: (timeoutMs?: number) => Promise<string | undefined>;
  exit: Promise<number | null>;
}

/** `binary` runs another build of the program (the previous release) instead of programCommand()'s. */
export function startRole(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
  binary?: string,
): RoleRun {
  const { command, args } = binary === undefined ? programCommand() : { command: binary, args: [] };
  const child = spawn(command, [...args, ...argv], { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const lines: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  const queued: (string | undefined)[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (stderr += d));
  const rl = createInterface({ input: child.stdout! });
  const deliver = (l: string | undefined): void => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  };
  rl.on('line', (l) => {
    lines.push(l);
    deliver(l);
  });
  rl.on('close', () => deliver(undefined));
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  const nextLine = (timeoutMs = 60_000): Promise<string | undefined> => {
    if (queued.length > 0) return Promise.resolve(queued.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no stdout line within ${timeoutMs} ms; stderr:\n${stderr}`)),
        timeoutMs,
      );
      waiting.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  };
  return { child, lines, stderr: () => stderr, nextLine, exit };
}

export interface NodeSide {
  datadir: string;
  cnf: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
  /** This node's executable when it is not the program under test (a node one release behind). */
  binary?: string;
}

export function joinerArgv(j: NodeSide, address: string, parent: number): string[] {
  return [
    '--role',
    'joiner',
    '--address',
    address,
    '--datadir',
    `${j.datadir}/`,
    '--defaults-file',
    j.cnf,
    '--parent',
    String(parent),
    '--progress',
    '0',
    ...(j.extraArgs ?? []),
    '--mysqld-args',
    `--defaults-file=${j.cnf}`,
  ];
}

export function donorArgv(d: NodeSide, address: string, seqno: number, bypass = false): string[] {
  return [
    '--role',
    'donor',
    '--address',
    address,
    '--local-port',
    '3306',
    '--socket',
    '/nonexistent/mysqld.sock',
    '--progress',
    '0',
    '--datadir',
    `${d.datadir}/`,
    '--defaults-file',
    d.cnf,
    '--gtid',
    `${STATE_UUID}:${seqno}`,
    '--gtid-domain-id',
    '0',
    ...(d.extraArgs ?? []),
    ...(bypass ? ['--bypass'] : []),
    '--mysqld-args',
    `--defaults-file=${d.cnf}`,
    '--wsrep-new-cluster',
  ];
}

/** What the server does on `flush tables` (docs/protocol.md §3.2). */
export function writeTablesFlushed(datadir: string, state: string): void {
  const file = join(datadir, 'tables_flushed');
  writeFileSync(`${file}.tmp`, `${state}\n\n`);
  renameSync(`${file}.tmp`, file);
}

/** mariadbd's split of the ready payload: auth before the last '@' goes to the donor's environment. */
/** A joiner's ready line: its address and, when it announced one, `user:secret`. */
export interface Ready {
  auth?: string;
  address: string;
}

export function splitReady(line: string): Ready {
  const payload = line.slice('ready '.length);
  const at = payload.lastIndexOf('@');
  return at < 0 ? { address: payload } : { auth: payload.slice(0, at), address: payload.slice(at + 1) };
}

/** The secret of a ready line's `user:secret` authentication, as a client holding it would use it. */
export function authSecret(auth: string | undefined): string {
  return (auth ?? '').slice((auth ?? '').indexOf(':') + 1);
}

export interface SstResult {
  joiner: RoleRun;
  donor?: RoleRun;
  joinerCode: number | null;
  donorCode?: number | null;
  joinerFinal?: string;
  ready?: string;
}

export interface SstOptions {
  joiner: NodeSide;
  donor: NodeSide;
  address: string;
  seqno?: number;
  bypass?: boolean;
  parent?: number;
  /** Overrides what the donor gets as --address (after mariadbd's split). */
  donorAddress?: (address: string) => string;
  /** Called once the joiner is ready, before the donor starts. */
  onReady?: (address: string, auth: string | undefined) => Promise<void>;
  /** Replaces the `name:secret` that mariadbd would hand to the donor. */
  donorAuth?: string;
  /** Called with the donor as soon as it runs (a precopy test watches its log to write during round 1). */
  onDonorStart?: (donor: RoleRun) => void;
  /**
   * Called on the donor's `flush tables`, before tables_flushed is written: the donor waits
   * there, after its online precopy rounds and before its catch-up, while the test writes.
   */
  beforeLock?: () => Promise<void> | void;
}

/** One SST, donor→joiner, the way two mariadbd would run it. */
export async function runSst(o: SstOptions): Promise<SstResult> {
  const seqno = o.seqno ?? 42;
  const joiner = startRole(
    joinerArgv(o.joiner, o.address, o.parent ?? process.pid),
    o.joiner.env,
    'ignore',
    o.joiner.binary,
  );
  const ready = await joiner.nextLine(120_000);
  if (!ready?.startsWith('ready ')) {
    return { joiner, joinerCode: await joiner.exit, ready };
  }
  const { auth, address } = splitReady(ready);
  await o.onReady?.(address, auth);
  const donor = startRole(
    donorArgv(o.donor, o.donorAddress ? o.donorAddress(address) : address, seqno, o.bypass),
    { ...o.donor.env, WSREP_SST_OPT_REMOTE_AUTH: o.donorAuth ?? auth ?? '' },
    'ignore',
    o.donor.binary,
  );
  o.onDonorStart?.(donor);
  const state = `${STATE_UUID}:${seqno} 0`;
  for (;;) {
    const line = await donor.nextLine(300_000);
    if (line === undefined) break;
    if (line === 'flush tables') {
      await o.beforeLock?.();
      writeTablesFlushed(o.donor.datadir, state);
    }
    if (line.startsWith('done')) break;
  }
  const donorCode = await donor.exit;
  if (donorCode !== 0) {
    // The real joiner mariadbd aborts when the donor fails; its SST script sees the parent die.
    joiner.child.kill('SIGTERM');
  }
  const joinerFinal = await joiner.nextLine(120_000).catch(() => undefined);
  const joinerCode = await joiner.exit;
  return { joiner, donor, joinerCode, donorCode, joinerFinal, ready };
}
