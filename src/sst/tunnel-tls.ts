import type { Role } from '../config/tls';
import type { TunnelTls } from '../tunnel/socat-address';
import type { Prepared } from './prepare';

/**
 * ssl-mode → socat options. The donor checks the joiner's name (the host it
 * connects to) unless VERIFY_CA; the joiner checks the donor's chain only,
 * since mariadbd tells it nothing about which node will donate.
 */
export function tunnelTls(p: Pick<Prepared, 'tls'>, role: Role): TunnelTls {
  const verify = p.tls.mode !== 'REQUIRED';
  const base: TunnelTls = { cert: p.tls.cert, key: p.tls.key, caFile: p.tls.caFile, caPath: p.tls.caPath, verify };
  if (!verify || role === 'joiner') return base;
  return p.tls.mode === 'VERIFY_CA' ? { ...base, commonName: '' } : base;
}
