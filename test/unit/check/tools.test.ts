/** `check` reports what the SST's tool finder (src/proc/tools.ts) says (src/check/tools.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkRsync, checkSocat } from '../../../src/check/tools';
import { fakeProgram } from '../../helpers/fake-program';

const dir = mkdtempSync(join(tmpdir(), 'check-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fake = (name: string, output: string): string => fakeProgram(dir, name, output);

describe('check renders the finder', () => {
  test('PASS with what the SST would use', () => {
    const bin = fake('socat', 'socat version 1.8.0.0 on 01 Jan 2024\n  #define WITH_OPENSSL 1');
    const socat = checkSocat(bin);
    assert.equal(socat.item.status, 'PASS');
    assert.equal(socat.item.detail, `socat 1.8.0.0 (${join(bin, 'socat')}), built with OpenSSL`);
    assert.equal(socat.path, join(bin, 'socat'));
  });

  test("FAIL with the SST's message", () => {
    const bin = fake('rsync', 'hello');
    const rsync = checkRsync(bin);
    assert.equal(rsync.item.status, 'FAIL');
    assert.equal(rsync.item.detail, `${join(bin, 'rsync')} does not answer --version like rsync`);
    assert.equal(rsync.path, undefined);
  });
});
