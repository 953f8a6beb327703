import type { KubeObject } from '../../../core/api/kube-object.ts';

// The count beside the selector bar: how many pods and how many workloads the label
// filter lets through. Workloads match by their own metadata.labels, as
// `kubectl get deployments -l ...` does, not by their pod template.

export const WORKLOAD_KINDS = ['deployments', 'replicasets', 'daemonsets', 'jobs', 'cronjobs'] as const;

export interface FilterCount {
  pods: number;
  workloads: number;
}

type Matches = (labels: Record<string, string> | undefined) => boolean;

function countMatching(objects: Iterable<KubeObject>, matches: Matches): number {
  let count = 0;
  for (const obj of objects) if (matches(obj.metadata?.labels)) count++;
  return count;
}

export function countFilterMatches(matches: Matches, pods: Iterable<KubeObject>, workloads: Iterable<KubeObject>[]): FilterCount {
  return { pods: countMatching(pods, matches), workloads: workloads.reduce((sum, list) => sum + countMatching(list, matches), 0) };
}
