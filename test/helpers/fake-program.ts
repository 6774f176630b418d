import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fresh directory under `parent`, to put first on PATH, holding one program `name` that prints `output`. */
export function fakeProgram(parent: string, name: string, output: string): string {
  const bin = mkdtempSync(join(parent, 'bin-'));
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' '${output}'\n`);
  chmodSync(file, 0o755);
  return bin;
}
