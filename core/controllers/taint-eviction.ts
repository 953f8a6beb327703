import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

// The NoExecute taint manager's arithmetic (pkg/controller/tainteviction), pure: when
// must a pod on a node with NoExecute taints go? Kubernetes' DefaultTolerationSeconds
// admission gives every pod 300 s tolerations for the not-ready and unreachable taints;
// Kubelab does not mutate pods, so the defaults are applied here instead.

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/** v1.Toleration.ToleratesTaint */
export function tolerates(toleration: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const operator = toleration.operator ?? 'Equal';
  if (operator === 'Exists') return true;
  // An empty key only goes with Exists (validation); Equal compares values.
  return !!toleration.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** The pod's tolerations plus the admission defaults for not-ready/unreachable NoExecute it lacks. */
export function withDefaultTolerations(tolerations: readonly Toleration[] | undefined, defaultSeconds: number): Toleration[] {
  const result = [...(tolerations ?? [])];
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    // DefaultTolerationSeconds counts any toleration with this key (or none) and NoExecute (or any effect).
    const covered = result.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
    if (!covered) result.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: defaultSeconds });
  }
  return result;
}

/**
 * When the pod must be evicted (ms since the epoch), or undefined when it tolerates every
 * NoExecute taint forever. An untolerated taint means now; otherwise each taint counts
 * from its timeAdded (or now) plus the shortest tolerationSeconds among the tolerations
 * that match it (getMinTolerationTime: tolerations without seconds last forever).
 */
export function evictionTime(taints: readonly Taint[], tolerations: readonly Toleration[], now: number): number | undefined {
  let evictAt: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return now;
    const seconds = matching.flatMap((t) => (t.tolerationSeconds === undefined || t.tolerationSeconds === null ? [] : [Math.max(0, t.tolerationSeconds)]));
    if (seconds.length === 0) continue;
    const added = Date.parse(taint.timeAdded ?? '');
    const at = (Number.isNaN(added) ? now : added) + Math.min(...seconds) * 1000;
    evictAt = evictAt === undefined ? at : Math.min(evictAt, at);
  }
  return evictAt;
}
