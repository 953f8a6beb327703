import { describe, expect, it } from 'vitest';
import { normalizeDesiredReplicas } from './hpa-scaling-rules.ts';

const base = { minReplicas: 1, maxReplicas: 10, now: 100_000, downscaleStabilizationSeconds: 30, recommendations: [] };

describe('normalizeDesiredReplicas without behavior', () => {
  it('holds a scale down at the highest recommendation of the stabilization window', () => {
    const held = normalizeDesiredReplicas({ ...base, currentReplicas: 4, desired: 1, recommendations: [{ at: 90_000, replicas: 4 }] });
    expect(held.replicas).toBe(4);
    expect(held.ableToScale.reason).toBe('ScaleDownStabilized');
    const later = normalizeDesiredReplicas({ ...base, currentReplicas: 4, desired: 1, recommendations: [{ at: 60_000, replicas: 4 }] });
    expect(later.replicas).toBe(1);
  });

  it('limits a scale up to max(2x, 4) and to maxReplicas', () => {
    expect(normalizeDesiredReplicas({ ...base, currentReplicas: 2, desired: 8 })).toMatchObject({ replicas: 4, limited: { status: 'True', reason: 'ScaleUpLimit' } });
    expect(normalizeDesiredReplicas({ ...base, maxReplicas: 3, currentReplicas: 2, desired: 8 })).toMatchObject({ replicas: 3, limited: { reason: 'TooManyReplicas' } });
    expect(normalizeDesiredReplicas({ ...base, minReplicas: 2, currentReplicas: 3, desired: 1 }).replicas).toBe(2);
    expect(normalizeDesiredReplicas({ ...base, currentReplicas: 2, desired: 3 }).limited).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
  });
});

describe('normalizeDesiredReplicas with spec.behavior', () => {
  it('applies the scale-down window and policies of the behavior', () => {
    const behavior = {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
    };
    expect(normalizeDesiredReplicas({ ...base, behavior, currentReplicas: 2, desired: 8 }).replicas).toBe(3);
    // One replica was already added within the period: none more.
    expect(normalizeDesiredReplicas({ ...base, behavior, currentReplicas: 3, desired: 8, scaleEvents: [{ at: 90_000, change: 1 }] }).replicas).toBe(3);
    expect(normalizeDesiredReplicas({ ...base, behavior, currentReplicas: 8, desired: 1 })).toMatchObject({ replicas: 4, limited: { reason: 'ScaleDownLimit' } });
  });
});
