import type { HPAScalingRules, HorizontalPodAutoscalerBehavior } from 'kubernetes-types/autoscaling/v2.js';

// What the HPA does with a raw recommendation before applying it (Kubernetes'
// normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors): stabilization
// over recent recommendations (no flapping), min/max replicas, and the rate limits (the
// 2x-or-4 rule without spec.behavior; the behavior's policies with it). Pure: the
// recommendation history and past scale events are passed in.

export interface Recommendation {
  at: number; // ms
  replicas: number;
}

export interface ScaleEvent {
  at: number; // ms
  /** Positive for a scale up, negative for a scale down. */
  change: number;
}

export interface Normalized {
  replicas: number;
  /** The AbleToScale reason when no rescale failure overrides it. */
  ableToScale: { reason: string; message: string };
  /** ScalingLimited: status True when a limit changed the recommendation. */
  limited: { status: 'True' | 'False'; reason: string; message: string };
}

export interface NormalizeInput {
  currentReplicas: number;
  /** The calculated recommendation before any rule. */
  desired: number;
  minReplicas: number;
  maxReplicas: number;
  now: number;
  /** Earlier recommendations (the caller prunes and appends). */
  recommendations: readonly Recommendation[];
  /** Without spec.behavior: the scale-down stabilization window. */
  downscaleStabilizationSeconds: number;
  behavior?: HorizontalPodAutoscalerBehavior;
  /** Past rescales, for behavior policies. */
  scaleEvents?: readonly ScaleEvent[];
}

const STABILIZED = { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
const READY = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const WITHIN_RANGE = { status: 'False' as const, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };

export function normalizeDesiredReplicas(input: NormalizeInput): Normalized {
  return input.behavior ? withBehavior(input, input.behavior) : withoutBehavior(input);
}

function withoutBehavior(input: NormalizeInput): Normalized {
  const cutoff = input.now - input.downscaleStabilizationSeconds * 1000;
  let stabilized = input.desired;
  for (const rec of input.recommendations) if (rec.at > cutoff) stabilized = Math.max(stabilized, rec.replicas);
  const ableToScale = stabilized !== input.desired ? STABILIZED : READY;

  const scaleUpLimit = Math.max(2 * input.currentReplicas, 4);
  let replicas = stabilized;
  let limited: Normalized['limited'] = WITHIN_RANGE;
  if (stabilized < input.minReplicas) {
    replicas = input.minReplicas;
    limited = { status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  } else if (stabilized > input.maxReplicas && input.maxReplicas <= scaleUpLimit) {
    replicas = input.maxReplicas;
    limited = { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
  } else if (stabilized > scaleUpLimit) {
    replicas = scaleUpLimit;
    limited = { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
  }
  return { replicas, ableToScale, limited };
}

function withBehavior(input: NormalizeInput, behavior: HorizontalPodAutoscalerBehavior): Normalized {
  const up = behavior.scaleUp ?? {};
  const down = behavior.scaleDown ?? {};
  const upCutoff = input.now - (up.stabilizationWindowSeconds ?? 0) * 1000;
  const downCutoff = input.now - (down.stabilizationWindowSeconds ?? input.downscaleStabilizationSeconds) * 1000;
  let upRecommendation = input.desired;
  let downRecommendation = input.desired;
  for (const rec of input.recommendations) {
    if (rec.at > upCutoff) upRecommendation = Math.min(upRecommendation, rec.replicas);
    if (rec.at > downCutoff) downRecommendation = Math.max(downRecommendation, rec.replicas);
  }
  let stabilized = input.currentReplicas;
  if (stabilized < upRecommendation) stabilized = upRecommendation;
  if (stabilized > downRecommendation) stabilized = downRecommendation;
  const ableToScale = stabilized !== input.desired ? STABILIZED : READY;

  const events = input.scaleEvents ?? [];
  let replicas = stabilized;
  let limited: Normalized['limited'] = WITHIN_RANGE;
  if (stabilized > input.currentReplicas) {
    let limit = up.selectPolicy === 'Disabled' ? input.currentReplicas : scaleUpLimit(input.currentReplicas, events, up, input.now);
    limit = Math.max(limit, input.currentReplicas);
    const allowed = Math.min(limit, input.maxReplicas);
    if (stabilized > allowed) {
      replicas = allowed;
      limited =
        allowed === input.maxReplicas
          ? { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' }
          : { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
    }
  } else if (stabilized < input.currentReplicas) {
    let limit = down.selectPolicy === 'Disabled' ? input.currentReplicas : scaleDownLimit(input.currentReplicas, events, down, input.now);
    limit = Math.min(limit, input.currentReplicas);
    const allowed = Math.max(limit, input.minReplicas);
    if (stabilized < allowed) {
      replicas = allowed;
      limited =
        allowed === input.minReplicas
          ? { status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' }
          : { status: 'True', reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };
    }
  } else if (stabilized < input.minReplicas || stabilized > input.maxReplicas) {
    replicas = Math.min(Math.max(stabilized, input.minReplicas), input.maxReplicas);
  }
  return { replicas, ableToScale, limited };
}

function changesWithin(events: readonly ScaleEvent[], periodSeconds: number, now: number): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const event of events) {
    if (event.at <= now - periodSeconds * 1000) continue;
    if (event.change > 0) added += event.change;
    else removed -= event.change;
  }
  return { added, removed };
}

function scaleUpLimit(current: number, events: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const policy of rules.policies ?? []) {
    const { added, removed } = changesWithin(events, policy.periodSeconds, now);
    const periodStart = current - added + removed;
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return (rules.policies ?? []).length ? result : Number.MAX_SAFE_INTEGER;
}

function scaleDownLimit(current: number, events: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  // "Max" picks the policy that allows the biggest change, i.e. the lowest count.
  const pickMax = rules.selectPolicy === 'Min';
  let result = pickMax ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const policy of rules.policies ?? []) {
    const { added, removed } = changesWithin(events, policy.periodSeconds, now);
    const periodStart = current + removed - added;
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    result = pickMax ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return (rules.policies ?? []).length ? result : 0;
}
