/**
 * A hand-driven rsync client that reaches a joiner through the real tunnel, as the donor's own
 * passes do (socat with OpenSSL as rsync's connect program): for tests of what a CA-signed peer,
 * with or without the secret, can do to the joiner's daemon.
 */
import { tunnelEnv } from '../../src/sst/rsync-runner';
import { connectAddress } from '../../src/tunnel/socat-address';

export interface TunnelClient {
  host: string;
  port: number;
  /** rsync's environment: the tunnel as its connect program, tagged for the leftover checks. */
  env: NodeJS.ProcessEnv;
}

/** `address` as the joiner's `ready` line gives it (`host:port`, or `host:port/module`); `tag`: SST_TEST_TAG. */
export function tunnelClient(address: string, tls: { cert: string; caFile: string }, tag: string): TunnelClient {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1).split('/')[0]);
  const socat = connectAddress({ host, port, ipv6: false, tls: { ...tls, verify: true }, sockopt: [] });
  return { host, port, env: { ...tunnelEnv(process.env, 'socat', socat), SST_TEST_TAG: tag } };
}
