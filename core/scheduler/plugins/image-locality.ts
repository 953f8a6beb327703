import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, type CycleState, type ScorePlugin } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';

// ImageLocality: prefers nodes that already hold the pod's images (node.status.images),
// weighted by image size and scaled down for images that most nodes have anyway, so
// it does not pile every pod onto the few nodes with a common image.

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const STATE_KEY = 'ImageLocality';

/** Docker Hub short forms and full forms name the same image; a missing tag means :latest. */
export function normalizedImageName(name: string): string {
  let result = name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (result.lastIndexOf(':') <= result.lastIndexOf('/') && !result.includes('@')) result += ':latest';
  return result;
}

export interface ImageSummary {
  size: number;
  /** How many nodes hold the image. */
  numNodes: number;
}

/** Image name -> size and spread, over every node of the snapshot. */
export function imageStates(nodes: readonly Node[]): Map<string, ImageSummary> {
  const states = new Map<string, ImageSummary>();
  for (const node of nodes) {
    const seen = new Set<string>();
    for (const image of node.status?.images ?? []) {
      for (const name of image.names ?? []) {
        const key = normalizedImageName(name);
        if (seen.has(key)) continue;
        seen.add(key);
        const state = states.get(key) ?? { size: image.sizeBytes ?? 0, numNodes: 0 };
        state.numNodes += 1;
        states.set(key, state);
      }
    }
  }
  return states;
}

function nodeImages(node: Node): Set<string> {
  return new Set((node.status?.images ?? []).flatMap((image) => (image.names ?? []).map(normalizedImageName)));
}

/** calculatePriority: the summed scaled sizes clamped to [23MB, 1000MB x containers], mapped onto 0..100. */
export function imageLocalityScore(pod: Pod, node: Node, states: ReadonlyMap<string, ImageSummary>, totalNodes: number): number {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const onNode = nodeImages(node);
  let sum = 0;
  for (const container of containers) {
    const name = normalizedImageName(container.image ?? '');
    const state = states.get(name);
    if (!state || !onNode.has(name) || totalNodes === 0) continue;
    sum += Math.trunc(state.size * (state.numNodes / totalNodes));
  }
  const maxThreshold = MAX_CONTAINER_THRESHOLD * containers.length;
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), maxThreshold);
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

function statesOf(state: CycleState): Map<string, ImageSummary> {
  let states = state.read<Map<string, ImageSummary>>(STATE_KEY);
  if (!states) {
    states = imageStates(state.allNodes.map((info: NodeInfo) => info.node));
    state.write(STATE_KEY, states);
  }
  return states;
}

export const imageLocality = {
  name: 'ImageLocality',
  score(state, pod, nodeInfo): number {
    return imageLocalityScore(pod, nodeInfo.node, statesOf(state), Math.max(state.allNodes.length, 1));
  },
} satisfies ScorePlugin;
