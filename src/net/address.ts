/**
 * The `--address` values mariadbd passes (docs/protocol.md §1.2, §2.2, §5.2, §7 items 3, 34, 41).
 *
 * Joiner: `host[:port]` or `[v6[%zone]][:port]`, never a path, never credentials.
 * Donor: the joiner's `ready` payload, `[auth@]host:port/module[/lsn/ver…]`; 10.11's mariadbd
 * strips `auth@` before starting us, but we parse it anyway so a future or older server that
 * leaves it in does not turn credentials into a host name.
 *
 * Everything here is pure so each rule can be tested without a network.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { Exit, SstError } from '../errors';

export interface HostPort {
  /** Without brackets and without the zone. */
  host: string;
  /** IPv6 zone (interface) without the `%`. */
  zone?: string;
  /** The address was a bracketed IPv6 literal. */
  ipv6: boolean;
  port: number;
}

export interface DonorTarget extends HostPort {
  /** rsync module the joiner advertised. */
  module: string;
  /** Path parts after the module (`lsn`, `sst_ver` of other methods); kept, not interpreted. */
  extraPath: string[];
  auth?: { user: string; password?: string };
}

/** The port every SST method uses when the address has none (§5.2). */
export const DEFAULT_SST_PORT = 4444;

/**
 * The module our joiner advertises (the original rsync_tunnel's name, §2.2). A donor address
 * without a module can only come from a hand-made request, and this is what our joiner serves.
 */
export const DEFAULT_MODULE = 'rsync_tunnel_sst';

/**
 * What the donor's mariadbd accepts in the text before the last `@` ("Bad remote auth string",
 * §1.4). Anything else never reaches a donor, so we refuse it instead of guessing.
 */
export const AUTH_CHARSET = /^[A-Za-z0-9._:-]*$/;

/** What the donor's mariadbd accepts after the auth part ("Bad SST address string", §2.2). */
export const ADDRESS_CHARSET = /^[A-Za-z0-9._:/[\]-]*$/;

/** Linux interface names are at most 15 bytes; this subset is what real zone ids use. */
const ZONE = /^[A-Za-z0-9_.-]{1,15}$/;

/** A label of a host name; a leading `-` is refused so a host can never read as a program option. */
const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Module and extra path parts: the path subset of ADDRESS_CHARSET, never `.`/`..` alone. */
const PATH_PART = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

const MAX_HOSTNAME = 253;

function bad(address: string, why: string): SstError {
  return new SstError(Exit.BAD_CONFIG, `Invalid address '${address}': ${why}`);
}

export function isIpLiteral(host: string): 4 | 6 | 0 {
  if (isIPv4(host)) return 4;
  // node accepts `addr%zone`; HostPort keeps the zone apart, so a zone here is not a bare literal.
  if (!host.includes('%') && isIPv6(host)) return 6;
  return 0;
}

/** Whether `zone` may follow `%` in an IPv6 address we parse or build. */
export function isZoneId(zone: string): boolean {
  return ZONE.test(zone);
}

function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > MAX_HOSTNAME) return false;
  // All digits and dots is meant as IPv4; if it is not a valid one, it is a typo, not a name.
  if (/^[0-9.]+$/.test(name)) return false;
  return name.split('.').every((label) => HOST_LABEL.test(label));
}

function parsePort(text: string, address: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw bad(address, `port '${text}' is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(address, `port ${port} is out of range 1-65535`);
  return port;
}

interface HostPart {
  host: string;
  zone?: string;
  ipv6: boolean;
  /** Text after the host: empty, or starting with `:` or `/`. */
  rest: string;
}

function splitBracketed(text: string, address: string): HostPart {
  const close = text.indexOf(']');
  if (close < 0) throw bad(address, "'[' without ']'");
  const inside = text.slice(1, close);
  const percent = inside.indexOf('%');
  const host = percent < 0 ? inside : inside.slice(0, percent);
  const zone = percent < 0 ? undefined : inside.slice(percent + 1);
  if (isIpLiteral(host) !== 6) throw bad(address, `'${host}' is not an IPv6 address`);
  if (zone !== undefined && !isZoneId(zone)) throw bad(address, `'${zone}' is not an IPv6 zone id`);
  const rest = text.slice(close + 1);
  if (rest !== '' && !rest.startsWith(':') && !rest.startsWith('/')) {
    throw bad(address, `unexpected '${rest}' after ']'`);
  }
  return { host, ...(zone === undefined ? {} : { zone }), ipv6: true, rest };
}

function splitHost(text: string, address: string): HostPart {
  if (text.startsWith('[')) return splitBracketed(text, address);
  // Without brackets the first `:` would cut an IPv6 address into a host and a "port".
  if (/^[^/]*:[^/]*:/.test(text)) {
    throw bad(address, 'an IPv6 address must be written in brackets, e.g. [::1]:4444');
  }
  const end = text.search(/[:/]/);
  const host = end < 0 ? text : text.slice(0, end);
  const rest = end < 0 ? '' : text.slice(end);
  if (host === '') throw bad(address, 'no host');
  if (isIpLiteral(host) !== 4 && !isHostname(host)) throw bad(address, `'${host}' is not a host name or IP address`);
  return { host, ipv6: false, rest };
}

/** Splits `:port[/path]` after the host into the port text (undefined if absent) and the path. */
function splitPort(rest: string, address: string): { port?: number; path?: string } {
  const slash = rest.indexOf('/');
  const portPart = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? undefined : rest.slice(slash + 1);
  if (portPart === '') return path === undefined ? {} : { path };
  return { port: parsePort(portPart.slice(1), address), ...(path === undefined ? {} : { path }) };
}

function hostPort(part: HostPart, port: number): HostPort {
  return { host: part.host, ...(part.zone === undefined ? {} : { zone: part.zone }), ipv6: part.ipv6, port };
}

/**
 * The joiner's `--address`. `portOption` is `--port`: mariadbd never sends it, but the common
 * parser honours it and refuses a contradiction with exit 2 (§5.2).
 */
export function parseJoinerAddress(address: string, portOption?: number): HostPort {
  const text = address.trim();
  if (text === '') throw bad(address, 'empty');
  if (text.includes('@')) throw bad(address, 'a joiner address carries no credentials');
  const part = splitHost(text, address);
  const { port, path } = splitPort(part.rest, address);
  if (path !== undefined) throw bad(address, 'a joiner address has no path');
  if (portOption !== undefined && (!Number.isInteger(portOption) || portOption < 1 || portOption > 65535)) {
    throw new SstError(Exit.BAD_CONFIG, `Invalid --port=${portOption}: out of range 1-65535`);
  }
  if (port !== undefined && portOption !== undefined && port !== portOption) {
    throw new SstError(Exit.NOT_FOUND, `port in --port=${portOption} differs from port in --address=${text}`);
  }
  return hostPort(part, port ?? portOption ?? DEFAULT_SST_PORT);
}

function parseAuth(auth: string, address: string): { user: string; password?: string } {
  if (!AUTH_CHARSET.test(auth)) {
    throw bad(address, 'the credentials before the last @ use characters mariadbd does not accept');
  }
  const colon = auth.indexOf(':');
  return colon < 0 ? { user: auth } : { user: auth.slice(0, colon), password: auth.slice(colon + 1) };
}

function parsePath(path: string | undefined, address: string): { module: string; extraPath: string[] } {
  const parts = path === undefined || path === '' ? [] : path.split('/');
  for (const p of parts) {
    if (!PATH_PART.test(p)) throw bad(address, `path part '${p}' is not a valid module or path name`);
  }
  return { module: parts[0] ?? DEFAULT_MODULE, extraPath: parts.slice(1) };
}

/**
 * The donor's `--address`. Credentials are whatever precedes the last `@`, split at the first
 * `:`, the same cut mariadbd and the common library make (§1.4, §5.1), so a secret containing `:`
 * stays whole. The module is the first path part (§7.41); later parts are kept as given.
 */
export function parseDonorAddress(address: string): DonorTarget {
  const text = address.trim();
  if (text === '') throw bad(address, 'empty');
  const at = text.lastIndexOf('@');
  const auth = at < 0 ? undefined : parseAuth(text.slice(0, at), address);
  const part = splitHost(text.slice(at + 1), address);
  const { port, path } = splitPort(part.rest, address);
  return {
    ...hostPort(part, port ?? DEFAULT_SST_PORT),
    ...parsePath(path, address),
    ...(auth === undefined ? {} : { auth }),
  };
}

/** The host as it appears in an address: IPv6 in brackets, with its zone. */
export function formatHost(h: { host: string; zone?: string; ipv6: boolean }): string {
  if (!h.ipv6) return h.host;
  return h.zone === undefined ? `[${h.host}]` : `[${h.host}%${h.zone}]`;
}

export function formatHostPort(h: HostPort): string {
  return `${formatHost(h)}:${h.port}`;
}

/**
 * One spelling per address, so `::1`, `0:0:0:0:0:0:0:1` and `[::1]` compare equal (the WHATWG
 * URL parser prints IPv6 in the RFC 5952 form). The zone (`fe80::1%eth0`) is dropped.
 * Undefined for anything that is not an IP address.
 */
export function canonicalIp(text: string): string | undefined {
  const bare = text
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '');
  const kind = isIpLiteral(bare);
  if (kind === 4) return bare;
  if (kind === 0) return undefined;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

/**
 * For "is this one of our addresses" only: an IPv4-mapped IPv6 address reaches the IPv4 address
 * it carries. (Certificates compare the bytes, so there `::ffff:10.0.0.1` stays an IPv6 address.)
 */
function localIdentity(ip: string): string {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!mapped) return ip;
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

function sameName(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/\.$/, '');
  return norm(a) === norm(b);
}

/**
 * Whether the joiner may bind to `host` (§5.2, §7.34): loopback, `localhost`, one of our
 * own names or an address of one of our interfaces. Anything else is an address someone else
 * owns (NAT, a proxy), and binding to it would fail, so the caller listens on all interfaces.
 */
export function isLocalHost(
  host: string,
  ctx: { interfaceAddresses: readonly string[]; hostnames: readonly string[] },
): boolean {
  const canonical = canonicalIp(host);
  if (canonical === undefined) {
    return sameName(host, 'localhost') || ctx.hostnames.some((name) => sameName(host, name));
  }
  const ip = localIdentity(canonical);
  if (ip === '::1' || /^127\./.test(ip)) return true;
  return ctx.interfaceAddresses.some((a) => {
    const own = canonicalIp(a);
    return own !== undefined && localIdentity(own) === ip;
  });
}
