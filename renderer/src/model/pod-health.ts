import type { Pod } from 'kubernetes-types/core/v1.js';

// One word for how a pod is doing, as the map colours it. Mirrors what `kubectl get pods`
// prints in STATUS, folded into the handful of states a learner needs to tell apart.

export type PodHealth = 'running' | 'unready' | 'pending' | 'creating' | 'crashloop' | 'failed' | 'succeeded' | 'terminating';

function healthNow(pod: Pod): PodHealth {
  if (pod.metadata?.deletionTimestamp) return 'terminating';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return 'succeeded';
  if (phase === 'Failed') return 'failed';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const waiting = statuses.map((s) => s.state?.waiting?.reason).filter(Boolean);
  if (waiting.includes('CrashLoopBackOff')) return 'crashloop';
  if (waiting.some((r) => r === 'ErrImagePull' || r === 'ImagePullBackOff' || r === 'CreateContainerConfigError' || r === 'CreateContainerError')) return 'failed';
  if (statuses.some((s) => s.state?.terminated && s.state.terminated.exitCode !== 0 && !s.ready)) return 'failed';
  if (!pod.spec?.nodeName || (phase === 'Pending' && statuses.length === 0 && !pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True'))) return 'pending';
  if (phase === 'Pending' || waiting.includes('ContainerCreating') || waiting.includes('PodInitializing')) return 'creating';
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return ready ? 'running' : 'unready';
}

export function podRestarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
}

const healthOf = new WeakMap<Pod, PodHealth>();

/**
 * The pod's health, worked out once per pod object: the store replaces an object when
 * its pod changes and never edits one, so a batch of watch events recomputes only the
 * pods it changed, not all 30,000.
 */
export function podHealth(pod: Pod): PodHealth {
  let health = healthOf.get(pod);
  if (health === undefined) healthOf.set(pod, (health = healthNow(pod)));
  return health;
}
