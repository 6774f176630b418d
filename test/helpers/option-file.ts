/** The option file the integration tests hand the program as --defaults-file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeCert, Pki } from './pki';

export type Options = Record<string, string>;

/** One `key=value` line per entry, in order. */
const lines = (o: Options): string =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');

/** `<dir>/my.cnf` with a [mysqld] and an [sst] group (`dir` is made if missing); returns its path. */
export function writeOptionFile(dir: string, sst: Options, mysqld: Options = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'my.cnf');
  writeFileSync(file, `[mysqld]\n${lines(mysqld)}\n[sst]\n${lines(sst)}`);
  return file;
}

/** A node's [sst] options: the test CA, its certificate bundle (certificate and key), then `more`. */
export function sstTls(pki: Pki, cert: NodeCert, more: Options = {}): Options {
  return { tca: pki.caCert, tcert: cert.bundle, ...more };
}
