import type { PodMetrics } from './node-agent.ts';

// The kubelet's resource metrics endpoint, in Kubelab's JSON form: what metrics-server
// scrapes from each kubelet's /metrics/resource, here read by the API server's
// metrics.k8s.io handlers. The node's usage is the sum of its pods' containers (system
// daemons outside pods are not measured).
//   GET /nodes/<node>/metrics/resource -> NodeResourceMetrics

export interface NodeUsage {
  name: string;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
  /** The newest sample (RFC 3339); now when the node runs no pods. */
  timestamp: string;
}

export interface NodeResourceMetrics {
  node: NodeUsage;
  pods: PodMetrics[];
}

const RESOURCE_METRICS_PATH = /^\/nodes\/([^/]+)\/metrics\/resource\/?$/;

export function resourceMetricsPath(nodeName: string): string {
  return `/nodes/${encodeURIComponent(nodeName)}/metrics/resource`;
}

/** The node a resource metrics path names, or undefined for any other path. */
export function nodeOfResourceMetricsPath(pathname: string): string | undefined {
  const match = RESOURCE_METRICS_PATH.exec(pathname);
  return match ? decodeURIComponent(match[1]) : undefined;
}

export function nodeResourceMetrics(nodeName: string, pods: readonly PodMetrics[], now: Date = new Date()): NodeResourceMetrics {
  let cpuNanoCores = 0;
  let memoryWorkingSetBytes = 0;
  let timestamp = '';
  for (const pod of pods) {
    for (const container of pod.containers) {
      cpuNanoCores += container.cpuNanoCores;
      memoryWorkingSetBytes += container.memoryWorkingSetBytes;
    }
    if (pod.timestamp > timestamp) timestamp = pod.timestamp;
  }
  return {
    node: { name: nodeName, cpuNanoCores, memoryWorkingSetBytes, timestamp: timestamp || now.toISOString() },
    pods: [...pods],
  };
}
