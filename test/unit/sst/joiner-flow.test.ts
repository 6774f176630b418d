/**
 * The joiner's whole flow (sst/joiner.ts) run in-process: its socat listener is a fake child, its
 * signals, kill(2) and clock are fakes (test/unit/fixtures/fake-host.ts), and the test plays the
 * donor by writing the completion marker (docs/protocol.md §2.1). The real thing, with socat and
 * rsync, is test/integration/sst.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { SstError } from '../../../src/errors';
import { parseJoinerAddress } from '../../../src/net/address';
import { FILES, MODULE } from '../../../src/rsync/modules';
import { runJoiner, type JoinerRun } from '../../../src/sst/joiner';
import { renderMarker } from '../../../src/sst/marker';
import type { FakeChild } from '../fixtures/fake-child';
import { freePort, preparedFor, RoleScene, sstArgs, STATE, until } from '../fixtures/role-run';

const PARENT = 4242;
const scenes: RoleScene[] = [];
afterEach(async () => {
  for (const scene of scenes.splice(0)) await scene.end();
});

async function joiner(
  options: { initialTimeout?: number; listens?: boolean } = {},
): Promise<{ scene: RoleScene; run: JoinerRun }> {
  const scene = new RoleScene();
  scenes.push(scene);
  const args = sstArgs('joiner', `127.0.0.1:${await freePort()}`, scene.datadir, PARENT);
  const run: JoinerRun = {
    args,
    address: parseJoinerAddress(args.address, args.port),
    prepared: preparedFor(scene.datadir, { initial: options.initialTimeout ?? 0, idle: 0 }),
    life: scene.life,
    work: scene.work,
    protocol: (line) => scene.lines.push(line),
    listensOn: () => options.listens ?? true,
  };
  return { scene, run };
}

/** Starts the joiner and waits for its `ready` line; the secret and the listener it announced. */
async function untilReady(
  scene: RoleScene,
  run: JoinerRun,
): Promise<{ done: Promise<void>; secret: string; listener: FakeChild }> {
  const done = runJoiner(run);
  done.catch(() => undefined);
  await until(() => scene.lines.length > 0, 'ready');
  const ready = new RegExp(`^ready node1:([0-9a-f]{32})@127\\.0\\.0\\.1:${run.address.port}/${MODULE}$`).exec(
    scene.lines[0] ?? '',
  );
  assert.ok(ready, `ready line: ${scene.lines[0]}`);
  const [listener] = scene.fake.children as [FakeChild];
  return { done, secret: ready[1] as string, listener };
}

const failsWith = (code: number, message: RegExp) => (e: unknown) =>
  e instanceof SstError && e.code === code && message.test(e.message);

describe('joiner flow in-process (fake child)', () => {
  test(
    'happy path: listener started in our private directory, ready, the marker, the listener stopped, the state ' +
      'printed (fake child)',
    async () => {
      const { scene, run } = await joiner();
      const { done, secret, listener } = await untilReady(scene, run);
      assert.equal(listener.command, '/usr/bin/socat');
      assert.equal(listener.options.cwd, scene.work);
      assert.deepEqual(listener.args.slice(0, 2), ['-b', '65536']);
      assert.ok(existsSync(join(scene.datadir, FILES.listenerPid)), 'the listener pid file');
      assert.ok(existsSync(join(scene.datadir, FILES.inProgress)), 'the in-progress mark');
      writeFileSync(join(scene.datadir, FILES.marker), renderMarker({ state: STATE, secret, bypass: false }));
      await done;
      assert.deepEqual(scene.lines.slice(1), [STATE]);
      assert.deepEqual(scene.fake.signalsTo(listener.pid as number).slice(0, 1), ['SIGTERM']);
      assert.equal(scene.fake.children.length, 1, 'nothing else started');
      for (const file of [FILES.marker, FILES.inProgress, FILES.listenerPid, FILES.sstPid]) {
        assert.equal(existsSync(join(scene.datadir, file)), false, `${file} removed`);
      }
    },
  );

  test('a marker without our secret: 32, and no state printed (fake child)', async () => {
    const { scene, run } = await joiner();
    const { done } = await untilReady(scene, run);
    writeFileSync(
      join(scene.datadir, FILES.marker),
      renderMarker({ state: STATE, secret: 'f'.repeat(32), bypass: false }),
    );
    await assert.rejects(done, failsWith(32, /^Donor does not know my secret!$/));
    assert.equal(scene.lines.length, 1);
  });

  test('a failed transfer: the listener exits before the marker: 32 (fake child)', async () => {
    const { scene, run } = await joiner();
    const { done, listener } = await untilReady(scene, run);
    listener.finish(1);
    await assert.rejects(
      done,
      failsWith(32, /^rsync process ended without creating magic file .*: the socat listener exited$/),
    );
    assert.equal(scene.lines.length, 1);
  });

  test(
    'parent death: mariadbd gone while the joiner waits: ' + '32, the listener stopped at shutdown (fake child)',
    async () => {
      const { scene, run } = await joiner();
      const { done, listener } = await untilReady(scene, run);
      scene.host.gone.add(PARENT);
      await assert.rejects(done, failsWith(32, /^Parent mysqld process \(PID: 4242\) terminated unexpectedly\.$/));
      assert.equal(scene.lines.length, 1);
      await scene.life.shutdown();
      assert.deepEqual(scene.fake.signalsTo(listener.pid as number).slice(0, 1), ['SIGTERM']);
    },
  );
});

describe('joiner flow in-process, timeouts on the clock given (fake child)', () => {
  test('timeout: no donor within sst-initial-timeout of ready, on the clock given: 110 (fake child)', async () => {
    const { scene, run } = await joiner({ initialTimeout: 10 });
    const { done } = await untilReady(scene, run);
    scene.clock.advance(10_000);
    await assert.rejects(
      done,
      failsWith(110, /^sst-initial-timeout=10: no donor connected and authenticated within 10 s of ready/),
    );
    assert.equal(scene.lines.length, 1);
  });

  test('timeout: a listener that never listens, 30 s on the clock given: 16 before ready (fake child)', async () => {
    const { scene, run } = await joiner({ listens: false });
    const done = runJoiner(run);
    done.catch(() => undefined);
    await until(() => scene.fake.children.length === 1, 'the listener');
    scene.clock.advance(30_001);
    await assert.rejects(done, failsWith(16, /did not listen on port \d+ within 30 s$/));
    assert.deepEqual(scene.lines, []);
  });
});
