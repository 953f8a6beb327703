import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import type { LabelSelector } from '../api/label-selector.ts';
import type { ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';
import { controllerReferenceTo, controllerRefOf } from './pod-control.ts';

// Pieces of Kubernetes' controller_utils.go and controller_ref_manager.go shared by the
// ReplicaSet and Deployment controllers: pod states, the scale-down order, adopting
// orphans and releasing what no longer matches, and status conditions.

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** controller.IsPodActive: not finished and not being deleted. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** podutil.IsPodAvailable: Ready for at least minReadySeconds. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const condition = readyCondition(pod);
  if (condition?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(condition.lastTransitionTime ?? '');
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Seconds until a ready pod becomes available, or undefined when it is not ready or already available. */
export function secondsUntilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  const condition = readyCondition(pod);
  if (condition?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = Date.parse(condition.lastTransitionTime ?? '');
  if (Number.isNaN(since)) return undefined;
  const remaining = since + minReadySeconds * 1000 - now;
  return remaining > 0 ? remaining / 1000 : undefined;
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

function time(value: string | undefined): number {
  const parsed = Date.parse(value ?? '');
  return Number.isNaN(parsed) ? 0 : parsed;
}

/**
 * ActivePodsWithRanks' Less: the pods to delete first come first. Unassigned before
 * assigned, Pending before Unknown before Running, not ready before ready, lower
 * pod-deletion-cost first, more pods of the same owner on its node first (spreads what
 * remains), ready for less time first, more restarts first, newer first.
 */
export function compareForDeletion(a: Pod, b: Pod, rankOf: (pod: Pod) => number = () => 0): number {
  const assignedA = a.spec?.nodeName ? 1 : 0;
  const assignedB = b.spec?.nodeName ? 1 : 0;
  if (assignedA !== assignedB) return assignedA - assignedB;
  const phaseA = PHASE_ORDER[a.status?.phase ?? 'Pending'] ?? 0;
  const phaseB = PHASE_ORDER[b.status?.phase ?? 'Pending'] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(a) ? 1 : 0;
  const readyB = isPodReady(b) ? 1 : 0;
  if (readyA !== readyB) return readyA - readyB;
  const costA = Number(a.metadata?.annotations?.[DELETION_COST] ?? 0) || 0;
  const costB = Number(b.metadata?.annotations?.[DELETION_COST] ?? 0) || 0;
  if (costA !== costB) return costA - costB;
  const rankA = rankOf(a);
  const rankB = rankOf(b);
  if (rankA !== rankB) return rankB - rankA;
  if (readyA && readyB) {
    const readySinceA = time(readyCondition(a)?.lastTransitionTime);
    const readySinceB = time(readyCondition(b)?.lastTransitionTime);
    if (readySinceA !== readySinceB) return readySinceB - readySinceA;
  }
  const restartsA = maxRestarts(a);
  const restartsB = maxRestarts(b);
  if (restartsA !== restartsB) return restartsB - restartsA;
  return time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp);
}

/** getPodsToDelete: the `count` pods to remove, ranked by how many of `relatedPods` share their node. */
export function podsToDelete<P extends Pod>(pods: P[], relatedPods: Pod[], count: number): P[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const pod of relatedPods) {
    const node = pod.spec?.nodeName;
    if (node && isPodActive(pod)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rankOf = (pod: Pod): number => (pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, rankOf)).slice(0, count);
}

export interface ClaimOptions<T extends KubeObject> {
  client: RestClient;
  info: ResourceInfo;
  owner: KubeObject;
  selector: LabelSelector;
  candidates: T[];
  /** RecheckDeletionTimestamp: a fresh read of the owner before the first adoption. */
  canAdopt: () => Promise<boolean>;
}

/**
 * ControllerRefManager.ClaimObjects: returns the candidates this owner controls after
 * adopting matching orphans (only while the owner is not being deleted) and releasing
 * owned objects whose labels no longer match. Objects controlled by others are left alone.
 */
export async function claimObjects<T extends KubeObject>(options: ClaimOptions<T>): Promise<T[]> {
  const { owner, selector } = options;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  let adoptable: boolean | undefined;
  for (const obj of options.candidates) {
    const ref = controllerRefOf(obj);
    const matches = selector.matches(obj.metadata.labels ?? {});
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      try {
        await setOwnerReferences(options, obj, (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid));
      } catch (error) {
        if (!isNotFound(error)) errors.push(error);
      }
      continue;
    }
    if (ownerDeleting || !matches || obj.metadata.deletionTimestamp) continue;
    adoptable ??= await options.canAdopt();
    if (!adoptable) continue;
    try {
      const adopted = await setOwnerReferences(options, obj, [...(obj.metadata.ownerReferences ?? []), controllerReferenceTo(owner)]);
      claimed.push(adopted as T);
    } catch (error) {
      if (!isNotFound(error)) errors.push(error);
    }
  }
  if (errors.length) throw errors[0];
  return claimed;
}

/** A merge patch whose uid and resourceVersion are preconditions: a changed object makes it fail with 409. */
async function setOwnerReferences<T extends KubeObject>(options: ClaimOptions<T>, obj: T, ownerReferences: unknown[]): Promise<KubeObject> {
  const patch = {
    metadata: {
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      ownerReferences: ownerReferences.length ? ownerReferences : null,
    },
  };
  return options.client.patch(options.info, obj.metadata.namespace, obj.metadata.name ?? keyOf(obj), patch, 'merge');
}

/** A fresh read of the owner: adopt only if it still exists with this uid and is not being deleted. */
export function recheckOwner(client: RestClient, info: ResourceInfo, owner: KubeObject): () => Promise<boolean> {
  return async () => {
    try {
      const fresh = await client.get(info, owner.metadata.namespace, owner.metadata.name ?? '');
      return fresh.metadata.uid === owner.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  };
}

export interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export function findCondition<C extends StatusCondition>(conditions: C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition / SetCondition: no change when status and reason are the same;
 * the transition time is kept while the status stays.
 */
export function setCondition<C extends StatusCondition>(conditions: C[], condition: C): C[] {
  const current = findCondition(conditions, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return conditions;
  const next = { ...condition };
  if (current && current.status === condition.status && current.lastTransitionTime) next.lastTransitionTime = current.lastTransitionTime;
  return [...conditions.filter((c) => c.type !== condition.type), next];
}

export function removeCondition<C extends StatusCondition>(conditions: C[], type: string): C[] {
  return conditions.filter((c) => c.type !== type);
}

/** RFC 3339 without fractions, as Kubernetes writes metav1.Time. */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Order-independent deep equality of JSON values (what the API server stores). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
