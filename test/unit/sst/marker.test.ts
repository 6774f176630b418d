/** The completion marker (docs/protocol.md §3.5, §2.1 steps 12–15, §7.18, §7.27, §7.28). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isState, parseMarker, renderMarker, type Marker } from '../../../src/sst/marker';
import { SstError } from '../../../src/errors';

const UUID = 'a860abba-ea9b-11f1-ad11-f22cb73f111e';
const SECRET = '487ee7caae53d0cda58071fd82399503';

function throws32(text: string): void {
  assert.throws(
    () => parseMarker(text),
    (e: unknown) => {
      assert.ok(e instanceof SstError);
      assert.equal(e.code, 32);
      assert.match(e.message, /does not start with UUID:seqno/);
      return true;
    },
  );
}

describe('renderMarker', () => {
  test('state only', () => {
    assert.equal(renderMarker({ state: `${UUID}:3 0`, bypass: false }), `${UUID}:3 0\n`);
  });

  test('state, secret, bypass in that order, each newline-terminated', () => {
    assert.equal(
      renderMarker({ state: `${UUID}:3 0`, secret: SECRET, bypass: true }),
      `${UUID}:3 0\nsecret ${SECRET}\nbypass\n`,
    );
  });

  test('an empty secret writes no secret line', () => {
    assert.equal(renderMarker({ state: `${UUID}:3 0`, secret: '', bypass: false }), `${UUID}:3 0\n`);
  });
});

describe('round trip', () => {
  const cases: Marker[] = [
    { state: `${UUID}:3 0`, secret: undefined, bypass: false },
    { state: `${UUID}:3 0`, secret: SECRET, bypass: false },
    { state: `${UUID}:3 0`, secret: undefined, bypass: true },
    { state: `${UUID}:123456789012 4294967295`, secret: SECRET, bypass: true },
    { state: `${UUID}:-1 0`, secret: undefined, bypass: true },
    { state: `${UUID}:7`, secret: undefined, bypass: false },
  ];
  for (const m of cases) {
    test(JSON.stringify(m), () => {
      assert.deepEqual(parseMarker(renderMarker(m)), m);
    });
  }
});

describe('parseMarker', () => {
  test('a refused first line is not quoted: only its length reaches the log', () => {
    const line = 'root:x:0:0:root:/root:/bin/bash';
    assert.throws(
      () => parseMarker(`${line}\nsecret ${SECRET}\n`),
      (e: unknown) => {
        assert.ok(e instanceof SstError);
        assert.equal(e.code, 32);
        assert.equal(
          e.message,
          `the completion marker does not start with UUID:seqno (its first line has ${line.length} characters)`,
        );
        return true;
      },
    );
  });

  test('secret and bypass are found whatever their order', () => {
    assert.deepEqual(parseMarker(`${UUID}:5 1\nbypass\nsecret ${SECRET}\n`), {
      state: `${UUID}:5 1`,
      secret: SECRET,
      bypass: true,
    });
  });

  test('CRLF and surrounding blanks are tolerated', () => {
    assert.deepEqual(parseMarker(`  ${UUID}:5 1 \r\nsecret ${SECRET}\r\n bypass\r\n`), {
      state: `${UUID}:5 1`,
      secret: SECRET,
      bypass: true,
    });
  });

  test('no trailing newline', () => {
    assert.equal(parseMarker(`${UUID}:5 1`).state, `${UUID}:5 1`);
  });

  test('negative seqno (undefined position) is a valid state', () => {
    assert.equal(parseMarker(`${UUID}:-1 0\n`).state, `${UUID}:-1 0`);
  });

  test('without a domain id', () => {
    const m = parseMarker(`${UUID}:42\n`);
    assert.equal(m.state, `${UUID}:42`);
    assert.equal(m.secret, undefined);
    assert.equal(m.bypass, false);
  });

  test('upper-case hex UUID', () => {
    assert.equal(parseMarker(`${UUID.toUpperCase()}:1 0\n`).state, `${UUID.toUpperCase()}:1 0`);
  });

  test('the first secret line counts', () => {
    assert.equal(parseMarker(`${UUID}:1 0\nsecret first\nsecret second\n`).secret, 'first');
  });

  test(
    'a bare "secret" line without value gives no secret ' + '(the joiner then says "Donor does not know my secret!")',
    () => {
      assert.equal(parseMarker(`${UUID}:1 0\nsecret\n`).secret, undefined);
    },
  );

  test('"bypass" must be a whole line', () => {
    assert.equal(parseMarker(`${UUID}:1 0\nbypassed\n`).bypass, false);
    assert.equal(parseMarker(`${UUID}:1 0\nno bypass\n`).bypass, false);
  });

  test('a bad first line → 32', () => {
    throws32('');
    throws32('\n');
    throws32(`secret ${SECRET}\n${UUID}:1 0\n`);
    throws32('rsync process ended without creating magic file\n');
    throws32(`${UUID}\n`);
    throws32(`${UUID}:\n`);
    throws32(`${UUID}:1 x\n`);
    throws32(`${UUID}:1 0 extra\n`);
    throws32(`${UUID}:1.5\n`);
    throws32(`${UUID.slice(1)}:1 0\n`);
    throws32(`total 100\n`);
    throws32(`${UUID}:1  0\n`);
  });

  test('the error message quotes at most 80 characters of the first line', () => {
    assert.throws(
      () => parseMarker(`${'z'.repeat(500)}\n`),
      (e: unknown) => {
        assert.ok(e instanceof SstError);
        assert.ok(e.message.length < 200, e.message);
        return true;
      },
    );
  });
});

describe('isState (what mariadbd can parse as the final joiner line)', () => {
  test('valid', () => {
    for (const s of [`${UUID}:0`, `${UUID}:3 0`, `${UUID}:-1`, `${UUID}:-1 5`]) assert.equal(isState(s), true, s);
  });

  test('invalid', () => {
    for (const s of [
      '',
      `${UUID}:a`,
      `${UUID}:3 `,
      ` ${UUID}:3`,
      `${UUID}:3\n`,
      `complete 5`,
      `${UUID}:+3`,
      `${UUID}:3 -1`,
    ])
      assert.equal(isState(s), false, JSON.stringify(s));
  });
});
