import { spawnSync } from 'node:child_process';
import { Exit, SstError } from '../errors';
import { findProgram } from './find-program';
import { rsyncFeatures, socatFeatures, type RsyncFeatures, type SocatFeatures } from './tool-features';

export interface Tools {
  socat: string;
  rsync: string;
  socatVersion: string;
  rsyncVersion: string;
  socatFeatures: SocatFeatures;
  rsyncFeatures: RsyncFeatures;
}

export interface Tool {
  path: string;
  version: string;
}

export interface SocatTool extends Tool {
  features: SocatFeatures;
}

export interface RsyncTool extends Tool {
  features: RsyncFeatures;
}

/**
 * Why a tool cannot serve: `missing` (not where the SST looks) or `unusable` (found, but not
 * one that can carry an SST). `check` words its advice from this; the SST exits 2 either way.
 */
export class ToolError extends SstError {
  constructor(
    readonly tool: 'socat' | 'rsync',
    readonly problem: 'missing' | 'unusable',
    message: string,
  ) {
    super(Exit.NOT_FOUND, message);
  }
}

function versionText(program: string, flag: string): string {
  const r = spawnSync(program, [flag], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Pure: socat -V prints its feature list; without OpenSSL there is no tunnel (docs/protocol.md §7.8). */
function socatHasOpenssl(versionOutput: string): boolean {
  return /#define WITH_OPENSSL 1/.test(versionOutput);
}

function firstMatch(text: string, re: RegExp): string {
  return re.exec(text)?.[1] ?? 'unknown';
}

function find(tool: 'socat' | 'rsync', envPath: string | undefined): string {
  try {
    return findProgram(tool, envPath);
  } catch (e) {
    if (e instanceof SstError) throw new ToolError(tool, 'missing', e.message);
    throw e;
  }
}

/** socat as the SST finds it (PATH plus upstream's fallback directories), refused without OpenSSL. */
export function locateSocat(envPath = process.env.PATH): SocatTool {
  const path = find('socat', envPath);
  const text = versionText(path, '-V');
  const version = firstMatch(text, /socat version (\S+)/);
  if (!socatHasOpenssl(text)) {
    throw new ToolError(
      'socat',
      'unusable',
      `socat ${version} (${path}) was built without OpenSSL: it cannot carry an encrypted SST`,
    );
  }
  // `-hhh` lists every option socat knows: a backported `nosni` shows there, whatever the version.
  return { path, version, features: socatFeatures(version, versionText(path, '-hhh')) };
}

/** rsync as the SST finds it; a program that does not answer --version like rsync is refused. */
export function locateRsync(envPath = process.env.PATH): RsyncTool {
  const path = find('rsync', envPath);
  const version = firstMatch(versionText(path, '--version'), /rsync\s+version\s+(\S+)/);
  if (version === 'unknown') throw new ToolError('rsync', 'unusable', `${path} does not answer --version like rsync`);
  return { path, version, features: rsyncFeatures(version) };
}

/** Both tools with what they can do (src/proc/tool-features.ts), or the first one's ToolError. */
export function locateTools(envPath = process.env.PATH): Tools {
  const socat = locateSocat(envPath);
  const rsync = locateRsync(envPath);
  return {
    socat: socat.path,
    rsync: rsync.path,
    socatVersion: socat.version,
    rsyncVersion: rsync.version,
    socatFeatures: socat.features,
    rsyncFeatures: rsync.features,
  };
}
