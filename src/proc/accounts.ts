/**
 * Who mariadbd runs as, from /etc/passwd and /etc/group: `check` usually runs as root, so the
 * kernel cannot simply be asked whether the mariadbd user may open a file; the answer is
 * computed from the user's ids instead (see check/access.ts). The joiner names file owners with
 * it too. Parsing is pure; NSS sources beyond the two files (LDAP, sssd) are not consulted, and
 * such a user reads as unknown.
 */
import { readFileSync } from 'node:fs';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface Identity {
  user: string;
  uid: number;
  /** Primary group first, then the supplementary groups, as initgroups() gives them. */
  gids: number[];
}

function numeric(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The colon-separated fields of each line that is not a comment. */
function records(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.split(':'));
}

/** `name:password:uid:gid:gecos:home:shell`; comments, blank and malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  return records(text).flatMap(([name, , u, g]) => {
    const uid = numeric(u);
    const gid = numeric(g);
    return name && uid !== undefined && gid !== undefined ? [{ name, uid, gid }] : [];
  });
}

/** `name:password:gid:member,member`. */
export function parseGroup(text: string): GroupEntry[] {
  return records(text).flatMap(([name, , g, members]) => {
    const gid = numeric(g);
    if (!name || gid === undefined) return [];
    const list = (members ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    return [{ name, gid, members: list }];
  });
}

/**
 * The ids mariadbd gets for `user=` (default `mysql`). Like mariadbd's my_check_user(), a name
 * is looked up first and an all-digit value is then taken as a uid, which must exist too.
 */
export function resolveIdentity(
  user: string,
  passwd: readonly PasswdEntry[],
  groups: readonly GroupEntry[],
): Identity | undefined {
  const byName = passwd.find((p) => p.name === user);
  const uid = numeric(user);
  const entry = byName ?? (uid === undefined ? undefined : passwd.find((p) => p.uid === uid));
  if (entry === undefined) return undefined;
  const supplementary = groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid);
  const gids = [entry.gid, ...supplementary.filter((g, i) => g !== entry.gid && supplementary.indexOf(g) === i)];
  return { user: entry.name, uid: entry.uid, gids };
}

export function describeIdentity(id: Identity): string {
  return (
    `${id.user} (uid ${id.uid}, gid ${id.gids[0] ?? '?'}` +
    `${id.gids.length > 1 ? `, groups ${id.gids.slice(1).join(',')}` : ''})`
  );
}

/** The entries of /etc/passwd; none when it cannot be read. */
export function systemPasswd(): PasswdEntry[] {
  try {
    return parsePasswd(readFileSync('/etc/passwd', 'utf8'));
  } catch {
    return [];
  }
}

/** `name (uid N)` from /etc/passwd, or `uid N` alone, for messages about file owners. */
export function describeUid(uid: number, passwd: readonly PasswdEntry[]): string {
  const name = passwd.find((p) => p.uid === uid)?.name;
  return name === undefined ? `uid ${uid}` : `${name} (uid ${uid})`;
}
