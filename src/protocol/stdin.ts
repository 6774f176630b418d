import { fstatSync } from 'node:fs';

/**
 * Newer servers write `sst_user=…`, `sst_password=…` and the remote auth to
 * our stdin and close it (docs/protocol.md §1.2). Older ones leave a terminal or
 * /dev/null there. Read only pipes, files and sockets, never block on them.
 */
export function readStdinAuth(timeoutMs = 3000): Promise<Map<string, string>> {
  let readable = false;
  try {
    const st = fstatSync(0);
    readable = st.isFIFO() || st.isFile() || st.isSocket();
  } catch {
    readable = false;
  }
  if (!readable) return Promise.resolve(new Map());
  return new Promise((resolve) => {
    let text = '';
    const finish = (): void => {
      clearTimeout(timer);
      process.stdin.removeAllListeners('data');
      process.stdin.pause();
      process.stdin.unref?.();
      resolve(parseAuthLines(text));
    };
    const timer = setTimeout(finish, timeoutMs);
    timer.unref();
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      // Bounded: a stray producer must not grow our memory.
      if (text.length < 65536) text += chunk;
    });
    process.stdin.once('end', finish);
    process.stdin.once('error', finish);
  });
}

export function parseAuthLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).replace(/\r$/, ''));
  }
  return out;
}
