import type { Pod } from 'kubernetes-types/core/v1.js';
import { toBytes, toMillicores } from '../api/quantity.ts';

// Kubernetes' ReplicaCalculator for Resource metrics (pkg/controller/podautoscaler/
// replica_calculator.go), pure: the pods of the target, their usage from
// metrics.k8s.io and the target in, a replica count out. Ratios within the tolerance
// (10%) keep the current count; pods without metrics or not yet ready count
// conservatively, so that a scale never overshoots because of them.

export const DEFAULT_TOLERANCE = 0.1;

export type ResourceName = 'cpu' | 'memory';

export interface ResourceTarget {
  /** Percent of the pods' requests (type Utilization). */
  averageUtilization?: number;
  /** Per-pod usage in millicores (cpu) or bytes (memory) (type AverageValue). */
  averageValue?: number;
}

export interface ReplicaCalculation {
  replicas: number;
  /** Usage as a percent of requests; only when requests are known (Utilization targets). */
  utilization?: number;
  /** Mean usage per pod that has metrics, in millicores or bytes. */
  averageValue: number;
}

/** No replica count can be computed (no metrics, no requests): the HPA keeps the current size. */
export class MetricsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsUnavailableError';
  }
}

export interface CalculationInput {
  currentReplicas: number;
  resource: ResourceName;
  target: ResourceTarget;
  /** The live pods the target's selector picks. */
  pods: readonly Pod[];
  /** Usage per pod name, summed over its containers (millicores or bytes). */
  usage: ReadonlyMap<string, number>;
  tolerance?: number;
}

export function calculateResourceReplicas(input: CalculationInput): ReplicaCalculation {
  const { currentReplicas, resource, target, pods } = input;
  const tolerance = input.tolerance ?? DEFAULT_TOLERANCE;
  if (pods.length === 0) throw new MetricsUnavailableError('no pods returned by selector while calculating replica count');

  const metrics = new Map(input.usage);
  let readyCount = 0;
  const unready: string[] = [];
  const missing: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      metrics.delete(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      unready.push(name);
      metrics.delete(name);
      continue;
    }
    if (!metrics.has(name)) {
      missing.push(name);
      continue;
    }
    // Memory usage does not settle after start the way CPU does: only CPU discounts unready pods.
    if (resource === 'cpu' && !isReady(pod)) {
      unready.push(name);
      metrics.delete(name);
      continue;
    }
    readyCount++;
  }
  for (const name of [...metrics.keys()]) if (!pods.some((pod) => pod.metadata?.name === name)) metrics.delete(name);
  if (metrics.size === 0) throw new MetricsUnavailableError('did not receive metrics for targeted pods (pods might be unready)');

  let ratioOf: (usage: Map<string, number>) => { ratio: number; utilization?: number; average: number };
  let fullUsage: (pod: string) => number;
  if (target.averageUtilization !== undefined) {
    const requests = podRequests(pods, resource);
    const wanted = target.averageUtilization;
    ratioOf = (usage) => {
      let used = 0;
      let requested = 0;
      for (const [pod, value] of usage) {
        const request = requests.get(pod);
        if (request === undefined) continue;
        used += value;
        requested += request;
      }
      if (requested === 0) throw new MetricsUnavailableError(`no ${resource} requests on the pods that have metrics`);
      const utilization = Math.trunc((used * 100) / requested);
      return { ratio: (used * 100) / requested / wanted, utilization, average: used / usage.size };
    };
    fullUsage = (pod) => requests.get(pod) ?? 0;
  } else if (target.averageValue !== undefined) {
    const wanted = target.averageValue;
    ratioOf = (usage) => {
      let used = 0;
      for (const value of usage.values()) used += value;
      const average = used / usage.size;
      return { ratio: average / wanted, average };
    };
    fullUsage = () => wanted;
  } else {
    throw new MetricsUnavailableError('the metric target has neither averageUtilization nor averageValue');
  }

  const first = ratioOf(metrics);
  const result = (replicas: number): ReplicaCalculation => ({ replicas, utilization: first.utilization, averageValue: first.average });
  const scaleUpWithUnready = unready.length > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && missing.length === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return result(currentReplicas);
    return result(Math.ceil(first.ratio * readyCount));
  }

  // Scale down: pods without metrics count as using exactly their target; scale up: as using nothing.
  if (missing.length > 0) {
    for (const pod of missing) metrics.set(pod, first.ratio < 1 ? fullUsage(pod) : 0);
  }
  if (scaleUpWithUnready) for (const pod of unready) metrics.set(pod, 0);
  const second = ratioOf(metrics);
  if (Math.abs(1 - second.ratio) <= tolerance || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) {
    return result(currentReplicas);
  }
  const replicas = Math.ceil(second.ratio * metrics.size);
  if ((second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas)) return result(currentReplicas);
  return result(replicas);
}

function isReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Sum of the containers' requests per pod; a pod missing a container's request makes utilization meaningless. */
function podRequests(pods: readonly Pod[], resource: ResourceName): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let total = 0;
    for (const container of pod.spec?.containers ?? []) {
      const request = container.resources?.requests?.[resource];
      if (request === undefined) {
        throw new MetricsUnavailableError(`missing request for ${resource} in container ${container.name} of Pod ${pod.metadata?.name}`);
      }
      total += resource === 'cpu' ? toMillicores(String(request)) : toBytes(String(request));
    }
    requests.set(pod.metadata?.name ?? '', total);
  }
  return requests;
}
