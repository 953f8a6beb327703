import { createHash } from 'node:crypto';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import type { ContainerRuntime, RuntimeInfo } from './container-runtime.ts';
import type { EndpointKind } from './probe-manager.ts';
import { isValidQuantity } from '../api/quantity.ts';
import { ensureNodePodCidr } from '../proxy/pod-network.ts';
import { CAPACITY_ANNOTATION, ENDPOINT_KIND_LABEL } from '../nodes/node-annotations.ts';

// The kubelet's node status manager and lease heartbeat: the Node object describes the
// Docker daemon (capacity, versions, addresses, images) and says whether it answers;
// the Lease in kube-node-lease is the cheap "still alive" signal the node lifecycle
// controller watches. Annotations and labels set by others (the nodes side) are kept.

const NODES = findByKind('v1', 'Node') as ResourceInfo;
const LEASES = findByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

export const KUBELET_VERSION = 'v1.32.0-kubelab';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
export const MAX_PODS = 110;
const MAX_IMAGES = 50;

export interface NodeRegistrationOptions {
  client: RestClient;
  runtime: ContainerRuntime;
  nodeName: string;
  endpointKind: EndpointKind;
  kubeletPort: number;
  logger?: Logger;
  now?: () => Date;
}

export class NodeRegistration {
  private lastInfo: RuntimeInfo | undefined;
  private nodeUid: string | undefined;
  private podCidrValue: string | undefined;
  private readonly now: () => Date;
  /** Stable for one agent run, like the kernel's boot id for one boot. */
  private readonly bootId = uuidFrom(`${Date.now()}-${Math.random()}`);

  constructor(private readonly options: NodeRegistrationOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** What the daemon reported last (capacity for env/resourceFieldRef defaults). */
  info(): RuntimeInfo | undefined {
    return this.lastInfo;
  }

  /** Creates the Node or brings its labels up to date, then writes its status. */
  async register(): Promise<Node> {
    const info = await this.options.runtime.info().catch(() => undefined);
    if (info) this.lastInfo = info;
    const labels = this.nodeLabels(this.lastInfo);
    let node: Node;
    try {
      node = (await this.options.client.get(NODES, undefined, this.options.nodeName)) as Node;
      const current = node.metadata?.labels ?? {};
      if (Object.entries(labels).some(([k, v]) => current[k] !== v)) {
        node = (await this.options.client.update(NODES, { ...(node as KubeObject), metadata: { ...node.metadata, labels: { ...current, ...labels } } } as KubeObject)) as Node;
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
      node = (await this.options.client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: this.options.nodeName, labels }, spec: {} } as KubeObject)) as Node;
    }
    this.nodeUid = node.metadata?.uid;
    // Once per node: pod IPs must be unique across the cluster's daemons.
    this.podCidrValue = node.spec?.podCIDR ?? (await ensureNodePodCidr(this.options.client, this.options.nodeName, this.options.logger));
    return this.updateStatus();
  }

  /** The node's spec.podCIDR, known after register(). */
  podCidr(): string | undefined {
    return this.podCidrValue;
  }

  /** Rewrites Node.status: conditions with fresh heartbeats, Ready=False when the daemon does not answer. */
  async updateStatus(): Promise<Node> {
    let daemonError: string | undefined;
    try {
      await this.options.runtime.ping();
      this.lastInfo = await this.options.runtime.info();
    } catch (error) {
      daemonError = (error as Error).message;
    }
    const images = daemonError ? undefined : await this.options.runtime.listImages().catch(() => undefined);
    for (let attempt = 0; ; attempt++) {
      const node = (await this.options.client.get(NODES, undefined, this.options.nodeName)) as Node;
      this.nodeUid = node.metadata?.uid;
      const status = this.buildStatus(node, daemonError, images);
      try {
        return (await this.options.client.updateStatus(NODES, { ...(node as KubeObject), status } as KubeObject)) as Node;
      } catch (error) {
        if (!isConflict(error) || attempt >= 5) throw error;
      }
    }
  }

  /** Renews (or creates) the node's Lease. */
  async renewLease(): Promise<Lease> {
    const { client, nodeName } = this.options;
    const renewTime = microTime(this.now());
    const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime };
    try {
      const lease = (await client.get(LEASES, NODE_LEASE_NAMESPACE, nodeName)) as Lease;
      return (await client.update(LEASES, { ...(lease as KubeObject), spec: { ...lease.spec, ...spec } } as KubeObject)) as Lease;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const ownerReferences = this.nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.nodeUid }] : undefined;
      const lease: KubeObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE, ...(ownerReferences ? { ownerReferences } : {}) },
        spec: { ...spec, acquireTime: renewTime },
      };
      return (await client.create(LEASES, lease)) as Lease;
    }
  }

  private nodeLabels(info: RuntimeInfo | undefined): Record<string, string> {
    const os = info?.os ?? 'linux';
    const arch = info?.arch ?? 'amd64';
    return {
      'kubernetes.io/hostname': this.options.nodeName,
      'kubernetes.io/os': os,
      'kubernetes.io/arch': arch,
      'beta.kubernetes.io/os': os,
      'beta.kubernetes.io/arch': arch,
      [ENDPOINT_KIND_LABEL]: this.options.endpointKind,
    };
  }

  private buildStatus(node: Node, daemonError: string | undefined, images: Awaited<ReturnType<ContainerRuntime['listImages']>> | undefined): Node['status'] {
    const info = this.lastInfo;
    const now = rfc3339(this.now());
    const previous = node.status ?? {};
    const condition = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string): NodeCondition => {
      const old = previous.conditions?.find((c) => c.type === type);
      return {
        type,
        status,
        lastHeartbeatTime: now,
        lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
        reason,
        message,
      };
    };
    const conditions = [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      daemonError
        ? condition('Ready', 'False', 'KubeletNotReady', `container runtime is down: ${daemonError}`)
        : condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ];
    const status: NonNullable<Node['status']> = { ...previous, conditions };
    if (info) {
      const resources = {
        cpu: String(info.cpus),
        memory: `${Math.floor(info.memoryBytes / 1024)}Ki`,
        pods: String(MAX_PODS),
        ...advertisedCapacity(node),
      };
      status.capacity = { ...resources };
      status.allocatable = { ...resources };
      const machineId = hexId(`${this.options.nodeName}/${info.hostname}`);
      status.nodeInfo = {
        architecture: info.arch,
        operatingSystem: info.os,
        osImage: info.osImage,
        kernelVersion: info.kernelVersion,
        containerRuntimeVersion: `docker://${info.engineVersion}`,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        machineID: machineId,
        systemUUID: uuidFrom(machineId),
        bootID: this.bootId,
      };
      status.addresses = [
        { type: 'InternalIP', address: info.hostIp ?? '127.0.0.1' },
        { type: 'Hostname', address: this.options.nodeName },
      ];
    }
    status.daemonEndpoints = { kubeletEndpoint: { Port: this.options.kubeletPort } };
    if (images) {
      status.images = [...images]
        .sort((a, b) => b.sizeBytes - a.sizeBytes)
        .slice(0, MAX_IMAGES)
        .map((image) => ({ names: image.names.length ? [...image.names] : [image.id], sizeBytes: image.sizeBytes }));
    }
    return status;
  }
}

function hexId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

function uuidFrom(seed: string): string {
  const hex = /^[0-9a-f]{32}$/.test(seed) ? seed : hexId(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: `2024-05-01T12:00:00.123456Z`. */
function microTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

/**
 * A lab node may advertise the hardware it pretends to have (`kubelab node create big
 * --cpus 8 --memory 16Gi` sets annotation kubelab.io/capacity: "cpu=8,memory=16Gi"),
 * so bin packing and "Insufficient cpu" can be practised on a small machine.
 */
export { CAPACITY_ANNOTATION };

export function advertisedCapacity(node: Pick<Node, 'metadata'>): Record<string, string> {
  const text = node.metadata?.annotations?.[CAPACITY_ANNOTATION];
  if (!text) return {};
  const result: Record<string, string> = {};
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if ((key === 'cpu' || key === 'memory' || key === 'pods') && value && isValidQuantity(value)) result[key] = value;
  }
  return result;
}
