/** `make demo` is a scenario too: it must pass and leave nothing behind. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/binary';

test('make demo: a real two-node cluster joins through rsync_tunnel and is cleaned up', { timeout: 600_000 }, () => {
  const root = repoRoot();
  const r = spawnSync(process.execPath, [join(root, 'build', 'scripts', 'demo.js')], {
    encoding: 'utf8',
    timeout: 580_000,
    env: { ...process.env, KEEP: '' },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /DEMO OK/);
  assert.match(r.stdout, /WSREP_SST: \[INFO\] rsync SST completed on joiner/);
  assert.equal(existsSync(join(root, 'demo-run')), false, 'the demo removes its working directory');
});
