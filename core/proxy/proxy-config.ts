import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { ProxyConfig, ServiceEntry } from './mux-protocol.ts';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN } from './pod-network.ts';

// The node proxies' table, computed purely from Services and their Endpoints: what
// kube-proxy's service and endpoints change trackers compute, one list for the cluster.

export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

type Protocol = 'TCP' | 'UDP' | 'SCTP';

/**
 * One entry per Service that has (or is headless instead of) a ClusterIP; only ready endpoint
 * addresses. An address without a nodeName (Endpoints a user wrote for a Service without a
 * selector) is placed on the node whose podCIDR holds it, else left nodeless: the proxy that
 * picks it connects to it directly.
 */
export function serviceEntries(
  services: Iterable<Service>,
  endpointsOf: (namespace: string, name: string) => Endpoints | undefined,
  nodeOfIp: (ip: string) => string | undefined = () => undefined,
): ServiceEntry[] {
  const entries: ServiceEntry[] = [];
  for (const service of services) {
    const spec = service.spec ?? {};
    if (spec.type === 'ExternalName') continue;
    const clusterIP = spec.clusterIP === 'None' ? null : spec.clusterIP;
    // Not allocated yet: its update brings it back.
    if (clusterIP === undefined || clusterIP === '') continue;
    const namespace = service.metadata?.namespace ?? 'default';
    const name = service.metadata?.name ?? '';
    const subsets = endpointsOf(namespace, name)?.subsets ?? [];
    const ports = (spec.ports ?? []).map((servicePort) => {
      const protocol = (servicePort.protocol ?? 'TCP') as Protocol;
      const backends: ServiceEntry['ports'][number]['backends'] = [];
      for (const subset of subsets) {
        // The Endpoints port carries the targetPort resolved for the pods of this subset.
        const endpointPort = (subset.ports ?? []).find((p) => (p.name ?? '') === (servicePort.name ?? '') && (p.protocol ?? 'TCP') === protocol);
        if (!endpointPort) continue;
        for (const address of subset.addresses ?? []) backends.push({ ip: address.ip, port: endpointPort.port, node: address.nodeName ?? nodeOfIp(address.ip) ?? '' });
      }
      backends.sort((a, b) => a.ip.localeCompare(b.ip) || a.port - b.port);
      return { name: servicePort.name ?? '', protocol, port: servicePort.port, backends };
    });
    const readyPodIps = [...new Set(subsets.flatMap((subset) => (subset.addresses ?? []).map((address) => address.ip)))].sort();
    entries.push({
      namespace,
      name,
      clusterIP,
      sessionAffinity: spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None',
      affinityTimeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS,
      ports,
      readyPodIps,
    });
  }
  return entries.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

export function proxyConfigFor(node: string, services: ServiceEntry[]): ProxyConfig {
  return { node, dnsIp: CLUSTER_DNS_IP, clusterDomain: CLUSTER_DOMAIN, services };
}
