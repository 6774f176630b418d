/**
 * A real second local user, for tests of what another user of the host can do to us. Created
 * (a system user without a home or a shell) when missing and the tests run as root; otherwise
 * the reason the tests that need one cannot run, for their SKIP line.
 */
import { execFileSync } from 'node:child_process';

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
}

function lookUp(name: string): LocalUser | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    const gid = Number(
      execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

export function otherLocalUser(name = 'sst-other'): LocalUser | string {
  if (process.geteuid?.() !== 0) return 'needs root, to create a second local user and run a process as it';
  const found = lookUp(name);
  if (found !== undefined) return found;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    // Another test process may have created it meanwhile.
    return lookUp(name) ?? `useradd ${name} failed: ${(e as Error).message}`;
  }
  return lookUp(name) ?? `useradd ${name} made no user`;
}
