import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

/** Lets the real sh split a command line the way mariadbd's `sh -c` does. */
export function shWords(commandLine: string): string[] {
  const r = spawnSync('sh', ['-c', `set -- ${commandLine}\nfor a in "$@"; do printf '%s\\0' "$a"; done`], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}
