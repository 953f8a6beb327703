import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { selectorFromLabelSelector, type LabelSelector } from '../api/label-selector.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { claimObjects, isPodTerminal, jsonEqual, recheckOwner, setCondition } from './controller-utils.ts';
import {
  activeOrLatest,
  activeReplicaSets,
  cleanupUnhealthyReplicas,
  desiredReplicas,
  isRollingUpdate,
  isSaturated,
  isScalingEvent,
  maxSurge,
  newReplicaSetReplicas,
  oldScaleDownBudget,
  proportionalScale,
  reconcileNewReplicaSet,
  scaleDownOldForRollingUpdate,
  specReplicas,
  totalSpecReplicas,
  totalStatusReplicas,
  type ScaleStep,
} from './deployment-rollout.ts';
import {
  computeTemplateHash,
  equalIgnoreHash,
  findNewReplicaSet,
  findOldReplicaSets,
  maxRevision,
  POD_TEMPLATE_HASH,
  replicasAnnotationsNeedUpdate,
  replicaSetsToCleanUp,
  REVISION,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  templateWithHash,
} from './deployment-revisions.ts';
import {
  calculateStatus,
  deploymentComplete,
  hasProgressDeadline,
  msUntilProgressCheck,
  newCondition,
  pausedConditions,
  PROGRESSING,
  REASON,
  rolloutStatus,
} from './deployment-status.ts';
import { controllerReferenceTo, controllerRefOf, errorMessage, PODS } from './pod-control.ts';
import { REPLICASETS } from './replicaset-controller.ts';
import { processQueue } from './run-controller.ts';

// Kubernetes' Deployment controller (pkg/controller/deployment): a Deployment owns
// ReplicaSets named `<deployment>-<pod-template-hash>`, one per template it has had.
// The RS whose template equals the Deployment's is the new one; rolling out means
// growing it and shrinking the others within maxSurge/maxUnavailable (RollingUpdate) or
// emptying the others first (Recreate). It creates no pods itself: the ReplicaSet
// controller does. Every sync re-reads the caches and takes the next step only.

export const DEPLOYMENTS = findByKind('apps/v1', 'Deployment') as ResourceInfo;

type DeploymentObject = Deployment & KubeObject;
type ReplicaSetObject = ReplicaSet & KubeObject;
type PodObject = Pod & KubeObject;

/** One sync's view: the Deployment as last written, and the ReplicaSets as last written. */
class SyncState {
  private readonly latest = new Map<string, ReplicaSetObject>();
  constructor(public deployment: DeploymentObject) {}
  remember(rs: ReplicaSetObject): ReplicaSetObject {
    if (rs.metadata.uid) this.latest.set(rs.metadata.uid, rs);
    return rs;
  }
  fresh<R extends ReplicaSetObject | undefined>(rs: R): R {
    return ((rs && this.latest.get(rs.metadata.uid ?? '')) ?? rs) as R;
  }
  freshAll(list: (ReplicaSetObject | undefined)[]): ReplicaSetObject[] {
    return list.filter((rs): rs is ReplicaSetObject => !!rs).map((rs) => this.fresh(rs));
  }
}

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 5, maxDelayMs: 60_000 });
  private ctx!: ControllerContext;
  private deployments!: Informer<DeploymentObject>;
  private replicaSets!: Informer<ReplicaSetObject>;
  private pods!: Informer<PodObject>;

  /** Registers handlers synchronously (before the first await), then works until ctx.signal aborts. */
  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    this.deployments = ctx.informers.informerFor<DeploymentObject>(DEPLOYMENTS);
    this.replicaSets = ctx.informers.informerFor<ReplicaSetObject>(REPLICASETS);
    this.pods = ctx.informers.informerFor<PodObject>(PODS);
    this.deployments.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_old, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.replicaSetChanged(undefined, rs),
      onUpdate: (old, rs) => this.replicaSetChanged(old, rs),
      onDelete: (rs) => {
        const owner = this.ownerOf(rs);
        if (owner) this.enqueue(owner);
      },
    });
    this.pods.addEventHandler({ onDelete: (pod) => this.podDeleted(pod) });
    await processQueue(ctx, this.queue, (key) => this.sync(key), (key) => ({ deployment: key }));
  }

  private enqueue(d: KubeObject): void {
    this.queue.add(keyOf(d));
  }

  private ownerOf(rs: ReplicaSetObject): DeploymentObject | undefined {
    const ref = controllerRefOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.lister().get(rs.metadata.namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private deploymentsSelecting(rs: ReplicaSetObject): DeploymentObject[] {
    return this.deployments
      .lister()
      .listNamespace(rs.metadata.namespace ?? '')
      .filter((d) => selectorOf(d)?.matches(rs.metadata.labels ?? {}) ?? false);
  }

  private replicaSetChanged(old: ReplicaSetObject | undefined, rs: ReplicaSetObject): void {
    const oldOwner = old && this.ownerOf(old);
    if (oldOwner && controllerRefOf(old!)?.uid !== controllerRefOf(rs)?.uid) this.enqueue(oldOwner);
    const owner = this.ownerOf(rs);
    if (owner) {
      this.enqueue(owner);
      return;
    }
    if (!controllerRefOf(rs) && (!old || !jsonEqual(old.metadata.labels, rs.metadata.labels) || controllerRefOf(old))) {
      for (const d of this.deploymentsSelecting(rs)) this.enqueue(d);
    }
  }

  /** Recreate waits for the old pods to be gone; their deletion is what lets it go on. */
  private podDeleted(pod: PodObject): void {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.lister().get(pod.metadata.namespace, ref.name);
    const owner = rs && this.ownerOf(rs);
    if (owner && !isRollingUpdate(owner)) this.enqueue(owner);
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const cached = this.deployments.lister().get(namespace, name);
    if (!cached) return;
    const state = new SyncState(structuredClone(cached));
    const d = state.deployment;

    const selectorSpec = d.spec?.selector;
    if (!Object.keys(selectorSpec?.matchLabels ?? {}).length && !(selectorSpec?.matchExpressions ?? []).length) {
      void this.ctx.recorder.record(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.writeStatus(state, { ...d.status, observedGeneration: d.metadata.generation });
      }
      return;
    }
    const selector = selectorOf(d);
    if (!selector) return;

    const replicaSets = await claimObjects({
      client: this.ctx.client,
      info: REPLICASETS,
      owner: d,
      selector,
      candidates: this.replicaSets.lister().listNamespace(namespace),
      canAdopt: recheckOwner(this.ctx.client, DEPLOYMENTS, d),
    });
    replicaSets.forEach((rs) => state.remember(rs as ReplicaSetObject));

    if (d.metadata.deletionTimestamp) {
      const { newRs, oldReplicaSets } = await this.newAndOldReplicaSets(state, replicaSets, false);
      await this.syncStatusOnly(state, newRs, oldReplicaSets);
      return;
    }
    const paused = pausedConditions(d, new Date());
    if (paused) await this.writeStatus(state, { ...d.status, conditions: paused });

    if (d.spec?.paused) {
      await this.syncScaling(state, replicaSets);
      return;
    }
    const { newRs: currentNew, oldReplicaSets: currentOld } = await this.newAndOldReplicaSets(state, replicaSets, false);
    if (isScalingEvent(state.deployment, [...currentOld, currentNew])) {
      await this.syncScaling(state, replicaSets);
      return;
    }
    if (isRollingUpdate(state.deployment)) await this.rolloutRolling(state, replicaSets);
    else await this.rolloutRecreate(state, replicaSets);
  }

  /** getAllReplicaSetsAndSyncRevision. */
  private async newAndOldReplicaSets(
    state: SyncState,
    replicaSets: ReplicaSetObject[],
    createIfMissing: boolean,
  ): Promise<{ newRs: ReplicaSetObject | undefined; oldReplicaSets: ReplicaSetObject[] }> {
    const list = state.freshAll(replicaSets);
    const existing = findNewReplicaSet(state.deployment, list);
    const oldReplicaSets = findOldReplicaSets(list, existing);
    const newRs = await this.newReplicaSet(state, existing, oldReplicaSets, createIfMissing);
    return { newRs, oldReplicaSets };
  }

  /** getNewReplicaSet: brings the existing new RS's annotations up to date, or creates it. */
  private async newReplicaSet(
    state: SyncState,
    existing: ReplicaSetObject | undefined,
    oldReplicaSets: ReplicaSetObject[],
    createIfMissing: boolean,
  ): Promise<ReplicaSetObject | undefined> {
    const d = state.deployment;
    const newRevision = maxRevision(oldReplicaSets) + 1;
    const surge = maxSurge(d);
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true, surge);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      let current = existing;
      if (annotationsChanged || minReadyChanged) {
        copy.spec = { ...copy.spec!, minReadySeconds: d.spec?.minReadySeconds };
        current = state.remember((await this.ctx.client.update(REPLICASETS, copy)) as ReplicaSetObject);
      }
      await this.setDeploymentRevision(state, current.metadata.annotations?.[REVISION]);
      if (hasProgressDeadline(d) && !state.deployment.status?.conditions?.some((c) => c.type === PROGRESSING)) {
        const condition = newCondition(PROGRESSING, 'True', REASON.foundNewReplicaSet, `Found new replica set "${current.metadata.name}"`, new Date());
        await this.writeStatus(state, { ...state.deployment.status, conditions: setCondition(conditionsOf(state), condition) });
      }
      return current;
    }
    if (!createIfMissing) return undefined;

    const hash = computeTemplateHash(d.spec?.template, d.status?.collisionCount);
    const template = templateWithHash(d.spec?.template, hash);
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const fresh: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [controllerReferenceTo(d)],
        labels: { ...(template.metadata?.labels ?? {}) },
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    const replicas = newReplicaSetReplicas(d, [...oldReplicaSets, fresh], fresh);
    fresh.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, fresh, newRevision, false, surge);

    let created: ReplicaSetObject;
    let alreadyExisted = false;
    try {
      created = (await this.ctx.client.create(REPLICASETS, fresh)) as ReplicaSetObject;
    } catch (error) {
      if (isAlreadyExists(error)) {
        const found = (await this.ctx.client.get(REPLICASETS, d.metadata.namespace, fresh.metadata.name ?? '')) as ReplicaSetObject;
        if (controllerRefOf(found)?.uid === d.metadata.uid && equalIgnoreHash(found.spec?.template, d.spec?.template)) {
          created = found;
          alreadyExisted = true;
        } else {
          // Another template hashed to the same name: change the hash input and try again.
          const collisionCount = (d.status?.collisionCount ?? 0) + 1;
          await this.writeStatus(state, { ...d.status, collisionCount });
          throw new Error(`hash collision for ReplicaSet ${fresh.metadata.name}; collisionCount is now ${collisionCount}`);
        }
      } else {
        const message = `Failed to create new replica set "${fresh.metadata.name}": ${errorMessage(error)}`;
        void this.ctx.recorder.record(d, 'Warning', REASON.replicaSetCreateError, message);
        if (hasProgressDeadline(d)) {
          const condition = newCondition(PROGRESSING, 'False', REASON.replicaSetCreateError, message, new Date());
          await this.writeStatus(state, { ...d.status, conditions: setCondition(conditionsOf(state), condition) }).catch(() => {});
        }
        throw error;
      }
    }
    state.remember(created);
    if (!alreadyExisted && replicas > 0) {
      void this.ctx.recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${replicas} from 0`);
      this.ctx.reportAction(`Deployment ${keyOf(d)}: scaled up ReplicaSet ${created.metadata.name} to ${replicas}`);
    }
    await this.setDeploymentRevision(state, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const condition = newCondition(PROGRESSING, 'True', REASON.newReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, new Date());
      await this.writeStatus(state, { ...state.deployment.status, conditions: setCondition(conditionsOf(state), condition) });
    }
    return created;
  }

  /** sync(): a paused Deployment or a resize: scale proportionally, no rollout progress. */
  private async syncScaling(state: SyncState, replicaSets: ReplicaSetObject[]): Promise<void> {
    const { newRs, oldReplicaSets } = await this.newAndOldReplicaSets(state, replicaSets, false);
    await this.scale(state, newRs, oldReplicaSets);
    if (state.deployment.spec?.paused) await this.cleanup(state, oldReplicaSets);
    await this.syncStatusOnly(state, newRs, oldReplicaSets);
  }

  private async syncStatusOnly(state: SyncState, newRs: ReplicaSetObject | undefined, oldReplicaSets: ReplicaSetObject[]): Promise<void> {
    const all = state.freshAll([...oldReplicaSets, newRs]);
    const status = calculateStatus(all, state.fresh(newRs), state.deployment, new Date());
    await this.writeStatus(state, status);
  }

  /** scale() in sync.go. */
  private async scale(state: SyncState, newRs: ReplicaSetObject | undefined, oldReplicaSets: ReplicaSetObject[]): Promise<void> {
    const d = state.deployment;
    const desired = desiredReplicas(d);
    const only = activeOrLatest(state.fresh(newRs), state.freshAll(oldReplicaSets));
    if (only) {
      if (specReplicas(only) !== desired) await this.scaleReplicaSet(state, only, desired);
      return;
    }
    if (isSaturated(d, state.fresh(newRs))) {
      for (const rs of activeReplicaSets(state.freshAll(oldReplicaSets))) await this.scaleReplicaSet(state, rs, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const steps = proportionalScale(d, state.fresh(newRs), state.freshAll(oldReplicaSets), d.status?.replicas ?? 0);
    await this.applySteps(state, steps);
  }

  private async rolloutRolling(state: SyncState, replicaSets: ReplicaSetObject[]): Promise<void> {
    const { newRs, oldReplicaSets } = await this.newAndOldReplicaSets(state, replicaSets, true);
    const d = state.deployment;
    const all = (): ReplicaSetObject[] => state.freshAll([...oldReplicaSets, newRs]);

    const grow = reconcileNewReplicaSet(d, all(), state.fresh(newRs)!);
    if (grow && (await this.scaleReplicaSet(state, grow.rs, grow.replicas))) {
      await this.syncRolloutStatus(state, all(), newRs);
      return;
    }

    if (totalSpecReplicas(state.freshAll(oldReplicaSets)) > 0) {
      const budget = oldScaleDownBudget(d, all(), state.fresh(newRs));
      if (budget > 0) {
        const unhealthy = cleanupUnhealthyReplicas(activeReplicaSets(state.freshAll(oldReplicaSets)), budget);
        let scaledDown = await this.applySteps(state, unhealthy);
        const rest = scaleDownOldForRollingUpdate(d, all(), activeReplicaSets(state.freshAll(oldReplicaSets)));
        scaledDown = (await this.applySteps(state, rest)) || scaledDown;
        if (scaledDown) {
          await this.syncRolloutStatus(state, all(), newRs);
          return;
        }
      }
    }

    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(state, oldReplicaSets);
    await this.syncRolloutStatus(state, all(), newRs);
  }

  private async rolloutRecreate(state: SyncState, replicaSets: ReplicaSetObject[]): Promise<void> {
    let { newRs, oldReplicaSets } = await this.newAndOldReplicaSets(state, replicaSets, false);
    const all = (): ReplicaSetObject[] => state.freshAll([...oldReplicaSets, newRs]);

    const emptyOld = activeReplicaSets(state.freshAll(oldReplicaSets)).map((rs) => ({ rs, replicas: 0 }));
    if (await this.applySteps(state, emptyOld)) {
      await this.syncRolloutStatus(state, all(), newRs);
      return;
    }
    if (this.oldPodsRunning(state, newRs, oldReplicaSets)) {
      await this.syncRolloutStatus(state, all(), newRs);
      return;
    }
    if (!newRs) ({ newRs, oldReplicaSets } = await this.newAndOldReplicaSets(state, replicaSets, true));
    const target = state.fresh(newRs)!;
    if (specReplicas(target) !== desiredReplicas(state.deployment) || replicasAnnotationsNeedUpdate(target, desiredReplicas(state.deployment), desiredReplicas(state.deployment))) {
      await this.scaleReplicaSet(state, target, desiredReplicas(state.deployment));
    }
    if (deploymentComplete(state.deployment, state.deployment.status ?? {})) await this.cleanup(state, oldReplicaSets);
    await this.syncRolloutStatus(state, all(), newRs);
  }

  /** Any old RS still reporting pods, or any non-finished pod of an old RS (terminating ones too). */
  private oldPodsRunning(state: SyncState, newRs: ReplicaSetObject | undefined, oldReplicaSets: ReplicaSetObject[]): boolean {
    if (totalStatusReplicas(state.freshAll(oldReplicaSets)) > 0) return true;
    const oldUids = new Set(oldReplicaSets.map((rs) => rs.metadata.uid));
    oldUids.delete(newRs?.metadata.uid);
    return this.pods
      .lister()
      .listNamespace(state.deployment.metadata.namespace ?? '')
      .some((pod) => oldUids.has(controllerRefOf(pod)?.uid) && !isPodTerminal(pod));
  }

  private async applySteps(state: SyncState, steps: ScaleStep<ReplicaSetObject>[]): Promise<boolean> {
    let scaled = false;
    for (const step of steps) {
      if (await this.scaleReplicaSet(state, state.fresh(step.rs), step.replicas)) scaled = true;
    }
    return scaled;
  }

  /** scaleReplicaSet: resizes and refreshes the desired/max annotations; true when the size changed. */
  private async scaleReplicaSet(state: SyncState, rs: ReplicaSetObject, replicas: number): Promise<boolean> {
    const d = state.deployment;
    const from = specReplicas(rs);
    const desired = desiredReplicas(d);
    const max = desired + maxSurge(d);
    const sizeChanged = from !== replicas;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec!, replicas };
    setReplicasAnnotations(copy, desired, max);
    state.remember((await this.ctx.client.update(REPLICASETS, copy)) as ReplicaSetObject);
    if (sizeChanged) {
      const direction = replicas > from ? 'up' : 'down';
      void this.ctx.recorder.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} to ${replicas} from ${from}`);
      this.ctx.reportAction(`Deployment ${keyOf(d)}: scaled ${direction} ReplicaSet ${rs.metadata.name} to ${replicas}`);
    }
    return sizeChanged;
  }

  /** cleanupDeployment: delete empty old RSs beyond revisionHistoryLimit. */
  private async cleanup(state: SyncState, oldReplicaSets: ReplicaSetObject[]): Promise<void> {
    for (const rs of replicaSetsToCleanUp(state.freshAll(oldReplicaSets), state.deployment.spec?.revisionHistoryLimit)) {
      try {
        await this.ctx.client.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid } });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  }

  private async syncRolloutStatus(state: SyncState, all: ReplicaSetObject[], newRs: ReplicaSetObject | undefined): Promise<void> {
    const now = new Date();
    const status = rolloutStatus(all, state.fresh(newRs), state.deployment, now);
    const written = await this.writeStatus(state, status);
    if (!written) {
      const wait = msUntilProgressCheck(state.deployment, status, now);
      if (wait !== undefined) this.queue.addAfter(keyOf(state.deployment), Math.max(wait, 100));
    }
  }

  /** The Deployment's revision annotation follows its new RS's. */
  private async setDeploymentRevision(state: SyncState, revision: string | undefined): Promise<void> {
    if (!revision || state.deployment.metadata.annotations?.[REVISION] === revision) return;
    const d = state.deployment;
    // Kubernetes writes this annotation with the status; here the status subresource
    // changes status only, so it goes through the object with a resourceVersion precondition.
    const patch = { metadata: { resourceVersion: d.metadata.resourceVersion, annotations: { [REVISION]: revision } } };
    state.deployment = (await this.ctx.client.patch(DEPLOYMENTS, d.metadata.namespace, d.metadata.name ?? '', patch, 'merge')) as DeploymentObject;
  }

  /** Writes the status when it differs; false when there was nothing to write. */
  private async writeStatus(state: SyncState, status: DeploymentStatus): Promise<boolean> {
    const d = state.deployment;
    if (jsonEqual(d.status ?? {}, status)) return false;
    try {
      state.deployment = (await this.ctx.client.updateStatus(DEPLOYMENTS, { ...d, status } as KubeObject)) as DeploymentObject;
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

function conditionsOf(state: SyncState): DeploymentCondition[] {
  return [...(state.deployment.status?.conditions ?? [])];
}

function selectorOf(d: Deployment): LabelSelector | undefined {
  try {
    return selectorFromLabelSelector(d.spec?.selector);
  } catch {
    return undefined;
  }
}

export const deploymentController: ControllerFactory = () => new DeploymentController();
