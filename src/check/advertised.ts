/**
 * Which address this node advertises when it joins, and so which name a donor verifies in its
 * certificate (docs/protocol.md §5.2). Pure.
 *
 * mariadbd (wsrep_sst_prepare() and wsrep_guess_ip(), MariaDB 10.11) takes, in order:
 *  1. wsrep_sst_receive_address, unless it is exactly `AUTO` (strcmp: `auto` is a host name);
 *  2. the host part of wsrep_node_address (its port is for Galera, not for the SST);
 *  3. bind_address, verbatim, unless it is empty, `*` or a wildcard address;
 *  4. the first address of a non-loopback interface (getifaddrs order).
 * The host name is never used, so a certificate made for the host name alone fails unless one
 * of the above resolves to it: that is why the check names the source of the name it compares.
 * The SST port comes only from wsrep_sst_receive_address; otherwise it is 4444.
 */
import { Exit, SstError } from '../errors';
import { DEFAULT_SST_PORT, parseJoinerAddress, type HostPort } from '../net/address';
import type { SslMode } from '../config/tls';
import { sockoptCommonName } from '../tunnel/tunnel-tls';

export interface AddressSettings {
  receiveAddress?: string;
  nodeAddress?: string;
  bindAddress?: string;
}

/** What os.networkInterfaces() gives, flattened with the interface name. */
export interface InterfaceAddress {
  name: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
}

export interface Advertised extends HostPort {
  /** Where the host came from, for messages: `wsrep_sst_receive_address=…`. */
  source: string;
}

const WILDCARDS = new Set(['*', '0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0']);

function given(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

/** wsrep_node_address may carry Galera's port; `[v6]:p`, `v4:p`, `name:p`, a bare IPv6 or a bare host. */
export function nodeAddressHost(value: string): string {
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    return close < 0 ? value : value.slice(0, close + 1);
  }
  const colons = value.split(':').length - 1;
  if (colons === 1) return value.slice(0, value.indexOf(':'));
  // Several colons: an IPv6 address without brackets, which the SST needs bracketed.
  return colons > 1 ? `[${value}]` : value;
}

function parsed(text: string, source: string): Advertised {
  try {
    return { ...parseJoinerAddress(text), source };
  } catch (e) {
    if (!(e instanceof SstError)) throw e;
    throw new SstError(
      Exit.BAD_CONFIG,
      `mariadbd would advertise '${text}' (from ${source}), which an SST cannot use: ${e.message}`,
    );
  }
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** The first non-loopback address, IPv4 before IPv6 as getifaddrs() lists AF_INET entries first on Linux. */
export function guessInterfaceAddress(interfaces: readonly InterfaceAddress[]): InterfaceAddress | undefined {
  const external = interfaces.filter((i) => !i.internal);
  return external.find((i) => i.family === 'IPv4') ?? external.find((i) => i.family === 'IPv6');
}

export function advertisedAddress(settings: AddressSettings, interfaces: readonly InterfaceAddress[]): Advertised {
  const receive = given(settings.receiveAddress);
  if (receive !== undefined && receive !== 'AUTO') return parsed(receive, `wsrep_sst_receive_address=${receive}`);
  const node = given(settings.nodeAddress);
  if (node !== undefined) {
    const host = parsed(nodeAddressHost(node), `wsrep_node_address=${node}, without its port`);
    return { ...host, port: DEFAULT_SST_PORT };
  }
  const bind = given(settings.bindAddress);
  if (bind !== undefined && !WILDCARDS.has(bind)) return parsed(bracketed(bind), `bind_address=${bind}`);
  const guess = guessInterfaceAddress(interfaces);
  if (guess === undefined) {
    throw new SstError(
      Exit.BAD_CONFIG,
      'mariadbd cannot guess an address to receive an SST (no wsrep_sst_receive_address, wsrep_node_address or ' +
        'bind_address, and no non-loopback interface): set wsrep_sst_receive_address',
    );
  }
  return parsed(
    bracketed(guess.address),
    `the first non-loopback interface address (${guess.name}), since none of wsrep_sst_receive_address, ` +
      `wsrep_node_address and bind_address is set`,
  );
}

/** How a donor checks this node's certificate. */
export type DonorVerification =
  | { kind: 'none'; why: string }
  | { kind: 'chain'; why: string }
  | { kind: 'name'; name: string; why: string };

/**
 * What a donor with this node's ssl-mode and sockopt verifies (the check cannot see the donor's
 * own configuration; nodes of one cluster normally share it). Mirrors tunnelTls()/connectAddress().
 */
export function donorVerification(
  mode: SslMode,
  verifyOff: boolean,
  sockopt: readonly string[],
  advertised: Advertised,
): DonorVerification {
  if (mode === 'REQUIRED') return { kind: 'none', why: 'ssl-mode=REQUIRED: donors verify neither chain nor name' };
  if (verifyOff) return { kind: 'none', why: 'sockopt verify=0: donors verify neither chain nor name' };
  const cn = sockoptCommonName(sockopt);
  // An empty commonname (with nosni=1) is how socat is told to check the chain only.
  if (cn === '') return { kind: 'chain', why: 'sockopt commonname= (empty): donors verify the chain, not the name' };
  if (cn !== undefined) return { kind: 'name', name: cn, why: `sockopt commonname=${cn}` };
  if (mode === 'VERIFY_CA') return { kind: 'chain', why: 'ssl-mode=VERIFY_CA: donors verify the chain, not the name' };
  return { kind: 'name', name: advertised.host, why: advertised.source };
}
