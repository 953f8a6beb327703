import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { podHealth, type PodHealth } from '../../model/pod-health.ts';

// The header's one-glance answer to "is my cluster all right?": nodes Ready, pods by
// health, and workloads whose ready copies fall short of what they ask for.

export const UNHEALTHY_POD_STATES: readonly PodHealth[] = ['unready', 'crashloop', 'failed'];

export interface ClusterHealth {
  nodes: { ready: number; total: number };
  pods: Partial<Record<PodHealth, number>>;
  /** Deployments, DaemonSets and ReplicaSets not owned by a Deployment, below their desired count. */
  workloadsBehind: number;
  unhealthy: boolean;
}

export function nodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function behind(desired: number | undefined, ready: number | undefined): boolean {
  return (ready ?? 0) < (desired ?? 0);
}

export function clusterHealth(input: {
  nodes: readonly Node[];
  pods: readonly Pod[];
  deployments: readonly Deployment[];
  replicasets: readonly ReplicaSet[];
  daemonsets: readonly DaemonSet[];
}): ClusterHealth {
  const pods: Partial<Record<PodHealth, number>> = {};
  for (const pod of input.pods) {
    const state = podHealth(pod);
    pods[state] = (pods[state] ?? 0) + 1;
  }
  const ready = input.nodes.filter(nodeReady).length;
  // A Deployment's ReplicaSets are counted through the Deployment.
  const workloadsBehind =
    input.deployments.filter((d) => behind(d.spec?.replicas ?? 1, d.status?.readyReplicas)).length +
    input.replicasets.filter((r) => !r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment') && behind(r.spec?.replicas ?? 1, r.status?.readyReplicas)).length +
    input.daemonsets.filter((d) => behind(d.status?.desiredNumberScheduled, d.status?.numberReady)).length;
  const unhealthy = ready < input.nodes.length || workloadsBehind > 0 || UNHEALTHY_POD_STATES.some((state) => (pods[state] ?? 0) > 0);
  return { nodes: { ready, total: input.nodes.length }, pods, workloadsBehind, unhealthy };
}
