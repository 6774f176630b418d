/**
 * `node build/scripts/tunnel-bench.js`: what the TLS tunnel alone costs, without rsync or
 * MariaDB. One socat pair with the addresses the SST uses (connectAddress / listenAddress, the
 * joiner's listener forking a child per connection as in an SST) carries TUNNEL_GIB (default 2)
 * GiB from a pipe to a pipe, for each variant in TUNNEL_VARIANTS (default
 * "65536,65536:pipes,1048576:pipes": socat's transfer block, and whether the listener's EXEC talks
 * to its program over pipes rather than socat's default socketpair); TUNNEL_ROUNDS (default 3)
 * rounds, medians. Prints MiB/s and CPU seconds per GiB of the sending socat and of the
 * receiving socat child (from /proc), and each figure's ratio to the first variant's, measured
 * in the same run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { JOINER_IP, makeTwoNodePki } from '../test/helpers/two-nodes';
import { connectAddress, listenAddress } from '../src/tunnel/socat-address';
import { descendants } from '../src/proc/descendants';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TICKS = 100;

const envList = (name: string, fallback: string): number[] => (process.env[name] ?? fallback).split(',').map(Number);
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

/** User + system CPU seconds of a live process, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS;
  } catch {
    return undefined;
  }
}

interface Result {
  mibPerS: number;
  senderCpuPerGiB: number;
  receiverCpuPerGiB: number;
}

interface Variant {
  label: string;
  block: number;
  pipes: boolean;
}

function parseVariant(text: string): Variant {
  const [block, option] = text.split(':');
  return { label: text, block: Number(block), pipes: option === 'pipes' };
}

async function once(v: Variant, gib: number, port: number, certs: ReturnType<typeof makeTwoNodePki>): Promise<Result> {
  const block = v.block;
  const tls = (cert: string, commonName?: string) => ({ cert, caFile: certs.pki.caCert, verify: true, commonName });
  const listen = listenAddress({
    port,
    bind: { host: JOINER_IP, ipv6: false },
    ipv6: false,
    tls: tls(certs.joinerCert.bundle, ''),
    sockopt: [],
    maxChildren: 9,
  });
  const connect = connectAddress({ host: JOINER_IP, port, ipv6: false, tls: tls(certs.donorCert.bundle), sockopt: [] });
  const count = Math.round((gib * GiB) / MiB);
  const listener = spawn(
    'socat',
    ['-b', String(block), listen, `EXEC:dd of=/dev/null bs=1M status=none${v.pipes ? ',pipes' : ''}`],
    { stdio: 'ignore', detached: true },
  );
  await new Promise((r) => setTimeout(r, 300));
  const t0 = process.hrtime.bigint();
  const sender = spawn(
    'socat',
    ['-b', String(block), '-u', `EXEC:dd if=/dev/zero bs=1M count=${count} status=none`, connect],
    { stdio: 'ignore', detached: true },
  );
  let senderCpu = 0;
  let receiverCpu = 0;
  const poll = setInterval(() => {
    senderCpu = cpuSeconds(sender.pid ?? -1) ?? senderCpu;
    const child = descendants(listener.pid ?? -1).find((p) => p.comm === 'socat');
    if (child) receiverCpu = cpuSeconds(child.pid) ?? receiverCpu;
  }, 50);
  await new Promise<void>((resolve) => sender.once('exit', () => resolve()));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(poll);
  try {
    process.kill(-(listener.pid ?? 0), 'SIGKILL');
  } catch {
    // Gone.
  }
  return {
    mibPerS: (count * MiB) / MiB / seconds,
    senderCpuPerGiB: senderCpu / gib,
    receiverCpuPerGiB: receiverCpu / gib,
  };
}

async function main(): Promise<void> {
  const gib = envList('TUNNEL_GIB', '2')[0] ?? 2;
  const variants = (process.env.TUNNEL_VARIANTS ?? '65536,65536:pipes,1048576:pipes').split(',').map(parseVariant);
  const rounds = envList('TUNNEL_ROUNDS', '3')[0] ?? 3;
  const certs = makeTwoNodePki('tunnel-bench-');
  const socat =
    spawnSync('socat', ['-V'], { encoding: 'utf8' })
      .stdout.split('\n')
      .find((l) => /socat version/.test(l)) ?? '?';
  console.log(
    `tunnel bench: ${gib} GiB per transfer, ${rounds} rounds, ${socat.trim()}, ${cpus()[0]?.model ?? '?'} × ` +
      `${cpus().length}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const results = new Map<Variant, Result[]>(variants.map((v) => [v, []]));
  let port = 45000;
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse())
      results.get(v)?.push(await once(v, gib, port++, certs));
  }
  rmSync(certs.root, { recursive: true, force: true });
  const base = results.get(variants[0] as Variant) ?? [];
  const baseM = {
    rate: median(base.map((x) => x.mibPerS)),
    s: median(base.map((x) => x.senderCpuPerGiB)),
    r: median(base.map((x) => x.receiverCpuPerGiB)),
  };
  console.log('variant          MiB/s  (ratio)   sender CPU-s/GiB (ratio)   receiver CPU-s/GiB (ratio)');
  for (const v of variants) {
    const rs = results.get(v) ?? [];
    const m = {
      rate: median(rs.map((x) => x.mibPerS)),
      s: median(rs.map((x) => x.senderCpuPerGiB)),
      r: median(rs.map((x) => x.receiverCpuPerGiB)),
    };
    console.log(
      `${v.label.padEnd(16)} ${m.rate.toFixed(0).padStart(6)}  (×${(m.rate / baseM.rate).toFixed(2)})   ` +
        `${m.s.toFixed(2).padStart(6)} (×${(m.s / baseM.s).toFixed(2)})              ` +
        `${m.r.toFixed(2).padStart(6)} (×${(m.r / baseM.r).toFixed(2)})`,
    );
  }
}

void main();
