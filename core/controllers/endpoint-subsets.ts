import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';

// What the Endpoints of a Service hold, computed purely from the Service and its pods
// (Kubernetes' endpoints controller syncService + endpoints.RepackSubsets/SortSubsets).

function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** endpointsliceutil.ShouldPodBeInEndpoints: has an IP, not finished, not terminating (unless published anyway). */
function belongsInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  const phase = pod.status.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (pod.metadata?.deletionTimestamp && !includeTerminating) return false;
  return true;
}

/** podutil.FindPort: a number is used as is; a name is looked up among the pod's container ports of that protocol. */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort;
    }
  }
  return undefined;
}

function addressOf(pod: Pod, service: Service): EndpointAddress {
  const address: EndpointAddress = {
    ip: pod.status!.podIP!,
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
  // A pod names itself in DNS under a headless service that is its subdomain.
  if (pod.spec?.hostname && pod.spec.subdomain === service.metadata?.name) address.hostname = pod.spec.hostname;
  return address;
}

interface AddressPort {
  address: EndpointAddress;
  ready: boolean;
  port?: EndpointPort;
}

/** The subsets for a Service with a selector, given the pods that selector matches. */
export function endpointSubsetsFor(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const headless = service.spec?.clusterIP === 'None';
  const entries: AddressPort[] = [];
  for (const pod of pods) {
    if (!belongsInEndpoints(pod, publishNotReady)) continue;
    const address = addressOf(pod, service);
    const ready = publishNotReady || isPodReady(pod);
    const ports = service.spec?.ports ?? [];
    // A headless service without ports still publishes its pods' addresses.
    if (ports.length === 0 && headless) entries.push({ address, ready });
    for (const servicePort of ports) {
      const port = findPort(pod, servicePort);
      if (port === undefined) continue; // the pod does not serve this named port
      const endpointPort: EndpointPort = { port, protocol: servicePort.protocol ?? 'TCP' };
      if (servicePort.name) endpointPort.name = servicePort.name;
      if (servicePort.appProtocol) endpointPort.appProtocol = servicePort.appProtocol;
      entries.push({ address, ready, port: endpointPort });
    }
  }
  return repackSubsets(entries);
}

const portKey = (p: EndpointPort) => `${p.name ?? ''}\u0000${p.port}\u0000${p.protocol ?? 'TCP'}\u0000${p.appProtocol ?? ''}`;
const addressKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;

/**
 * endpoints.RepackSubsets: one subset per distinct set of ports, holding every address
 * that serves exactly those ports; an address ready on a port is never also listed not
 * ready on it. Sorted so the same state always gives the same object.
 */
export function repackSubsets(entries: readonly AddressPort[]): EndpointSubset[] {
  const byAddress = new Map<string, { address: EndpointAddress; ready: Map<string, EndpointPort | undefined>; notReady: Map<string, EndpointPort | undefined> }>();
  for (const { address, ready, port } of entries) {
    const key = addressKey(address);
    let item = byAddress.get(key);
    if (!item) byAddress.set(key, (item = { address, ready: new Map(), notReady: new Map() }));
    const pk = port ? portKey(port) : '';
    if (ready) {
      item.ready.set(pk, port);
      item.notReady.delete(pk);
    } else if (!item.ready.has(pk)) {
      item.notReady.set(pk, port);
    }
  }
  const subsets = new Map<string, { ports: EndpointPort[]; addresses: EndpointAddress[]; notReadyAddresses: EndpointAddress[] }>();
  const add = (ports: Map<string, EndpointPort | undefined>, address: EndpointAddress, field: 'addresses' | 'notReadyAddresses') => {
    if (ports.size === 0) return;
    const keys = [...ports.keys()].sort();
    const key = keys.join('\u0001');
    let subset = subsets.get(key);
    if (!subset) {
      subsets.set(key, (subset = { ports: keys.flatMap((k) => ports.get(k) ?? []), addresses: [], notReadyAddresses: [] }));
    }
    subset[field].push(address);
  };
  for (const { address, ready, notReady } of byAddress.values()) {
    add(ready, address, 'addresses');
    add(notReady, address, 'notReadyAddresses');
  }
  const byAddressKey = (a: EndpointAddress, b: EndpointAddress) => addressKey(a).localeCompare(addressKey(b));
  return [...subsets.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, subset]) => {
      const result: EndpointSubset = {};
      if (subset.addresses.length) result.addresses = subset.addresses.sort(byAddressKey);
      if (subset.notReadyAddresses.length) result.notReadyAddresses = subset.notReadyAddresses.sort(byAddressKey);
      if (subset.ports.length) result.ports = subset.ports;
      return result;
    });
}
