import { MAX_NODE_SCORE, type ScorePlugin } from '../framework.ts';
import { resourceUseWithPod, type ResourceUse } from './resource-allocation.ts';

// NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in
// the same proportion with the pod on them, so neither runs out while the other idles.

export function balancedScore(uses: readonly ResourceUse[]): number {
  const fractions = uses.filter((u) => u.allocatable !== 0).map((u) => Math.min(u.requested / u.allocatable, 1));
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0] - fractions[1]) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((sum, f) => sum + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export const balancedAllocation = {
  name: 'NodeResourcesBalancedAllocation',
  score(_state, pod, nodeInfo): number {
    return balancedScore(resourceUseWithPod(pod, nodeInfo, false));
  },
} satisfies ScorePlugin;
