import type { Deployment, DeploymentCondition, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Operation } from 'fast-json-patch';
import {
  CHANGE_CAUSE,
  DESIRED_REPLICAS,
  equalIgnoreHash,
  findNewReplicaSet,
  MAX_REPLICAS,
  POD_TEMPLATE_HASH,
  REVISION,
  REVISION_HISTORY,
  revisionOf,
} from '../../../core/controllers/deployment-revisions.ts';

// A Deployment's rollout history as `kubectl rollout history` shows it (one revision per
// ReplicaSet it controls), and what `kubectl rollout undo --to-revision=N` sends: kubectl's
// DeploymentRollbacker (polymorphichelpers/rollback.go) JSON-patches the Deployment's
// spec.template to the ReplicaSet's template minus its pod-template-hash label, and its
// annotations to the ReplicaSet's (change-cause among them) while keeping the
// Deployment's own bookkeeping annotations.

export interface Revision {
  revision: number;
  replicaSet: string;
  images: string[];
  changeCause: string | undefined;
  replicas: number;
  readyReplicas: number;
  created: string | undefined;
  /** The ReplicaSet whose template the Deployment runs now. */
  current: boolean;
}

export class RolloutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutError';
  }
}

/** The ReplicaSets the Deployment controls (its controller owner reference). */
export function ownedReplicaSets<R extends ReplicaSet>(deployment: Deployment, replicaSets: readonly R[]): R[] {
  const uid = deployment.metadata?.uid;
  const namespace = deployment.metadata?.namespace;
  return replicaSets.filter(
    (rs) =>
      rs.metadata?.namespace === namespace &&
      (rs.metadata?.ownerReferences ?? []).some((ref) => ref.controller && ref.kind === 'Deployment' && (uid ? ref.uid === uid : ref.name === deployment.metadata?.name)),
  );
}

/** Newest revision first. */
export function rolloutRevisions(deployment: Deployment, replicaSets: readonly ReplicaSet[]): Revision[] {
  const owned = ownedReplicaSets(deployment, replicaSets);
  const current = findNewReplicaSet(deployment, owned);
  return owned
    .filter((rs) => revisionOf(rs) > 0)
    .map((rs) => ({
      revision: revisionOf(rs),
      replicaSet: rs.metadata?.name ?? '',
      images: (rs.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? ''),
      changeCause: rs.metadata?.annotations?.[CHANGE_CAUSE],
      replicas: rs.status?.replicas ?? 0,
      readyReplicas: rs.status?.readyReplicas ?? 0,
      created: rs.metadata?.creationTimestamp,
      current: current !== undefined && rs.metadata?.uid === current.metadata?.uid && rs.metadata?.name === current.metadata?.name,
    }))
    .sort((a, b) => b.revision - a.revision);
}

// annotationsToSkip: the Deployment keeps its own values of these.
const KEPT_FROM_DEPLOYMENT = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
];

/** The annotations the Deployment gets on rollback (kubectl's getPatchAnnotations). */
export function rollbackAnnotations(deployment: Deployment, rs: ReplicaSet): Record<string, string> {
  const merged: Record<string, string> = {};
  const own = deployment.metadata?.annotations ?? {};
  for (const key of KEPT_FROM_DEPLOYMENT) if (key in own) merged[key] = own[key];
  for (const [key, value] of Object.entries(rs.metadata?.annotations ?? {})) {
    if (!KEPT_FROM_DEPLOYMENT.includes(key)) merged[key] = value;
  }
  return merged;
}

/**
 * The JSON patch of `kubectl rollout undo deployment/NAME --to-revision=N`. Throws
 * RolloutError as kubectl refuses: a paused Deployment, an unknown revision, or a
 * revision whose template the Deployment already runs.
 */
export function rollbackPatch(deployment: Deployment, replicaSets: readonly ReplicaSet[], toRevision: number): Operation[] {
  if (deployment.spec?.paused) {
    throw new RolloutError("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
  }
  const rs = ownedReplicaSets(deployment, replicaSets).find((candidate) => revisionOf(candidate) === toRevision);
  if (!rs) throw new RolloutError(`unable to find the specified revision ${toRevision}`);
  if (equalIgnoreHash(rs.spec?.template, deployment.spec?.template)) {
    throw new RolloutError(`skipped rollback (current template already matches revision ${toRevision})`);
  }
  const template = structuredClone(rs.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH];
  return [
    { op: 'replace', path: '/spec/template', value: template },
    // kubectl replaces; "add" does the same on an existing member and also works when the Deployment has none.
    { op: deployment.metadata?.annotations ? 'replace' : 'add', path: '/metadata/annotations', value: rollbackAnnotations(deployment, rs) },
  ];
}

/** `kubectl rollout pause|resume`: a merge patch of spec.paused. */
export function pausePatch(paused: boolean): { spec: { paused: boolean | null } } {
  return { spec: { paused: paused ? true : null } };
}

export interface RolloutStatus {
  desired: number;
  updated: number;
  ready: number;
  available: number;
  paused: boolean;
  progressing: DeploymentCondition | undefined;
  availableCondition: DeploymentCondition | undefined;
  /** What `kubectl rollout status` would print now. */
  summary: string;
  done: boolean;
}

/** kubectl's DeploymentStatusViewer, as one line. */
export function rolloutStatus(deployment: Deployment): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const conditions = status.conditions ?? [];
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const availableCondition = conditions.find((c) => c.type === 'Available');
  const base = { desired, updated, ready: status.readyReplicas ?? 0, available, paused: !!deployment.spec?.paused, progressing, availableCondition };
  const observed = (deployment.metadata?.generation ?? 0) <= (status.observedGeneration ?? 0);
  let summary: string;
  let done = false;
  if (!observed) summary = 'Waiting for deployment spec update to be observed...';
  else if (progressing?.reason === 'ProgressDeadlineExceeded') summary = `deployment "${name}" exceeded its progress deadline`;
  else if (updated < desired) summary = `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`;
  else if (replicas > updated) summary = `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`;
  else if (available < updated) summary = `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`;
  else {
    summary = `deployment "${name}" successfully rolled out`;
    done = true;
  }
  return { ...base, summary, done };
}

export function rollbackCommand(namespace: string, name: string, revision: number): string {
  return `kubectl rollout undo deployment/${name} -n ${namespace} --to-revision=${revision}`;
}

export function pauseCommand(namespace: string, name: string, paused: boolean): string {
  return `kubectl rollout ${paused ? 'pause' : 'resume'} deployment/${name} -n ${namespace}`;
}

export function historyCommand(namespace: string, name: string): string {
  return `kubectl rollout history deployment/${name} -n ${namespace}`;
}
