import { spawnSync } from 'node:child_process';
import { Exit, SstError } from '../errors';
import { findProgram } from './find-program';

export interface Tools {
  socat: string;
  rsync: string;
  socatVersion: string;
  rsyncVersion: string;
}

function versionText(program: string, flag: string): string {
  const r = spawnSync(program, [flag], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Pure: socat -V prints its feature list; without OpenSSL there is no tunnel (spec §7.8). */
export function socatHasOpenssl(versionOutput: string): boolean {
  return /#define WITH_OPENSSL 1/.test(versionOutput);
}

export function firstMatch(text: string, re: RegExp): string {
  return re.exec(text)?.[1] ?? 'unknown';
}

/** Finds socat and rsync the way upstream does and refuses a socat that cannot do TLS. */
export function locateTools(envPath = process.env.PATH): Tools {
  const socat = findProgram('socat', envPath);
  const rsync = findProgram('rsync', envPath);
  const socatText = versionText(socat, '-V');
  if (!socatHasOpenssl(socatText)) {
    throw new SstError(Exit.NOT_FOUND, `${socat} was built without OpenSSL support: it cannot carry an encrypted SST`);
  }
  return {
    socat,
    rsync,
    socatVersion: firstMatch(socatText, /socat version (\S+)/),
    rsyncVersion: firstMatch(versionText(rsync, '--version'), /rsync\s+version\s+(\S+)/),
  };
}
