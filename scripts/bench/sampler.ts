/** `make bench`: CPU time and memory of the SST processes under each mariadbd, sampled from /proc. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { descendants, type ProcRead } from '../../src/proc/descendants';

export interface Usage {
  role: 'donor' | 'joiner';
  program: string;
  peakRssKiB: number;
  cpuSeconds: number;
}

/**
 * /proc for src/'s descendants walk, with the children of every thread of a process where that walk
 * reads the main thread's: mariadbd starts the SST script from a worker thread.
 */
const everyThread: ProcRead = (file) => {
  const pid = /^\/proc\/(\d+)\/task\/\d+\/children$/.exec(file)?.[1];
  try {
    if (pid === undefined) return readFileSync(file, 'utf8');
    const lists = readdirSync(`/proc/${pid}/task`).map((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      } catch {
        return ''; // That thread ended meanwhile.
      }
    });
    return lists.filter((l) => l !== '').join(' ');
  } catch {
    return undefined; // Exited meanwhile.
  }
};

const below = (root: number): number[] => descendants(root, everyThread).map((p) => p.pid);

/**
 * What a process is, in the terms of the report: our binary, socat, rsync, stunnel, the stock shell script, or a
 * helper.
 */
function programOf(pid: number): string {
  // " (deleted)": the file was replaced or removed since the process started it; the program is the same.
  const exe = basename(readlinkSync(`/proc/${pid}/exe`)).replace(/ \(deleted\)$/, '');
  // Debian's /usr/bin/stunnel is a link to stunnel4.
  if (exe === 'stunnel4') return 'stunnel';
  if (exe === 'bash' || exe === 'dash' || exe === 'sh') {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const script = argv.slice(1).find((a) => a.includes('wsrep_sst_'));
    // The stock method is a bash script (plus its subshells); `sh -c` is mariadbd's wrapper, if any.
    return script !== undefined && !argv.includes('-c') ? `${basename(script)} (bash)` : exe;
  }
  return exe;
}

interface Seen {
  role: 'donor' | 'joiner';
  program: string;
  hwmKiB: number;
  cpuTicks: number;
}

/**
 * Samples the process trees under the donor's and the joiner's mariadbd every
 * 200 ms: VmHWM (peak RSS, monotonic, so the last sample is the peak) and
 * utime+stime per PID. A process's CPU time after its last sample, and
 * processes that live less than one interval, are missed: the CPU figures
 * are lower bounds.
 */
export class Sampler {
  private readonly seen = new Map<number, Seen>();
  private readonly peakTotal = { donor: 0, joiner: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly tick = 100; // CLK_TCK on Linux.

  constructor(private readonly roots: { donor: () => number | undefined; joiner: () => number | undefined }) {
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    for (const role of ['donor', 'joiner'] as const) {
      const root = this.roots[role]();
      if (root === undefined) continue;
      let total = 0;
      for (const pid of below(root)) {
        try {
          total += this.sampleOne(role, pid);
        } catch {
          // Exited between the listing and the read.
        }
      }
      this.peakTotal[role] = Math.max(this.peakTotal[role], total);
    }
  }

  /** Records one process's peak RSS and CPU ticks so far; returns its RSS now, in KiB. */
  private sampleOne(role: 'donor' | 'joiner', pid: number): number {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(f[11]) + Number(f[12]); // utime, stime: fields 14 and 15.
    const prev = this.seen.get(pid);
    // Re-read each time: a PID first seen between fork and exec still shows its parent's program.
    const program = programOf(pid);
    this.seen.set(pid, {
      role,
      program,
      hwmKiB: Math.max(prev?.hwmKiB ?? 0, kib('VmHWM')),
      cpuTicks: Math.max(prev?.cpuTicks ?? 0, cpuTicks),
    });
    return kib('VmRSS');
  }

  /**
   * True while the mariadbd has any child left (the donor's SST script may outlive the joiner's Synced by a moment).
   */
  static busy(root: number | undefined): boolean {
    return root !== undefined && below(root).length > 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  result(): { usage: Usage[]; peakTotalKiB: Record<'donor' | 'joiner', number> } {
    const byKey = new Map<string, Usage>();
    for (const s of this.seen.values()) {
      const key = `${s.role}\0${s.program}`;
      const u = byKey.get(key) ?? { role: s.role, program: s.program, peakRssKiB: 0, cpuSeconds: 0 };
      u.peakRssKiB = Math.max(u.peakRssKiB, s.hwmKiB);
      u.cpuSeconds += s.cpuTicks / this.tick;
      byKey.set(key, u);
    }
    const usage = [...byKey.values()].sort((a, b) => a.role.localeCompare(b.role) || b.cpuSeconds - a.cpuSeconds);
    return { usage, peakTotalKiB: { ...this.peakTotal } };
  }
}
