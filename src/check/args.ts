/**
 * `wsrep_sst_rsync_tunnel check …` options. An operator types these, so unlike the SST's own
 * argv (which must tolerate whatever a future mariadbd adds) unknown options are refused.
 */
import minimist from 'minimist';
import { Exit, SstError } from '../errors';

export type CheckMode = 'node' | 'listen' | 'peer';

export interface CheckArgs {
  mode: CheckMode;
  defaultsFile?: string;
  defaultsExtraFile?: string;
  defaultsGroupSuffix?: string;
  /** Overrides `datadir` of the option files. */
  datadir?: string;
  json: boolean;
  /** `--peer HOST[:PORT]`, as given. */
  peer?: string;
  /** `--listen` only: override the port and the address the joiner would use. */
  port?: number;
  bind?: string;
  /** How long `--listen` serves, or `--peer` waits for the handshake. */
  timeoutSeconds: number;
}

/** Long enough for an operator to start `--peer` on the other node. */
export const DEFAULT_LISTEN_SECONDS = 60;
/** A handshake takes milliseconds; this covers a slow network or a busy host. */
export const DEFAULT_PEER_SECONDS = 20;
const MAX_SECONDS = 3600;

const STRINGS = [
  'defaults-file',
  'defaults-extra-file',
  'defaults-group-suffix',
  'datadir',
  'peer',
  'port',
  'bind',
  'timeout',
];
const BOOLEANS = ['json', 'listen', 'help'];

function usage(message: string): SstError {
  return new SstError(Exit.BAD_CONFIG, `check: ${message} (see --help)`);
}

function last(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof v === 'string' ? v : undefined;
}

function nonEmpty(parsed: minimist.ParsedArgs, name: string): string | undefined {
  const v = last(parsed[name]);
  if (v === undefined) return undefined;
  if (v.trim() === '') throw usage(`--${name} needs a value`);
  return v;
}

function integerIn(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw usage(`--${name} must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return Number(text);
}

/** `argv` is what follows `check`; 'help' for `check --help`. */
export function parseCheckArgs(argv: readonly string[]): CheckArgs | 'help' {
  const unknown: string[] = [];
  const parsed = minimist([...argv], {
    string: STRINGS,
    boolean: BOOLEANS,
    unknown: (arg) => {
      unknown.push(arg);
      return false;
    },
  });
  if (unknown.length > 0)
    throw usage(`unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.map((a) => `'${a}'`).join(', ')}`);
  if (parsed.help === true) return 'help';

  const peer = nonEmpty(parsed, 'peer');
  const listen = parsed.listen === true;
  if (listen && peer !== undefined)
    throw usage('--listen and --peer cannot be combined: run --listen on one node and --peer on the other');
  const mode: CheckMode = listen ? 'listen' : peer !== undefined ? 'peer' : 'node';
  const port = integerIn('port', nonEmpty(parsed, 'port'), 1, 65535);
  const bind = nonEmpty(parsed, 'bind');
  if (mode !== 'listen' && (port !== undefined || bind !== undefined))
    throw usage('--port and --bind go with --listen');
  const timeout = integerIn('timeout', nonEmpty(parsed, 'timeout'), 1, MAX_SECONDS);
  if (mode === 'node' && timeout !== undefined) throw usage('--timeout goes with --listen or --peer');

  return {
    mode,
    defaultsFile: nonEmpty(parsed, 'defaults-file'),
    defaultsExtraFile: nonEmpty(parsed, 'defaults-extra-file'),
    defaultsGroupSuffix: nonEmpty(parsed, 'defaults-group-suffix'),
    datadir: nonEmpty(parsed, 'datadir'),
    json: parsed.json === true,
    peer,
    port,
    bind,
    timeoutSeconds: timeout ?? (mode === 'peer' ? DEFAULT_PEER_SECONDS : DEFAULT_LISTEN_SECONDS),
  };
}
