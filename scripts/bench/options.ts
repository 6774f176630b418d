/** `make bench`: its settings, from the environment. */
import { parseRate } from '../../src/config/settings';
import { parseDatasets, type Dataset } from './datasets';

export interface Options {
  datasets: Dataset[];
  rounds: number;
  /** BENCH_RLIMIT as given: the [sst] rlimit of the limited runs. */
  rlimit: string;
  /** That rate in bytes per second; undefined when the limited runs are off. */
  rate: number | undefined;
  /** BENCH_LOAD_ROUNDS: rounds of every method under a write load, on datasets of many tables; 0 for none. */
  loadRounds: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not '${raw}'`);
  return n;
}

/** BENCH_RLIMIT read as the binary reads `[sst] rlimit` (src/config/settings.ts); undefined for "off", "0" or unset. */
export function benchRate(raw: string | undefined): number | undefined {
  const text = raw?.trim() ?? '';
  if (text === '' || text === 'off' || text === '0') return undefined;
  try {
    const rate = parseRate(text);
    return rate > 0 ? rate : undefined;
  } catch (error) {
    throw new Error(`BENCH_RLIMIT: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function options(env: NodeJS.ProcessEnv = process.env): Options {
  if (env.BENCH_SIZES_GB !== undefined)
    throw new Error('BENCH_SIZES_GB is gone: use BENCH_DATASETS, e.g. many:4,one:3,small:0.02 (GB of tables)');
  const datasets = parseDatasets(env.BENCH_DATASETS ?? 'many:4,one:3,small:0.02');
  // Three rounds by default: on a shared 2-CPU machine single transfers vary by tens of percent.
  const rounds = positiveInt(env, 'BENCH_ROUNDS', 3);
  const rlimit = env.BENCH_RLIMIT ?? '50m';
  const loadRounds = env.BENCH_LOAD_ROUNDS === '0' ? 0 : positiveInt(env, 'BENCH_LOAD_ROUNDS', 1);
  return { datasets, rounds, rlimit, rate: benchRate(rlimit), loadRounds };
}
