import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, type CycleState, type NodeScore, type ScorePlugin } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';
import { nodeMatchesPodAffinity } from './node-selector-affinity.ts';

// PodTopologySpread with Kubernetes' system default constraints (what spreads the pods
// of one ReplicaSet or Service when nobody asked for spreading): prefer the hostname
// (maxSkew 3) and zone (maxSkew 5) with the fewest "sibling" pods. Siblings are pods in
// the same namespace with the same controlling owner and selected by every Service that
// selects this pod; a pod with neither owner nor Service is not spread (the plugin skips).

export interface SpreadConstraint {
  topologyKey: string;
  maxSkew: number;
}

export const DEFAULT_SPREAD_CONSTRAINTS: readonly SpreadConstraint[] = [
  { topologyKey: 'kubernetes.io/hostname', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 5 },
];

const HOSTNAME = 'kubernetes.io/hostname';
const STATE_KEY = 'PodTopologySpread';

type Labels = Record<string, string>;

function labelsOf(obj: { metadata?: { labels?: Record<string, string> } }): Labels {
  return obj.metadata?.labels ?? {};
}

function selectorMatches(selector: Record<string, string>, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function controllerUid(pod: Pod): string | undefined {
  return pod.metadata?.ownerReferences?.find((ref) => ref.controller)?.uid;
}

/** A predicate for sibling pods, or undefined when the pod has nothing to spread with (DefaultSelector). */
export function siblingMatcher(pod: Pod, services: readonly Service[]): ((other: Pod) => boolean) | undefined {
  const namespace = pod.metadata?.namespace ?? '';
  const podLabels = labelsOf(pod);
  const selecting = services
    .filter((svc) => (svc.metadata?.namespace ?? '') === namespace)
    .map((svc) => svc.spec?.selector ?? {})
    .filter((selector) => Object.keys(selector).length > 0 && selectorMatches(selector, podLabels));
  const owner = controllerUid(pod);
  if (!owner && selecting.length === 0) return undefined;
  return (other) =>
    (other.metadata?.namespace ?? '') === namespace &&
    !other.metadata?.deletionTimestamp &&
    (!owner || controllerUid(other) === owner) &&
    selecting.every((selector) => selectorMatches(selector, labelsOf(other)));
}

interface SpreadState {
  matches: (pod: Pod) => boolean;
  /** ln(domains + 2) per constraint: more domains, each sibling counts more. */
  weights: number[];
  /** Sibling counts per "key=value" domain, for the constraints other than hostname. */
  domainCounts: Map<string, number>;
}

function countSiblings(nodeInfo: NodeInfo, matches: (pod: Pod) => boolean): number {
  return nodeInfo.pods.filter(matches).length;
}

function preScore(state: CycleState, pod: Pod, feasible: readonly NodeInfo[]): 'Skip' | undefined {
  const matches = siblingMatcher(pod, state.services);
  if (!matches) return 'Skip';
  const weights = DEFAULT_SPREAD_CONSTRAINTS.map((constraint) => {
    const size =
      constraint.topologyKey === HOSTNAME
        ? feasible.length
        : new Set(feasible.map((n) => labelsOf(n.node)[constraint.topologyKey]).filter((v) => v !== undefined)).size;
    return Math.log(size + 2);
  });
  const domainCounts = new Map<string, number>();
  for (const constraint of DEFAULT_SPREAD_CONSTRAINTS) {
    if (constraint.topologyKey === HOSTNAME) continue;
    for (const nodeInfo of feasible) {
      const value = labelsOf(nodeInfo.node)[constraint.topologyKey];
      if (value !== undefined) domainCounts.set(`${constraint.topologyKey}=${value}`, 0);
    }
    const allNodes = state.allNodes.length > 0 ? state.allNodes : feasible;
    for (const nodeInfo of allNodes) {
      const key = `${constraint.topologyKey}=${labelsOf(nodeInfo.node)[constraint.topologyKey]}`;
      // Only nodes the pod could use count (nodeAffinityPolicy: Honor).
      if (!domainCounts.has(key) || !nodeMatchesPodAffinity(pod, nodeInfo.node)) continue;
      domainCounts.set(key, (domainCounts.get(key) ?? 0) + countSiblings(nodeInfo, matches));
    }
  }
  state.write(STATE_KEY, { matches, weights, domainCounts } satisfies SpreadState);
  return undefined;
}

/** The raw score: higher means more siblings nearby (normalize turns it around). */
function rawScore(spread: SpreadState, nodeInfo: NodeInfo): number {
  let score = 0;
  DEFAULT_SPREAD_CONSTRAINTS.forEach((constraint, i) => {
    const value = labelsOf(nodeInfo.node)[constraint.topologyKey];
    if (value === undefined) return;
    const count =
      constraint.topologyKey === HOSTNAME ? countSiblings(nodeInfo, spread.matches) : (spread.domainCounts.get(`${constraint.topologyKey}=${value}`) ?? 0);
    score += count * spread.weights[i] + (constraint.maxSkew - 1);
  });
  return Math.round(score);
}

/** Fewest siblings gets 100: score = 100 * (max + min - s) / max. */
export function normalizeSpreadScores(scores: readonly NodeScore[]): NodeScore[] {
  if (scores.length === 0) return [];
  const min = Math.min(...scores.map((s) => s.score));
  const max = Math.max(...scores.map((s) => s.score));
  return scores.map((s) => ({ name: s.name, score: max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - s.score)) / max) }));
}

export const podTopologySpread = {
  name: 'PodTopologySpread',
  preScore,
  score(state, pod, nodeInfo): number {
    let spread = state.read<SpreadState>(STATE_KEY);
    if (!spread) {
      if (preScore(state, pod, [nodeInfo]) === 'Skip') return 0;
      spread = state.read<SpreadState>(STATE_KEY)!;
    }
    return rawScore(spread, nodeInfo);
  },
  normalize(_state, _pod, scores) {
    return normalizeSpreadScores(scores);
  },
} satisfies ScorePlugin;
