import type Dockerode from 'dockerode';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { ipv4ToNumber, numberToIpv4 } from '../api/ipv4.ts';

// The pod network: one user-defined bridge `kubelab-pods` per node daemon, all with the
// same subnet (so Service ClusterIPs, which the node proxy holds, are on-link for every
// pod) but each handing out addresses only from its node's podCIDR, so pod IPs are
// unique across the cluster.

export const POD_NETWORK_NAME = 'kubelab-pods';
export const POD_NETWORK_SUBNET = '10.96.0.0/12';
export const POD_NETWORK_GATEWAY = '10.111.255.254';
/** Node podCIDRs are /24s out of this range. */
export const POD_CIDR_POOL = '10.100.0.0/14';
export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

const NODES = findByKind('v1', 'Node') as ResourceInfo;

export interface PodNetworkSettings {
  name: string;
  subnet: string;
  gateway: string;
  /** The node's podCIDR: Docker assigns container addresses from here only. */
  ipRange: string;
}

export function podNetworkSettings(podCidr: string): PodNetworkSettings {
  return { name: POD_NETWORK_NAME, subnet: POD_NETWORK_SUBNET, gateway: POD_NETWORK_GATEWAY, ipRange: podCidr };
}

/** resolv.conf of a pod in `namespace` (ClusterFirst). */
export function podDnsConfig(namespace: string): { dnsServers: string[]; dnsSearch: string[]; dnsOptions: string[] } {
  return {
    dnsServers: [CLUSTER_DNS_IP],
    dnsSearch: [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN],
    dnsOptions: ['ndots:5'],
  };
}

/** The lowest /24 of POD_CIDR_POOL not in `used`; throws when all 1024 are taken. */
export function lowestFreePodCidr(used: Iterable<string>): string {
  const taken = new Set(used);
  const [base, bits] = POD_CIDR_POOL.split('/');
  const start = ipv4ToNumber(base)!;
  const count = 2 ** (24 - Number(bits));
  for (let i = 0; i < count; i++) {
    const cidr = `${numberToIpv4(start + i * 256)}/24`;
    if (!taken.has(cidr)) return cidr;
  }
  throw new Error(`no free pod CIDR left in ${POD_CIDR_POOL}: delete unused nodes`);
}

// Every agent of this process registers through here, so allocations never race each other.
let allocation: Promise<unknown> = Promise.resolve();

/**
 * The Node's spec.podCIDR, allocated once (lowest free /24) when it has none.
 * Allocations in one process are serialised; the agents worker is the only writer.
 */
export function ensureNodePodCidr(client: RestClient, nodeName: string, logger?: Logger): Promise<string> {
  const run = allocation.then(async () => {
    const node = (await client.get(NODES, undefined, nodeName)) as Node & KubeObject;
    if (node.spec?.podCIDR) return node.spec.podCIDR;
    const { items } = await client.listAll<Node & KubeObject>(NODES);
    const used = items.filter((other) => other.metadata.name !== nodeName).flatMap((other) => [other.spec?.podCIDR, ...(other.spec?.podCIDRs ?? [])].filter((c): c is string => !!c));
    const podCidr = lowestFreePodCidr(used);
    await client.patch(NODES, undefined, nodeName, { spec: { podCIDR: podCidr, podCIDRs: [podCidr] } }, 'merge');
    logger?.info('allocated pod CIDR', { node: nodeName, podCIDR: podCidr });
    return podCidr;
  });
  allocation = run.catch(() => undefined);
  return run;
}

interface NetworkInspect {
  Id: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] };
  Containers?: Record<string, unknown>;
}

/**
 * Makes the daemon's `kubelab-pods` network match `settings`: created when missing,
 * recreated when its ip-range differs and nothing uses it (a node that got another
 * podCIDR); left as is, with a warning, while containers still use it.
 */
export async function ensurePodNetwork(docker: Dockerode, settings: PodNetworkSettings, logger?: Logger): Promise<void> {
  const existing = await inspectNetwork(docker, settings.name);
  if (existing) {
    const config = existing.IPAM?.Config?.[0];
    if (config?.IPRange === settings.ipRange && config.Subnet === settings.subnet) return;
    if (Object.keys(existing.Containers ?? {}).length > 0) {
      logger?.warn('pod network has another ip-range but containers use it; keeping it', { network: settings.name, has: config?.IPRange, wants: settings.ipRange });
      return;
    }
    await docker.getNetwork(existing.Id).remove();
  }
  try {
    await docker.createNetwork({
      Name: settings.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { 'io.kubelab.managed': 'true' },
      IPAM: { Driver: 'default', Config: [{ Subnet: settings.subnet, Gateway: settings.gateway, IPRange: settings.ipRange }] },
    });
    logger?.info('pod network created', { network: settings.name, ipRange: settings.ipRange });
  } catch (error) {
    // Someone else (the runner or an agent) made it at the same moment.
    if ((error as { statusCode?: number }).statusCode === 409 && (await inspectNetwork(docker, settings.name))) return;
    throw error;
  }
}

async function inspectNetwork(docker: Dockerode, name: string): Promise<NetworkInspect | undefined> {
  try {
    return (await docker.getNetwork(name).inspect()) as NetworkInspect;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}
