/** The restart without Node.js runtime variables (src/proc/clean-env.ts), with a recording host. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkExecutable,
  environNames,
  isRuntimeVariable,
  restartWithoutRuntimeVariables,
  runtimeVariables,
  startEnvironmentNames,
  withoutRuntimeVariables,
  type RestartHost,
} from '../../../src/proc/clean-env';
import { SstError } from '../../../src/errors';

const KEPT = {
  PATH: '/usr/bin:/bin',
  OPENSSL_CONF: '/etc/ssl/fips.cnf',
  OPENSSL_MODULES: '/usr/lib/ossl-modules',
  SSL_CERT_FILE: '/etc/ssl/certs/ca.pem',
  SSL_CERT_DIR: '/etc/ssl/certs',
  TZ: 'UTC',
  WSREP_SST_OPT_REMOTE_AUTH: 'user:pass',
};

interface Exec {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** A host that records what would happen instead of doing it. */
function recordingHost(
  env: NodeJS.ProcessEnv,
  overrides: Partial<RestartHost> = {},
): { host: RestartHost; execs: Exec[]; stops: number[] } {
  const execs: Exec[] = [];
  const stops: number[] = [];
  const host: RestartHost = {
    env,
    startNames: Object.keys(env),
    isSea: true,
    execPath: '/usr/bin/wsrep_sst_rsync_tunnel',
    argv0: 'wsrep_sst_rsync_tunnel',
    args: ['--role', 'joiner', '--datadir', '/var/lib/mysql/'],
    execve: ((file: string, args: readonly string[], childEnv: NodeJS.ProcessEnv) => {
      execs.push({ file, args, env: childEnv });
    }) as RestartHost['execve'],
    stopCoverage: () => stops.push(execs.length),
    checkExecutable: () => undefined,
    ...overrides,
  };
  return { host, execs, stops };
}

describe("which variables are the runtime's", () => {
  test('every NODE_ and UV_ name, nothing else', () => {
    for (const name of [
      'NODE_OPTIONS',
      'NODE_V8_COVERAGE',
      'NODE_DEBUG',
      'NODE_ICU_DATA',
      'NODE_FUTURE_THING',
      'UV_THREADPOOL_SIZE',
      'UV_USE_IO_URING',
    ]) {
      assert.ok(isRuntimeVariable(name), name);
    }
    for (const name of [...Object.keys(KEPT), 'NODE', 'node_debug', 'MY_NODE_X', 'UV', 'FORCE_COLOR']) {
      assert.ok(!isRuntimeVariable(name), name);
    }
  });

  test('runtimeVariables lists the present ones, sorted', () => {
    assert.deepEqual(runtimeVariables({ ...KEPT, UV_THREADPOOL_SIZE: '1', NODE_DEBUG: 'x' }), [
      'NODE_DEBUG',
      'UV_THREADPOOL_SIZE',
    ]);
    assert.deepEqual(runtimeVariables(KEPT), []);
  });

  test('a name only in the start environment counts: Node deleted it from process.env after obeying it', () => {
    assert.deepEqual(runtimeVariables(KEPT, ['PATH', 'NODE_CHANNEL_FD', 'NODE_UNIQUE_ID']), [
      'NODE_CHANNEL_FD',
      'NODE_UNIQUE_ID',
    ]);
  });

  test('environNames reads /proc/<pid>/environ: NUL-separated, values may hold = and newlines', () => {
    assert.deepEqual(environNames('A=1\0NODE_CHANNEL_FD=3\0B=x=y\nz\0EMPTY=\0'), [
      'A',
      'NODE_CHANNEL_FD',
      'B',
      'EMPTY',
    ]);
    assert.deepEqual(environNames(''), []);
  });

  test("startEnvironmentNames reads this process's start environment, and is empty without /proc", () => {
    assert.ok(startEnvironmentNames().includes('PATH'));
    assert.deepEqual(
      startEnvironmentNames(() => {
        throw new Error('ENOENT');
      }),
      [],
    );
  });

  test('withoutRuntimeVariables keeps OPENSSL_*, SSL_CERT_* and everything else as it was', () => {
    assert.deepEqual(withoutRuntimeVariables({ ...KEPT, NODE_EXTRA_CA_CERTS: '/x', UV_USE_IO_URING: '0', EMPTY: '' }), {
      ...KEPT,
      EMPTY: '',
    });
  });
});

describe('restartWithoutRuntimeVariables', () => {
  test('nothing present: no restart', () => {
    const { host, execs } = recordingHost({ ...KEPT });
    restartWithoutRuntimeVariables(host);
    assert.deepEqual(execs, []);
  });

  test('one present: one execve of the same executable, same argv0 and arguments, clean environment', () => {
    const { host, execs, stops } = recordingHost({ ...KEPT, NODE_DEBUG: 'child_process', UV_THREADPOOL_SIZE: '64' });
    restartWithoutRuntimeVariables(host);
    assert.deepEqual(execs, [
      {
        file: '/usr/bin/wsrep_sst_rsync_tunnel',
        args: ['wsrep_sst_rsync_tunnel', '--role', 'joiner', '--datadir', '/var/lib/mysql/'],
        env: KEPT,
      },
    ]);
    assert.deepEqual(stops, [], 'coverage is stopped only when NODE_V8_COVERAGE started it');
  });

  test('the restarted process finds nothing to strip: no loop', () => {
    const first = recordingHost({ ...KEPT, NODE_OPTIONS: '--trace-exit' });
    restartWithoutRuntimeVariables(first.host);
    const [exec] = first.execs;
    assert.ok(exec);
    const second = recordingHost(exec.env, { args: exec.args.slice(1), startNames: Object.keys(exec.env) });
    restartWithoutRuntimeVariables(second.host);
    assert.deepEqual(second.execs, []);
  });

  test('NODE_V8_COVERAGE: coverage is stopped before the execve, whose exit hooks would write it', () => {
    const { host, execs, stops } = recordingHost({ ...KEPT, NODE_V8_COVERAGE: '/tmp/cov' });
    restartWithoutRuntimeVariables(host);
    assert.equal(execs.length, 1);
    assert.deepEqual(stops, [0]);
  });

  test('a variable Node already deleted from process.env still causes the restart', () => {
    const { host, execs } = recordingHost({ ...KEPT }, { startNames: [...Object.keys(KEPT), 'NODE_UNIQUE_ID'] });
    restartWithoutRuntimeVariables(host);
    assert.deepEqual(
      execs.map((e) => e.env),
      [KEPT],
    );
  });

  test('under a plain Node (the tsc build) nothing restarts', () => {
    const { host, execs } = recordingHost({ ...KEPT, NODE_TEST_CONTEXT: 'child-v8' }, { isSea: false });
    restartWithoutRuntimeVariables(host);
    assert.deepEqual(execs, []);
  });

  test('no process.execve: an SstError naming the variables, not a silent run with them', () => {
    const { host } = recordingHost({ ...KEPT, NODE_DEBUG: 'x' }, { execve: undefined });
    assert.throws(
      () => restartWithoutRuntimeVariables(host),
      (e: unknown) => e instanceof SstError && e.code === 255 && /NODE_DEBUG/.test(e.message),
    );
  });

  test("an executable that cannot be executed any more: an SstError instead of Node's abort in execve", () => {
    const { host, execs } = recordingHost(
      { ...KEPT, UV_THREADPOOL_SIZE: '2' },
      {
        execPath: '/usr/bin/wsrep_sst_rsync_tunnel (deleted)',
        checkExecutable: () => {
          throw new Error('ENOENT: no such file or directory');
        },
      },
    );
    assert.throws(
      () => restartWithoutRuntimeVariables(host),
      (e: unknown) =>
        e instanceof SstError && e.code === 255 && /UV_THREADPOOL_SIZE.*\(deleted\).*ENOENT/.test(e.message),
    );
    assert.deepEqual(execs, []);
  });
});

describe('checkExecutable', () => {
  test('passes for an executable file, throws for a plain file and a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sst-clean-env-'));
    try {
      const exe = join(dir, 'exe');
      writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
      const plain = join(dir, 'plain');
      writeFileSync(plain, '', { mode: 0o644 });
      checkExecutable(exe);
      // root passes X_OK for any file with one x bit; none here.
      assert.throws(() => checkExecutable(plain));
      assert.throws(() => checkExecutable(join(dir, 'missing')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
