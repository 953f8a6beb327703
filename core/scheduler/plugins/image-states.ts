import type { Node } from 'kubernetes-types/core/v1.js';

// What ImageLocality knows about images across the cluster: per normalized image name,
// its size and how many nodes hold it. It depends on the nodes' status.images only, so
// the scheduler cache keeps it between cycles and recomputes it when a node's images
// (or the node set) change, as Kubernetes' snapshot keeps imageStates.

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

/** Image name -> size (as the first node holding it reports it) and spread, over the nodes given. */
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

/** True when the two node versions report different images (heartbeats usually do not). */
export function imagesChanged(oldNode: Node | undefined, newNode: Node): boolean {
  return JSON.stringify(oldNode?.status?.images ?? []) !== JSON.stringify(newNode.status?.images ?? []);
}
