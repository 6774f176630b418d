/**
 * Is the SST port free where the joiner would listen? Tried the way the joiner's own check does
 * it (src/sst/joiner.ts): an exclusive bind, then /proc to name whoever holds the port.
 */
import { createServer } from 'node:net';
import { formatHost } from '../net/address';
import { localBindHost } from '../net/local';
import { portOwners } from '../proc/sockets';
import type { Advertised } from './advertised';
import { item, type CheckItem } from './result';

function bindProbe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

export async function portItem(advertised: Advertised): Promise<CheckItem> {
  const bindHost = await localBindHost(advertised.host);
  const host = bindHost ?? (advertised.ipv6 ? '::' : '0.0.0.0');
  const where = bindHost === undefined
    ? `all interfaces (${formatHost(advertised)} is not an address of this host, as behind NAT)`
    : formatHost({ host: bindHost, ipv6: advertised.ipv6, zone: advertised.zone });
  const error = await bindProbe(host, advertised.port);
  if (error === undefined) return item('port', 'SST port free', 'PASS', `port ${advertised.port} on ${where} is free`);
  if (error.code === 'EADDRINUSE') {
    const owners = portOwners(advertised.port).map((o) => `PID ${o.pid} (${o.command})`);
    const who = owners.length > 0 ? owners.join(', ') : 'another program (not visible from here)';
    return item('port', 'SST port free', 'FAIL', `port ${advertised.port} on ${where} is taken by ${who}: a joiner could not listen`);
  }
  return item('port', 'SST port free', 'FAIL', `cannot listen on port ${advertised.port} on ${where}: ${error.message}`);
}
