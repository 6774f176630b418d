/**
 * socat address strings for the tunnel (docs/architecture.md §5; docs/protocol.md §5.1,
 * §7.5, §7.35). Pure: typed input in, one argv element out; no shell is ever involved.
 *
 * What socat 1.7.4.4 (Debian 12) does, established with the real binary, certificates made by
 * openssl, `strace -e openat` to see the file names socat actually opens, and a script that
 * prints its argv as the EXEC target:
 *
 * Lexing. Parameters (`OPENSSL:<host>:<port>`, `EXEC:<line>`) end at `:` `,` `!!`; option values
 * end at `,` `!!` (`cert=/x/a:b` opens `/x/a:b`). An unescaped `!!` anywhere, even inside an
 * option value, starts a second address (`cert=/x/a!!b` → `unknown device/address "b"`).
 * `\` escapes the next byte everywhere, also inside quotes: `\,` `\:` `\ ` `\!\!` `\'` `\"` `\\`
 * all come out as the bare character; but `\n` `\t` `\0` … are C escapes (`cert=/x/a\nb` opens a
 * name with a newline), so a backslash must never precede a letter or digit. `'…'` and `"…"`
 * protect `,` `:` `!!` and are removed; `( )`, `[ ]`, `{ }` protect their content and are kept.
 * Hence socatValue() puts `\` before every ASCII character that is not a letter, digit or one of
 * `/ . _ - + @ =`, and leaves other bytes alone (`\é` → `é`, harmless). Limits: a parameter holds at
 * most 511 bytes after unescaping (512 → `address … too long`), an option value 2047 (2048 →
 * `option too long`). Past socat, OpenSSL splits `capath` at `:` (see caPathOption), the one
 * value that cannot carry a character at all.
 *
 * EXEC. socat unescapes the parameter, then splits it again at spaces with the same rules
 * (`EXEC:p a\\ b` → argv `a b`; runs of spaces collapse; `""` gives an empty argument; an
 * unescaped bracket holding an escape at the second level, `EXEC:p a[b\\ c]d`, made socat fail
 * with "internal: miscalculated string lengths"). So each token is escaped once for the split, then the whole line once
 * more, and the 511-byte limit applies to the once-escaped line. No shell runs: `$(…)` stays literal text.
 *
 * Duplicate options are fatal, not "last wins": `verify=1,verify=0`, `commonname=a,commonname=b`,
 * `fork,fork`, even `verify=0,openssl-verify=0` (aliases) end with `option "openssl-verify" not
 * inquired` / `1 option(s) could not be used`. Only some (`reuseaddr` twice) are tolerated.
 * Option names are case-insensitive (`VERIFY=0` works). So a user sockopt replaces the option of
 * ours with the same canonical name (`socat -hhh` lists the aliases) instead of being appended.
 *
 * Names (OPENSSL client). verify defaults to 1 and, since 1.7.3, checks the server certificate's
 * name against the connect host: CN=other.example at 127.0.0.1 → `certificate is valid but its
 * commonName does not match hostname "127.0.0.1"`. Accepted: subject CN, SAN DNS (CN=other,
 * DNS:localhost at `localhost` passes), SAN IP (CN=other, IP:127.0.0.1 / IP:::1 pass); the CN is
 * still honoured when SANs exist. For an IPv6 literal socat compares the CN with the bracketed
 * text: CN=::1 at `[::1]` fails, with `commonname=::1` it passes, and SAN IP matches either way
 * (also for `[fe80::…%eth0]` with `commonname=fe80::…`), so we name the bare address ourselves.
 * `commonname=<x>` replaces the host in the check and in SNI. An empty `commonname=` alone fails
 * with `Failed to set SNI host ""`; with `nosni=1` it skips the name check while the chain is
 * still verified (wrong CA → `certificate verify failed`): that is how VERIFY_CA is expressed.
 * `nosni` alone does not disable the name check.
 *
 * OPENSSL-LISTEN. verify=1 (the default) demands a client certificate (`peer did not return a
 * certificate`) and verifies its chain against cafile/capath (the system store otherwise);
 * `commonname=<x>` additionally checks the client's CN, empty does nothing. The listener does
 * not check the client's name by default. Beware: with TLS 1.3 a client socat whose certificate
 * the server refused may still exit 0 with no data (seen for a client without certificate), so
 * only the payload (rsync's own result) tells success.
 *
 * Addresses. `OPENSSL:[::1]:p` and `OPENSSL:[fe80::…%eth0]:p` connect (no pf needed); `::1`
 * without brackets → `OPENSSL: 2 parameters required`. OPENSSL-LISTEN is IPv4-only by default
 * (`0.0.0.0`); `bind=[::1]` without `pf=ip6` → `getaddrinfo(…): Address family for hostname not
 * supported`; with `pf=ip6`, `bind=[::1]`, `bind=::1` and `bind=[fe80::…%eth0]` work, and
 * `pf=ip6` without bind also accepts IPv4 clients (dual stack, bindv6only=0).
 *
 * `reuseaddr`: after an accepted connection the server side sits in TIME-WAIT, and a new
 * listener on that port without it fails `bind(…): Address already in use`; with it the bind
 * works, while a second listener next to a live one still gets EADDRINUSE, so busy-port
 * detection keeps working. `fork`: without it the listener serves one connection and exits (the
 * second client gets `Connection refused`); rsync opens one connection per pass. Each connection
 * gets its own child, TLS handshake and EXEC (the fork comes before the handshake, socat docs).
 *
 * Signals. SIGTERM can hang socat 1.7.4.4: the handler calls exit(), whose atexit handler frees
 * the SSL_CTX; when the signal lands while socat is already freeing it, the process spins forever
 * in SSL_CTX_flush_sessions → CRYPTO_THREAD_write_lock (seen with gdb). Whoever stops socat must
 * follow TERM with KILL.
 */
import { Exit, SstError } from '../errors';
import { formatHost, isIpLiteral, isZoneId } from '../net/address';
import type { SocatFeatures } from '../proc/tool-features';

export interface TunnelTls {
  /** Certificate, or key+certificate bundle. */
  cert: string;
  key?: string;
  caFile?: string;
  caPath?: string;
  verify: boolean;
  /** undefined: socat's default (the target host); '': no name check (chain only). */
  commonName?: string;
}

/** Bytes socat keeps of an address parameter and of an option value, measured (see above). */
const MAX_PARAM_BYTES = 511;
const MAX_OPTION_BYTES = 2047;

/**
 * Every ASCII character except those literal in all of socat's lexing contexts: letters and
 * digits (a backslash before them would be a C escape), `/ . _ - + @` and `=` (a key/value
 * separator only in option names, never in values or parameters: `cert=/x/a=b`, `EXEC:p --y=1`).
 */
const NEEDS_ESCAPE = /[^A-Za-z0-9/._+=@\-\u0080-\uffff]/g;

/**
 * Control characters: socat would carry most of them, but a line break in a value forges lines
 * in socat's and our logs, NUL cannot pass through argv at all, and no path or name needs them.
 */
const CONTROL = /[\u0000-\u001f\u007f]/;

function escapeFor(value: string, what: string): string {
  if (CONTROL.test(value)) {
    throw new SstError(Exit.UNSAFE_VALUE, `Refusing ${what} ${JSON.stringify(value)}: it contains a control character`);
  }
  return value.replace(NEEDS_ESCAPE, '\\$&');
}

/** Escapes `value` so that socat reads it back unchanged as an option value or parameter. */
export function socatValue(value: string): string {
  return escapeFor(value, 'value');
}

function fitting(value: string, limit: number, what: string): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limit) {
    throw new SstError(Exit.UNSAFE_VALUE, `Refusing ${what}: ${bytes} bytes, socat accepts at most ${limit}`);
  }
  return value;
}

function option(name: string, value: string): string {
  const what = `${name}= value`;
  return `${name}=${escapeFor(fitting(value, MAX_OPTION_BYTES, what), what)}`;
}

function portParam(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SstError(Exit.BAD_CONFIG, `Invalid tunnel port ${port}`);
  }
  return String(port);
}

/**
 * An IPv6 literal goes in raw brackets, which protect its colons, so logs stay readable; that is
 * only safe for a checked literal and zone. Anything else is escaped like any value.
 */
function hostText(h: { host: string; zone?: string; ipv6: boolean }, what: string): string {
  if (!h.ipv6 && isIpLiteral(h.host) !== 6) return escapeFor(fitting(h.host, MAX_PARAM_BYTES, what), what);
  if (isIpLiteral(h.host) !== 6 || (h.zone !== undefined && !isZoneId(h.zone))) {
    throw new SstError(
      Exit.BAD_CONFIG,
      `Refusing ${what} ${JSON.stringify(formatHost({ ...h, ipv6: true }))}: not an IPv6 address`,
    );
  }
  return formatHost({ ...h, ipv6: true });
}

/** Canonical names of the options we emit, from `socat -hhh` ("x is an alias for y"). */
const CANONICAL = new Map<string, string>([
  ['cert', 'openssl-certificate'],
  ['certificate', 'openssl-certificate'],
  ['key', 'openssl-key'],
  ['cafile', 'openssl-cafile'],
  ['capath', 'openssl-capath'],
  ['verify', 'openssl-verify'],
  ['cn', 'openssl-commonname'],
  ['commonname', 'openssl-commonname'],
  ['nosni', 'openssl-no-sni'],
  ['no-sni', 'openssl-no-sni'],
  ['pf', 'protocol-family'],
  ['reuseaddr', 'so-reuseaddr'],
  ['maxchildren', 'max-children'],
]);

/** The canonical name of a sockopt item (`VERIFY=0` → openssl-verify), as socat matches duplicates. */
export function canonicalName(item: string): string {
  const name = (item.split('=', 1)[0] ?? '').toLowerCase();
  return CANONICAL.get(name) ?? name;
}

/** socat option names are letters, digits, `-` and `_` (`o_create`, `ip-tos`, `b115200`). */
const OPTION_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const CLOSER = new Map([
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
]);

function badSockopt(raw: string, why: string): SstError {
  return new SstError(Exit.BAD_CONFIG, `Invalid sockopt ${JSON.stringify(raw)}: ${why}`);
}

/** Splits at the commas socat itself would split at: not escaped, quoted or bracketed. */
function splitTopLevel(raw: string): string[] {
  const items: string[] = [];
  const open: string[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    const expected = open[open.length - 1];
    if (c === '\\') {
      if (i + 1 === raw.length) throw badSockopt(raw, 'it ends with a lone backslash');
      i++;
    } else if (expected === "'") {
      if (c === "'") open.pop();
    } else if (c === expected) {
      open.pop();
    } else if (c === "'" || c === '"') {
      open.push(c);
    } else if (CLOSER.has(c)) {
      open.push(CLOSER.get(c) ?? c);
    } else if (c === ',' && open.length === 0) {
      items.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  if (open.length > 0) throw badSockopt(raw, `'${open[open.length - 1]}' is never closed`);
  items.push(raw.slice(start));
  return items;
}

/**
 * Trims blanks around an option, keeping a trailing blank that is escaped (`a=b\ `). Only ASCII
 * spaces (control characters are refused before): String.trim() would also drop a no-break space
 * or U+2028 that ends a value, which socat would have kept.
 */
function trimItem(item: string): string {
  const lead = item.replace(/^ +/, '');
  const both = lead.replace(/ +$/, '');
  const backslashes = (/\\*$/.exec(both)?.[0] ?? '').length;
  return backslashes % 2 === 1 ? lead.slice(0, both.length + 1) : both;
}

/**
 * The user's extra socat options (`sockopt`, in socat syntax, e.g. `cipher=HIGH:!aNULL`).
 * The only way out of our address inside one argv element is `!!`, which opens a second
 * address; line breaks and NUL would corrupt argv or logs. Shell syntax means nothing here (no
 * shell runs), so `$(…)` reaches socat as text and socat rejects it as an option or value. A
 * leading `-` cannot become a socat flag either (it sits after `OPENSSL…:`), but it is not an
 * option name, so it is refused here with a clearer message than socat's. What the items mean
 * for peer verification, and the C escapes socat would decode into control characters, are
 * judged by sockopt-policy.ts.
 */
export function parseSockopt(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  if (CONTROL.test(raw)) throw badSockopt(raw, 'it contains a line break or another control character');
  if (raw.includes('!!')) throw badSockopt(raw, "'!!' would make socat open a second address");
  const items = splitTopLevel(raw)
    .map(trimItem)
    .filter((item) => item !== '');
  for (const item of items) {
    const name = item.split('=', 1)[0] ?? '';
    if (!OPTION_NAME.test(name)) throw badSockopt(raw, `'${name}' is not a socat option name`);
  }
  return items;
}

/** Our options first, minus those the user sets (duplicates are fatal), then the user's. */
function withUserOptions(head: string, ours: readonly string[], sockopt: readonly string[]): string {
  const user = parseSockopt(sockopt.join(','));
  const overridden = new Set(user.map(canonicalName));
  return [head, ...ours.filter((o) => !overridden.has(canonicalName(o))), ...user].join(',');
}

/**
 * OpenSSL reads a CA directory as a `:`-separated list: `capath=/x/cp\:x` makes it look for
 * `/x/cp/<hash>.0` (strace) and verification fails, however socat is told. Refused here so the
 * error names the cause instead of "certificate verify failed".
 */
function caPathOption(caPath: string): string {
  if (caPath.includes(':')) {
    throw new SstError(
      Exit.UNSAFE_VALUE,
      `Refusing CA directory ${JSON.stringify(caPath)}: OpenSSL reads ':' in it as a list separator; use a ` +
        `CA file or a directory without ':'`,
    );
  }
  return option('capath', caPath);
}

function materialOptions(tls: TunnelTls): string[] {
  return [
    option('cert', tls.cert),
    ...(tls.key === undefined ? [] : [option('key', tls.key)]),
    ...(tls.caFile === undefined ? [] : [option('cafile', tls.caFile)]),
    ...(tls.caPath === undefined ? [] : [caPathOption(tls.caPath)]),
    `verify=${tls.verify ? 1 : 0}`,
  ];
}

/**
 * The joiner's listener. `ipv6` selects `pf=ip6` (needed for an IPv6 bind and for an IPv6 joiner
 * listening on all interfaces); the client name is checked only for a non-empty commonName. For
 * socat 1.7.4.0/1.7.4.1 an empty `commonname=` otherwise: without any, their listeners crash on a
 * client certificate with an IPv6 subjectAltName (src/proc/tool-features.ts). `maxChildren`
 * caps the connections served at once: every socat we support (1.7.3.3–1.8.1.3) then stops
 * accepting, and further clients wait in the kernel's backlog (connected, not refused) until a
 * child ends; a user's `max-children` in sockopt replaces ours.
 */
export function listenAddress(o: {
  port: number;
  bind?: { host: string; ipv6: boolean; zone?: string };
  ipv6: boolean;
  tls: TunnelTls;
  sockopt: readonly string[];
  socat?: Pick<SocatFeatures, 'listenerNeedsCommonName'>;
  maxChildren?: number;
}): string {
  const v6 = o.ipv6 || o.bind?.ipv6 === true;
  const ours = [
    'reuseaddr',
    'fork',
    ...(o.maxChildren === undefined ? [] : [`max-children=${o.maxChildren}`]),
    ...(o.bind === undefined ? [] : [`bind=${hostText(o.bind, 'bind address')}`]),
    ...(v6 ? ['pf=ip6'] : []),
    ...materialOptions(o.tls),
    ...(o.tls.verify && o.tls.commonName ? [option('commonname', o.tls.commonName)] : []),
    ...(o.tls.verify && !o.tls.commonName && o.socat?.listenerNeedsCommonName ? ['commonname='] : []),
  ];
  return withUserOptions(`OPENSSL-LISTEN:${portParam(o.port)}`, ours, o.sockopt);
}

/** socat 1.7.3 knows no `nosni`; sending no SNI at all, it skips the name check on an empty commonname. */
function nameCheck(o: { host: string; ipv6: boolean; tls: TunnelTls; socat: Pick<SocatFeatures, 'noSni'> }): string[] {
  if (!o.tls.verify) return [];
  if (o.tls.commonName === '') return o.socat.noSni ? ['commonname=', 'nosni=1'] : ['commonname='];
  if (o.tls.commonName !== undefined) return [option('commonname', o.tls.commonName)];
  // socat would compare a CN with "[::1]"; the bare address matches both CN and SAN IP.
  return o.ipv6 || isIpLiteral(o.host) === 6 ? [option('commonname', o.host)] : [];
}

/** The donor's connection to the joiner; the certificate is always presented as client cert. */
export function connectAddress(o: {
  host: string;
  port: number;
  ipv6: boolean;
  zone?: string;
  tls: TunnelTls;
  sockopt: readonly string[];
  /** What the socat that will run this address can do; socat 1.7.4 or later when not given. */
  socat?: Pick<SocatFeatures, 'noSni'>;
}): string {
  const head = `OPENSSL:${hostText(o, 'joiner host')}:${portParam(o.port)}`;
  return withUserOptions(
    head,
    [...materialOptions(o.tls), ...nameCheck({ ...o, socat: o.socat ?? { noSni: true } })],
    o.sockopt,
  );
}

/** One argv token for EXEC's second split: escaped, and `""` for an empty one. */
function execToken(token: string): string {
  return token === '' ? '""' : escapeFor(token, 'EXEC argument');
}

/** `EXEC:` running `argv` directly (execvp, no shell), each token arriving unchanged. */
export function execAddress(argv: readonly string[]): string {
  if (argv.length === 0 || argv[0] === '') throw new SstError(Exit.UNSAFE_VALUE, 'EXEC needs a program');
  const line = fitting(argv.map(execToken).join(' '), MAX_PARAM_BYTES, 'the EXEC command line');
  return `EXEC:${escapeFor(line, 'EXEC command line')}`;
}
