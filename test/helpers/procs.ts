/** Finds the processes a test started, by an environment tag every descendant inherits. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { listeningSockets, socketInodesOf } from '../../src/proc/sockets';

export interface Tagged {
  pid: number;
  cmdline: string;
}

export function taggedProcesses(tag: string): Tagged[] {
  const needle = `SST_TEST_TAG=${tag}`;
  const found: Tagged[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (!env.includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push({
        pid: Number(name),
        cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim(),
      });
    } catch {
      // Gone, or a kernel thread.
    }
  }
  return found;
}

export async function waitNoTagged(tag: string, ms: number): Promise<Tagged[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = taggedProcesses(tag);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Test cleanup: SIGKILL whatever a failed test left behind (by PID, never by name). */
export function killTagged(tag: string): void {
  for (const p of taggedProcesses(tag)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Ports on which a tagged process listens. */
export function listeningPortsOf(tag: string): number[] {
  return [...new Set(listenersOf(tag).map((l) => l.port))].sort();
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Whether a listening socket could be bound to host:port now (both with SO_REUSEADDR, as libuv and asio set it). */
export function portBindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export interface Listener {
  pid: number;
  /** The executable, so a fork not yet exec'ed (still the parent's program) can be told apart. */
  exe: string;
  cmdline: string;
  port: number;
}

/** Each (tagged process, port) pair where the process holds a listening TCP socket. */
export function listenersOf(tag: string): Listener[] {
  const byInode = new Map(listeningSockets().map((s) => [s.inode, s.port]));
  const found: Listener[] = [];
  for (const p of taggedProcesses(tag)) {
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${p.pid}/exe`);
    } catch {
      // Exited meanwhile: it listens on nothing any more.
    }
    const ports = new Set([...socketInodesOf(p.pid)].flatMap((inode) => byInode.get(inode) ?? []));
    for (const port of ports) found.push({ pid: p.pid, exe, cmdline: p.cmdline, port });
  }
  return found;
}
