/**
 * The command lines, environment and stdin of MariaDB 10.4 to 11.8
 * (test/fixtures/mariadb/versions.ts, each naming its evidence) through our
 * argv parser, stdin parser and the donor's choice of the joiner's secret.
 * The real `sh` tokenises each command line, as mariadbd's `sh -c` does.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args';
import { parseDonorAddress, parseJoinerAddress } from '../../../src/net/address';
import { parseAuthLines } from '../../../src/protocol/stdin';
import { joinerSecret } from '../../../src/sst/donor';
import { MARIADB_FIXTURES, type Invocation } from '../../fixtures/mariadb/versions';
import { shWords } from '../../helpers/sh-words';

function argvOf(inv: Invocation): string[] {
  const tokens = shWords(inv.commandLine);
  assert.equal(tokens[0], 'wsrep_sst_rsync_tunnel');
  return tokens.slice(1);
}

function parsed(inv: Invocation): unknown {
  const c = parseArgs(argvOf(inv));
  assert.equal(c.kind, 'sst');
  return c.kind === 'sst' ? c.args : undefined;
}

/** The request cut the way mariadbd cuts it: auth before the last '@', address after it. */
function cutRequest(request: string): { auth: string; address: string } {
  const at = request.lastIndexOf('@');
  return { auth: request.slice(0, at), address: request.slice(at + 1) };
}

test('every series from 10.4 to 11.8 has a fixture', () => {
  assert.deepEqual(
    MARIADB_FIXTURES.map((f) => f.series),
    ['10.4', '10.5', '10.6', '10.11', '11.4', '11.8'],
  );
});

for (const f of MARIADB_FIXTURES) {
  describe(`MariaDB ${f.series} (${f.evidence})`, () => {
    test('joiner argv → the expected SstArgs', () => {
      assert.deepEqual(parsed(f.joiner), f.joiner.expected);
    });

    test('donor argv → the expected SstArgs', () => {
      assert.deepEqual(parsed(f.donor), f.donor.expected);
    });

    test('the joiner --address is a plain host[:port] our joiner accepts', () => {
      assert.doesNotThrow(() => parseJoinerAddress(f.joiner.expected.address));
    });

    test('the donor --address carries no credentials: the server keeps them out of argv', () => {
      assert.equal(parseDonorAddress(f.donor.expected.address).auth, undefined);
    });

    test('the auth variables never reach the parsed arguments', () => {
      for (const inv of [f.joiner, f.donor]) {
        const text = JSON.stringify(parsed(inv));
        for (const value of Object.values(inv.env).filter((v) => v.length > 3))
          assert.equal(text.includes(value), false);
      }
    });

    test(`stdin: ${f.donor.stdin === null ? 'nothing written' : 'the auth lines are read'}`, () => {
      assert.equal(f.joiner.stdin, null, 'no revision writes to the joiner');
      const lines = parseAuthLines(f.donor.stdin ?? '');
      if (!f.temporarySstUser) {
        assert.equal(lines.size, 0);
        return;
      }
      assert.match(lines.get('sst_user') ?? '', /^wsrep\.sst\.\d{6}_\d{6}_/);
      assert.equal((lines.get('sst_password') ?? '').length, 32);
      assert.equal(
        `${lines.get('sst_remote_user')}:${lines.get('sst_remote_password')}`,
        cutRequest(f.donor.request).auth,
      );
    });

    test(
      f.donor.requestAccepted
        ? 'the donor finds the secret our joiner advertised'
        : 'the server refuses the request, and no channel carries a secret',
      () => {
        const { auth, address } = cutRequest(f.donor.request);
        const remoteEnv = f.donor.env.WSREP_SST_OPT_REMOTE_AUTH;
        if (f.donor.requestAccepted) {
          assert.equal(f.donor.expected.address, address);
          if (remoteEnv !== undefined) assert.equal(remoteEnv, auth);
        }
        const secret = joinerSecret(
          remoteEnv,
          parseAuthLines(f.donor.stdin ?? ''),
          parseDonorAddress(f.donor.expected.address).auth?.password,
        );
        assert.equal(secret, f.donor.secret);
      },
    );
  });
}

describe('joinerSecret, the channels in order', () => {
  const stdin = parseAuthLines('sst_user=u\nsst_password=p\nsst_remote_user=cn\nsst_remote_password=from-stdin\n');

  test('WSREP_SST_OPT_REMOTE_AUTH wins; the secret is everything after its first colon', () => {
    assert.equal(joinerSecret('cn:a:b', stdin, 'from-address'), 'a:b');
  });

  test("an empty or '(null)' variable falls through to stdin", () => {
    assert.equal(joinerSecret('', stdin, undefined), 'from-stdin');
    assert.equal(joinerSecret('(null)', stdin, undefined), 'from-stdin');
  });

  test('a variable without a colon carries no secret, and stdin is not consulted', () => {
    assert.equal(joinerSecret('cn', stdin, 'from-address'), undefined);
  });

  test('stdin without sst_remote_password (only the local SST user) → the address auth part', () => {
    assert.equal(
      joinerSecret(undefined, parseAuthLines('sst_user=u\nsst_password=p\n'), 'from-address'),
      'from-address',
    );
  });

  test('an empty sst_remote_password is no secret', () => {
    assert.equal(
      joinerSecret(undefined, parseAuthLines('sst_remote_user=cn\nsst_remote_password=\n'), undefined),
      undefined,
    );
  });
});

describe('11.8 donor stdin through a real pipe', () => {
  const fixture = MARIADB_FIXTURES.find((f) => f.series === '11.8');

  test('written after a delay (the server creates the SQL user first), then EOF: every line is read', async () => {
    assert.ok(fixture?.donor.stdin);
    const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'stdin-fixture.js'), '3000'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SST_UNIT_FIXTURE: 'stdin' },
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (out += c));
    setTimeout(() => child.stdin.end(fixture.donor.stdin), 300);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    assert.equal(code, 0);
    const entries = new Map((JSON.parse(out) as { entries: [string, string][] }).entries);
    assert.deepEqual(entries, parseAuthLines(fixture.donor.stdin));
    assert.equal(joinerSecret(undefined, entries, undefined), fixture.donor.secret);
  });
});
