import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { findCondition, removeCondition, rfc3339, setCondition } from './controller-utils.ts';
import {
  desiredReplicas,
  maxUnavailable,
  totalAvailableReplicas,
  totalReadyReplicas,
  totalSpecReplicas,
  totalStatusReplicas,
} from './deployment-rollout.ts';

// A Deployment's status and conditions (Kubernetes' sync.go and progress.go): counts
// summed over its ReplicaSets; Available says whether replicas - maxUnavailable pods are
// available; Progressing says whether the rollout moves, finished (NewReplicaSetAvailable)
// or missed its progressDeadlineSeconds (ProgressDeadlineExceeded). `kubectl rollout
// status` reads exactly these.

export const AVAILABLE = 'Available';
export const PROGRESSING = 'Progressing';
export const REPLICA_FAILURE = 'ReplicaFailure';
export const REASON = {
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  replicaSetCreateError: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
} as const;

/** progressDeadlineSeconds set and not MaxInt32 (Kubernetes' "no deadline"). */
export function hasProgressDeadline(deployment: Deployment): boolean {
  const deadline = deployment.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== null && deadline !== 2147483647;
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: Date): DeploymentCondition {
  const time = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: time, lastTransitionTime: time };
}

export function conditionsOf(status: DeploymentStatus | undefined): DeploymentCondition[] {
  return [...(status?.conditions ?? [])];
}

/** calculateStatus: counts over all ReplicaSets, the Available condition, other conditions kept. */
export function calculateStatus(allReplicaSets: (ReplicaSet | undefined)[], newRs: ReplicaSet | undefined, deployment: Deployment, now: Date): DeploymentStatus {
  const available = totalAvailableReplicas(allReplicaSets);
  const unavailable = Math.max(0, totalSpecReplicas(allReplicaSets) - available);
  let conditions = conditionsOf(deployment.status);
  if (available >= desiredReplicas(deployment) - maxUnavailable(deployment)) {
    conditions = setCondition(conditions, newCondition(AVAILABLE, 'True', REASON.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    conditions = setCondition(conditions, newCondition(AVAILABLE, 'False', REASON.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  const status: DeploymentStatus = {
    observedGeneration: deployment.metadata?.generation ?? 0,
    replicas: totalStatusReplicas(allReplicaSets),
    updatedReplicas: totalStatusReplicas([newRs]),
    readyReplicas: totalReadyReplicas(allReplicaSets),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    conditions,
  };
  if (deployment.status?.collisionCount !== undefined) status.collisionCount = deployment.status.collisionCount;
  return status;
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(deployment: Deployment, status: DeploymentStatus): boolean {
  const desired = desiredReplicas(deployment);
  return (
    (status.updatedReplicas ?? 0) === desired &&
    (status.replicas ?? 0) === desired &&
    (status.availableReplicas ?? 0) === desired &&
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, fewer old, or more ready/available pods than last time. */
export function deploymentProgressing(deployment: Deployment, status: DeploymentStatus): boolean {
  const old = deployment.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: no progress since the Progressing condition's lastUpdateTime + deadline. */
export function deploymentTimedOut(deployment: Deployment, status: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(deployment)) return false;
  const condition = findCondition(status.conditions, PROGRESSING);
  if (!condition) return false;
  if (condition.reason === REASON.newReplicaSetAvailable) return false;
  if (condition.reason === REASON.progressDeadlineExceeded) return true;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + (deployment.spec?.progressDeadlineSeconds ?? 0) * 1000 < now.getTime();
}

/**
 * syncRolloutStatus' conditions: Progressing from completion, progress or the deadline,
 * and ReplicaFailure copied from the new RS.
 */
export function rolloutStatus(allReplicaSets: (ReplicaSet | undefined)[], newRs: ReplicaSet | undefined, deployment: Deployment, now: Date): DeploymentStatus {
  const status = calculateStatus(allReplicaSets, newRs, deployment, now);
  let conditions = status.conditions ?? [];
  if (!hasProgressDeadline(deployment)) conditions = removeCondition(conditions, PROGRESSING);
  const current = findCondition(deployment.status?.conditions, PROGRESSING);
  const complete = status.replicas === status.updatedReplicas && current?.reason === REASON.newReplicaSetAvailable;
  if (hasProgressDeadline(deployment) && !complete) {
    const subject = newRs ? `ReplicaSet "${newRs.metadata?.name}"` : `Deployment "${deployment.metadata?.name}"`;
    if (deploymentComplete(deployment, status)) {
      conditions = setCondition(conditions, newCondition(PROGRESSING, 'True', REASON.newReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(deployment, status)) {
      const condition = newCondition(PROGRESSING, 'True', REASON.replicaSetUpdated, `${subject} is progressing.`, now);
      if (current?.status === 'True' && current.lastTransitionTime) condition.lastTransitionTime = current.lastTransitionTime;
      // Removed first so lastUpdateTime moves: progress restarts the deadline.
      conditions = [...removeCondition(conditions, PROGRESSING), condition];
    } else if (deploymentTimedOut(deployment, { ...status, conditions }, now)) {
      conditions = setCondition(conditions, newCondition(PROGRESSING, 'False', REASON.progressDeadlineExceeded, `${subject} has timed out progressing.`, now));
    }
  }
  const failure = newRs ? findCondition(newRs.status?.conditions, REPLICA_FAILURE) : undefined;
  if (failure?.status === 'True') {
    conditions = setCondition(conditions, {
      type: REPLICA_FAILURE,
      status: 'True',
      reason: failure.reason,
      message: failure.message,
      lastTransitionTime: failure.lastTransitionTime,
      lastUpdateTime: failure.lastTransitionTime,
    });
  } else {
    conditions = removeCondition(conditions, REPLICA_FAILURE);
  }
  return { ...status, conditions };
}

/** requeueStuckDeployment: ms until the deadline should be checked again, or undefined when nothing is pending. */
export function msUntilProgressCheck(deployment: Deployment, status: DeploymentStatus, now: Date): number | undefined {
  const condition = findCondition(status.conditions, PROGRESSING);
  if (!hasProgressDeadline(deployment) || !condition) return undefined;
  if (deploymentComplete(deployment, status) || condition.reason === REASON.progressDeadlineExceeded) return undefined;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return undefined;
  const after = from + (deployment.spec?.progressDeadlineSeconds ?? 0) * 1000 - now.getTime();
  return after < 1000 ? 0 : after + 1000;
}

/** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed; undefined when unchanged. */
export function pausedConditions(deployment: Deployment, now: Date): DeploymentCondition[] | undefined {
  if (!hasProgressDeadline(deployment)) return undefined;
  const conditions = conditionsOf(deployment.status);
  const current = findCondition(conditions, PROGRESSING);
  if (current?.reason === REASON.progressDeadlineExceeded) return undefined;
  const pausedShown = current?.reason === REASON.paused;
  if (deployment.spec?.paused && !pausedShown) {
    return setCondition(conditions, newCondition(PROGRESSING, 'Unknown', REASON.paused, 'Deployment is paused', now));
  }
  if (!deployment.spec?.paused && pausedShown) {
    return setCondition(conditions, newCondition(PROGRESSING, 'Unknown', REASON.resumed, 'Deployment is resumed', now));
  }
  return undefined;
}
