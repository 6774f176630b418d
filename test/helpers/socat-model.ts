/**
 * A small model of how socat lexes one address, written from the rules measured and documented in
 * src/tunnel/socat-address.ts and src/tunnel/sockopt-policy.ts, independently of the code that
 * escapes for it: property tests check that what we build reads back as meant, and
 * test/integration/socat-model.test.ts checks the model itself against the real socat.
 *
 * Rules: `\` takes the next character literally, everywhere, except the C escapes `\0 \a \b \f \n
 * \r \t \v`; quotes at the top are removed and protect separators, `'…'` literally; inside `"…"`
 * or a bracket pair, quotes and brackets nest and are kept; brackets are always kept. Parameters
 * end at `:` `,` `!!`, option values at `,` `!!`; an option's name ends at its first `=`.
 */
const C_ESCAPES = new Map([
  ['0', '\0'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['v', '\v'],
]);

const CLOSER = new Map([
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
]);

export interface LexedAddress {
  /** The address type and its parameters (`OPENSSL`, host, port). */
  params: string[];
  /** Options in order: name, and value (undefined for a bare `fork`). */
  options: [string, string | undefined][];
  /** Text after an unescaped top-level `!!`, when there is one. */
  second?: string;
}

interface Token {
  value: string;
  /** A quote pair was removed from it: `""` is an empty token, not nothing. */
  quoted: boolean;
  /** The separator that ended it: '' at the end of the text. */
  separator: string;
}

/**
 * `text` split at the top-level separators `separatorAt` finds (it returns their length, 0 for
 * none, -1 to stop there: `!!`), each token unescaped.
 */
function tokens(text: string, separatorAt: (at: number) => number): Token[] {
  const out: Token[] = [];
  const open: string[] = [];
  let value = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const expected = open[open.length - 1];
    if (c === '\\') {
      const next = text.charAt(++i);
      value += C_ESCAPES.get(next) ?? next;
      continue;
    }
    const quote = c === "'" || c === '"';
    if (expected === "'" || (expected !== undefined && c === expected)) {
      if (c === expected) open.pop();
      if (quote && c === expected && open.length === 0) quoted = true;
      else value += c;
      continue;
    }
    if (expected === undefined) {
      const length = separatorAt(i);
      if (length < 0) {
        out.push({ value, quoted, separator: '!!' });
        return out;
      }
      if (length > 0) {
        out.push({ value, quoted, separator: text.slice(i, i + length) });
        value = '';
        quoted = false;
        i += length - 1;
        continue;
      }
    }
    if (quote || CLOSER.has(c)) {
      if (quote && open.length === 0) quoted = true;
      else value += c;
      open.push(quote ? c : (CLOSER.get(c) ?? c));
      continue;
    }
    value += c;
  }
  out.push({ value, quoted, separator: '' });
  return out;
}

/** One socat address as socat splits and unescapes it. */
export function lexAddress(text: string): LexedAddress {
  let inOptions = false;
  let named = false;
  let second: string | undefined;
  const parts = tokens(text, (at) => {
    if (text.startsWith('!!', at)) {
      second = text.slice(at + 2);
      return -1;
    }
    const c = text.charAt(at);
    if (c === ',') {
      inOptions = true;
      named = false;
      return 1;
    }
    if (c === ':' && !inOptions) return 1;
    // The first `=` of an option ends its name; later ones belong to the value.
    if (c === '=' && inOptions && !named) {
      named = true;
      return 1;
    }
    return 0;
  });
  const params: string[] = [];
  const options: [string, string | undefined][] = [];
  let optionMode = false;
  let name: string | undefined;
  for (const part of parts) {
    if (!optionMode) params.push(part.value);
    else if (part.separator === '=') name = part.value;
    else {
      options.push(name === undefined ? [part.value, undefined] : [name, part.value]);
      name = undefined;
    }
    if (part.separator === ',') optionMode = true;
  }
  return { params, options, ...(second === undefined ? {} : { second }) };
}

/** The argv socat's EXEC runs for `EXEC:<line>`: the parameter unescaped, then split at blanks. */
export function execArgv(address: string): string[] {
  const lexed = lexAddress(address);
  const line = lexed.params[1];
  if (lexed.params[0] !== 'EXEC' || lexed.params.length !== 2 || line === undefined)
    throw new Error(`not one EXEC parameter: ${address}`);
  return tokens(line, (at) => (line.charAt(at) === ' ' ? 1 : 0))
    .filter((t) => t.value !== '' || t.quoted)
    .map((t) => t.value);
}
