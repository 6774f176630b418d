import type { ServerConfig } from '../config/load';
import { readRawTlsValues, resolveTls, type Role, type TlsSettings } from '../config/tls';
import type { TunnelTls } from './socat-address';
import { resolveSockopt, type SockoptVerdict } from './sockopt-policy';

/** The TLS decisions of one role, before anything is logged or reported. */
export interface TunnelSettings {
  tls: TlsSettings;
  /** The `sockopt` items of `[sst]`, parsed. */
  sockopt: string[];
  verdict: SockoptVerdict;
  /** False for ssl-mode=REQUIRED or sockopt verify=0: nobody checks the peer. */
  verifyPeer: boolean;
}

/**
 * ssl-* options and sockopt → what the tunnel of `role` runs with. The SST (sst/prepare.ts) and
 * `check` (check/config.ts) both decide here, so what `check` reports is what the SST would do.
 * Throws SstError (exit 22) on settings the SST refuses. `decided` sees the ssl-* settings before
 * sockopt is judged, so the SST logs their notes even when it then refuses sockopt.
 */
export function resolveTunnelSettings(
  config: Pick<ServerConfig, 'lookup' | 'mysqld'>,
  role: Role,
  datadir: string,
  isDirectory: (p: string) => boolean,
  decided: (tls: TlsSettings) => void = () => undefined,
): TunnelSettings {
  const tls = resolveTls(readRawTlsValues(config.lookup, config.mysqld), role, isDirectory, datadir);
  decided(tls);
  const { items: sockopt, verdict } = resolveSockopt(config.lookup([['sst']], 'sockopt'), tls);
  return { tls, sockopt, verdict, verifyPeer: tls.mode !== 'REQUIRED' && !verdict.verifyOff };
}

/**
 * ssl-mode → socat options. The donor checks the joiner's name (the host it
 * connects to) unless VERIFY_CA; the joiner checks the donor's chain only,
 * since mariadbd tells it nothing about which node will donate.
 */
export function tunnelTls(p: { tls: TlsSettings }, role: Role): TunnelTls {
  const verify = p.tls.mode !== 'REQUIRED';
  const base: TunnelTls = { cert: p.tls.cert, key: p.tls.key, caFile: p.tls.caFile, caPath: p.tls.caPath, verify };
  if (!verify || role === 'joiner') return base;
  return p.tls.mode === 'VERIFY_CA' ? { ...base, commonName: '' } : base;
}

/** `commonname=`/`cn=` in sockopt replaces the host in socat's name check (socat-address.ts). */
export function sockoptCommonName(sockopt: readonly string[]): string | undefined {
  for (const option of [...sockopt].reverse()) {
    const eq = option.indexOf('=');
    const name = (eq < 0 ? option : option.slice(0, eq)).toLowerCase();
    if (name === 'cn' || name === 'commonname' || name === 'openssl-commonname') {
      return option.slice(eq + 1).replace(/\\(.)|['"]/g, (_m, c: string | undefined) => c ?? '');
    }
  }
  return undefined;
}
