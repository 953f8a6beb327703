import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.ts';
import { nodeMatchesSelectorTerm } from '../api/node-selector.ts';
import { keyOf, objectKey, type KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Lister } from '../client/lister.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { processQueue } from './run-controller.ts';
import {
  controllerKeyOf,
  isControlledBy,
  isPodAvailable,
  isPodReady,
  PodExpectations,
  podFromTemplate,
  runLimited,
  templateHash,
} from './owned-pods.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' DaemonSet controller (pkg/controller/daemon): one pod on every node the
// template may run on, following nodes as they come and go, replaced node by node when
// the template changes (RollingUpdate with maxUnavailable) or only when deleted (OnDelete).
//
// Placement: the pods are created with spec.nodeName already set, as Kubernetes did
// before 1.12, so DaemonSets work even when no scheduler runs (a DaemonSet is often what
// a lab runs first). The pods also carry the required node affinity on metadata.name that
// Kubernetes ≥ 1.12 would give the scheduler, so they read the same in `kubectl get -o yaml`.
// Template versions are told apart by the `controller-revision-hash` label (a hash of the
// template); ControllerRevision objects are not written.

const DAEMONSETS = findByKind('apps/v1', 'DaemonSet') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;

export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
const CREATE_BURST = 20;

/** The tolerations Kubernetes adds to every daemon pod (util.AddOrUpdateDaemonPodTolerations). */
export const DAEMON_POD_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const NETWORK_UNAVAILABLE_TOLERATION: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

export interface DaemonPlacement {
  /** A pod should be created here. */
  shouldRun: boolean;
  /** An existing pod may stay (only a NoExecute taint or a selector change evicts it). */
  shouldContinueRunning: boolean;
}

/** The template's tolerations plus those Kubernetes adds to daemon pods, without duplicates. */
export function daemonPodTolerations(ds: DaemonSet): Toleration[] {
  const own = ds.spec?.template.spec?.tolerations ?? [];
  const added = [...DAEMON_POD_TOLERATIONS, ...(ds.spec?.template.spec?.hostNetwork ? [NETWORK_UNAVAILABLE_TOLERATION] : [])];
  return [...own, ...added.filter((t) => !own.some((o) => o.key === t.key && o.effect === t.effect))];
}

/**
 * NodeShouldRunDaemonPod: the template's nodeSelector and required node affinity must
 * match the node, and every NoSchedule/NoExecute taint must be tolerated. A node's
 * Ready condition does not matter: daemon pods tolerate not-ready and unreachable.
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): DaemonPlacement {
  const never = { shouldRun: false, shouldContinueRunning: false };
  if (node.metadata?.deletionTimestamp) return never;
  const podSpec = ds.spec?.template.spec;
  const labels = node.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(podSpec?.nodeSelector ?? {})) {
    if (labels[key] !== value) return never;
  }
  const terms = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((term) => nodeMatchesSelectorTerm(term, node))) return never;
  const tolerations = daemonPodTolerations(ds);
  let shouldRun = true;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerations.some((t) => tolerates(t, taint))) continue;
    if (taint.effect === 'NoExecute') return never;
    shouldRun = false;
  }
  return { shouldRun, shouldContinueRunning: true };
}

/** v1.Toleration.ToleratesTaint. */
function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** An int or a percentage of `total`, rounded up (intstr.GetScaledValueFromIntOrPercent). */
export function scaledValue(value: number | string | undefined, total: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.ceil((Number(percent[1]) * total) / 100);
  const number = Number.parseInt(value, 10);
  return Number.isFinite(number) ? number : fallback;
}

/** The pod's node: spec.nodeName, or the node named by a metadata.name affinity (pods placed the ≥1.12 way). */
function nodeNameOf(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const field = term.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1);
    if (field) return field.values?.[0];
  }
  return undefined;
}

class DaemonSetController implements Controller {
  readonly name = 'daemonset-controller';
  private readonly expectations = new PodExpectations();

  constructor(private readonly now: () => Date) {}

  async run(ctx: ControllerContext): Promise<void> {
    const queue = new WorkQueue<string>();
    const daemonSets = ctx.informers.informerFor<DaemonSet & KubeObject>(DAEMONSETS);
    const pods = ctx.informers.informerFor<Pod & KubeObject>(PODS);
    const nodes = ctx.informers.informerFor<Node & KubeObject>(NODES);
    const dsLister = daemonSets.lister();
    const enqueueAll = (): void => {
      for (const ds of dsLister.list()) queue.add(keyOf(ds));
    };
    const podChanged = (pod: Pod, deleted: boolean): void => {
      const owner = controllerKeyOf(pod as Pod & KubeObject, 'DaemonSet');
      if (!owner) return;
      if (deleted || pod.metadata?.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata?.uid ?? '');
      queue.add(owner);
    };
    const removers = [
      daemonSets.addEventHandler({
        onAdd: (ds) => queue.add(keyOf(ds)),
        onUpdate: (_old, ds) => queue.add(keyOf(ds)),
        onDelete: (ds) => {
          this.expectations.forget(keyOf(ds));
          queue.add(keyOf(ds));
        },
      }),
      pods.addEventHandler({
        onAdd: (pod) => {
          const owner = controllerKeyOf(pod, 'DaemonSet');
          if (owner) this.expectations.creationObserved(owner);
          podChanged(pod, false);
        },
        onUpdate: (_old, pod) => podChanged(pod, false),
        onDelete: (pod) => podChanged(pod, true),
      }),
      // Any node change can change where every DaemonSet should run.
      nodes.addEventHandler({
        onAdd: enqueueAll,
        onUpdate: (old, node) => {
          if (old === node || placementInputsChanged(old, node)) enqueueAll();
        },
        onDelete: enqueueAll,
      }),
    ];
    try {
      await processQueue(ctx, queue, (key) => this.sync(ctx, key, dsLister, pods.lister(), nodes.lister(), queue), (key) => ({ daemonset: key }));
    } finally {
      for (const remove of removers) remove();
    }
  }

  private async sync(
    ctx: ControllerContext,
    key: string,
    dsLister: Lister<DaemonSet & KubeObject>,
    podLister: Lister<Pod & KubeObject>,
    nodeLister: Lister<Node & KubeObject>,
    queue: WorkQueue<string>,
  ): Promise<void> {
    const [namespace, name] = key.split('/');
    const ds = dsLister.get(namespace, name);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const hash = templateHash(ds.spec?.template);
    const nodes = nodeLister.list();
    const nodeNames = new Set(nodes.map((n) => n.metadata.name ?? ''));
    const ownPods = podLister.listNamespace(namespace).filter((pod) => isControlledBy(pod, ds));
    const podsByNode = new Map<string, Pod[]>();
    const orphaned: Pod[] = [];
    for (const pod of ownPods) {
      const nodeName = nodeNameOf(pod);
      if (!nodeName || !nodeNames.has(nodeName)) {
        orphaned.push(pod);
        continue;
      }
      podsByNode.set(nodeName, [...(podsByNode.get(nodeName) ?? []), pod]);
    }

    if (this.expectations.satisfied(key)) {
      const toCreate: string[] = [];
      const toDelete: Pod[] = [];
      for (const node of nodes) {
        const nodeName = node.metadata.name ?? '';
        const placement = nodeShouldRunDaemonPod(node, ds);
        const onNode = (podsByNode.get(nodeName) ?? []).filter((p) => !p.metadata?.deletionTimestamp);
        if (placement.shouldRun && onNode.length === 0) toCreate.push(nodeName);
        else if (!placement.shouldContinueRunning) toDelete.push(...onNode);
        else {
          // A failed daemon pod is replaced; of several, the oldest stays.
          const failed = onNode.filter((p) => p.status?.phase === 'Failed');
          const running = onNode.filter((p) => p.status?.phase !== 'Failed').sort(byCreation);
          toDelete.push(...failed, ...running.slice(1));
        }
      }
      toDelete.push(...this.rollingUpdateDeletions(ds, hash, nodes, podsByNode));
      // Pods bound to a node that no longer exists: no kubelet will ever finish them, so no grace period.
      await this.deletePods(ctx, ds, orphaned, 'SuccessfulDelete', 0);
      await this.deletePods(ctx, ds, toDelete, 'SuccessfulDelete');
      await this.createPods(ctx, ds, hash, toCreate);
    }

    const status = this.computeStatus(ds, hash, nodes, podsByNode);
    if (!jsonEqual(status, ds.status ?? {})) {
      await ctx.client.updateStatus(DAEMONSETS, { ...structuredClone(ds), status } as KubeObject);
    }
    // Ready pods become available only after minReadySeconds: look again then.
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.numberAvailable !== status.numberReady) queue.addAfter(key, minReady * 1000);
  }

  /**
   * RollingUpdate (maxSurge 0): old pods that are already unavailable go at once; of the
   * available ones only as many as maxUnavailable leaves room for. Their replacements are
   * created by the next sync, which sees the node without a pod.
   */
  private rollingUpdateDeletions(ds: DaemonSet, hash: string, nodes: Node[], podsByNode: Map<string, Pod[]>): Pod[] {
    if (ds.spec?.updateStrategy?.type === 'OnDelete') return [];
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const eligible = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun);
    const maxUnavailable = Math.max(1, scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, eligible.length, 1));
    let unavailable = 0;
    const oldAvailable: Pod[] = [];
    const deletions: Pod[] = [];
    for (const node of eligible) {
      const live = (podsByNode.get(node.metadata?.name ?? '') ?? []).filter((p) => !p.metadata?.deletionTimestamp);
      const current = live[0];
      if (!current || !isPodAvailable(current, minReady, now)) unavailable++;
      if (!current || current.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) continue;
      if (isPodAvailable(current, minReady, now)) oldAvailable.push(current);
      else deletions.push(current);
    }
    const budget = Math.max(0, maxUnavailable - unavailable);
    return [...deletions, ...oldAvailable.sort(byCreation).slice(0, budget)];
  }

  private async createPods(ctx: ControllerContext, ds: DaemonSet & KubeObject, hash: string, nodeNames: string[]): Promise<void> {
    if (nodeNames.length === 0) return;
    const key = keyOf(ds);
    const template = ds.spec!.template;
    this.expectations.expectCreations(key, nodeNames.length);
    const errors = await runLimited(nodeNames, CREATE_BURST, async (nodeName) => {
      const pod = podFromTemplate(template, ds, {
        nodeName,
        labels: { [CONTROLLER_REVISION_HASH_LABEL]: hash, [POD_TEMPLATE_GENERATION_LABEL]: String(ds.metadata.generation ?? 1) },
      });
      pod.spec!.tolerations = daemonPodTolerations(ds);
      pod.spec!.affinity = { ...(pod.spec!.affinity ?? {}), nodeAffinity: nodeAffinityFor(nodeName) };
      try {
        const created = await ctx.client.create(PODS, pod as KubeObject);
        void ctx.recorder.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (error) {
        this.expectations.creationObserved(key);
        void ctx.recorder.record(ds, 'Warning', 'FailedCreate', `Error creating: ${String((error as Error).message ?? error)}`);
        throw error;
      }
    });
    ctx.reportAction(`created ${nodeNames.length - errors.length} pod(s) for DaemonSet ${key}`);
    if (errors.length) throw errors[0];
  }

  private async deletePods(ctx: ControllerContext, ds: DaemonSet & KubeObject, pods: Pod[], reason: string, gracePeriodSeconds?: number): Promise<void> {
    const unique = [...new Map(pods.map((p) => [p.metadata?.uid ?? '', p])).values()];
    if (unique.length === 0) return;
    const key = keyOf(ds);
    this.expectations.expectDeletions(key, unique.map((p) => p.metadata?.uid ?? ''));
    const errors = await runLimited(unique, CREATE_BURST, async (pod) => {
      try {
        await ctx.client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', {
          preconditions: { uid: pod.metadata?.uid },
          ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
        });
        void ctx.recorder.record(ds, 'Normal', reason, `Deleted pod: ${pod.metadata?.name}`);
      } catch (error) {
        this.expectations.deletionObserved(key, pod.metadata?.uid ?? '');
        if (!isNotFound(error)) throw error;
      }
    });
    ctx.reportAction(`deleted ${unique.length - errors.length} pod(s) of DaemonSet ${key}`);
    if (errors.length) throw errors[0];
  }

  private computeStatus(ds: DaemonSet, hash: string, nodes: Node[], podsByNode: Map<string, Pod[]>): DaemonSetStatus {
    const now = this.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const status: DaemonSetStatus = {
      currentNumberScheduled: 0,
      desiredNumberScheduled: 0,
      numberMisscheduled: 0,
      numberReady: 0,
      numberAvailable: 0,
      updatedNumberScheduled: 0,
      numberUnavailable: 0,
      observedGeneration: ds.metadata?.generation,
    };
    for (const node of nodes) {
      const onNode = (podsByNode.get(node.metadata?.name ?? '') ?? []).filter((p) => !p.metadata?.deletionTimestamp);
      const placement = nodeShouldRunDaemonPod(node, ds);
      if (!placement.shouldRun) {
        if (onNode.length > 0) status.numberMisscheduled++;
        continue;
      }
      status.desiredNumberScheduled++;
      if (onNode.length === 0) continue;
      status.currentNumberScheduled++;
      const pod = onNode.sort(byCreation)[0];
      if (isPodReady(pod)) status.numberReady++;
      if (isPodAvailable(pod, minReady, now)) status.numberAvailable = (status.numberAvailable ?? 0) + 1;
      if (pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] === hash) status.updatedNumberScheduled = (status.updatedNumberScheduled ?? 0) + 1;
    }
    status.numberUnavailable = status.desiredNumberScheduled - (status.numberAvailable ?? 0);
    if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
    if (ds.status?.conditions) status.conditions = ds.status.conditions;
    return status;
  }
}

/** Heartbeats rewrite node status often; only labels, taints and deletion change placement. */
function placementInputsChanged(old: Node, node: Node): boolean {
  return (
    !jsonEqual(old.metadata?.labels ?? {}, node.metadata?.labels ?? {}) ||
    !jsonEqual(old.spec?.taints ?? [], node.spec?.taints ?? []) ||
    Boolean(old.metadata?.deletionTimestamp) !== Boolean(node.metadata?.deletionTimestamp)
  );
}

function nodeAffinityFor(nodeName: string): NonNullable<NonNullable<Pod['spec']>['affinity']>['nodeAffinity'] {
  return {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
    },
  };
}

function byCreation(a: Pod, b: Pod): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return objectKey(a.metadata?.namespace, a.metadata?.name ?? '') < objectKey(b.metadata?.namespace, b.metadata?.name ?? '') ? -1 : 1;
}

export interface DaemonSetControllerOptions {
  /** The clock for minReadySeconds; tests inject one. */
  now?: () => Date;
}

export function createDaemonSetController(options: DaemonSetControllerOptions = {}): Controller {
  return new DaemonSetController(options.now ?? (() => new Date()));
}

export const daemonSetController: ControllerFactory = () => createDaemonSetController();
