import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

/**
 * A fresh directory for the enclosing suite: made before its first test, removed with what it
 * holds after its last. Call the result for its path.
 */
export function suiteDir(prefix: string): () => string {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
