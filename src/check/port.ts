/**
 * Is the SST port free where the joiner would listen? Asked with the joiner's own probe
 * (src/net/port-probe.ts) at the joiner's own bind address.
 */
import { formatHost } from '../net/address';
import { localBindHost } from '../net/local';
import { probeListenPort } from '../net/port-probe';
import type { Advertised } from './advertised';
import { item, type CheckItem } from './result';

export async function portItem(advertised: Advertised): Promise<CheckItem> {
  const bindHost = await localBindHost(advertised.host);
  const where =
    bindHost === undefined
      ? `all interfaces (${formatHost(advertised)} is not an address of this host, as behind NAT)`
      : formatHost({ host: bindHost, ipv6: advertised.ipv6, zone: advertised.zone });
  const busy = await probeListenPort(advertised.port, bindHost, advertised.ipv6);
  if (busy === undefined) return item('port', 'SST port free', 'PASS', `port ${advertised.port} on ${where} is free`);
  if (busy.inUse) {
    const owners = busy.owners.map((o) => `PID ${o.pid} (${o.command})`);
    const who = owners.length > 0 ? owners.join(', ') : 'another program (not visible from here)';
    return item(
      'port',
      'SST port free',
      'FAIL',
      `port ${advertised.port} on ${where} is taken by ${who}: a joiner could not listen`,
    );
  }
  return item('port', 'SST port free', 'FAIL', `cannot listen on port ${advertised.port} on ${where}: ${busy.message}`);
}
