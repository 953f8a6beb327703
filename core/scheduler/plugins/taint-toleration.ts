import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { defaultNormalizeScore, SUCCESS, unresolvable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.ts';

// Taints keep pods away from nodes unless the pod tolerates them: NoSchedule and
// NoExecute taints filter, PreferNoSchedule taints only lower the node's score.

/** Toleration.ToleratesTaint: an empty key with Exists tolerates everything; an empty effect matches every effect. */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, 'key' | 'effect'> & { value?: string }): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
    case '':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate, in the node's order. */
export function firstUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find(
    (taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerations.some((t) => toleratesTaint(t, taint)),
  );
}

export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** How many PreferNoSchedule taints the pod does not tolerate (only tolerations with no effect or PreferNoSchedule count). */
export function countIntolerablePreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  const relevant = tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return taints.filter((taint) => taint.effect === 'PreferNoSchedule' && !relevant.some((t) => toleratesTaint(t, taint))).length;
}

function tolerationsOf(pod: Pod): Toleration[] {
  return pod.spec?.tolerations ?? [];
}

export const taintToleration = {
  name: 'TaintToleration',
  filter(_state, pod, nodeInfo): Status {
    const taint = firstUntoleratedTaint(nodeInfo.node.spec?.taints ?? [], tolerationsOf(pod));
    return taint ? unresolvable(untoleratedTaintReason(taint)) : SUCCESS;
  },
  score(_state, pod, nodeInfo): number {
    return countIntolerablePreferNoSchedule(nodeInfo.node.spec?.taints ?? [], tolerationsOf(pod));
  },
  normalize(_state, _pod, scores) {
    return defaultNormalizeScore(scores, true);
  },
} satisfies FilterPlugin & ScorePlugin;
