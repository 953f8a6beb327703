import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { evictionTime, NOT_READY_TAINT, UNREACHABLE_TAINT, withDefaultTolerations } from './taint-eviction.ts';

// Kubernetes' node lifecycle controller (pkg/controller/nodelifecycle) with its NoExecute
// taint manager and the part of pod GC that frees pods from dead nodes. Every
// nodeMonitorPeriodSeconds, for each Node:
// - health: the heartbeat is the node's Lease in kube-node-lease (or its Ready
//   condition's lastHeartbeatTime). Like Kubernetes, a heartbeat counts from when this
//   controller saw it change, so clock skew between machines does not matter. Silent for
//   longer than nodeMonitorGracePeriodSeconds -> every condition Unknown (NodeStatusUnknown).
// - taints: Ready Unknown -> unreachable:NoSchedule/NoExecute, Ready False ->
//   not-ready:NoSchedule/NoExecute, Ready True -> neither.
// - pods on a node that stops being Ready are marked Ready=False (MarkPodsNotReady).
// - eviction: pods that do not tolerate a NoExecute taint (or tolerate it for a while)
//   are deleted; on an unreachable node nobody can finish a graceful deletion, so they
//   are deleted with grace period 0 and their controllers replace them at once. Pods
//   still terminating past their grace period on a node that is not Ready go the same way.
// - pods bound to a Node that no longer exists are deleted with grace period 0 (pod GC).

const NODES = findByKind('v1', 'Node') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const LEASES = findByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
const UPDATE_RETRIES = 3;

type NodeObject = Node & KubeObject;
type PodObject = Pod & KubeObject;
type ReadyState = 'True' | 'False' | 'Unknown';

interface NodeHealth {
  /** Lease renewTime and Ready heartbeat as last seen; a change is a sign of life. */
  heartbeat: string;
  /** When this controller saw the heartbeat change (its own clock). */
  probeMs: number;
  readyState?: ReadyState;
}

function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function readyConditionOf(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The taints this controller owns for a Ready state. */
function desiredTaints(state: ReadyState | undefined): { key: string; effect: 'NoSchedule' | 'NoExecute' }[] {
  if (state === 'Unknown') return [{ key: UNREACHABLE_TAINT, effect: 'NoSchedule' }, { key: UNREACHABLE_TAINT, effect: 'NoExecute' }];
  if (state === 'False') return [{ key: NOT_READY_TAINT, effect: 'NoSchedule' }, { key: NOT_READY_TAINT, effect: 'NoExecute' }];
  return [];
}

const isManagedTaint = (t: Taint) => (t.key === NOT_READY_TAINT || t.key === UNREACHABLE_TAINT) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');

/** The node's taints with this controller's ones set for `state`; undefined when nothing changes. */
export function reconcileTaints(current: readonly Taint[], state: ReadyState | undefined, nowMs: number): Taint[] | undefined {
  const desired = desiredTaints(state);
  const wanted = (t: Taint) => desired.some((d) => d.key === t.key && d.effect === t.effect);
  const kept = current.filter((t) => !isManagedTaint(t) || wanted(t));
  const added: Taint[] = desired
    .filter((d) => !kept.some((t) => t.key === d.key && t.effect === d.effect))
    .map((d) => (d.effect === 'NoExecute' ? { ...d, timeAdded: rfc3339(nowMs) } : { ...d }));
  if (kept.length === current.length && added.length === 0) return undefined;
  return [...kept, ...added];
}

class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private ctx!: ControllerContext;
  private nodes!: Informer<NodeObject>;
  private pods!: Informer<PodObject>;
  private leases!: Informer<Lease & KubeObject>;
  private readonly health = new Map<string, NodeHealth>();

  constructor(private readonly now: () => number = Date.now) {}

  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    this.nodes = ctx.informers.informerFor<NodeObject>(NODES);
    this.pods = ctx.informers.informerFor<PodObject>(PODS);
    this.leases = ctx.informers.informerFor<Lease & KubeObject>(LEASES);
    try {
      await ctx.informers.waitForSync(ctx.signal);
    } catch {
      return;
    }
    // A periodic sweep, as in Kubernetes: health is about time passing, not about events.
    while (!ctx.signal.aborted) {
      await this.monitorNodes().catch((error: unknown) => ctx.logger.warn('node monitoring failed', { error: String(error) }));
      await sleep(ctx.settings.nodeMonitorPeriodSeconds * 1000, ctx.signal);
    }
  }

  private async monitorNodes(): Promise<void> {
    const podsByNode = new Map<string, PodObject[]>();
    for (const pod of this.pods.lister().list()) {
      const nodeName = pod.spec?.nodeName;
      if (!nodeName) continue;
      let list = podsByNode.get(nodeName);
      if (!list) podsByNode.set(nodeName, (list = []));
      list.push(pod);
    }
    const seen = new Set<string>();
    for (const node of this.nodes.lister().list()) {
      const name = node.metadata.name!;
      seen.add(name);
      try {
        await this.monitorNode(node, podsByNode.get(name) ?? []);
      } catch (error) {
        this.ctx.logger.warn('node lifecycle step failed', { node: name, error: String(error) });
      }
    }
    for (const name of this.health.keys()) if (!seen.has(name)) this.health.delete(name);
    for (const [nodeName, pods] of podsByNode) {
      if (!seen.has(nodeName)) await this.deletePodsOfMissingNode(nodeName, pods);
    }
  }

  private async monitorNode(cached: NodeObject, pods: PodObject[]): Promise<void> {
    const name = cached.metadata.name!;
    const now = this.now();
    const lease = this.leases.lister().get(NODE_LEASE_NAMESPACE, name);
    const heartbeat = `${lease?.spec?.renewTime ?? ''}|${readyConditionOf(cached)?.lastHeartbeatTime ?? ''}`;
    let health = this.health.get(name);
    if (!health || health.heartbeat !== heartbeat) {
      health = { ...health, heartbeat, probeMs: now };
      this.health.set(name, health);
    }

    let node = cached;
    const silentMs = now - health.probeMs;
    if (silentMs > this.ctx.settings.nodeMonitorGracePeriodSeconds * 1000 && readyConditionOf(node)?.status !== 'Unknown') {
      node = (await this.markStatusUnknown(name, now)) ?? node;
    }
    const state = readyConditionOf(node)?.status as ReadyState | undefined;
    const previous = health.readyState;
    health.readyState = state;
    if (previous !== state && state) this.recordStatusChange(node, previous, state);

    const taints = reconcileTaints(node.spec?.taints ?? [], state, now);
    if (taints) node = (await this.updateTaints(name, state, now)) ?? node;

    // MarkPodsNotReady: on the transition away from Ready, and on every pass while the node is
    // unreachable (no kubelet can disagree then).
    if ((previous === 'True' && state !== 'True') || state === 'Unknown') {
      for (const pod of pods) await this.markPodNotReady(pod);
    }
    await this.evictPods(node, pods, state, now);
  }

  private recordStatusChange(node: NodeObject, previous: ReadyState | undefined, state: ReadyState): void {
    const name = node.metadata.name!;
    if (state === 'True' && previous) {
      void this.ctx.recorder.record(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
      this.ctx.reportAction(`node ${name} is Ready again`);
    } else if (state !== 'True') {
      void this.ctx.recorder.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      this.ctx.reportAction(`node ${name} is ${state === 'Unknown' ? 'unreachable' : 'not ready'}`);
      this.ctx.logger.info('node is not ready', { node: name, ready: state });
    }
  }

  /** Every condition Unknown, as the kubelet has stopped reporting (PUT status). */
  private markStatusUnknown(name: string, now: number): Promise<NodeObject | undefined> {
    const time = rfc3339(now);
    return this.updateNode(name, 'status', (node) => {
      const conditions = [...(node.status?.conditions ?? [])];
      let changed = false;
      for (const type of NODE_CONDITIONS) {
        const index = conditions.findIndex((c) => c.type === type);
        if (index < 0) {
          conditions.push({
            type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.',
            lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: time,
          });
          changed = true;
        } else if (conditions[index].status !== 'Unknown') {
          conditions[index] = { ...conditions[index], status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: time };
          changed = true;
        }
      }
      return changed ? { ...node, status: { ...node.status, conditions } } : undefined;
    });
  }

  private updateTaints(name: string, state: ReadyState | undefined, now: number): Promise<NodeObject | undefined> {
    return this.updateNode(name, '', (node) => {
      const taints = reconcileTaints(node.spec?.taints ?? [], state, now);
      if (!taints) return undefined;
      const { taints: _old, ...spec } = node.spec ?? {};
      return { ...node, spec: taints.length ? { ...spec, taints } : spec };
    });
  }

  /** GET, change (undefined: nothing to do), PUT (object or status) with retries on conflict. */
  private async updateNode(name: string, subresource: '' | 'status', change: (node: NodeObject) => NodeObject | undefined): Promise<NodeObject | undefined> {
    for (let attempt = 0; ; attempt++) {
      let node: NodeObject;
      try {
        node = await this.ctx.client.get<NodeObject>(NODES, undefined, name);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      const changed = change(node);
      if (!changed) return node;
      try {
        return subresource === 'status' ? await this.ctx.client.updateStatus(NODES, changed) : await this.ctx.client.update(NODES, changed);
      } catch (error) {
        if (!isConflict(error) || attempt >= UPDATE_RETRIES) throw error;
      }
    }
  }

  private async markPodNotReady(cached: PodObject): Promise<void> {
    const ready = cached.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'False' || cached.metadata.deletionTimestamp) return;
    const time = rfc3339(this.now());
    const conditions = (cached.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: time } : c));
    if (!ready) conditions.push({ type: 'Ready', status: 'False', lastTransitionTime: time });
    try {
      // The cached resourceVersion makes this a no-op if the kubelet wrote meanwhile.
      await this.ctx.client.updateStatus(PODS, { ...cached, status: { ...cached.status, conditions } });
      void this.ctx.recorder.record(cached, 'Warning', 'NodeNotReady', 'Node is not ready');
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  private async evictPods(node: NodeObject, pods: PodObject[], state: ReadyState | undefined, now: number): Promise<void> {
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    const unreachable = state === 'Unknown';
    for (const pod of pods) {
      const { namespace, name } = pod.metadata;
      if (pod.metadata.deletionTimestamp) {
        // Past its grace period on a node that is not Ready: the agent is gone or its runtime
        // is down, so nobody will finish this deletion.
        if (state && state !== 'True' && Date.parse(pod.metadata.deletionTimestamp) <= now) await this.deletePod(pod, 0);
        continue;
      }
      if (!taints.length) continue;
      const tolerations = withDefaultTolerations(pod.spec?.tolerations, this.ctx.settings.defaultNotReadyTolerationSeconds);
      const evictAt = evictionTime(taints, tolerations, now);
      if (evictAt === undefined || evictAt > now) continue;
      void this.ctx.recorder.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
      this.ctx.reportAction(`evicted pod ${namespace}/${name} from node ${node.metadata.name}`);
      await this.deletePod(pod, unreachable ? 0 : undefined);
    }
  }

  /** Pod GC's orphan sweep: pods bound to a Node that is gone (checked live, the cache may lag). */
  private async deletePodsOfMissingNode(nodeName: string, pods: PodObject[]): Promise<void> {
    try {
      await this.ctx.client.get(NODES, undefined, nodeName);
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    for (const pod of pods) {
      this.ctx.logger.info('deleting pod of a node that no longer exists', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, node: nodeName });
      await this.deletePod(pod, 0);
    }
  }

  private async deletePod(pod: PodObject, gracePeriodSeconds: number | undefined): Promise<void> {
    try {
      await this.ctx.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds, preconditions: { uid: pod.metadata.uid } });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export const nodeLifecycleController: ControllerFactory = () => new NodeLifecycleController();
