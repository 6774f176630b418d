/**
 * The packages declare the same floor as the executable they carry: the .deb's Depends
 * name the minimum library versions that provide every symbol version the binary asks
 * for, and the .rpm's automatic requirements name exactly those symbol versions. Both
 * stay within RHEL 8's glibc 2.28 and GCC 8 (test/dist/elf-symbols.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  compareVersions,
  debianVersionNodes,
  FAMILIES,
  newest,
  newestByFamily,
  RHEL8,
  versionReferences,
  type Family,
} from '../dist/elf-symbols';

const DPKG_INFO = '/var/lib/dpkg/info';

/** This host's dpkg symbols file of a library package (e.g. libstdc++6:amd64.symbols). */
function symbolsFile(pkg: string): string {
  const name = readdirSync(DPKG_INFO).find(
    (f) => f === `${pkg}.symbols` || (f.startsWith(`${pkg}:`) && f.endsWith('.symbols')),
  );
  assert.ok(name !== undefined, `no ${pkg} symbols file in ${DPKG_INFO}`);
  return join(DPKG_INFO, name);
}

/** "libc6 (>= 2.28)" → libc6 → 2.28; a name without a version maps to ''. */
export function parseDepends(depends: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of depends.split(/,\s*/)) {
    const m = /^(\S+)(?: \(>= ([^)]+)\))?$/.exec(entry.trim());
    assert.ok(m !== null, `unexpected Depends entry '${entry}'`);
    out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

/**
 * The least version of a Debian library package that provides every version node of
 * `families` that the binary asks for, per that package's symbols file on this host.
 */
function debianMinimum(pkg: string, needed: string[], families: readonly Family[]): string {
  const nodes = debianVersionNodes(symbolsFile(pkg));
  const wanted = needed.filter((v) => families.some((f) => v.startsWith(`${f}_`)));
  assert.ok(wanted.length > 0, `the binary asks for no ${families.join('/')} version`);
  const minimums = wanted.map((v) => {
    const min = nodes.get(v);
    assert.ok(min !== undefined, `${pkg}'s symbols file does not know ${v}`);
    return min;
  });
  return newest(minimums) ?? '';
}

export async function assertDependsMatchBinary(depends: string, binary: string): Promise<void> {
  const declared = parseDepends(depends);
  const needs = await versionReferences(binary);
  const top = newestByFamily(needs);
  const all = [...needs.values()].flat();

  assert.equal(declared.get('libc6'), top.get('GLIBC'), `libc6 must be the binary's newest GLIBC_: ${depends}`);
  for (const [pkg, families] of [
    ['libstdc++6', ['GLIBCXX', 'CXXABI']],
    ['libgcc-s1', ['GCC']],
  ] as const) {
    const version = declared.get(pkg);
    assert.ok(version !== undefined, `no versioned ${pkg} in ${depends}`);
    assert.notEqual(version, '', `no versioned ${pkg} in ${depends}`);
    const min = debianMinimum(pkg, all, families);
    assert.ok(
      compareVersions(version, min) >= 0,
      `${pkg} (>= ${version}) is older than the ${min} that provides what the binary asks for`,
    );
    // GCC 8's libraries (Debian 10, RHEL 8) must satisfy it.
    assert.ok(compareVersions(version, '8') <= 0, `${pkg} (>= ${version}) shuts out GCC 8's libraries`);
  }
}

/** "libstdc++.so.6(GLIBCXX_3.4.21)(64bit)" → GLIBCXX → newest version, over all requirements. */
export function newestRequired(requires: readonly string[]): Map<Family, string> {
  const out = new Map<Family, string>();
  for (const family of FAMILIES) {
    const versions = requires.flatMap((r) =>
      [...r.matchAll(new RegExp(`\\(${family}_([0-9.]+)\\)`, 'g'))].map((m) => m[1] ?? ''),
    );
    const top = newest(versions);
    if (top !== undefined) out.set(family, top);
  }
  return out;
}

export async function assertRequiresMatchBinary(requires: readonly string[], binary: string): Promise<void> {
  const required = newestRequired(requires);
  const needed = newestByFamily(await versionReferences(binary));
  assert.deepEqual(required, needed, 'the automatic requirements are not the symbol versions of the binary');
  for (const [family, version] of required) {
    assert.ok(
      compareVersions(version, RHEL8[family]) <= 0,
      `requires ${family}_${version}, newer than RHEL 8's ${family}_${RHEL8[family]}`,
    );
  }
}
