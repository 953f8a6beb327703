import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../../core/api/errors.ts';
import type { ResourceInfo } from '../../../core/api/resource-catalog.ts';
import type { RestClient } from '../../../core/client/rest-client.ts';
import { KINDS } from '../api/resources.ts';

// What the workloads view shows per object (desired / ready / available, job progress,
// cron state) and how a drag of the replica handle becomes a write: through the scale
// subresource, the way `kubectl scale` does it, with the read resourceVersion as the
// precondition so a concurrent change is noticed instead of overwritten.

export interface ReplicaCounts {
  desired: number;
  ready: number;
  available: number;
}

/** What one row of the workloads view shows (WorkloadRow's props). */
export interface WorkloadRowProps {
  kind: string;
  resource: string;
  namespace: string;
  name: string;
  labels: Record<string, string> | undefined;
  images: readonly string[];
  counts?: ReplicaCounts;
  scalable?: boolean;
  nested?: boolean;
  ownerName?: string;
  rolloutLink?: boolean;
}

export interface JobCounts {
  completions: number;
  succeeded: number;
  failed: number;
  active: number;
}

export interface CronJobSummary {
  schedule: string;
  suspend: boolean;
  lastScheduleTime: string | undefined;
  active: number;
}

export function deploymentCounts(deployment: Deployment): ReplicaCounts {
  return {
    desired: deployment.spec?.replicas ?? 1,
    ready: deployment.status?.readyReplicas ?? 0,
    available: deployment.status?.availableReplicas ?? 0,
  };
}

export function replicaSetCounts(replicaSet: ReplicaSet): ReplicaCounts {
  return {
    desired: replicaSet.spec?.replicas ?? 1,
    ready: replicaSet.status?.readyReplicas ?? 0,
    available: replicaSet.status?.availableReplicas ?? 0,
  };
}

export function daemonSetCounts(daemonSet: DaemonSet): ReplicaCounts {
  return {
    desired: daemonSet.status?.desiredNumberScheduled ?? 0,
    ready: daemonSet.status?.numberReady ?? 0,
    available: daemonSet.status?.numberAvailable ?? 0,
  };
}

export function jobCounts(job: Job): JobCounts {
  return {
    completions: job.spec?.completions ?? 1,
    succeeded: job.status?.succeeded ?? 0,
    failed: job.status?.failed ?? 0,
    active: job.status?.active ?? 0,
  };
}

export function cronJobSummary(cronJob: CronJob): CronJobSummary {
  return {
    schedule: cronJob.spec?.schedule ?? '',
    suspend: cronJob.spec?.suspend ?? false,
    lastScheduleTime: cronJob.status?.lastScheduleTime,
    active: cronJob.status?.active?.length ?? 0,
  };
}

export function templateImages(template: PodTemplateSpec | undefined): string[] {
  const spec = template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image ?? '').filter(Boolean);
}

interface Owned {
  metadata?: { ownerReferences?: readonly { kind: string; name: string; controller?: boolean }[] };
}

/** The name of the object's controlling owner of `kind`, if any. */
export function controllerName(obj: Owned, kind: string): string | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller && ref.kind === kind)?.name;
}

/** ReplicaSets under their Deployment (`namespace/name` keys), and the ones no Deployment controls. */
export function groupReplicaSets<T extends ReplicaSet>(replicaSets: Iterable<T>): { byDeployment: Map<string, T[]>; standalone: T[] } {
  const byDeployment = new Map<string, T[]>();
  const standalone: T[] = [];
  for (const replicaSet of replicaSets) {
    const owner = controllerName(replicaSet, 'Deployment');
    if (!owner) {
      standalone.push(replicaSet);
      continue;
    }
    const key = `${replicaSet.metadata?.namespace ?? 'default'}/${owner}`;
    let list = byDeployment.get(key);
    if (!list) byDeployment.set(key, (list = []));
    list.push(replicaSet);
  }
  return { byDeployment, standalone };
}

/** The highest slot on a replica track: room to grow by at least five, and never fewer than ten. */
export function maxReplicaSlot(desired: number): number {
  return Math.max(10, desired + 5);
}

// ---- scaling --------------------------------------------------------------------------

export type ScalableKind = 'Deployment' | 'ReplicaSet';

export interface ScaleTarget {
  kind: ScalableKind;
  namespace: string;
  name: string;
}

export type ScaleClient = Pick<RestClient, 'getScale' | 'updateScale'>;

const SCALE_INFO: Record<ScalableKind, ResourceInfo> = {
  Deployment: KINDS.deployments,
  ReplicaSet: KINDS.replicasets,
};

export function kubectlScaleCommand(target: ScaleTarget, replicas: number): string {
  return `kubectl scale ${target.kind.toLowerCase()}/${target.name} --replicas=${replicas} -n ${target.namespace}`;
}

/**
 * Reads the scale subresource, sets spec.replicas and writes it back with the read
 * resourceVersion. A 409 (someone changed the object in between) re-reads and tries once more.
 * Resolves to the replica count before the write, which is what an undo restores.
 */
export async function commitScale(client: ScaleClient, target: ScaleTarget, replicas: number): Promise<{ previous: number }> {
  const info = SCALE_INFO[target.kind];
  for (let attempt = 0; ; attempt++) {
    const current: Scale = await client.getScale(info, target.namespace, target.name);
    const previous = current.spec?.replicas ?? 0;
    const next: Scale = {
      ...current,
      apiVersion: current.apiVersion ?? 'autoscaling/v1',
      kind: current.kind ?? 'Scale',
      spec: { ...current.spec, replicas },
    };
    try {
      await client.updateScale(info, target.namespace, target.name, next);
      return { previous };
    } catch (error) {
      if (attempt === 0 && error instanceof ApiError && error.code === 409) continue;
      throw error;
    }
  }
}

export interface ScaleFeedback {
  client: ScaleClient;
  showKubectl: (command: string) => void;
  toast: (message: string, options?: { kind?: 'info' | 'error'; action?: { label: string; run: () => void | Promise<void> } }) => unknown;
  /** Localised texts: the done message, the undo button, an error. */
  scaledMessage: (target: ScaleTarget, from: number, to: number) => string;
  undoLabel: string;
  errorMessage: (target: ScaleTarget, message: string) => string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Scales, shows the kubectl equivalent, and toasts the result with an Undo that scales
 * back to the count read before the write. Resolves false (after an error toast) on failure.
 */
export async function scaleWithUndo(feedback: ScaleFeedback, target: ScaleTarget, replicas: number): Promise<boolean> {
  feedback.showKubectl(kubectlScaleCommand(target, replicas));
  let previous: number;
  try {
    ({ previous } = await commitScale(feedback.client, target, replicas));
  } catch (error) {
    feedback.toast(feedback.errorMessage(target, errorText(error)), { kind: 'error' });
    return false;
  }
  if (previous === replicas) return true;
  feedback.toast(feedback.scaledMessage(target, previous, replicas), {
    action: {
      label: feedback.undoLabel,
      run: async () => {
        feedback.showKubectl(kubectlScaleCommand(target, previous));
        try {
          await commitScale(feedback.client, target, previous);
        } catch (error) {
          feedback.toast(feedback.errorMessage(target, errorText(error)), { kind: 'error' });
        }
      },
    },
  });
  return true;
}
