import { MAX_NODE_SCORE, type ScorePlugin } from '../framework.ts';
import { meanResourceScore, resourceUseWithPod } from './resource-allocation.ts';

// NodeResourcesFit scoring, LeastAllocated (the default): the more of the node stays
// free with the pod on it, the better; pods spread over nodes.

export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export const leastAllocated = {
  name: 'NodeResourcesFit',
  score(_state, pod, nodeInfo): number {
    return meanResourceScore(resourceUseWithPod(pod, nodeInfo, true), (u) => leastRequestedScore(u.requested, u.allocatable));
  },
} satisfies ScorePlugin;
