import { isIPv4 } from 'node:net';
import { fieldError, invalid, type FieldError } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import type { Store } from '../store/store.ts';
import { NODE_PORT_RANGE } from '../api/validate-service.ts';
import { ipv4ToNumber, numberToIpv4 } from '../api/ipv4.ts';

// What Kubernetes' Service REST storage does around a write (pkg/registry/core/service/storage):
// the ClusterIP and NodePort allocators, the IP family fields, and the update rules that
// keep or drop allocated values. Addresses in use are read from the stored Services while
// holding a lock that every writer of Services over the same store takes, so two
// concurrent creates never get the same address.

/** The service CIDR (part of the pod network 10.96.0.0/12, see the issue 5 design). */
export const SERVICE_CIDR = '10.96.0.0/16';
/** Kept for a future `kubernetes` Service (the first address, as Kubernetes reserves it). */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** The cluster DNS Service (node proxies answer DNS here). */
export const CLUSTER_DNS_IP = '10.96.0.10';

const CIDR_BASE = ipToNumber('10.96.0.0');
const CIDR_SIZE = 1 << 16;
const RESERVED_IPS = new Set([KUBERNETES_SERVICE_IP, CLUSTER_DNS_IP]);

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  allocateLoadBalancerNodePorts?: boolean;
  externalTrafficPolicy?: string;
  externalName?: string;
}

/** ClusterIPs and NodePorts held by other Services. */
export interface UsedServiceAddresses {
  clusterIPs: Set<string>;
  /** `port/protocol`: a NodePort is taken per protocol. */
  nodePorts: Set<string>;
}

/** Numeric form of a dotted-quad address (callers check isIPv4 first). */
function ipToNumber(ip: string): number {
  return ipv4ToNumber(ip) ?? Number.NaN;
}

export function isInServiceCidr(ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const offset = ipToNumber(ip) - CIDR_BASE;
  return offset > 0 && offset < CIDR_SIZE - 1;
}

function specOf(service: KubeObject): ServiceSpec {
  return (service.spec ?? {}) as ServiceSpec;
}

function needsClusterIP(spec: ServiceSpec): boolean {
  return (spec.type ?? 'ClusterIP') !== 'ExternalName';
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None';
}

/** The addresses held by `services`, leaving out the one with uid `exceptUid` (the Service being updated). */
export function usedServiceAddresses(services: readonly KubeObject[], exceptUid?: string): UsedServiceAddresses {
  const used: UsedServiceAddresses = { clusterIPs: new Set(), nodePorts: new Set() };
  for (const service of services) {
    if (exceptUid && service.metadata.uid === exceptUid) continue;
    const spec = specOf(service);
    for (const ip of [spec.clusterIP, ...(spec.clusterIPs ?? [])]) if (ip && ip !== 'None') used.clusterIPs.add(ip);
    for (const port of spec.ports ?? []) if (port.nodePort) used.nodePorts.add(`${port.nodePort}/${port.protocol ?? 'TCP'}`);
  }
  return used;
}

/**
 * clusterIP and clusterIPs say the same thing twice (normalizeClusterIPs): fill whichever
 * is missing from the other. On update, a changed clusterIP with unchanged clusterIPs means
 * the user only edited clusterIP.
 */
export function normalizeClusterIPs(service: KubeObject, old?: KubeObject): void {
  const spec = specOf(service);
  if (!service.spec) return;
  const oldSpec = old ? specOf(old) : undefined;
  if (oldSpec && spec.clusterIP && spec.clusterIP !== oldSpec.clusterIP && sameList(spec.clusterIPs, oldSpec.clusterIPs)) {
    spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
}

/**
 * The update rules of Kubernetes' service storage for fields the allocators own:
 * dropTypeDependentFields (a type change clears what the new type can't have, unless the
 * user changed it on purpose) and patchAllocatedValues (NodePorts the update leaves out,
 * as `kubectl apply` does, keep their allocated values).
 */
export function patchServiceUpdate(service: KubeObject, old: KubeObject): void {
  const spec = specOf(service);
  const oldSpec = specOf(old);
  if (!service.spec) return;
  if (!needsClusterIP(spec) && needsClusterIP(oldSpec)) {
    if (spec.clusterIP === oldSpec.clusterIP) delete spec.clusterIP;
    if (sameList(spec.clusterIPs, oldSpec.clusterIPs) || (spec.clusterIPs?.length === 1 && spec.clusterIPs[0] === oldSpec.clusterIP)) delete spec.clusterIPs;
    if (sameList(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === oldSpec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (needsClusterIP(spec) && needsClusterIP(oldSpec) && !spec.ipFamilies?.length && oldSpec.ipFamilies?.length) {
    spec.ipFamilies = [...oldSpec.ipFamilies];
  }
  const externallyReachable = (t: string | undefined) => t === 'NodePort' || t === 'LoadBalancer';
  if (!externallyReachable(spec.type) && externallyReachable(oldSpec.type)) {
    if (spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer' && oldSpec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) {
    delete spec.allocateLoadBalancerNodePorts;
  }
  if (!needsNodePorts(spec) && needsNodePorts(oldSpec)) {
    const oldByPort = new Map((oldSpec.ports ?? []).map((p) => [`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort]));
    for (const port of spec.ports ?? []) {
      if (port.nodePort && oldByPort.get(`${port.port}/${port.protocol ?? 'TCP'}`) === port.nodePort) delete port.nodePort;
    }
  }
  if (needsNodePorts(spec) && needsNodePorts(oldSpec)) {
    // Values the update names explicitly can't be patched into another port.
    const inNew = new Set((spec.ports ?? []).map((p) => p.nodePort).filter((n): n is number => !!n));
    const oldByName = new Map((oldSpec.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
    for (const port of spec.ports ?? []) {
      if (port.nodePort) continue;
      const kept = oldByName.get(port.name ?? '');
      if (kept && !inNew.has(kept)) {
        port.nodePort = kept;
        inNew.add(kept);
      }
    }
  }
}

/**
 * Fills spec.clusterIP(s), ipFamilies and spec.ports[].nodePort of `service` from what
 * `used` leaves free, checks the values the user asked for, and returns the errors
 * (field names and wording as Kubernetes' allocators report them, plus the fix).
 * `old` is the stored Service on update: values it already holds stay valid.
 */
export function allocateServiceAddresses(service: KubeObject, used: UsedServiceAddresses, old?: KubeObject): FieldError[] {
  const spec = specOf(service);
  if (!service.spec) return [];
  const oldSpec = old ? specOf(old) : undefined;
  const errors: FieldError[] = [];
  if (needsClusterIP(spec)) errors.push(...allocateClusterIP(spec, used, oldSpec));
  else {
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(spec)) errors.push(...allocateNodePorts(spec, used, oldSpec));
  return errors;
}

function allocateClusterIP(spec: ServiceSpec, used: UsedServiceAddresses, oldSpec: ServiceSpec | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const headless = isHeadless(spec);
  const type = spec.type ?? 'ClusterIP';
  if (headless && type !== 'ClusterIP') {
    return [fieldError.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services; use type ClusterIP for a headless Service`)];
  }
  const policy = spec.ipFamilyPolicy ?? 'SingleStack';
  if (policy === 'RequireDualStack' && !headless) {
    return [fieldError.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services; use SingleStack or PreferDualStack')];
  }
  (spec.ipFamilies ?? []).forEach((family, i) => {
    if (family !== 'IPv4' && !(headless && family === 'IPv6')) {
      errors.push(fieldError.invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster; the only IP family is IPv4'));
    }
  });
  if (errors.length) return errors;
  // Headless Services without a selector may list endpoints of either family.
  spec.ipFamilies = headless && policy === 'RequireDualStack' ? ['IPv4', 'IPv6'] : ['IPv4'];
  spec.ipFamilyPolicy = policy;
  if (headless) {
    spec.clusterIP = 'None';
    spec.clusterIPs = ['None'];
    return [];
  }
  if ((spec.clusterIPs?.length ?? 0) > 1) {
    return [fieldError.invalid('spec.clusterIPs[1]', spec.clusterIPs![1], 'this cluster has one IP family (IPv4): list a single address, or none to have one allocated')];
  }
  const requested = spec.clusterIP;
  if (requested) {
    if (oldSpec && (oldSpec.clusterIP === requested)) return [];
    if (!isInServiceCidr(requested)) {
      return [fieldError.invalid('spec.clusterIPs[0]', requested, `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}; pick one inside it or leave spec.clusterIP out to have one allocated`)];
    }
    if (used.clusterIPs.has(requested) || RESERVED_IPS.has(requested)) {
      return [fieldError.invalid('spec.clusterIPs[0]', requested, `failed to allocate IP ${requested}: provided IP is already allocated; pick another address or leave spec.clusterIP out to have one allocated`)];
    }
    spec.clusterIPs = [requested];
    used.clusterIPs.add(requested);
    return [];
  }
  const ip = firstFreeIp(used);
  if (!ip) return [fieldError.invalid('spec.clusterIPs', [], `failed to allocate a service IP: range is full (${SERVICE_CIDR}); delete Services you no longer need`)];
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
  used.clusterIPs.add(ip);
  return [];
}

function firstFreeIp(used: UsedServiceAddresses): string | undefined {
  // Kubernetes picks at random; the lowest free address keeps labs predictable. Past the
  // reserved low addresses, so the DNS address never looks like an ordinary Service.
  for (let offset = 11; offset < CIDR_SIZE - 1; offset++) {
    const ip = numberToIpv4(CIDR_BASE + offset);
    if (!used.clusterIPs.has(ip)) return ip;
  }
  for (let offset = 2; offset < 10; offset++) {
    const ip = numberToIpv4(CIDR_BASE + offset);
    if (!used.clusterIPs.has(ip)) return ip;
  }
  return undefined;
}

function allocateNodePorts(spec: ServiceSpec, used: UsedServiceAddresses, oldSpec: ServiceSpec | undefined): FieldError[] {
  const errors: FieldError[] = [];
  const heldBefore = new Set((oldSpec?.ports ?? []).map((p) => `${p.nodePort}/${p.protocol ?? 'TCP'}`));
  // A Service may use one NodePort for the same port number over two protocols.
  const ownByPort = new Map<number, number>();
  (spec.ports ?? []).forEach((port, i) => {
    const protocol = port.protocol ?? 'TCP';
    if (!port.nodePort) return;
    const key = `${port.nodePort}/${protocol}`;
    if (heldBefore.has(key)) {
      used.nodePorts.add(key);
      return;
    }
    if (port.nodePort < NODE_PORT_RANGE.min || port.nodePort > NODE_PORT_RANGE.max) return; // validation reports it
    if (used.nodePorts.has(key)) {
      errors.push(fieldError.invalid(`spec.ports[${i}].nodePort`, port.nodePort, 'provided port is already allocated; pick another port or leave nodePort out to have one allocated'));
      return;
    }
    used.nodePorts.add(key);
    if (port.port !== undefined) ownByPort.set(port.port, port.nodePort);
  });
  (spec.ports ?? []).forEach((port) => {
    if (port.nodePort) return;
    const protocol = port.protocol ?? 'TCP';
    const sibling = port.port !== undefined ? ownByPort.get(port.port) : undefined;
    if (sibling && !used.nodePorts.has(`${sibling}/${protocol}`)) {
      port.nodePort = sibling;
      used.nodePorts.add(`${sibling}/${protocol}`);
      return;
    }
    for (let candidate = NODE_PORT_RANGE.min; candidate <= NODE_PORT_RANGE.max; candidate++) {
      if (used.nodePorts.has(`${candidate}/TCP`) || used.nodePorts.has(`${candidate}/UDP`) || used.nodePorts.has(`${candidate}/SCTP`)) continue;
      port.nodePort = candidate;
      used.nodePorts.add(`${candidate}/${protocol}`);
      if (port.port !== undefined) ownByPort.set(port.port, candidate);
      return;
    }
    errors.push(fieldError.invalid('spec.ports', port.port, `failed to allocate a node port: range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max} is full; delete NodePort Services you no longer need`));
  });
  return errors;
}

/**
 * Serializes Service writes over one store: read the addresses in use, allocate, write,
 * and only then let the next Service write read them.
 */
export class ServiceAddressAllocator {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /**
   * Allocates into `service` (`old`: the stored version on update) and runs `write` with
   * it, unless dryRun: then the allocated object is returned unwritten and nothing is held.
   */
  write(service: KubeObject, old: KubeObject | undefined, dryRun: boolean, write: (service: KubeObject) => Promise<KubeObject>): Promise<KubeObject> {
    const run = async () => {
      const { items } = await this.store.list('services');
      const errors = allocateServiceAddresses(service, usedServiceAddresses(items, old?.metadata.uid ?? service.metadata.uid), old);
      if (errors.length) throw invalid('Service', '', service.metadata.name ?? '', errors);
      return dryRun ? service : write(service);
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const allocators = new WeakMap<Store, ServiceAddressAllocator>();

/** The one allocator of a store, shared by every ResourceService over it. */
export function serviceAddressAllocatorFor(store: Store): ServiceAddressAllocator {
  let allocator = allocators.get(store);
  if (!allocator) {
    allocator = new ServiceAddressAllocator(store);
    allocators.set(store, allocator);
  }
  return allocator;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
