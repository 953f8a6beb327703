import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, type CycleState, type ScorePlugin } from '../framework.ts';
import { imageStates, normalizedImageName, type ImageSummary } from './image-states.ts';

// ImageLocality: prefers nodes that already hold the pod's images (node.status.images),
// weighted by image size and scaled down for images that most nodes have anyway, so
// it does not pile every pod onto the few nodes with a common image.

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;
const STATE_KEY = 'ImageLocality';

/** Per Node object (replaced, never changed in place): its normalized image names. */
const nodeImagesCache = new WeakMap<Node, Set<string>>();

function nodeImages(node: Node): Set<string> {
  let names = nodeImagesCache.get(node);
  if (!names) nodeImagesCache.set(node, (names = new Set((node.status?.images ?? []).flatMap((image) => (image.names ?? []).map(normalizedImageName)))));
  return names;
}

function podImages(pod: Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((container) => normalizedImageName(container.image ?? ''));
}

/** calculatePriority: the summed scaled sizes clamped to [23MB, 1000MB x containers], mapped onto 0..100. */
function scoreOf(images: readonly string[], onNode: ReadonlySet<string>, states: ReadonlyMap<string, ImageSummary>, totalNodes: number): number {
  let sum = 0;
  for (const name of images) {
    const state = states.get(name);
    if (!state || !onNode.has(name) || totalNodes === 0) continue;
    sum += Math.trunc(state.size * (state.numNodes / totalNodes));
  }
  const maxThreshold = MAX_CONTAINER_THRESHOLD * images.length;
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), maxThreshold);
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

interface CycleImages {
  states: ReadonlyMap<string, ImageSummary>;
  /** The pod's normalized image names, once per cycle instead of once per node. */
  images: string[];
  /** None of the pod's images is on any node: every node scores 0. */
  nowhere: boolean;
}

function cycleImages(state: CycleState, pod: Pod): CycleImages {
  let cached = state.read<CycleImages>(STATE_KEY);
  if (!cached) {
    const states = state.imageStates ?? imageStates(state.allNodes.map((info) => info.node));
    const images = podImages(pod);
    cached = { states, images, nowhere: !images.some((name) => states.has(name)) };
    state.write(STATE_KEY, cached);
  }
  return cached;
}

export const imageLocality = {
  name: 'ImageLocality',
  score(state, pod, nodeInfo): number {
    const { states, images, nowhere } = cycleImages(state, pod);
    if (nowhere) return 0;
    return scoreOf(images, nodeImages(nodeInfo.node), states, Math.max(state.allNodes.length, 1));
  },
} satisfies ScorePlugin;
