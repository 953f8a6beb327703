// The address a Docker daemon's host has on the default `bridge` network: the node's
// RuntimeInfo.hostIp, which becomes its InternalIP. Docker does not always record it:
// Debian's docker.io 20.10 lists only the Subnet in the network's IPAM config, no
// Gateway. The decision is kept pure here; DockerRuntime looks the facts up.
import type { NetworkInterfaceInfo } from 'node:os';
import { cidrContains, ipv4ToNumber, numberToIpv4 } from '../api/ipv4.ts';

/** The parts of `docker network inspect` this reads. */
export interface BridgeNetwork {
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] | null } | null;
  Options?: Record<string, string> | null;
}

/** What the caller looked up besides the network itself. */
export interface BridgeFacts {
  /** The gateway a container attached to the network sees (its NetworkSettings). */
  containerGateway?: string;
  /** os.networkInterfaces(); only when the daemon runs on this machine, else its bridge is not ours. */
  localInterfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** The network option naming the host's bridge interface (`docker0`). */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

const isIpv4 = (ip: string | undefined): ip is string => ip !== undefined && ipv4ToNumber(ip) !== undefined;

/** The IPv4 gateway recorded in the network's IPAM config, when Docker recorded one. */
export function ipamGateway(network: BridgeNetwork): string | undefined {
  return (network.IPAM?.Config ?? []).map((config) => config.Gateway).find(isIpv4);
}

/**
 * The host's address on `network`, first found of: the IPAM gateway; the gateway an
 * attached container sees; the IPv4 address of the local bridge interface inside the
 * subnet; the subnet's first host address (what libnetwork gives the bridge when no
 * gateway is configured). An IPv6-only network falls back to its IPv6 IPAM gateway.
 */
export function bridgeAddress(network: BridgeNetwork, facts: BridgeFacts = {}): string | undefined {
  const configs = network.IPAM?.Config ?? [];
  const fromIpam = ipamGateway(network);
  if (fromIpam) return fromIpam;

  const subnet = configs.map((config) => ipv4Cidr(config.Subnet)).find((cidr) => cidr !== undefined);
  // A container's view works for remote daemons too; one outside a known subnet is not this network's.
  const { containerGateway } = facts;
  if (isIpv4(containerGateway) && (!subnet || cidrContains(subnet, containerGateway))) return containerGateway;

  // The interface is checked against the subnet: a same-named bridge of another daemon
  // (a VM's, a rootless one's namespace) would otherwise lend its address.
  const bridgeName = network.Options?.[BRIDGE_NAME_OPTION];
  if (subnet && bridgeName && facts.localInterfaces) {
    const own = facts.localInterfaces[bridgeName]?.find((address) => address.family === 'IPv4' && cidrContains(subnet, address.address));
    if (own) return own.address;
  }

  const first = subnet ? firstHostAddress(subnet) : undefined;
  if (first) return first;
  return configs.find((config) => config.Gateway)?.Gateway;
}

/** `172.17.0.1` for `172.17.0.0/16`; undefined unless an IPv4 subnet with room for hosts (prefix up to /30). */
export function firstHostAddress(subnet: string): string | undefined {
  const parsed = parseIpv4Subnet(subnet);
  return parsed && parsed.bits <= 30 ? numberToIpv4(parsed.network + 1) : undefined;
}

/** `subnet` normalised (`10.1.2.3/16` -> `10.1.0.0/16`); undefined unless an IPv4 CIDR. */
function ipv4Cidr(subnet: string | undefined): string | undefined {
  const parsed = parseIpv4Subnet(subnet);
  return parsed && `${numberToIpv4(parsed.network)}/${parsed.bits}`;
}

function parseIpv4Subnet(subnet: string | undefined): { network: number; bits: number } | undefined {
  const [base, bits, extra] = (subnet ?? '').split('/');
  const start = ipv4ToNumber(base);
  if (start === undefined || extra !== undefined || !/^\d{1,2}$/.test(bits ?? '') || Number(bits) > 32) return undefined;
  return { network: start - (start % 2 ** (32 - Number(bits))), bits: Number(bits) };
}
