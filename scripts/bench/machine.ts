/** `make bench`: the machine and tool versions, and the single executable's start time and RSS. */
import { readFileSync, statSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { GiB, median, MiB } from './figures';
import { BIN } from './methods';

export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return `? (${r.error.message})`;
  return (
    `${r.stdout}${r.stderr}`
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '?'
  );
}

export function machine(when: string): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?';
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const avail = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  // stunnel prints its version on stderr after an "Initializing inetd mode" line.
  const stunnel = spawnSync('stunnel', ['-version'], { encoding: 'utf8' });
  return [
    `machine: ${nproc} CPUs (${model}), ${(totalmem() / GiB).toFixed(1)} GiB RAM (` +
      `${avail ? (Number(avail) / 1024 ** 2).toFixed(1) : '?'} GiB available), Linux ${release()}`,
    `load average (1/5/15 min) ${when}: ${loadAverage()}`,
    `mariadbd: ${firstLine('/usr/sbin/mariadbd', ['--version'])}`,
    `rsync: ${firstLine('rsync', ['--version'])}`,
    `socat: ${
      spawnSync('socat', ['-V'], { encoding: 'utf8' })
        .stdout.split('\n')
        .find((l) => l.startsWith('socat version'))
        ?.trim() ?? '?'
    }`,
    `stunnel: ${
      `${stunnel.stdout ?? ''}${stunnel.stderr ?? ''}`
        .split('\n')
        .find((l) => l.startsWith('stunnel '))
        ?.trim() ?? '? (not installed: scripts/install-deps.sh installs stunnel4)'
    }`,
    `openssl: ${firstLine('openssl', ['version'])}`,
    `ours: ${firstLine(BIN, ['--version'])}`,
  ].join('\n');
}

/** Wall clock of `--version`, the whole cost mariadbd pays to start the method before any work. */
export function startup(): string {
  spawnSync(BIN, ['--version']); // Warm-up: the first run reads the 100 MB executable from disk.
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(BIN, ['--version'], { stdio: 'ignore' });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${BIN} --version exited ${r.status}`);
  }
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', BIN, '--version'], { encoding: 'utf8' });
    const kib = Number(r.stderr.trim().split('\n').pop());
    if (r.status !== 0 || !Number.isFinite(kib))
      throw new Error(`/usr/bin/time failed (is Debian's 'time' installed?): ${r.stderr}`);
    rss.push(kib);
  }
  return (
    `binary: ${BIN} (${(statSync(BIN).size / MiB).toFixed(0)} MiB)\n  ` +
    `--version wall clock over 20 runs: median ${median(ms).toFixed(1)} ms (min ` +
    `${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)})\n  ` +
    `--version peak RSS (/usr/bin/time %M, 5 runs): median ${(median(rss) / 1024).toFixed(1)} MiB`
  );
}
