/** `make bench`: the medians per dataset and method that the report and the targets read. Pure. */
import type { Dataset } from './datasets';
import { GiB, median, medianOf, MiB } from './figures';
import type { Method } from './methods';
import type { Run } from './transfer';

export const TUNNEL_PROGRAMS = ['socat', 'rsync', 'stunnel'] as const;

/** CPU seconds per GiB copied of one program on one side in one run; 0 when the method does not run it. */
function cpuPerGiB(r: Run, role: 'donor' | 'joiner', program: string): number {
  const s = r.usage.filter((u) => u.role === role && u.program === program).reduce((a, u) => a + u.cpuSeconds, 0);
  return s / (r.datadirBytes / GiB);
}

export interface Summary {
  n: number;
  mib: number;
  synced?: number;
  joiner?: number;
  donor?: number;
  copy?: number;
  joinerSelf?: number;
  donorSelf?: number;
  cpu: Record<string, number>;
}

/** The summary of one dataset's runs by one method; undefined when there were none. */
export type SummaryOf = (d: Dataset, m: Method) => Summary | undefined;

export function summarise(rs: readonly Run[]): Summary | undefined {
  if (rs.length === 0) return undefined;
  const cpu: Record<string, number> = {};
  for (const role of ['donor', 'joiner'] as const) {
    for (const p of TUNNEL_PROGRAMS) cpu[`${role} ${p}`] = median(rs.map((r) => cpuPerGiB(r, role, p)));
    cpu[`${role} all`] = median(
      rs.map(
        (r) => r.usage.filter((u) => u.role === role).reduce((a, u) => a + u.cpuSeconds, 0) / (r.datadirBytes / GiB),
      ),
    );
  }
  return {
    n: rs.length,
    mib: median(rs.map((r) => r.datadirBytes / MiB)),
    synced: medianOf(rs.map((r) => r.toSynced)),
    joiner: medianOf(rs.map((r) => r.joinerScript)),
    donor: medianOf(rs.map((r) => r.donorScript)),
    copy: medianOf(rs.map((r) => r.copy)),
    joinerSelf: medianOf(rs.map((r) => r.joinerSelf)),
    donorSelf: medianOf(rs.map((r) => r.donorSelf)),
    cpu,
  };
}
