import type { Pod } from 'kubernetes-types/core/v1.js';
import { podRequests, type NodeInfo } from '../node-info.ts';

// The inputs of the allocation scorers (Kubernetes' resourceAllocationScorer): per
// resource (cpu, memory; weight 1 each) what the node would have requested with the
// pod on it, and its allocatable.

export interface ResourceUse {
  requested: number;
  allocatable: number;
}

/**
 * `nonZero` (least/most allocated) counts request-less containers as 100m / 200Mi so
 * that such pods still spread; balanced allocation uses the plain requests.
 */
export function resourceUseWithPod(pod: Pod, nodeInfo: NodeInfo, nonZero: boolean): ResourceUse[] {
  const forPod = podRequests(pod, { nonMissing: nonZero });
  const node = nonZero ? nodeInfo.nonZeroRequested : nodeInfo.requested;
  return [
    { requested: node.milliCpu + forPod.milliCpu, allocatable: nodeInfo.allocatable.milliCpu },
    { requested: node.memory + forPod.memory, allocatable: nodeInfo.allocatable.memory },
  ];
}

/** Weighted mean (integer, like Kubernetes' int64 arithmetic) of per-resource scores, skipping resources the node has none of. */
export function meanResourceScore(uses: readonly ResourceUse[], scoreOf: (use: ResourceUse) => number): number {
  let total = 0;
  let weights = 0;
  for (const use of uses) {
    if (use.allocatable === 0) continue;
    total += scoreOf(use);
    weights += 1;
  }
  return weights === 0 ? 0 : Math.trunc(total / weights);
}
