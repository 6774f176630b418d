/**
 * Which of the user's `sockopt` items weaken the verification of the peer, and which ones socat
 * would read differently from us (docs/architecture.md §8.5). Pure: parsed items and the TLS decisions in, a
 * verdict out; the SST logs it and `check` reports it, so both judge with this one function.
 *
 * How socat 1.7.3.3, 1.7.4.4 and 1.8.1.3 decode an option value, measured with `socat -d -d -d -d`
 * (which logs `setting option "openssl-cafile" to "…"`) and a TLS server whose certificate names
 * another host (so verification visibly fails or passes):
 *  - `\x` is x for any other byte, also inside quotes and brackets (`cn=\x41` → `x41`), except the
 *    C escapes `\0 \a \b \f \n \r \t \v`, which become control characters (`\0` ends the value).
 *    All three versions alike.
 *  - Quotes at the top of a value are removed (`cn=a'b'c` → `abc`, `cn='a'"b"` → `ab`). Inside
 *    `'…'` everything is literal; inside `"…"` or a bracket pair, quotes and brackets nest and are
 *    kept (`cn="a'b'c"` → `a'b'c`, `cn=(a'b')` → `(a'b')`), and brackets are always kept. An
 *    unclosed nested quote is a syntax error on 1.7.4.4 and 1.8.1.3 and silently kept on 1.7.3.3;
 *    parseSockopt refuses it.
 *  - A boolean is read with strtoul after leading white space: `verify=\t0`, `\n0`, `\r0`, `\f0`,
 *    `\v0`, `'\t0'`, `\ 0` all switched verification off; `\b0`, `\a0`, `\00`, trailing blanks
 *    and brackets are parse errors; any non-zero number, 2^32 and 2^64 included, means 1.
 * Reading C escapes ourselves would mean predicting strtoul on control characters; refusing them
 * (as parseSockopt refuses raw control characters) leaves only values we read exactly as socat.
 *
 * What weakens, measured with socat 1.7.4.4 and 1.8.1.3 as the client at a host the server's
 * certificate does not name: `verify=0` (nothing is checked); `commonname=<x>` (x is checked
 * instead of the joiner's address; empty with `nosni=1`: no name check); `cafile`/`capath`
 * (another trust anchor than the configured CA). Not: `nosni` and `snihost=<x>` (still "does not
 * match hostname"), `min-version`/`max-version` (protocol range, still the name failure; like a
 * cipher list it is about the encryption, not about who the peer is), `cipher=…`.
 */
import type { SslMode } from '../config/tls';
import { Exit, SstError } from '../errors';
import { canonicalName, parseSockopt } from './socat-address';

export interface SockoptContext {
  mode: SslMode;
  /** The CA the SST configured (tca/tcapath or ssl-ca/ssl-capath), absolute. */
  caFile?: string;
  caPath?: string;
}

export interface Weakening {
  /** The item as the user wrote it (`VERIFY=0`), so the log names what to remove. */
  option: string;
  reason: string;
}

export interface SockoptVerdict {
  weakens: Weakening[];
  /** True when socat's peer verification is off altogether (`verify=0` however spelled). */
  verifyOff: boolean;
  /** Why the SST must refuse this sockopt (exit 22): socat would read it differently from us. */
  refused?: string;
}

const C_ESCAPE = /^[0abfnrtv]$/;

const CLOSER = new Map([
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
]);

type Decoded = { value: string } | { cEscape: string };

/** The value of one parsed item as socat hands it on, or the C escape that makes it unreadable. */
export function decodeSockoptValue(item: string): Decoded {
  const eq = item.indexOf('=');
  const raw = eq < 0 ? '' : item.slice(eq + 1);
  const open: string[] = [];
  let value = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    const expected = open[open.length - 1];
    if (c === '\\') {
      const next = raw.charAt(++i);
      if (C_ESCAPE.test(next)) return { cEscape: `\\${next}` };
      value += next;
      continue;
    }
    const quote = c === "'" || c === '"';
    if (expected === "'" || c === expected) {
      if (c === expected) open.pop();
      // Only a quote that closes at the top is removed; brackets and nested quotes stay.
      if (!(quote && c === expected && open.length === 0)) value += c;
      continue;
    }
    if (quote || CLOSER.has(c)) open.push(quote ? c : (CLOSER.get(c) ?? c));
    if (!quote || open.length > 1) value += c;
  }
  return { value };
}

/** socat's strtoul(…, 0) reading 0 with nothing after it; leading blanks are skipped. */
const ZERO = /^ *[+-]?0(?:[xX]0+|0*)$/;

function caReason(kind: 'cafile' | 'capath', value: string, ctx: SockoptContext): string | undefined {
  const same = kind === 'cafile' ? ctx.caFile : ctx.caPath;
  const other = kind === 'cafile' ? ctx.caPath : ctx.caFile;
  if (same !== undefined && same === value) return undefined;
  const what = kind === 'cafile' ? 'the CA file' : 'the CA directory';
  if (same !== undefined) return `peers are verified against ${what} '${value}' instead of the configured ${same}`;
  if (other !== undefined)
    return `peers issued by ${what} '${value}' are accepted too, next to the configured ${other}`;
  return (
    `peers are verified against ${what} '${value}', which the SST's own certificate checks do not see ` +
    `(configure the CA with tca instead)`
  );
}

function commonNameReason(value: string, mode: SslMode): string | undefined {
  if (value === '') {
    return mode === 'VERIFY_CA'
      ? undefined
      : "donors do not check the joiner's certificate name (with nosni=1; socat 1.7.3 even without), only its chain";
  }
  return (
    `donors accept any certificate from the CA that names ` +
    `'${value}', instead of checking the address the joiner advertised`
  );
}

function weakening(canonical: string, value: string, ctx: SockoptContext): string | undefined {
  switch (canonical) {
    case 'openssl-verify':
      return ZERO.test(value) ? 'the peer certificate is not verified at all (neither chain nor name)' : undefined;
    case 'openssl-cafile':
      return caReason('cafile', value, ctx);
    case 'openssl-capath':
      return caReason('capath', value, ctx);
    case 'openssl-commonname':
      return commonNameReason(value, ctx.mode);
    default:
      return undefined;
  }
}

/**
 * Judges the items parseSockopt returned. A bare boolean (`verify`) means 1 and a bare string
 * option is a socat error, so only items with `=` can weaken. With ssl-mode=REQUIRED nothing is
 * verified in the first place (that has its own warning), so nothing more can weaken.
 */
export function classifySockopt(items: readonly string[], ctx: SockoptContext): SockoptVerdict {
  const weakens: Weakening[] = [];
  let verifyOff = false;
  for (const item of items) {
    const decoded = decodeSockoptValue(item);
    if ('cEscape' in decoded) {
      return {
        weakens: [],
        verifyOff: false,
        refused:
          `Invalid sockopt item ${JSON.stringify(item)}: socat decodes ${decoded.cEscape} into a control ` +
          `character, which is refused; a literal backslash is written \\\\`,
      };
    }
    if (!item.includes('=')) continue;
    const canonical = canonicalName(item);
    if (canonical === 'openssl-verify' && ZERO.test(decoded.value)) verifyOff = true;
    const reason = ctx.mode === 'REQUIRED' ? undefined : weakening(canonical, decoded.value, ctx);
    if (reason !== undefined) weakens.push({ option: item, reason });
  }
  return { weakens, verifyOff };
}

/** One log line or check sentence per weakening option. */
export function describeWeakening(w: Weakening): string {
  return `sockopt ${w.option} weakens peer verification: ${w.reason}; do not do this in production`;
}

/** The `sockopt` value as the SST uses it: parsed, judged, refused (22) when socat would read it otherwise. */
export function resolveSockopt(
  raw: string | undefined,
  ctx: SockoptContext,
): { items: string[]; verdict: SockoptVerdict } {
  const items = parseSockopt(raw);
  const verdict = classifySockopt(items, ctx);
  if (verdict.refused !== undefined) throw new SstError(Exit.BAD_CONFIG, verdict.refused);
  return { items, verdict };
}
