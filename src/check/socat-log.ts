/**
 * Reading socat's `-d -d` log (pure). The handshake facts come from socat itself, as observed
 * with socat 1.7.4.4 (Debian 12):
 *
 *   socat[P] N SSL proto version used: TLSv1.3
 *   socat[P] N SSL connection using TLS_AES_256_GCM_SHA384
 *   socat[P] N trusting certificate, commonName matches          (client, name checked)
 *   socat[P] N trusting certificate, no check of commonName      (listener, or VERIFY_CA)
 *   socat[P] E certificate is valid but its commonName does not match hostname "127.0.0.2"
 *   socat[P] E SSL_accept(): error:0A000086:SSL routines::certificate verify failed
 *
 * The listener runs with `fork`, which forks *before* the handshake: the parent logs
 * "accepting connection from AF=2 a.b.c.d:p on …" and "forked off child process C", and the
 * handshake lines come from C (whose own EXEC child logs "execvp'ing"). C ends with
 * "exiting with status N" or "exit(N)".
 *
 * With TLS 1.3 a listener that refuses the client's certificate tells only itself: the client
 * completes its side of the handshake, then sees the connection close without data. The
 * responder's line is therefore the only proof, on the client side, that the listener accepted it.
 */
import { item, type CheckItem } from './result';

export interface SocatLine {
  pid: number;
  /** D, I, N, W, E or F. */
  level: string;
  text: string;
}

const LINE = /socat\[(\d+)\] ([DINWEF]) (.*)$/;

export function parseSocatLine(line: string): SocatLine | undefined {
  const m = LINE.exec(line.trimEnd());
  return m ? { pid: Number(m[1]), level: m[2] ?? '', text: m[3] ?? '' } : undefined;
}

export interface Handshake {
  protocol?: string;
  cipher?: string;
  /** socat's verdict on the peer certificate ("trusting certificate, commonName matches"). */
  trust?: string;
  /** Error (E) and fatal (F) messages, in order. */
  errors: string[];
}

function newHandshake(): Handshake {
  return { errors: [] };
}

/** Folds one line into `h`; returns true when the line was about the handshake. */
function applyHandshakeLine(h: Handshake, l: SocatLine): boolean {
  const proto = /^SSL proto version used: (\S+)/.exec(l.text);
  const cipher = /^SSL connection using (\S+)/.exec(l.text);
  if (proto) h.protocol = proto[1];
  else if (cipher) h.cipher = cipher[1];
  else if (/^trusting certificate/.test(l.text)) h.trust = l.text;
  else if (l.level === 'E' || l.level === 'F') h.errors.push(l.text);
  else return false;
  return true;
}

function handshakeDone(h: Handshake): boolean {
  return h.cipher !== undefined;
}

function negotiated(h: Handshake): string {
  return `${h.protocol ?? 'TLS'}, cipher ${h.cipher ?? 'unknown'}`;
}

export function summarizeClient(lines: readonly string[]): Handshake {
  const h = newHandshake();
  for (const line of lines) {
    const l = parseSocatLine(line);
    if (l) applyHandshakeLine(h, l);
  }
  return h;
}

export interface PeerOutcome {
  handshake: Handshake;
  /** The listener's responder line arrived. */
  answered: boolean;
  timedOut: boolean;
  interrupted: boolean;
  exitCode: number | null;
}

/** The verdict of `check --peer` on one connection to `target`. */
export function peerItem(target: string, timeoutSeconds: number, o: PeerOutcome): CheckItem {
  const id = 'handshake';
  const label = `handshake with ${target}`;
  const h = o.handshake;
  if (o.interrupted) return item(id, label, 'FAIL', 'interrupted before the handshake finished');
  if (h.errors.length > 0) {
    const when = handshakeDone(h) ? `after the handshake (${negotiated(h)}): ` : '';
    return item(id, label, 'FAIL', `${when}socat: ${h.errors.join(' | ')}`);
  }
  if (o.timedOut)
    return item(
      id,
      label,
      'FAIL',
      `no answer within ${timeoutSeconds} s (is \`check --listen\` running there, and the port open?)`,
    );
  if (handshakeDone(h) && o.answered) {
    return item(
      id,
      label,
      'PASS',
      `${negotiated(h)}; ${h.trust ?? 'peer certificate accepted'}; the listener accepted this node's certificate`,
    );
  }
  if (handshakeDone(h)) {
    return item(
      id,
      label,
      'FAIL',
      `TLS set up (${negotiated(h)}; ${h.trust ?? 'peer certificate accepted'}), but the listener closed the ` +
        `connection without ` +
        "answering: it refused this node's certificate (with TLS 1.3 only the listener learns why: see its " +
        'check --listen output)',
    );
  }
  return item(id, label, 'FAIL', `socat ended (exit code ${o.exitCode ?? 'none'}) without a TLS handshake`);
}

export interface Connection {
  /** `address:port` of the peer, as socat printed it. */
  peer: string;
  handshake: Handshake;
  done: boolean;
}

/** Lines of processes not yet known to belong to a connection are kept, up to this many. */
const MAX_ORPHAN_LINES = 10_000;

/**
 * Follows a forking listener's log and tells which connection each line belongs to. Feed it
 * whole lines; it returns the connections a line completed.
 *
 * A connection's process may log before the listener has logged "forked off child process"
 * for it (both write to one pipe, and a busy host may run the child first): such lines wait
 * until their process is known.
 */
export class ListenerLog {
  private parent: number | undefined;
  private pendingPeer = 'unknown peer';
  private readonly owners = new Map<number, Connection>();
  private readonly orphans = new Map<number, SocatLine[]>();
  private orphanLines = 0;
  private readonly all: Connection[] = [];
  /** Errors of the listening process itself (a bind failure, a bad certificate). */
  readonly listenerErrors: string[] = [];

  feed(line: string): Connection[] {
    const l = parseSocatLine(line);
    if (l === undefined) return [];
    this.parent ??= l.pid;
    if (l.pid === this.parent) return this.fromListener(l);
    const conn = this.owners.get(l.pid);
    if (conn === undefined) {
      this.keepOrphan(l);
      return [];
    }
    return this.fromConnection(conn, l);
  }

  private keepOrphan(l: SocatLine): void {
    if (this.orphanLines >= MAX_ORPHAN_LINES) return;
    this.orphanLines += 1;
    this.orphans.set(l.pid, [...(this.orphans.get(l.pid) ?? []), l]);
  }

  /** `pid` now belongs to `conn`: its waiting lines are applied. */
  private adopt(pid: number, conn: Connection): Connection[] {
    this.owners.set(pid, conn);
    const waiting = this.orphans.get(pid) ?? [];
    this.orphans.delete(pid);
    return waiting.flatMap((l) => this.fromConnection(conn, l));
  }

  private fromConnection(conn: Connection, l: SocatLine): Connection[] {
    if (conn.done) return [];
    const child = /^forked off child process (\d+)/.exec(l.text);
    // The EXEC child of this connection's process: same connection.
    if (child) return this.adopt(Number(child[1]), conn);
    if (/^(exiting with status|exit\()/.test(l.text)) {
      conn.done = true;
      return [conn];
    }
    applyHandshakeLine(conn.handshake, l);
    return [];
  }

  private fromListener(l: SocatLine): Connection[] {
    const accepted = /^accepting connection from AF=\d+ (\S+) on/.exec(l.text);
    const child = /^forked off child process (\d+)/.exec(l.text);
    if (accepted) {
      this.pendingPeer = accepted[1] ?? this.pendingPeer;
    } else if (child) {
      const conn: Connection = { peer: this.pendingPeer, handshake: newHandshake(), done: false };
      this.all.push(conn);
      return this.adopt(Number(child[1]), conn);
    } else if (l.level === 'E' || l.level === 'F') {
      this.listenerErrors.push(l.text);
    }
    return [];
  }

  /** Connections still going on. */
  unfinished(): Connection[] {
    return this.all.filter((c) => !c.done);
  }

  connectionCount(): number {
    return this.all.length;
  }
}

/** What the listener can say of a connection it answered without an error. */
export const ANSWERED = "answered (the connecting node's check --peer tells whether it accepted this node's name)";

/**
 * The verdict of `check --listen` on one finished (or, at the end, unfinished) connection.
 * `namesClient`: whether the listener was given a client name to check. Without one it still
 * runs with an empty `commonname=` (socat 1.7.4.0/1 crash workaround), for which socat logs a
 * vacuous "commonName matches".
 */
export function connectionItem(c: Connection, namesClient: boolean): CheckItem {
  const id = `handshake:${c.peer}`;
  const label = `handshake from ${c.peer}`;
  const h = c.handshake;
  if (!c.done) return item(id, label, 'WARN', 'still in progress when the listener stopped');
  if (h.errors.length > 0 && !handshakeDone(h)) {
    return item(id, label, 'FAIL', `the donor's certificate was refused: socat: ${h.errors.join(' | ')}`);
  }
  if (h.errors.length > 0) {
    return item(
      id,
      label,
      'FAIL',
      `TLS set up (${negotiated(h)}), then socat: ${h.errors.join(' | ')}: the connecting node probably refused this ` +
        "node's certificate (its check --peer output says why)",
    );
  }
  if (!handshakeDone(h))
    return item(id, label, 'FAIL', 'the connection ended before a TLS handshake (not a socat client?)');
  const trust = namesClient ? h.trust : h.trust?.replace('commonName matches', 'no check of commonName');
  // socat checks the listener's name only after the handshake, so the connecting node may drop a
  // connection this listener has already answered: an error here or not is a race, and only
  // check --peer knows for sure.
  return item(id, label, 'PASS', `${negotiated(h)}; ${trust ?? 'donor certificate accepted'}; ${ANSWERED}`);
}
