import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound } from '../../core/api/errors.ts';
import type { KubeObject } from '../../core/api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../../core/api/resource-catalog.ts';
import type { RestClient } from '../../core/client/rest-client.ts';
import { withConcurrency } from './bench-result.ts';

// Simulated-node mode, for scale work only (what kwok does for Kubernetes): N Node
// objects that no Docker daemon backs. They are Ready with fixed allocatable, their
// Leases in kube-node-lease are renewed the way a kubelet renews them (the node
// lifecycle controller reads the Lease's renewTime as the heartbeat and would taint a
// silent node unreachable), and optionally a pod bound to one is marked Running. Only
// the REST API is used; nothing here runs containers. Every object carries the label
// SIMULATED_NODE_LABEL so it is obvious in `kubectl get nodes` what they are.

const NODES = findByKind('v1', 'Node') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const LEASES = findByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const SIMULATED_NODE_LABEL = 'kubelab.io/simulated-node';

export interface SimulatedNodesOptions {
  client: RestClient;
  count: number;
  /** Node names are PREFIX-0 … PREFIX-(count-1). */
  namePrefix?: string;
  allocatable?: { cpu: string; memory: string; pods: string };
  /** Lease renewal period; a kubelet renews every 10 s (a quarter of the 40 s lease). */
  leaseRenewSeconds?: number;
  /** Mark pods bound to these nodes Running and Ready, as a kubelet would once it started them. */
  markPodsRunning?: boolean;
  /** Requests in flight while creating nodes and renewing leases. */
  concurrency?: number;
}

const LEASE_DURATION_SECONDS = 40;

function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function microTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

export class SimulatedNodes {
  readonly names: readonly string[];
  private readonly client: RestClient;
  private readonly allocatable: { cpu: string; memory: string; pods: string };
  private readonly renewMs: number;
  private readonly concurrency: number;
  private readonly stopping = new AbortController();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private renewing: Promise<void> | undefined;
  private podWatch: Promise<void> | undefined;

  constructor(private readonly options: SimulatedNodesOptions) {
    this.client = options.client;
    const prefix = options.namePrefix ?? 'sim-node';
    this.names = Array.from({ length: options.count }, (_, i) => `${prefix}-${i}`);
    this.allocatable = options.allocatable ?? { cpu: '32', memory: '256Gi', pods: '110' };
    this.renewMs = (options.leaseRenewSeconds ?? 10) * 1000;
    this.concurrency = options.concurrency ?? 32;
  }

  /** Creates the Nodes (Ready) and their Leases, then keeps renewing the Leases until stop(). */
  async start(): Promise<void> {
    await withConcurrency([...this.names], this.concurrency, (name) => this.register(name));
    this.renewTimer = setInterval(() => {
      this.renewing ??= this.renewAll().finally(() => (this.renewing = undefined));
    }, this.renewMs);
    if (this.options.markPodsRunning) this.podWatch = this.runPods(this.stopping.signal);
  }

  /** Stops renewing (the objects stay; the cluster is thrown away after a benchmark). */
  async stop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.stopping.abort();
    await Promise.allSettled([this.renewing, this.podWatch]);
  }

  private nodeObject(name: string): KubeObject {
    const now = rfc3339(new Date());
    const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', [SIMULATED_NODE_LABEL]: 'true' },
      },
      spec: {},
      status: {
        capacity: { ...this.allocatable },
        allocatable: { ...this.allocatable },
        conditions: [
          condition('Ready', 'True', 'KubeletReady', 'simulated node (scale work only) is posting ready status'),
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'simulated node has sufficient memory available'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'simulated node has no disk pressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'simulated node has sufficient PID available'),
        ],
        addresses: [{ type: 'Hostname', address: name }],
        nodeInfo: {
          architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.32.0-simulated', kubeProxyVersion: '', containerRuntimeVersion: 'simulated://0',
          kernelVersion: '', osImage: 'simulated', bootID: '', machineID: '', systemUUID: '',
        },
      },
    };
    return node as KubeObject;
  }

  private async register(name: string): Promise<void> {
    const wanted = this.nodeObject(name);
    let node: KubeObject;
    try {
      node = await this.client.create(NODES, wanted);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      node = await this.client.get(NODES, undefined, name);
    }
    // Like the kubelet, status is the node's own to write: make sure it says Ready whatever create kept.
    if ((node as Node).status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') {
      await this.client.updateStatus(NODES, { ...node, status: wanted.status } as KubeObject);
    }
    const renewTime = microTime(new Date());
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }] },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, acquireTime: renewTime, renewTime },
    };
    try {
      await this.client.create(LEASES, lease as KubeObject);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      await this.renew(name);
    }
  }

  /** One merge patch per Lease: the renewTime change is the heartbeat. */
  private async renew(name: string): Promise<void> {
    try {
      await this.client.patch(LEASES, NODE_LEASE_NAMESPACE, name, { spec: { renewTime: microTime(new Date()) } }, 'merge');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Every Lease once, spread over half the period so renewals are a steady trickle, not a burst. */
  private async renewAll(): Promise<void> {
    const start = Date.now();
    const spreadMs = this.renewMs / 2;
    await withConcurrency([...this.names], this.concurrency, async (name, i) => {
      if (this.stopping.signal.aborted) return;
      const wait = start + (i * spreadMs) / this.names.length - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await this.renew(name).catch(() => {});
    });
  }

  /** Watches pods and marks those bound to a simulated node Running, as a kubelet reports them. */
  private async runPods(signal: AbortSignal): Promise<void> {
    const ours = new Set(this.names);
    const marked = new Set<string>();
    const pending: Pod[] = [];
    let draining: Promise<void> | undefined;
    const drain = async () => {
      while (pending.length && !signal.aborted) {
        const batch = pending.splice(0, this.concurrency);
        await Promise.all(batch.map((pod) => this.markRunning(pod).catch(() => {})));
      }
    };
    const { resourceVersion } = await this.client.list(PODS, { limit: 1 });
    await this.client
      .watch(PODS, { resourceVersion }, (event) => {
        const pod = event.object as Pod;
        const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
        if (event.type === 'DELETED' || !pod.spec?.nodeName || !ours.has(pod.spec.nodeName) || marked.has(key)) return;
        if (pod.status?.phase === 'Running') return;
        marked.add(key);
        pending.push(pod);
        draining ??= drain().finally(() => (draining = undefined));
      }, signal)
      .catch((error: unknown) => {
        if (!signal.aborted) throw error;
      });
    await draining;
  }

  private async markRunning(pod: Pod): Promise<void> {
    const now = rfc3339(new Date());
    const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    const status = {
      phase: 'Running',
      hostIP: '10.0.0.1',
      podIP: '10.0.0.2',
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name, image: c.image ?? '', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } },
      })),
    };
    await this.client.patch(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', { status }, 'merge', { subresource: 'status' });
  }
}
