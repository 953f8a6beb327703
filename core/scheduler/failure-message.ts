import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Status } from './framework.ts';

// kube-scheduler's wording for a pod that fits nowhere (framework.FitError.Error plus the
// DefaultPreemption PostFilter message), so what users search for matches Kubernetes:
//   0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {lab: x}.
//   preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod,
//   2 Preemption is not helpful for scheduling.
// Kubelab never preempts, so a node where evicting pods could help reports what
// Kubernetes reports when there are no lower-priority pods to evict.

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

/** "count reason" entries sorted as Go's sort.Strings sorts them (byte order, count included). */
export function reasonHistogram(reasons: Iterable<string>): string[] {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} ${reason}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function availabilityMessage(numAllNodes: number, reasons: Iterable<string>): string {
  const histogram = reasonHistogram(reasons);
  return `0/${numAllNodes} nodes are available:` + (histogram.length > 0 ? ` ${histogram.join(', ')}.` : '');
}

/** The PostFilter (preemption) part, "preemption: ...". */
export function preemptionMessage(pod: Pod, numAllNodes: number, statuses: readonly Status[]): string {
  if (pod.spec?.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never.';
  const perNode = statuses.map((status) => (status.code === 'UnschedulableAndUnresolvable' ? PREEMPTION_NOT_HELPFUL : NO_PREEMPTION_VICTIMS));
  return `preemption: ${availabilityMessage(numAllNodes, perNode)}`;
}

/**
 * The PodScheduled condition message and FailedScheduling event message for a pod that
 * no node accepted; `statuses` holds each node's failing filter status.
 */
export function fitErrorMessage(pod: Pod, numAllNodes: number, statuses: readonly Status[]): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  const filterPart = availabilityMessage(numAllNodes, statuses.flatMap((status) => status.reasons));
  return `${filterPart} ${preemptionMessage(pod, numAllNodes, statuses)}`;
}
