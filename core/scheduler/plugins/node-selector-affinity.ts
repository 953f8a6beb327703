import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { nodeMatchesSelectorTerm } from '../../api/node-selector.ts';
import { defaultNormalizeScore, SUCCESS, unresolvable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.ts';

// NodeAffinity: spec.nodeSelector and required node affinity filter (all must hold);
// preferred node affinity scores a node with the summed weights of the terms it matches.

export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

function labelsOf(node: Node): Record<string, string> {
  return (node.metadata?.labels ?? {}) as Record<string, string>;
}

/** nodeSelector (every pair) and required node affinity (any term). */
export function nodeMatchesPodAffinity(pod: Pod, node: Node): boolean {
  const labels = labelsOf(node);
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[key] !== value) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return required.nodeSelectorTerms.some((term) => nodeMatchesSelectorTerm(term, node));
  return true;
}

/** Sum of the weights of the preferred terms the node matches (empty terms and weight 0 are ignored). */
export function preferredAffinityWeight(pod: Pod, node: Node): number {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return preferred.reduce((sum, term) => (term.weight !== 0 && nodeMatchesSelectorTerm(term.preference, node) ? sum + term.weight : sum), 0);
}

export const nodeAffinity = {
  name: 'NodeAffinity',
  filter(_state, pod, nodeInfo): Status {
    return nodeMatchesPodAffinity(pod, nodeInfo.node) ? SUCCESS : unresolvable(REASON_NODE_AFFINITY);
  },
  preScore(_state, pod) {
    const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    return preferred.length === 0 ? 'Skip' : undefined;
  },
  score(_state, pod, nodeInfo): number {
    return preferredAffinityWeight(pod, nodeInfo.node);
  },
  normalize(_state, _pod, scores) {
    return defaultNormalizeScore(scores, false);
  },
} satisfies FilterPlugin & ScorePlugin;
