import { writeSync } from 'node:fs';
import { Exit, SstError } from '../errors';

/**
 * mariadbd reads our stdout with fgets into 512 (joiner) or 128 (donor) byte
 * buffers, which hold size-1 bytes including the newline: a longer line would
 * be split into a bogus second line (docs/protocol.md §1.5).
 */
export const LINE_LIMIT = { joiner: 510, donor: 126 } as const;

export type Role = keyof typeof LINE_LIMIT;

export function checkProtocolLine(role: Role, line: string): void {
  if (/[\r\n\0]/.test(line)) {
    throw new SstError(
      Exit.FAILED,
      `internal error: protocol line contains a control character: ${JSON.stringify(line)}`,
    );
  }
  if (Buffer.byteLength(line) > LINE_LIMIT[role]) {
    throw new SstError(
      Exit.FAILED,
      `internal error: protocol line longer than ${LINE_LIMIT[role]} bytes for the ${role}`,
    );
  }
}

/**
 * Writes one protocol line with one synchronous write(2): Node's stdout is
 * asynchronous on pipes, and mariadbd must see whole lines in order.
 */
export function writeProtocolLine(role: Role, line: string, fd = 1): void {
  checkProtocolLine(role, line);
  const data = Buffer.from(`${line}\n`);
  let offset = 0;
  try {
    while (offset < data.length) offset += writeSync(fd, data, offset);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'EBADF') {
      throw new SstError(Exit.ABORTED, 'mariadbd closed our standard output (EPIPE): parent is gone.');
    }
    if (code === 'EAGAIN') {
      // A non-blocking pipe that is momentarily full: mariadbd reads line by line, so retry.
      writeRetry(data, offset, fd);
      return;
    }
    throw e;
  }
}

function writeRetry(data: Buffer, start: number, fd: number): void {
  let offset = start;
  const deadline = Date.now() + 10_000;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) {
        throw new SstError(Exit.ABORTED, `cannot write to mariadbd: ${(e as Error).message}`);
      }
    }
  }
}
