/**
 * Can the joiner listen on its SST port? Asked with an exclusive bind where its socat would
 * bind, so "taken by another program" is known before socat's own bind error would hide it
 * (docs/protocol.md §7.13). The joiner and `check` both ask here.
 */
import { createServer } from 'node:net';
import { portOwners, type PortOwner } from '../proc/sockets';

export interface PortBusy {
  /** The bind address tried: the joiner's bind host, else every interface of the family. */
  host: string;
  /** EADDRINUSE: someone listens there already; `owners` names them when /proc shows them. */
  inUse: boolean;
  owners: PortOwner[];
  message: string;
}

/** Undefined when the port is free; `bindHost` undefined means all interfaces, as for a joiner behind NAT. */
export async function probeListenPort(
  port: number,
  bindHost: string | undefined,
  ipv6: boolean,
): Promise<PortBusy | undefined> {
  const host = bindHost ?? (ipv6 ? '::' : '0.0.0.0');
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
  if (error === undefined) return undefined;
  const inUse = error.code === 'EADDRINUSE';
  return { host, inUse, owners: inUse ? portOwners(port) : [], message: error.message };
}
