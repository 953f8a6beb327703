import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import {
  cleanupUnhealthyReplicas,
  maxSurge,
  maxUnavailable,
  newReplicaSetReplicas,
  oldScaleDownBudget,
  proportionalScale,
  resolveFenceposts,
  scaleDownOldForRollingUpdate,
  scaledValue,
} from './deployment-rollout.ts';

function deployment(replicas: number, surge: number | string = '25%', unavailable: number | string = '25%'): Deployment {
  return { spec: { replicas, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } } };
}

function rs(name: string, replicas: number, available: number, created: string, annotations: Record<string, string> = {}): ReplicaSet {
  return {
    metadata: { name, uid: name, creationTimestamp: created, annotations },
    spec: { replicas, selector: {} },
    status: { replicas, availableReplicas: available },
  };
}

describe('rollout arithmetic', () => {
  it('rounds surge up and unavailable down, and never lets both be 0', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(2, 10, true)).toBe(2);
    expect(resolveFenceposts('10%', '10%', 5)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts(0, 0, 5)).toEqual({ surge: 0, unavailable: 1 });
    expect(maxSurge(deployment(4))).toBe(1);
    expect(maxUnavailable(deployment(4))).toBe(1);
    expect(maxUnavailable(deployment(2, 0, 5))).toBe(2);
    expect(() => scaledValue('lots', 4, true)).toThrow(/integer or a percentage/);
  });

  it('grows the new ReplicaSet only up to replicas + maxSurge in total', () => {
    const d = deployment(4, 1, 1);
    const old = rs('old', 4, 4, '2024-01-01T00:00:00Z');
    const fresh = rs('new', 0, 0, '2024-01-02T00:00:00Z');
    expect(newReplicaSetReplicas(d, [old, fresh], fresh)).toBe(1);
    const grown = rs('new', 1, 0, '2024-01-02T00:00:00Z');
    expect(newReplicaSetReplicas(d, [old, grown], grown)).toBe(1);
  });

  it('scales old ReplicaSets down only as far as minimum availability allows', () => {
    const d = deployment(4, 1, 1);
    const old = rs('old', 4, 4, '2024-01-01T00:00:00Z');
    const fresh = rs('new', 1, 0, '2024-01-02T00:00:00Z');
    expect(oldScaleDownBudget(d, [old, fresh], fresh)).toBe(1); // 5 - 3 - 1 unavailable new
    expect(scaleDownOldForRollingUpdate(d, [old, fresh], [old])).toEqual([{ rs: old, replicas: 3 }]);
    const notAvailable = rs('old', 4, 3, '2024-01-01T00:00:00Z');
    expect(scaleDownOldForRollingUpdate(d, [notAvailable, fresh], [notAvailable])).toEqual([]);
    // Unavailable old pods go first, without touching availability.
    expect(cleanupUnhealthyReplicas([notAvailable], 2)).toEqual([{ rs: notAvailable, replicas: 3 }]);
  });

  it('does not count pods a ReplicaSet was just told to drop (its status lags the scale-down)', () => {
    const d = deployment(4, 1, 1);
    // Scaled 4 -> 3 a moment ago; its status still says 4 available.
    const stale = rs('old', 3, 4, '2024-01-01T00:00:00Z');
    const fresh = rs('new', 1, 0, '2024-01-02T00:00:00Z');
    expect(scaleDownOldForRollingUpdate(d, [stale, fresh], [stale])).toEqual([]);
  });

  it('spreads a resize mid-rollout over the active ReplicaSets in proportion', () => {
    const d = deployment(20, 2, 0); // was 10 with maxSurge 2 (max-replicas 12)
    const old = rs('old', 6, 6, '2024-01-01T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '12' });
    const fresh = rs('new', 6, 6, '2024-01-02T00:00:00Z', { 'deployment.kubernetes.io/max-replicas': '12' });
    const steps = proportionalScale(d, fresh, [old], 12);
    expect(Object.fromEntries(steps.map((s) => [s.rs.metadata?.name, s.replicas]))).toEqual({ new: 11, old: 11 });
  });
});
