import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { byCreation, desiredReplicasAnnotation, maxReplicasAnnotation } from './deployment-revisions.ts';

// The arithmetic of a Deployment rollout (Kubernetes' deployment/util and rolling.go,
// recreate.go, sync.go), kept pure: each step reads the ReplicaSets and says which to
// scale to what; the controller performs the scaling. RollingUpdate never lets the
// available pods (by the RSs' status.availableReplicas) drop below
// replicas - maxUnavailable, nor the pods (by spec.replicas) exceed replicas + maxSurge.

/** An int or a percentage ("25%"), as maxSurge/maxUnavailable are written. */
export type IntOrString = number | string;

/** A decision: scale this ReplicaSet to `replicas`. */
export interface ScaleStep<R extends ReplicaSet = ReplicaSet> {
  rs: R;
  replicas: number;
}

export function specReplicas(rs: ReplicaSet | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

export function desiredReplicas(deployment: Deployment): number {
  return deployment.spec?.replicas ?? 1;
}

export function isRollingUpdate(deployment: Deployment): boolean {
  return (deployment.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** GetScaledValueFromIntOrPercent. */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (!match) {
    const asInt = Number(value);
    if (Number.isInteger(asInt)) return asInt;
    throw new Error(`invalid value for IntOrString: invalid value "${value}": must be an integer or a percentage such as "25%"`);
  }
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** ResolveFenceposts: surge rounds up, unavailable rounds down; both 0 would stall, so unavailable becomes 1. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(deployment: Deployment): number {
  if (!isRollingUpdate(deployment)) return 0;
  const rolling = deployment.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(rolling?.maxSurge, rolling?.maxUnavailable, desiredReplicas(deployment)).surge;
}

export function maxUnavailable(deployment: Deployment): number {
  const desired = desiredReplicas(deployment);
  if (!isRollingUpdate(deployment) || desired === 0) return 0;
  const rolling = deployment.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(rolling?.maxSurge, rolling?.maxUnavailable, desired);
  return Math.min(unavailable, desired);
}

const sum = (replicaSets: (ReplicaSet | undefined)[], count: (rs: ReplicaSet) => number): number =>
  replicaSets.reduce((total, rs) => total + (rs ? count(rs) : 0), 0);

/** GetReplicaCountForReplicaSets: pods asked for. */
export const totalSpecReplicas = (replicaSets: (ReplicaSet | undefined)[]): number => sum(replicaSets, specReplicas);
/** GetActualReplicaCountForReplicaSets: pods that exist. */
export const totalStatusReplicas = (replicaSets: (ReplicaSet | undefined)[]): number => sum(replicaSets, (rs) => rs.status?.replicas ?? 0);
export const totalReadyReplicas = (replicaSets: (ReplicaSet | undefined)[]): number => sum(replicaSets, (rs) => rs.status?.readyReplicas ?? 0);
export const totalAvailableReplicas = (replicaSets: (ReplicaSet | undefined)[]): number => sum(replicaSets, (rs) => rs.status?.availableReplicas ?? 0);
/**
 * Available pods a scale-down may count on: never more than a ReplicaSet asks for. Its
 * status lags a scale-down it was just given, and counting those pods as still there
 * would let the next step take one pod too many.
 */
export const availableForScaleDown = (rs: ReplicaSet | undefined): number => Math.min(rs?.status?.availableReplicas ?? 0, specReplicas(rs));

export function activeReplicaSets<R extends ReplicaSet>(replicaSets: (R | undefined)[]): R[] {
  return replicaSets.filter((rs): rs is R => !!rs && specReplicas(rs) > 0);
}

/** NewRSNewReplicas: how big the new RS may be now. */
export function newReplicaSetReplicas(deployment: Deployment, allReplicaSets: (ReplicaSet | undefined)[], newRs: ReplicaSet | undefined): number {
  const desired = desiredReplicas(deployment);
  if (!isRollingUpdate(deployment)) return desired;
  const current = totalSpecReplicas(allReplicaSets);
  const maxTotal = desired + maxSurge(deployment);
  if (current >= maxTotal) return specReplicas(newRs);
  const scaleUp = Math.min(maxTotal - current, desired - specReplicas(newRs));
  return specReplicas(newRs) + scaleUp;
}

/** reconcileNewReplicaSet: the new RS's next size, or undefined when it is already right. */
export function reconcileNewReplicaSet<R extends ReplicaSet>(deployment: Deployment, allReplicaSets: R[], newRs: R): ScaleStep<R> | undefined {
  const desired = desiredReplicas(deployment);
  const current = specReplicas(newRs);
  if (current === desired) return undefined;
  if (current > desired) return { rs: newRs, replicas: desired };
  const next = newReplicaSetReplicas(deployment, allReplicaSets, newRs);
  return next === current ? undefined : { rs: newRs, replicas: next };
}

/**
 * reconcileOldReplicaSets, first half (cleanupUnhealthyReplicas): old RSs' unavailable
 * pods go first, as far as the budget allows; they don't count toward availability.
 */
export function cleanupUnhealthyReplicas<R extends ReplicaSet>(oldReplicaSets: R[], budget: number): ScaleStep<R>[] {
  const steps: ScaleStep<R>[] = [];
  let scaledDown = 0;
  for (const rs of [...oldReplicaSets].sort(byCreation)) {
    if (scaledDown >= budget) break;
    const replicas = specReplicas(rs);
    const available = availableForScaleDown(rs);
    if (replicas === 0 || replicas <= available) continue;
    const count = Math.min(budget - scaledDown, replicas - available);
    steps.push({ rs, replicas: replicas - count });
    scaledDown += count;
  }
  return steps;
}

/** scaleDownOldReplicaSetsForRollingUpdate: scale down old RSs as far as minimum availability allows, oldest first. */
export function scaleDownOldForRollingUpdate<R extends ReplicaSet>(deployment: Deployment, allReplicaSets: R[], oldReplicaSets: R[]): ScaleStep<R>[] {
  const minAvailable = desiredReplicas(deployment) - maxUnavailable(deployment);
  const available = sum(allReplicaSets, availableForScaleDown);
  if (available <= minAvailable) return [];
  const total = available - minAvailable;
  const steps: ScaleStep<R>[] = [];
  let scaledDown = 0;
  for (const rs of [...oldReplicaSets].sort(byCreation)) {
    if (scaledDown >= total) break;
    const replicas = specReplicas(rs);
    if (replicas === 0) continue;
    const count = Math.min(replicas, total - scaledDown);
    steps.push({ rs, replicas: replicas - count });
    scaledDown += count;
  }
  return steps;
}

/** How many old pods may go now at most (maxScaledDown in reconcileOldReplicaSets). */
export function oldScaleDownBudget(deployment: Deployment, allReplicaSets: ReplicaSet[], newRs: ReplicaSet | undefined): number {
  const minAvailable = desiredReplicas(deployment) - maxUnavailable(deployment);
  const newUnavailable = specReplicas(newRs) - availableForScaleDown(newRs);
  return totalSpecReplicas(allReplicaSets) - minAvailable - newUnavailable;
}

/** FindActiveOrLatest: the only active RS, or when none is active the new (else newest old) one. */
export function activeOrLatest<R extends ReplicaSet>(newRs: R | undefined, oldReplicaSets: R[]): R | undefined {
  if (!newRs && oldReplicaSets.length === 0) return undefined;
  const sorted = [...oldReplicaSets].sort(byCreation).reverse();
  const all = newRs ? [newRs, ...sorted] : sorted;
  const active = activeReplicaSets(all);
  if (active.length === 1) return active[0];
  if (active.length === 0) return newRs ?? sorted[0];
  return undefined;
}

/** IsSaturated: the new RS has all replicas and they are all available. */
export function isSaturated(deployment: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  return specReplicas(rs) === desiredReplicas(deployment) && desired === desiredReplicas(deployment) && (rs.status?.availableReplicas ?? 0) === desiredReplicas(deployment);
}

/** isScalingEvent: some active RS was sized for a different spec.replicas. */
export function isScalingEvent(deployment: Deployment, replicaSets: (ReplicaSet | undefined)[]): boolean {
  return activeReplicaSets(replicaSets).some((rs) => {
    const desired = desiredReplicasAnnotation(rs);
    return desired !== undefined && desired !== desiredReplicas(deployment);
  });
}

/**
 * The proportional part of `scale` (sync.go): when a Deployment is resized mid-rollout,
 * the difference is spread over the active RSs in proportion to their size (larger and
 * newer RSs first when growing, older first when shrinking); leftovers go to the first.
 */
export function proportionalScale<R extends ReplicaSet>(deployment: Deployment, newRs: R | undefined, oldReplicaSets: R[], deploymentStatusReplicas: number): ScaleStep<R>[] {
  const all = activeReplicaSets<R>([...oldReplicaSets, newRs]);
  const allReplicas = totalSpecReplicas(all);
  const desired = desiredReplicas(deployment);
  const allowed = desired > 0 ? desired + maxSurge(deployment) : 0;
  const toAdd = allowed - allReplicas;
  if (toAdd === 0 || all.length === 0) return [];
  const bySize = (a: R, b: R): number => {
    const diff = specReplicas(b) - specReplicas(a);
    if (diff !== 0) return diff;
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  };
  const sorted = [...all].sort(bySize);
  const sizes = new Map<R, number>();
  let added = 0;
  for (const rs of sorted) {
    const proportion = proportionOf(rs, deployment, toAdd, added, deploymentStatusReplicas);
    sizes.set(rs, specReplicas(rs) + proportion);
    added += proportion;
  }
  const leftover = toAdd - added;
  if (leftover !== 0) {
    const first = sorted[0];
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + leftover));
  }
  return sorted.map((rs) => ({ rs, replicas: sizes.get(rs) ?? specReplicas(rs) }));
}

function proportionOf(rs: ReplicaSet, deployment: Deployment, toAdd: number, added: number, statusReplicas: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, deployment, statusReplicas);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, deployment: Deployment, statusReplicas: number): number {
  const desired = desiredReplicas(deployment);
  if (desired === 0) return -specReplicas(rs);
  const deploymentReplicas = desired + maxSurge(deployment);
  const annotated = maxReplicasAnnotation(rs) ?? statusReplicas;
  if (!annotated) return 0;
  return Math.round((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}
