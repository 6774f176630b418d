/**
 * The symbol versions an ELF executable asks of its shared libraries (objdump -p from
 * binutils reads x86-64 and AArch64 alike), and the oldest systems the packages promise
 * to run on: glibc 2.28 and the libstdc++ of GCC 8, as in RHEL 8.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run } from '../helpers/binary';

/** Version prefixes that matter for where the executable runs. */
export type Family = 'GLIBC' | 'GLIBCXX' | 'CXXABI' | 'GCC';
export const FAMILIES: readonly Family[] = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC'];

/**
 * RHEL 8: glibc 2.28; GCC 8's libstdc++ (GLIBCXX_3.4.25, CXXABI_1.3.11) and libgcc_s
 * (GCC_7.0.0). Debian 11 and Ubuntu 20.04 have newer ones of each.
 */
export const RHEL8: Readonly<Record<Family, string>> = {
  GLIBC: '2.28',
  GLIBCXX: '3.4.25',
  CXXABI: '1.3.11',
  GCC: '7.0.0',
};

/** Dotted versions compared number by number: 3.4.9 < 3.4.21. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function newest(versions: readonly string[]): string | undefined {
  return [...versions].sort(compareVersions).pop();
}

/** library soname → the version names required from it, from the "Version References" of `objdump -p`. */
export function parseVersionReferences(objdump: string): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  let library: string | undefined;
  for (const line of objdump.split('\n')) {
    const from = /^\s+required from (\S+):$/.exec(line);
    if (from) {
      library = from[1] ?? '';
      needs.set(library, []);
      continue;
    }
    const version = /^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)$/.exec(line);
    if (version && library !== undefined) needs.get(library)?.push(version[1] ?? '');
    else if (!/^\s/.test(line)) library = undefined;
  }
  return needs;
}

export async function versionReferences(file: string): Promise<Map<string, string[]>> {
  const r = await run('objdump', ['-p', file], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `objdump -p ${file}: ${r.stderr}`);
  const needs = parseVersionReferences(r.stdout);
  assert.ok(needs.size > 0, `objdump -p ${file} shows no version references`);
  return needs;
}

/** The newest version of each family the file asks for, whatever library it asks it of. */
export function newestByFamily(needs: Map<string, string[]>): Map<Family, string> {
  const out = new Map<Family, string>();
  for (const family of FAMILIES) {
    const prefix = `${family}_`;
    const versions = [...needs.values()]
      .flat()
      .filter((v) => v.startsWith(prefix))
      .map((v) => v.slice(prefix.length));
    const top = newest(versions);
    if (top !== undefined) out.set(family, top);
  }
  return out;
}

/**
 * The minimum package version a Debian symbols file (dpkg's /var/lib/dpkg/info/*.symbols)
 * gives for each version node: " GLIBCXX_3.4.21@GLIBCXX_3.4.21 5.2" → GLIBCXX_3.4.21 → 5.2.
 */
export function debianVersionNodes(symbolsFile: string): Map<string, string> {
  const nodes = new Map<string, string>();
  for (const m of readFileSync(symbolsFile, 'utf8').matchAll(/^ (\w+_[0-9.]+)@\1 (\S+)/gm)) {
    nodes.set(m[1] ?? '', m[2] ?? '');
  }
  return nodes;
}
