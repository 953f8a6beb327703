import type { Pod } from 'kubernetes-types/core/v1.js';
import { SUCCESS, type FilterPlugin, type Status } from '../framework.ts';
import { podRequests, type NodeInfo, type Resources } from '../node-info.ts';

// NodeResourcesFit's filter: the pod's effective requests must fit in what the node's
// allocatable leaves after the requests of the pods already there, and the node must
// have a pod slot left. A request bigger than the whole node can never be met by
// evicting pods, so it is "unresolvable" (preemption would not help).

export interface InsufficientResource {
  reason: 'Too many pods' | 'Insufficient cpu' | 'Insufficient memory';
  requested: number;
  used: number;
  capacity: number;
  unresolvable: boolean;
}

export function insufficientResources(request: Resources, nodeInfo: NodeInfo): InsufficientResource[] {
  const result: InsufficientResource[] = [];
  const { allocatable, requested } = nodeInfo;
  if (nodeInfo.pods.length + 1 > allocatable.pods) {
    result.push({ reason: 'Too many pods', requested: 1, used: nodeInfo.pods.length, capacity: allocatable.pods, unresolvable: false });
  }
  if (request.milliCpu > 0 && request.milliCpu > allocatable.milliCpu - requested.milliCpu) {
    result.push({
      reason: 'Insufficient cpu',
      requested: request.milliCpu,
      used: requested.milliCpu,
      capacity: allocatable.milliCpu,
      unresolvable: request.milliCpu > allocatable.milliCpu,
    });
  }
  if (request.memory > 0 && request.memory > allocatable.memory - requested.memory) {
    result.push({
      reason: 'Insufficient memory',
      requested: request.memory,
      used: requested.memory,
      capacity: allocatable.memory,
      unresolvable: request.memory > allocatable.memory,
    });
  }
  return result;
}

export function resourcesFitStatus(pod: Pod, nodeInfo: NodeInfo): Status {
  const missing = insufficientResources(podRequests(pod), nodeInfo);
  if (missing.length === 0) return SUCCESS;
  return {
    code: missing.some((m) => m.unresolvable) ? 'UnschedulableAndUnresolvable' : 'Unschedulable',
    reasons: missing.map((m) => m.reason),
  };
}

export const nodeResourcesFit = {
  name: 'NodeResourcesFit',
  filter(_state, pod, nodeInfo): Status {
    return resourcesFitStatus(pod, nodeInfo);
  },
} satisfies FilterPlugin;
