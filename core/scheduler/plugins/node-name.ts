import type { Pod } from 'kubernetes-types/core/v1.js';
import { SUCCESS, unresolvable, type FilterPlugin, type Status } from '../framework.ts';

// A pod that already names its node fits only there. (Pods the scheduler picks up have
// no spec.nodeName, so for them this always passes; it is kept for parity and for
// callers that ask "would this pod fit node X".)

export const REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeNameFits(pod: Pod, nodeName: string): boolean {
  const wanted = pod.spec?.nodeName;
  return !wanted || wanted === nodeName;
}

export const nodeName = {
  name: 'NodeName',
  filter(_state, pod, nodeInfo): Status {
    return nodeNameFits(pod, nodeInfo.name) ? SUCCESS : unresolvable(REASON_NODE_NAME);
  },
} satisfies FilterPlugin;
