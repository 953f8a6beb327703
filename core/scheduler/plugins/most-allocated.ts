import { MAX_NODE_SCORE, type ScorePlugin } from '../framework.ts';
import { meanResourceScore, resourceUseWithPod } from './resource-allocation.ts';

// NodeResourcesFit scoring, MostAllocated (bin packing): the fuller the node with the
// pod on it, the better; a node is filled before the next one is used.

export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  // Request-less pods count a minimum request, so a node may seem over-full; cap it.
  return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

export const mostAllocated = {
  name: 'NodeResourcesFit',
  score(_state, pod, nodeInfo): number {
    return meanResourceScore(resourceUseWithPod(pod, nodeInfo, true), (u) => mostRequestedScore(u.requested, u.allocatable));
  },
} satisfies ScorePlugin;
