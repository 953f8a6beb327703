import type { Pod } from 'kubernetes-types/core/v1.js';
import { SUCCESS, unschedulable, type FilterPlugin, type Status } from '../framework.ts';
import { hostPortsOf, type HostPort, type NodeInfo } from '../node-info.ts';

// Two pods cannot bind the same host port and protocol on one node; 0.0.0.0 (every
// address) collides with any address.

export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function portConflicts(wanted: HostPort, used: readonly HostPort[]): boolean {
  return used.some(
    (u) => u.port === wanted.port && u.protocol === wanted.protocol && (wanted.ip === '0.0.0.0' || u.ip === '0.0.0.0' || u.ip === wanted.ip),
  );
}

export function portsFit(pod: Pod, nodeInfo: NodeInfo): boolean {
  return hostPortsOf(pod).every((port) => !portConflicts(port, nodeInfo.usedPorts));
}

export const nodePorts = {
  name: 'NodePorts',
  filter(_state, pod, nodeInfo): Status {
    return portsFit(pod, nodeInfo) ? SUCCESS : unschedulable(REASON_NODE_PORTS);
  },
} satisfies FilterPlugin;
