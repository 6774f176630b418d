import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** TCP state 0A is LISTEN in /proc/net/tcp{,6}. */
const TCP_LISTEN = '0A';

export interface ListeningSocket {
  inode: number;
  port: number;
  /** As the kernel prints it: hex, for logs only. */
  localAddress: string;
}

/** Parses /proc/net/tcp or tcp6 text; pure so it can be tested on samples. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
    const [addr, portHex] = (fields[1] ?? '').split(':');
    out.push({ inode: Number(fields[9]), port: parseInt(portHex ?? '', 16), localAddress: addr ?? '' });
  }
  return out;
}

export function listeningSockets(): ListeningSocket[] {
  const all: ListeningSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      all.push(...parseProcNetTcp(readFileSync(file, 'utf8')));
    } catch {
      // No IPv6 in this kernel: nothing listens there.
    }
  }
  return all;
}

export function socketInodesOf(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // The fd closed while we looked.
    }
  }
  return inodes;
}

export function listenInodesOnPort(port: number): Set<number> {
  return new Set(
    listeningSockets()
      .filter((s) => s.port === port)
      .map((s) => s.inode),
  );
}

/** True when `pid` itself holds a socket listening on `port`. */
export function pidListensOn(pid: number, port: number): boolean {
  const wanted = listenInodesOnPort(port);
  if (wanted.size === 0) return false;
  for (const inode of socketInodesOf(pid)) if (wanted.has(inode)) return true;
  return false;
}

export interface PortOwner {
  pid: number;
  command: string;
}

function processIds(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Who listens on `port`, found through /proc without lsof, ss or ps (docs/protocol.md §5.5). */
export function portOwners(port: number): PortOwner[] {
  const wanted = listenInodesOnPort(port);
  if (wanted.size === 0) return [];
  const owners: PortOwner[] = [];
  for (const pid of processIds()) {
    for (const inode of socketInodesOf(pid)) {
      if (wanted.has(inode)) {
        owners.push({ pid, command: commandOf(pid) });
        break;
      }
    }
  }
  return owners;
}
