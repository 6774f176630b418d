/** fast-check generators shared by the property tests: text biased towards the characters parsers treat specially. */
import fc from 'fast-check';

/** socat's, my.cnf's and the shell's special characters, more often than chance would pick them. */
const SPECIAL = [...`\\,:!'"()[]{}= #;%@/.-_$\``, '!!', ' ', 'é', '€', '\u00a0'];

const printableChar = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL) },
);

/** Printable text (no control characters), up to 40 characters. */
export const printable = fc.array(printableChar, { maxLength: 40 }).map((cs) => cs.join(''));

/** Text a user could write in a sockopt: printable, plus the odd control character and the letters of C escapes. */
export const socatText = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: printableChar },
      { weight: 1, arbitrary: fc.constantFrom('\\n', '\\t', '\\0', '\n', '\t', 'verify=0', 'cn=') },
    ),
    {
      maxLength: 40,
    },
  )
  .map((cs) => cs.join(''));
