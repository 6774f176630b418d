/** The SST's tool finder (src/proc/tools.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Exit } from '../../../src/errors';
import { locateRsync, locateSocat, locateTools, ToolError } from '../../../src/proc/tools';
import { fakeProgram } from '../../helpers/fake-program';

const dir = mkdtempSync(join(tmpdir(), 'tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fake = (name: string, output: string): string => fakeProgram(dir, name, output);

describe('locateSocat / locateRsync / locateTools', () => {
  test('a socat without OpenSSL is refused, with its version and path', () => {
    const bin = fake('socat', 'socat version 1.7.4.4 on 06 Nov 2022\n  #define WITH_OPENSSL 0');
    assert.throws(
      () => locateSocat(bin),
      (e: unknown) =>
        e instanceof ToolError &&
        e.tool === 'socat' &&
        e.problem === 'unusable' &&
        e.code === Exit.NOT_FOUND &&
        e.message ===
          `socat 1.7.4.4 (${join(bin, 'socat')}) was built without OpenSSL: it cannot carry an encrypted SST`,
    );
    assert.throws(() => locateTools(bin), ToolError);
  });

  test('a socat with OpenSSL: path and version', () => {
    const bin = fake('socat', 'socat version 1.8.0.0 on 01 Jan 2024\n  #define WITH_OPENSSL 1');
    assert.deepEqual(locateSocat(bin), {
      path: join(bin, 'socat'),
      version: '1.8.0.0',
      features: { version: '1.8.0.0', noSni: true, checksIpSan: true, listenerNeedsCommonName: false },
    });
  });

  test('an rsync that does not answer --version like rsync is refused', () => {
    const bin = fake('rsync', 'hello');
    assert.throws(
      () => locateRsync(bin),
      (e: unknown) =>
        e instanceof ToolError &&
        e.problem === 'unusable' &&
        e.message === `${join(bin, 'rsync')} does not answer --version like rsync`,
    );
  });

  test('rsync 3.2 spells its version with a v', () => {
    const bin = fake('rsync', 'rsync  version v3.2.7  protocol version 31');
    assert.deepEqual(locateRsync(bin), {
      path: join(bin, 'rsync'),
      version: 'v3.2.7',
      features: { version: 'v3.2.7', refusesForeignSymlinks: false },
    });
  });
});
