/**
 * Binary logs from a donor that cannot be trusted (docs/architecture.md §8.2), with the real
 * program, socat and rsync; a driver plays mariadbd. The joiner must refuse
 * a list or index that names anything but `<stem>.<digits>` in its binlog
 * directory with exit 32 naming the entry, before deleting a single file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AUTH_USER, BINLOG_LIST, MODULES } from '../../src/rsync/modules';
import { authSecret, runSst, STATE_UUID, type NodeSide } from '../helpers/driver';
import { makeDatadir } from '../helpers/datadir';
import type { NodeCert } from '../helpers/pki';
import { JOINER_IP, nodeSide, twoNodeHooks } from '../helpers/two-nodes';
import { freePort, waitNoTagged } from '../helpers/procs';
import { sstTls } from '../helpers/option-file';
import { tunnelClient } from '../helpers/tunnel-client';

let tag = '';
const nodes = twoNodeHooks('sst-binlog-', () => [tag]);

interface Pair {
  base: string;
  joiner: NodeSide;
  donor: NodeSide;
  address: string;
}

async function pair(name: string, sstMaxBinlogs = '1'): Promise<Pair> {
  tag = `${name}-${randomBytes(4).toString('hex')}`;
  const base = join(nodes.root, tag);
  const side = (role: string, cert: NodeCert): NodeSide =>
    nodeSide(join(base, role), tag, sstTls(nodes.pki, cert, { 'sst-max-binlogs': sstMaxBinlogs }));
  const joiner = side('joiner', nodes.joinerCert);
  const donor = side('donor', nodes.donorCert);
  return { base, joiner, donor, address: `${JOINER_IP}:${await freePort(JOINER_IP)}` };
}

const binlog = (n: number, stem = 'mysql-bin'): string => `${stem}.${String(n).padStart(6, '0')}`;

/** The joiner's old binlogs, each with its own content, to prove none was touched. */
function assertOldBinlogsKept(datadir: string, count: number): void {
  for (let n = 1; n <= count; n++) assert.ok(fs.existsSync(join(datadir, binlog(n))), `old ${binlog(n)} kept`);
}

/** rsync through the tunnel as a secret holder (the donor's certificate and the joiner's secret); its exit code. */
function push(p: Pair, address: string, secret: string, from: string, module: string): number | null {
  const { host, port, env } = tunnelClient(address, { cert: nodes.donorCert.bundle, caFile: nodes.pki.caCert }, tag);
  const passwordFile = join(p.base, 'push.password');
  fs.writeFileSync(passwordFile, `${secret}\n`, { mode: 0o600 });
  const r = spawnSync(
    'rsync',
    [`--password-file=${passwordFile}`, '--recursive', from, `rsync://${AUTH_USER}@${host}:${port}/${module}`],
    {
      env,
      timeout: 30_000,
    },
  );
  return r.status;
}

async function refusedWith32(p: Pair, entry: RegExp): Promise<string> {
  const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
  const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
  assert.equal(r.donorCode, 0, detail);
  assert.equal(r.joinerCode, 32, detail);
  assert.equal(r.joinerFinal, undefined, 'the joiner must not report a state');
  assert.match(r.joiner.stderr(), entry, detail);
  assert.deepEqual(await waitNoTagged(tag, 15_000), [], 'no process of the SST may survive it');
  return r.joiner.stderr();
}

describe('binary logs from a hostile donor', () => {
  test(
    'an index pushed into the joiner (index in a datadir subdirectory) ' + 'naming a file outside: 32, nothing deleted',
    async () => {
      const p = await pair('pushedindex');
      const victim = join(p.base, 'victim.txt');
      fs.writeFileSync(victim, 'victim');
      const args = ['--binlog', 'mysql-bin', '--binlog-index', 'idx/mysql-bin.index'];
      p.joiner.extraArgs = args;
      p.donor.extraArgs = args;
      makeDatadir(p.donor.datadir, { binlogs: 3 });
      makeDatadir(p.joiner.datadir, { binlogs: 5 });
      fs.rmSync(join(p.joiner.datadir, 'grastate.dat'));
      fs.mkdirSync(join(p.joiner.datadir, 'idx'));
      fs.renameSync(join(p.joiner.datadir, 'mysql-bin.index'), join(p.joiner.datadir, 'idx', 'mysql-bin.index'));
      // The donor copies idx/ like a database directory: its index replaces the joiner's.
      fs.mkdirSync(join(p.donor.datadir, 'idx'));
      fs.writeFileSync(join(p.donor.datadir, 'idx', 'mysql-bin.index'), `${victim}\n../victim\n./${binlog(3)}\n`);

      const stderr = await refusedWith32(
        p,
        new RegExp(
          String.raw`WSREP_SST: \[ERROR\] binlog index .*idx\/mysql-bin\.index received from the donor: entry ` +
            String.raw`".*\/victim\.txt" refused: it is not inside the binlog directory`,
        ),
      );
      assert.doesNotMatch(stderr, /binary logs: \d+ installed/);
      assert.equal(fs.readFileSync(victim, 'utf8'), 'victim');
      assertOldBinlogsKept(p.joiner.datadir, 5);
    },
  );

  test(
    'a donor list naming a file that is not <stem>.<digits>: ' + '32 naming it, nothing deleted or installed',
    async () => {
      const p = await pair('hostilelist');
      const args = ['--binlog', 'mysql-bin'];
      p.joiner.extraArgs = args;
      p.donor.extraArgs = args;
      // The donor sends no binlogs of its own: the list the joiner finds is the one pushed below.
      makeDatadir(p.donor.datadir);
      makeDatadir(p.joiner.datadir, { binlogs: 4 });
      fs.rmSync(join(p.joiner.datadir, 'grastate.dat'));
      // Our donor sends only `<stem>.<digits>` files of its binlog directory: a hostile one is a
      // secret holder pushing its own list and file into the binlog module.
      const hostile = join(p.base, 'hostile');
      fs.mkdirSync(hostile);
      fs.writeFileSync(join(hostile, BINLOG_LIST), `${binlog(1)}\nvictim.txt\n`);
      fs.writeFileSync(join(hostile, 'victim.txt'), 'victim');
      let pushed: number | null = null;
      const r = await runSst({
        joiner: p.joiner,
        donor: p.donor,
        address: p.address,
        onReady: async (address, auth) => {
          pushed = push(p, address, authSecret(auth), `${hostile}/`, `${MODULES.binlog}/`);
        },
      });
      const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
      assert.equal(pushed, 0, detail);
      assert.equal(r.donorCode, 0, detail);
      assert.equal(r.joinerCode, 32, detail);
      assert.match(
        r.joiner.stderr(),
        new RegExp(
          String.raw`WSREP_SST: \[ERROR\] binlog list from the donor: entry "victim\.txt" refused: it is not ` +
            String.raw`<stem>\.<digits>; no binary log was deleted`,
        ),
        detail,
      );
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
      assertOldBinlogsKept(p.joiner.datadir, 4);
      assert.equal(fs.existsSync(join(p.joiner.datadir, 'victim.txt')), false);
      assert.equal(
        fs.readFileSync(join(p.joiner.datadir, 'mysql-bin.index'), 'utf8'),
        [1, 2, 3, 4].map((n) => `./${binlog(n)}\n`).join(''),
      );
    },
  );

  test(
    'per-node log-bin names: ' + 'the donor’s names are installed under the joiner’s index, its own old ones go',
    async () => {
      const p = await pair('pernode', '2');
      p.donor.extraArgs = ['--binlog', 'mysql-bin'];
      p.joiner.extraArgs = ['--binlog', 'node2-bin'];
      makeDatadir(p.donor.datadir, { binlogs: 3 });
      makeDatadir(p.joiner.datadir);
      fs.rmSync(join(p.joiner.datadir, 'grastate.dat'));
      for (const n of [7, 8]) fs.writeFileSync(join(p.joiner.datadir, binlog(n, 'node2-bin')), 'old');
      fs.writeFileSync(join(p.joiner.datadir, 'node2-bin.index'), `./${binlog(7, 'node2-bin')}\n`);

      const r = await runSst({ joiner: p.joiner, donor: p.donor, address: p.address });
      const detail = `joiner stderr:\n${r.joiner.stderr()}\ndonor stderr:\n${r.donor?.stderr() ?? ''}`;
      assert.equal(r.joinerCode, 0, detail);
      assert.equal(r.joinerFinal, `${STATE_UUID}:42 0`);
      const j = p.joiner.datadir;
      assert.equal(fs.readFileSync(join(j, 'node2-bin.index'), 'utf8'), `./${binlog(2)}\n./${binlog(3)}\n`);
      assert.deepEqual(fs.readFileSync(join(j, binlog(3))), fs.readFileSync(join(p.donor.datadir, binlog(3))));
      for (const n of [7, 8])
        assert.equal(fs.existsSync(join(j, binlog(n, 'node2-bin'))), false, binlog(n, 'node2-bin'));
      assert.deepEqual(await waitNoTagged(tag, 15_000), []);
    },
  );
});
