import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { SUCCESS, unresolvable, type FilterPlugin, type Status } from '../framework.ts';
import { toleratesTaint } from './taint-toleration.ts';

// A cordoned node (spec.unschedulable) takes no new pods, except those that tolerate
// the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).

export const REASON_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export function unschedulableNodeAccepts(pod: Pod, node: Node): boolean {
  if (!node.spec?.unschedulable) return true;
  return (pod.spec?.tolerations ?? []).some((toleration) => toleratesTaint(toleration, UNSCHEDULABLE_TAINT));
}

export const nodeUnschedulable = {
  name: 'NodeUnschedulable',
  filter(_state, pod, nodeInfo): Status {
    return unschedulableNodeAccepts(pod, nodeInfo.node) ? SUCCESS : unresolvable(REASON_NODE_UNSCHEDULABLE);
  },
} satisfies FilterPlugin;
