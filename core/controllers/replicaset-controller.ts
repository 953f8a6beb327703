import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.ts';
import { keyOf, objectKey, type KubeObject } from '../api/kube-object.ts';
import { selectorFromLabelSelector, type LabelSelector } from '../api/label-selector.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import {
  claimObjects,
  findCondition,
  isPodActive,
  isPodAvailable,
  isPodReady,
  jsonEqual,
  podsToDelete,
  recheckOwner,
  removeCondition,
  rfc3339,
  secondsUntilAvailable,
  setCondition,
} from './controller-utils.ts';
import { ControllerExpectations, controllerRefOf, errorMessage, PodControl, PODS, slowStartBatch } from './pod-control.ts';
import { processQueue } from './run-controller.ts';

// Kubernetes' ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps
// spec.replicas active pods matching the selector. It adopts matching orphans, releases
// owned pods that stopped matching, creates in slow-start bursts and deletes the pods
// that cost least (ActivePods order). Expectations keep it from acting twice on a
// cache that has not yet seen its own writes.

export const REPLICASETS = findByKind('apps/v1', 'ReplicaSet') as ResourceInfo;

/** Kubernetes' BurstReplicas: at most this many creates or deletes per sync. */
export const BURST_REPLICAS = 500;

type ReplicaSetObject = ReplicaSet & KubeObject;
type PodObject = Pod & KubeObject;

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private readonly expectations = new ControllerExpectations();
  private ctx!: ControllerContext;
  private replicaSets!: Informer<ReplicaSetObject>;
  private pods!: Informer<PodObject>;
  private podControl!: PodControl;

  /** Registers handlers synchronously (before the first await), then works until ctx.signal aborts. */
  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    this.podControl = new PodControl(ctx.client, ctx.recorder);
    this.replicaSets = ctx.informers.informerFor<ReplicaSetObject>(REPLICASETS);
    this.pods = ctx.informers.informerFor<PodObject>(PODS);
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.enqueue(rs);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
    await processQueue(ctx, this.queue, (key) => this.sync(key), (key) => ({ replicaset: key }));
  }

  private enqueue(rs: KubeObject): void {
    this.queue.add(keyOf(rs));
  }

  /** The ReplicaSet that controls the pod, if it is one we know with the same uid. */
  private controllerOf(pod: PodObject): ReplicaSetObject | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.replicaSets.lister().get(pod.metadata.namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** Orphan pods: every ReplicaSet in the namespace whose selector matches may adopt it. */
  private replicaSetsSelecting(pod: PodObject): ReplicaSetObject[] {
    return this.replicaSets
      .lister()
      .listNamespace(pod.metadata.namespace ?? '')
      .filter((rs) => selectorOf(rs)?.matches(pod.metadata.labels ?? {}));
  }

  private podAdded(pod: PodObject): void {
    if (pod.metadata.deletionTimestamp) {
      // Restarted controller-manager sees a pod already terminating: count it as a deletion.
      this.podDeleted(pod);
      return;
    }
    const rs = this.controllerOf(pod);
    if (rs) {
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(rs);
      return;
    }
    if (!controllerRefOf(pod)) for (const candidate of this.replicaSetsSelecting(pod)) this.enqueue(candidate);
  }

  private podUpdated(old: PodObject, pod: PodObject): void {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) {
      // Periodic resync: nothing changed, but the owner still re-checks.
      const rs = this.controllerOf(pod);
      if (rs) this.enqueue(rs);
      return;
    }
    const labelsChanged = !jsonEqual(old.metadata.labels, pod.metadata.labels);
    if (pod.metadata.deletionTimestamp) {
      // Terminating pods leave the count at once; when labels changed too, the old owner must hear of it.
      this.podDeleted(pod);
      if (labelsChanged) {
        const oldRs = this.controllerOf(old);
        if (oldRs) this.enqueue(oldRs);
      }
      return;
    }
    const oldRef = controllerRefOf(old);
    const ref = controllerRefOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const oldRs = this.controllerOf(old);
      if (oldRs) this.enqueue(oldRs);
    }
    const rs = this.controllerOf(pod);
    if (rs) {
      this.enqueue(rs);
      return;
    }
    if (!ref && (labelsChanged || oldRef)) for (const candidate of this.replicaSetsSelecting(pod)) this.enqueue(candidate);
  }

  private podDeleted(pod: PodObject): void {
    const rs = this.controllerOf(pod);
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
    this.enqueue(rs);
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const rs = this.replicaSets.lister().get(namespace, name);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const selector = selectorOf(rs);
    if (!selector) {
      this.ctx.logger.warn('invalid selector', { replicaset: key });
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const activePods = this.pods.lister().listNamespace(namespace).filter(isPodActive);
    const claimed = await claimObjects({
      client: this.ctx.client,
      info: PODS,
      owner: rs,
      selector,
      candidates: activePods,
      canAdopt: recheckOwner(this.ctx.client, REPLICASETS, rs),
    });

    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(claimed, rs, key);
      } catch (error) {
        manageError = error;
      }
    }
    const now = Date.now();
    const status = calculateStatus(rs, claimed, manageError, now);
    await this.writeStatus(rs, status);
    // Pods ready but not yet available become available without any event: come back then.
    const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
    if (!manageError && minReadySeconds > 0) {
      const waits = claimed.map((pod) => secondsUntilAvailable(pod, minReadySeconds, now)).filter((s): s is number => s !== undefined);
      if (waits.length) this.queue.addAfter(key, Math.min(...waits) * 1000 + 50);
    }
    if (manageError) throw manageError;
  }

  private async manageReplicas(pods: PodObject[], rs: ReplicaSetObject, key: string): Promise<void> {
    const desired = rs.spec?.replicas ?? 1;
    const diff = pods.length - desired;
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      // Expect before creating: the informer may see a pod before create() even returns.
      this.expectations.expectCreations(key, count);
      const template = rs.spec?.template ?? {};
      const { successes, error } = await slowStartBatch(count, 1, async () => {
        await this.podControl.createPod(template, rs);
      }, this.ctx.signal);
      // Failed creates, and batches not attempted after a failure, never show up in the informer.
      for (let skipped = count - successes; skipped > 0; skipped--) this.expectations.creationObserved(key);
      if (successes > 0) this.ctx.reportAction(`ReplicaSet ${key}: created ${successes} pod${successes === 1 ? '' : 's'}`);
      if (error) throw error;
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, pods, count);
      this.expectations.expectDeletions(key, victims.map((pod) => keyOf(pod)));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            const deleted = await this.podControl.deletePod(rs.metadata.namespace ?? '', pod.metadata.name ?? '', rs);
            if (!deleted) this.expectations.deletionObserved(key, keyOf(pod));
          } catch (deleteError) {
            this.expectations.deletionObserved(key, keyOf(pod));
            throw deleteError;
          }
        }),
      );
      const deleted = results.filter((r) => r.status === 'fulfilled').length;
      if (deleted > 0) this.ctx.reportAction(`ReplicaSet ${key}: deleted ${deleted} pod${deleted === 1 ? '' : 's'}`);
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    }
  }

  private async writeStatus(rs: ReplicaSetObject, status: ReplicaSetStatus): Promise<void> {
    if (jsonEqual(rs.status ?? {}, status)) return;
    try {
      await this.ctx.client.updateStatus(REPLICASETS, { ...rs, status } as KubeObject);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
  }
}

function selectorOf(rs: ReplicaSet): LabelSelector | undefined {
  try {
    return selectorFromLabelSelector(rs.spec?.selector);
  } catch {
    return undefined;
  }
}

/** calculateStatus in replica_set_utils.go. */
export function calculateStatus(rs: ReplicaSet, pods: Pod[], manageError: unknown, now: number): ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReadySeconds, now)) available++;
    }
  }
  let conditions = (rs.status?.conditions ?? []) as ReplicaSetCondition[];
  const failure = findCondition(conditions, 'ReplicaFailure');
  if (manageError && !failure) {
    const desired = rs.spec?.replicas ?? 1;
    const reason = pods.length < desired ? 'FailedCreate' : 'FailedDelete';
    conditions = setCondition(conditions, {
      type: 'ReplicaFailure',
      status: 'True',
      reason,
      message: errorMessage(manageError),
      lastTransitionTime: rfc3339(new Date(now)),
    });
  } else if (!manageError && failure) {
    conditions = removeCondition(conditions, 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation ?? 0,
  };
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** For callers outside this controller that need a ReplicaSet's key. */
export function replicaSetKey(rs: ReplicaSet): string {
  return objectKey(rs.metadata?.namespace, rs.metadata?.name ?? '');
}

export const replicaSetController: ControllerFactory = () => new ReplicaSetController();
