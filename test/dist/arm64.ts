/**
 * The arm64 single executable (`make dist ARCH=arm64`) and how the tests run it on this
 * x64 host: qemu user emulation of that one process, with Debian's arm64 glibc and
 * libstdc++ (libc6-arm64-cross, libstdc++6-arm64-cross) as its library root. Whatever it
 * execs (socat, rsync) is a host program and runs natively: nothing registers qemu with
 * binfmt_misc here, and qemu-user hands execve to the host kernel.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath, repoRoot } from '../helpers/binary';

export const QEMU = 'qemu-aarch64-static';
/** Where Debian's *-arm64-cross packages put the AArch64 loader and libraries. */
export const SYSROOT = '/usr/aarch64-linux-gnu';

/** SST_TEST_ARM64_BINARY, or dist/arm64/ of this tree. */
export function arm64BinaryPath(): string {
  const value = process.env.SST_TEST_ARM64_BINARY;
  return value === undefined || value === '' ? join(repoRoot(), 'dist', 'arm64', 'wsrep_sst_rsync_tunnel') : value;
}

/** The emulator's path, or why the arm64 executable cannot be run here. */
export function findQemu(): { qemu: string } | { missing: string } {
  const qemu = findOnPath(QEMU);
  if (qemu === undefined)
    return { missing: `${QEMU} is not installed (Debian's qemu-user-static; scripts/install-deps.sh installs it)` };
  if (!existsSync(join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
    return {
      missing: `${SYSROOT} has no AArch64 loader (Debian's libc6-arm64-cross; scripts/install-deps.sh installs it)`,
    };
  }
  return { qemu };
}

/** argv prefix that runs the arm64 executable under the emulator. */
export function underQemu(qemu: string, binary: string): { command: string; args: string[] } {
  return { command: qemu, args: ['-L', SYSROOT, binary] };
}

/**
 * The runner's environment minus NODE_*: `node --test` sets NODE_TEST_CONTEXT for its children,
 * and any NODE_* makes the program restart itself (src/proc/early-restart.ts), which qemu-user
 * cannot do (execve of an arm64 binary on this host: ENOEXEC).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('NODE_') && value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** The same for helpers that add the runner's environment themselves: undefined drops a variable. */
export function nodeVariablesUnset(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('NODE_'))
      .map((k) => [k, undefined]),
  );
}
