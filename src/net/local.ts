import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { isIpLiteral, isLocalHost } from './address';

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => i.address);
}

/**
 * The address the joiner binds to: the advertised one when it is ours,
 * otherwise none (all interfaces), for a joiner behind NAT (docs/protocol.md §7.34).
 */
export async function localBindHost(host: string): Promise<string | undefined> {
  const ctx = { interfaceAddresses: interfaceAddresses(), hostnames: [hostname()] };
  if (isIpLiteral(host) !== 0) return isLocalHost(host, ctx) ? host : undefined;
  if (isLocalHost(host, ctx)) return host;
  try {
    const addresses = await lookup(host, { all: true });
    return addresses.some((a) => isLocalHost(a.address, ctx)) ? host : undefined;
  } catch {
    return undefined;
  }
}
