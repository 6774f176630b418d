/**
 * docs/architecture.md §8.10 (6), with the real program: a number outside its range, in the option files or
 * on mariadbd's command line, ends the SST with 22 and one ERROR line before the donor asks
 * mariadbd to lock its tables and before the joiner says `ready`. `progress-interval=0.0000001`
 * with rlimit once spun the donor at 100 % CPU for ever, its tables locked, deaf to SIGTERM.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { programCommand, run } from '../helpers/binary';
import { makeDatadir } from '../helpers/datadir';
import { donorArgv, joinerArgv, startRole, type NodeSide } from '../helpers/driver';
import type { NodeCert } from '../helpers/pki';
import { freePort } from '../helpers/procs';
import { JOINER_IP, nodeSide, twoNodeHooks } from '../helpers/two-nodes';
import { sstTls, type Options } from '../helpers/option-file';

let tag = '';
const nodes = twoNodeHooks('sst-ranges-', () => [tag]);

function node(name: string, cert: NodeCert, sst: Options): NodeSide {
  tag = `${name}-${randomBytes(4).toString('hex')}`;
  return nodeSide(join(nodes.root, tag), tag, sstTls(nodes.pki, cert, sst));
}

/** Runs one role to its end: what it printed for mariadbd, its exit code and its ERROR lines. */
async function refused(
  run: ReturnType<typeof startRole>,
): Promise<{ stdout: (string | undefined)[]; code: number | null; errors: string[] }> {
  // Stdout closes when the program exits; a first line instead means it went on with the SST.
  const first = await run.nextLine(120_000);
  if (first !== undefined) run.child.kill('SIGKILL');
  const code = await run.exit;
  return {
    stdout: [first],
    code,
    errors: run
      .stderr()
      .split('\n')
      .filter((l) => l.includes('[ERROR]')),
  };
}

describe('numbers outside their range, with the real program', () => {
  test("donor with progress-interval=0.0000001 and rlimit=1m: 22, one ERROR line, no 'flush tables'", async () => {
    const donor = node('donor-interval', nodes.donorCert, { 'progress-interval': '0.0000001', rlimit: '1m' });
    makeDatadir(donor.datadir);
    const port = await freePort(JOINER_IP);
    const r = await refused(startRole(donorArgv(donor, `${JOINER_IP}:${port}/rsync_tunnel_sst`, 7), donor.env));
    assert.deepEqual(r.stdout, [undefined], 'nothing for mariadbd: its tables are never locked');
    assert.equal(r.code, 22);
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.match(
      r.errors[0] ?? '',
      /\[ERROR\] progress-interval=0\.0000001: must be 0 \(off\) or a number of seconds from 1 to 86400 \(/,
    );
  });

  test('donor with rlimit=1 (one byte a second): 22 naming the range', async () => {
    const donor = node('donor-rlimit', nodes.donorCert, { rlimit: '1' });
    makeDatadir(donor.datadir);
    const port = await freePort(JOINER_IP);
    const r = await refused(startRole(donorArgv(donor, `${JOINER_IP}:${port}/rsync_tunnel_sst`, 7), donor.env));
    assert.deepEqual(r.stdout, [undefined]);
    assert.equal(r.code, 22);
    assert.match(
      r.errors.join('\n'),
      /rlimit=1: must be 0 \(no limit\) or a rate in bytes per second from 64k to 100g/,
    );
  });

  test('joiner with sst-idle-timeout=0.001 or --parent 0: 22 before ready', async () => {
    const joiner = node('joiner-timeout', nodes.joinerCert, { 'sst-idle-timeout': '0.001' });
    const port = await freePort(JOINER_IP);
    const r = await refused(startRole(joinerArgv(joiner, `${JOINER_IP}:${port}`, process.pid), joiner.env));
    assert.deepEqual(r.stdout, [undefined], 'no ready');
    assert.equal(r.code, 22);
    assert.match(
      r.errors.join('\n'),
      /sst-idle-timeout=0\.001: must be 0 \(off\) or a number of seconds from 1 to 604800/,
    );

    // kill(0, 0) always succeeds: with --parent 0 the joiner never noticed mariadbd's death.
    const orphan = node('joiner-parent', nodes.joinerCert, {});
    const p = await refused(startRole(joinerArgv(orphan, `${JOINER_IP}:${port}`, 0), orphan.env));
    assert.deepEqual(p.stdout, [undefined], 'no ready');
    assert.equal(p.code, 22);
    assert.match(p.errors.join('\n'), /--parent=0: must be a process ID from 1 to 4194304/);
  });
});

describe('check: numbers outside their range FAIL before any SST', () => {
  test('each one named with its value and range; exit 1', async () => {
    const side = node('check', nodes.joinerCert, {
      'progress-interval': '0.0000001',
      rlimit: '1',
      'backup-threads': '0',
    });
    mkdirSync(side.datadir, { recursive: true });
    const p = programCommand();
    const r = await run(
      p.command,
      [...p.args, 'check', '--defaults-file', side.cnf, '--datadir', side.datadir, '--json'],
      { timeoutMs: 30_000 },
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { items: { id: string; status: string; detail: string }[] };
    const numbers = report.items.find((i) => i.id === 'numbers');
    assert.equal(numbers?.status, 'FAIL', r.stdout);
    assert.equal(
      numbers?.detail,
      'progress-interval=0.0000001: must be 0 (off) or a number of seconds from 1 to 86400; ' +
        'rlimit=1: must be 0 (no limit) or a rate in bytes per second from 64k to 100g (suffixes k, m, g in ' +
        'powers of 1024); ' +
        'backup-threads=0: must be a whole number from 1 to 1024',
    );
  });
});
