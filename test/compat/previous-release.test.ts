/**
 * The previous release against this tree. Nodes are upgraded one at a time, so for a while a
 * donor and a joiner one release apart must complete an SST both ways: a full SST (with the
 * binary-log pass) and an IST (bypass) with the previous release as the donor and this tree as
 * the joiner, then the other way round. The integration driver plays mariadbd; socat, rsync and
 * the comparison byte for byte are real, as in the compatibility matrix.
 *
 * The previous release is the commit in scripts/previous-release, built from git history by
 * scripts/build-previous.sh (cached in build-cache/previous/). "This tree" is SST_TEST_BINARY,
 * else the tsc output. No commit in the clone (shallow) or no registry for its `npm ci`: one SKIP line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test, type TestContext } from 'node:test';
import { repoRoot, run } from '../helpers/binary';
import { makeDatadir, STAYS_HOME, treeDigest } from '../helpers/datadir';
import { runSst, STATE_UUID, type NodeSide } from '../helpers/driver';
import { createCa, issueCert, type NodeCert, type Pki } from '../helpers/pki';
import { freePort, killTagged, waitNoTagged } from '../helpers/procs';

const JOINER_IP = '127.0.0.2';
const DONOR_IP = '127.0.0.3';
/** scripts/build-previous.sh: the commit is not in this clone; npm could not reach the registry. */
const NO_COMMIT = 3;
const NO_REGISTRY = 4;
/** A cold npm cache downloads the pinned Node.js (about 30 MB) for that commit. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

type Build = 'previous' | 'new';

let root: string;
let pki: Pki;
let joinerCert: NodeCert;
let donorCert: NodeCert;
let previousBinary: string | undefined;
let skipReason: string | undefined;
let tag = '';

/**
 * The runner's environment minus NODE_*: `node --test` sets NODE_TEST_CONTEXT, which must not reach the build's Node.
 */
function buildEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NODE_')));
}

function pinnedVersion(): string {
  const line = fs
    .readFileSync(join(repoRoot(), 'scripts', 'previous-release'), 'utf8')
    .split('\n')
    .find((l) => /^[0-9a-f]{40} /.test(l));
  return line?.split(' ')[1] ?? 'unknown';
}

before(
  async () => {
    root = fs.mkdtempSync(join(tmpdir(), 'sst-previous-'));
    pki = createCa(join(root, 'pki'));
    joinerCert = issueCert(pki, { cn: JOINER_IP, ips: [JOINER_IP], name: 'joiner' });
    donorCert = issueCert(pki, { cn: DONOR_IP, ips: [DONOR_IP], name: 'donor' });
    const r = await run(join(repoRoot(), 'scripts', 'build-previous.sh'), [], {
      env: buildEnv(),
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    const why = r.stderr.trim().split('\n').pop() ?? '';
    if (r.code === NO_COMMIT || r.code === NO_REGISTRY) {
      skipReason = why;
      console.log(`SKIP previous release ${pinnedVersion()} against this tree: ${skipReason}`);
      return;
    }
    assert.equal(
      r.code,
      0,
      `scripts/build-previous.sh failed (${r.timedOut ? 'timed out' : `exit ${String(r.code)}`}):\n${r.stderr}`,
    );
    previousBinary = r.stdout.trim().split('\n').pop();
    assert.ok(previousBinary, 'no previous release built');
    assert.ok(fs.existsSync(previousBinary), `no executable at '${previousBinary}'`);
  },
  { timeout: BUILD_TIMEOUT_MS + 60_000 },
);

after(() => fs.rmSync(root, { recursive: true, force: true }));

afterEach(() => killTagged(tag));

function cnf(dir: string, c: NodeCert, extra = ''): string {
  const file = join(dir, 'my.cnf');
  fs.writeFileSync(file, `[mysqld]\n\n[sst]\ntca=${pki.caCert}\ntcert=${c.bundle}\n${extra}`);
  return file;
}

async function pair(
  name: string,
  joiner: Build,
  donor: Build,
  precopyOff = false,
): Promise<{ joiner: NodeSide; donor: NodeSide; address: string }> {
  tag = `prev-${name}-${randomBytes(3).toString('hex')}`;
  const base = join(root, tag);
  fs.mkdirSync(join(base, 'joiner'), { recursive: true });
  fs.mkdirSync(join(base, 'donor'), { recursive: true });
  const env = { SST_TEST_TAG: tag };
  const side = (who: 'joiner' | 'donor', build: Build, c: NodeCert): NodeSide => ({
    datadir: join(base, who, 'data'),
    // The new build's donor copies online first by default (docs/protocol.md §3.3.1), or all under the lock as
    // 0.4.0 did with precopy=off; the joiner's side of the protocol is the same.
    cnf: cnf(join(base, who), c, precopyOff && build === 'new' ? 'precopy=off\n' : ''),
    env,
    extraArgs: ['--binlog', 'mysql-bin'],
    binary: build === 'previous' ? previousBinary : undefined,
  });
  return {
    joiner: side('joiner', joiner, joinerCert),
    donor: side('donor', donor, donorCert),
    address: `${JOINER_IP}:${await freePort(JOINER_IP)}`,
  };
}

const copied = (rel: string): boolean => !STAYS_HOME.test(rel);

/** Each node ran the build it was given: the driver passes no binary for "new". */
function assertBuilds(r: Awaited<ReturnType<typeof runSst>>, joiner: Build, donor: Build): void {
  for (const [child, build] of [
    [r.joiner.child, joiner],
    [r.donor?.child, donor],
  ] as const) {
    if (build === 'previous') assert.equal(child?.spawnfile, previousBinary);
    else assert.notEqual(child?.spawnfile, previousBinary);
  }
}

async function fullSst(t: TestContext, joiner: Build, donor: Build, precopyOff = false): Promise<void> {
  if (skipReason) return t.skip(skipReason);
  const p = await pair('sst', joiner, donor, precopyOff);
  makeDatadir(p.donor.datadir, { binlogs: 3 });
  const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
  const detail =
    `joiner (${joiner}) stderr:\n${r.joiner.stderr()}\n` + `donor (${donor}) stderr:\n${r.donor?.stderr() ?? ''}`;
  assertBuilds(r, joiner, donor);
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerCode, 0, detail);
  assert.deepEqual(r.donor?.lines, ['flush tables', 'continue', `done ${STATE_UUID}:42 0`], detail);
  assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`, detail);
  assert.deepEqual(treeDigest(p.joiner.datadir, copied), treeDigest(p.donor.datadir, copied), detail);
  // sst-max-binlogs defaults to 1: the newest binary log arrives, listed alone in a new index.
  const j = p.joiner.datadir;
  assert.deepEqual(
    fs.readFileSync(join(j, 'mysql-bin.000003')),
    fs.readFileSync(join(p.donor.datadir, 'mysql-bin.000003')),
    detail,
  );
  assert.equal(fs.readFileSync(join(j, 'mysql-bin.index'), 'utf8'), './mysql-bin.000003\n', detail);
  for (const f of ['grastate.dat', 'mysql-bin.000001', 'mysql-bin.000002'])
    assert.equal(fs.existsSync(join(j, f)), false, `${f} stays on the donor`);
  if (donor === 'new' && !precopyOff)
    assert.match(r.donor?.stderr() ?? '', /precopy round 1 of at most 2: .*donor writable/, detail);
  if (precopyOff) assert.doesNotMatch(r.donor?.stderr() ?? '', /precopy round/, detail);
  assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
}

async function ist(t: TestContext, joiner: Build, donor: Build): Promise<void> {
  if (skipReason) return t.skip(skipReason);
  const p = await pair('ist', joiner, donor);
  makeDatadir(p.donor.datadir, { binlogs: 1 });
  makeDatadir(p.joiner.datadir, { binlogs: 2 });
  const untouched = treeDigest(p.joiner.datadir);
  const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address, bypass: true, seqno: 77 });
  const detail =
    `joiner (${joiner}) stderr:\n${r.joiner.stderr()}\n` + `donor (${donor}) stderr:\n${r.donor?.stderr() ?? ''}`;
  assertBuilds(r, joiner, donor);
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerCode, 0, detail);
  assert.deepEqual(r.donor?.lines, ['continue', `done ${STATE_UUID}:77 0`], detail);
  assert.equal(r.joinerFinal, `${STATE_UUID}:77 0`, detail);
  assert.deepEqual(
    treeDigest(p.joiner.datadir),
    untouched,
    `an IST leaves the joiner's data and binlogs as they were\n${detail}`,
  );
  assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
}

describe(`previous release (${pinnedVersion()}) and this tree, one release apart`, () => {
  test('full SST with binlogs: previous donor → new joiner', (t) => fullSst(t, 'new', 'previous'));
  test('full SST with binlogs, precopy on (the default): new donor → previous joiner', (t) =>
    fullSst(t, 'previous', 'new'));
  test('full SST with binlogs, precopy=off: new donor → previous joiner', (t) => fullSst(t, 'previous', 'new', true));
  test('IST (bypass): previous donor → new joiner', (t) => ist(t, 'new', 'previous'));
  test('IST (bypass): new donor → previous joiner', (t) => ist(t, 'previous', 'new'));
});
