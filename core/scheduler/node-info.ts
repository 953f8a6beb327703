import type { Container, Node, Pod } from 'kubernetes-types/core/v1.js';
import { toBytes, toMillicores } from '../api/quantity.ts';

// What the scheduler knows about one node: the Node, the pods assigned to it (bound or
// assumed) and the sums the plugins compare against allocatable. The scheduler cache
// (scheduler-cache.ts) rebuilds a node's NodeInfo when an event changes it; every helper
// here is pure and never mutates (parsed quantities are cached per object, which is why
// the objects must not be changed in place).

export interface Resources {
  milliCpu: number;
  memory: number;
}

export interface HostPort {
  /** '0.0.0.0' when the pod did not name one: it binds every address. */
  ip: string;
  protocol: string;
  port: number;
}

export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly pods: readonly Pod[];
  readonly allocatable: Resources & { pods: number };
  /** Sum of the pods' effective requests. */
  readonly requested: Resources;
  /** Like requested, but containers without a request count 100m cpu / 200Mi memory (spreads request-less pods). */
  readonly nonZeroRequested: Resources;
  readonly usedPorts: readonly HostPort[];
}

// schedutil.DefaultMilliCPURequest / DefaultMemoryRequest.
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const ZERO: Resources = { milliCpu: 0, memory: 0 };

function quantity(value: unknown, convert: (text: string) => number): number {
  if (value === undefined || value === null) return 0;
  try {
    return convert(String(value));
  } catch {
    return 0; // the API server validated quantities; a broken one counts as nothing
  }
}

function containerRequests(container: Container, nonMissing: boolean): Resources {
  const requests = (container.resources?.requests ?? {}) as Record<string, unknown>;
  return {
    milliCpu: nonMissing && requests.cpu === undefined ? DEFAULT_MILLI_CPU_REQUEST : quantity(requests.cpu, toMillicores),
    memory: nonMissing && requests.memory === undefined ? DEFAULT_MEMORY_REQUEST : quantity(requests.memory, toBytes),
  };
}

const add = (a: Resources, b: Resources): Resources => ({ milliCpu: a.milliCpu + b.milliCpu, memory: a.memory + b.memory });
const max = (a: Resources, b: Resources): Resources => ({ milliCpu: Math.max(a.milliCpu, b.milliCpu), memory: Math.max(a.memory, b.memory) });

function isSidecar(container: Container): boolean {
  return (container as Container & { restartPolicy?: string }).restartPolicy === 'Always';
}

/**
 * The pod's effective requests (component-helpers resource.PodRequests): the larger of
 * the sum of its containers and each init container (init containers run one at a time,
 * alongside the sidecars started before them), plus spec.overhead.
 * `nonMissing` gives request-less containers the default 100m / 200Mi.
 */
export function podRequests(pod: Pod, options: { nonMissing?: boolean } = {}): Resources {
  const nonMissing = options.nonMissing ?? false;
  // A node's NodeInfo is rebuilt from the same cached pod objects whenever the node
  // changes: parse each pod's quantities once, not once per rebuild.
  let cached = requestsCache.get(pod);
  if (!cached) requestsCache.set(pod, (cached = {}));
  const key = nonMissing ? 'nonMissing' : 'plain';
  return (cached[key] ??= computePodRequests(pod, nonMissing));
}

/** Objects from the informer caches are replaced, never changed in place, so the pod object is the key. */
const requestsCache = new WeakMap<Pod, { plain?: Resources; nonMissing?: Resources }>();

function computePodRequests(pod: Pod, nonMissing: boolean): Resources {
  const spec = pod.spec;
  if (!spec) return ZERO;
  let sum = ZERO;
  for (const container of spec.containers ?? []) sum = add(sum, containerRequests(container, nonMissing));
  let sidecars = ZERO;
  let initPeak = ZERO;
  for (const container of spec.initContainers ?? []) {
    const requests = containerRequests(container, nonMissing);
    let whileRunning: Resources;
    if (isSidecar(container)) {
      sum = add(sum, requests);
      sidecars = add(sidecars, requests);
      whileRunning = sidecars;
    } else {
      whileRunning = add(requests, sidecars);
    }
    initPeak = max(initPeak, whileRunning);
  }
  const overhead = (spec.overhead ?? {}) as Record<string, unknown>;
  return add(max(sum, initPeak), { milliCpu: quantity(overhead.cpu, toMillicores), memory: quantity(overhead.memory, toBytes) });
}

/** Host ports the pod asks for (containers and sidecars), defaulted like Kubernetes: TCP on 0.0.0.0. */
export function hostPortsOf(pod: Pod): HostPort[] {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isSidecar)];
  const ports: HostPort[] = [];
  for (const container of containers) {
    for (const port of container.ports ?? []) {
      if (!port.hostPort || port.hostPort <= 0) continue;
      ports.push({ ip: port.hostIP || '0.0.0.0', protocol: port.protocol || 'TCP', port: port.hostPort });
    }
  }
  return ports;
}

/** A finished pod holds no resources: the scheduler's cache leaves Succeeded and Failed pods out. */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

const allocatableCache = new WeakMap<Node, NodeInfo['allocatable']>();

function allocatableOf(node: Node): NodeInfo['allocatable'] {
  let parsed = allocatableCache.get(node);
  if (!parsed) {
    const allocatable = (node.status?.allocatable ?? {}) as Record<string, unknown>;
    parsed = {
      milliCpu: quantity(allocatable.cpu, toMillicores),
      memory: quantity(allocatable.memory, toBytes),
      pods: quantity(allocatable.pods, toBytes),
    };
    allocatableCache.set(node, parsed);
  }
  return parsed;
}

/** The node with these pods on it, summed in one pass (no intermediate NodeInfo per pod). */
export function newNodeInfo(node: Node, pods: readonly Pod[] = []): NodeInfo {
  let milliCpu = 0;
  let memory = 0;
  let nonZeroMilliCpu = 0;
  let nonZeroMemory = 0;
  const usedPorts: HostPort[] = [];
  for (const pod of pods) {
    const requested = podRequests(pod);
    const nonZero = podRequests(pod, { nonMissing: true });
    milliCpu += requested.milliCpu;
    memory += requested.memory;
    nonZeroMilliCpu += nonZero.milliCpu;
    nonZeroMemory += nonZero.memory;
    for (const port of hostPortsOf(pod)) usedPorts.push(port);
  }
  return {
    name: node.metadata?.name ?? '',
    node,
    pods: [...pods],
    allocatable: allocatableOf(node),
    requested: { milliCpu, memory },
    nonZeroRequested: { milliCpu: nonZeroMilliCpu, memory: nonZeroMemory },
    usedPorts,
  };
}

/**
 * One NodeInfo per node, sorted by name, holding the non-terminal pods whose
 * spec.nodeName names it. Pods bound to a node the cache does not know are left out.
 */
export function buildNodeInfos(nodes: readonly Node[], pods: readonly Pod[]): NodeInfo[] {
  const podsByNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) continue;
    let list = podsByNode.get(nodeName);
    if (!list) podsByNode.set(nodeName, (list = []));
    list.push(pod);
  }
  return [...nodes]
    .sort((a, b) => compareNames(a.metadata?.name ?? '', b.metadata?.name ?? ''))
    .map((node) => newNodeInfo(node, podsByNode.get(node.metadata?.name ?? '') ?? []));
}

/** Byte-wise order (Go's sort.Strings), the same on every machine whatever its locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
