import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { formatCpu, formatMemoryApprox as formatMemory } from '../../../../core/api/quantity.ts';
import { dockerEndpointOf, isLabNode, NODE_ANNOTATIONS } from '../../../../core/nodes/node-annotations.ts';
import { newNodeInfo } from '../../../../core/scheduler/node-info.ts';
import { ENDPOINT_KIND_LABEL } from '../../../../core/nodes/node-annotations.ts';

// How the node panel and the nodes list describe a node, as `kubelab node ls` does
// (core/nodes/node-commands.ts, which is Node-only), plus the scheduler's own sums of
// requested against allocatable resources.

type Annotated = { metadata: { annotations?: Record<string, string> } };

export function asAnnotated(node: Node): Annotated {
  return { metadata: { annotations: node.metadata?.annotations ?? {} } };
}

export function nodeIsLab(node: Node): boolean {
  return isLabNode(asAnnotated(node));
}

export function nodeEndpoint(node: Node): string | undefined {
  return dockerEndpointOf(asAnnotated(node));
}

/** local | tcp | ssh | lab, from the agent's label or else from the annotations. */
export function nodeKind(node: Node): string {
  const label = node.metadata?.labels?.[ENDPOINT_KIND_LABEL];
  if (label) return label;
  if (nodeIsLab(node)) return 'lab';
  const url = nodeEndpoint(node);
  if (!url) return '-';
  const scheme = url.split('://')[0];
  return scheme === 'unix' ? 'local' : scheme;
}

/** Ready, NotReady, Stopped, Deleting, Pending; ",SchedulingDisabled" when cordoned. */
export function nodeStatus(node: Node): string {
  if (node.metadata?.deletionTimestamp) return 'Deleting';
  if (node.metadata?.annotations?.[NODE_ANNOTATIONS.labNodeStopped] === 'true') return 'Stopped';
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (!ready) return 'Pending';
  const status = ready.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

export interface ResourceUse {
  cpu: { requested: string; allocatable: string; fraction: number };
  memory: { requested: string; allocatable: string; fraction: number };
  pods: { count: number; allocatable: number; fraction: number };
}

const fraction = (used: number, total: number) => (total > 0 ? Math.min(1, used / total) : 0);

/** The node's non-terminal pods' requests against its allocatable, as the scheduler sums them. */
export function resourceUse(node: Node, podsOnNode: readonly Pod[]): ResourceUse {
  const active = podsOnNode.filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed');
  const info = newNodeInfo(node, active);
  return {
    cpu: { requested: formatCpu(info.requested.milliCpu), allocatable: formatCpu(info.allocatable.milliCpu), fraction: fraction(info.requested.milliCpu, info.allocatable.milliCpu) },
    memory: { requested: formatMemory(info.requested.memory), allocatable: formatMemory(info.allocatable.memory), fraction: fraction(info.requested.memory, info.allocatable.memory) },
    pods: { count: active.length, allocatable: info.allocatable.pods, fraction: fraction(active.length, info.allocatable.pods) },
  };
}

/** Pods grouped by spec.nodeName in one pass, for lists of many nodes. */
export function podsByNode<P extends Pod>(pods: readonly P[]): Map<string, P[]> {
  const byNode = new Map<string, P[]>();
  for (const pod of pods) {
    const name = pod.spec?.nodeName;
    if (!name) continue;
    let list = byNode.get(name);
    if (!list) byNode.set(name, (list = []));
    list.push(pod);
  }
  return byNode;
}
