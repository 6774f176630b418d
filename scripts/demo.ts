/**
 * `make demo`: one real donor→joiner SST through the TLS tunnel, with this
 * script playing the two mariadbd. It generates a CA, node certificates and a
 * datadir under ./demo-run (removed afterwards unless KEEP=1), runs the
 * single executable from dist/, and prints what happened.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runSst, STATE_UUID } from '../test/helpers/driver';
import { makeDatadir, STAYS_HOME, treeDigest } from '../test/helpers/datadir';
import { createCa, issueCert } from '../test/helpers/pki';
import { freePort, waitNoTagged } from '../test/helpers/procs';

const repo = resolve(__dirname, '..', '..');
const work = join(repo, 'demo-run');
const binary = join(repo, 'dist', 'wsrep_sst_rsync_tunnel');

function cnf(dir: string, cert: string, ca: string): string {
  const file = join(dir, 'my.cnf');
  writeFileSync(file, `[mysqld]\nwsrep_sst_method=rsync_tunnel\n\n[sst]\ntca=${ca}\ntcert=${cert}\n`);
  return file;
}

function sizeOf(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

async function main(): Promise<void> {
  if (!existsSync(binary)) throw new Error(`${binary} missing: run make dist`);
  process.env.SST_TEST_BINARY = binary;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const pki = createCa(join(work, 'pki'));
  const joinerCert = issueCert(pki, { cn: '127.0.0.2', ips: ['127.0.0.2'], name: 'joiner' });
  const donorCert = issueCert(pki, { cn: '127.0.0.3', ips: ['127.0.0.3'], name: 'donor' });
  const donorDir = join(work, 'donor');
  const joinerDir = join(work, 'joiner');
  mkdirSync(donorDir, { recursive: true });
  mkdirSync(joinerDir, { recursive: true });
  makeDatadir(join(donorDir, 'data'), { bigTable: 48 * 1024 * 1024, binlogs: 2 });
  const port = await freePort('127.0.0.2');
  const tag = `demo-${process.pid}`;
  const env = { SST_TEST_TAG: tag };

  console.log(`donor datadir: ${join(donorDir, 'data')} (${(sizeOf(join(donorDir, 'data')) / 1048576).toFixed(1)} MiB)`);
  console.log(`joiner datadir: ${join(joinerDir, 'data')} (empty), address 127.0.0.2:${port}`);
  const t0 = Date.now();
  const r = await runSst({
    joiner: { datadir: join(joinerDir, 'data'), cnf: cnf(joinerDir, joinerCert.bundle, pki.caCert), env, extraArgs: ['--binlog', 'mysql-bin'] },
    donor: { datadir: join(donorDir, 'data'), cnf: cnf(donorDir, donorCert.bundle, pki.caCert), env, extraArgs: ['--binlog', 'mysql-bin'] },
    address: `127.0.0.2:${port}`,
  });
  const seconds = (Date.now() - t0) / 1000;
  console.log('\n--- joiner stderr (what mariadbd would log) ---');
  process.stdout.write(r.joiner.stderr());
  console.log('--- donor stderr ---');
  process.stdout.write(r.donor?.stderr() ?? '');
  console.log('--- protocol ---');
  console.log(`joiner stdout: ${JSON.stringify(r.joiner.lines)}`);
  console.log(`donor stdout:  ${JSON.stringify(r.donor?.lines ?? [])}`);
  const copied = (rel: string): boolean => !STAYS_HOME.test(rel);
  const same = JSON.stringify([...treeDigest(join(joinerDir, 'data'), copied)]) === JSON.stringify([...treeDigest(join(donorDir, 'data'), copied)]);
  const size = sizeOf(join(joinerDir, 'data'));
  const left = await waitNoTagged(tag, 15_000);
  console.log('--- result ---');
  console.log(`exit codes: joiner ${r.joinerCode}, donor ${r.donorCode}; joiner reported ${r.joinerFinal ?? '(nothing)'}`);
  console.log(`transferred ${(size / 1048576).toFixed(1)} MiB in ${seconds.toFixed(1)} s (${(size / 1048576 / seconds).toFixed(1)} MiB/s)`);
  console.log(`joiner copy byte-identical to the donor: ${same ? 'yes' : 'NO'}; processes left: ${left.length}`);
  const ok = r.joinerCode === 0 && r.donorCode === 0 && r.joinerFinal === `${STATE_UUID}:42 0` && same && left.length === 0;
  if (process.env.KEEP !== '1') rmSync(work, { recursive: true, force: true });
  console.log(ok ? 'DEMO OK' : 'DEMO FAILED');
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
