import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { calculateResourceReplicas, MetricsUnavailableError } from './hpa-replica-calculator.ts';

function pod(name: string, options: { cpu?: string; ready?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'x', resources: options.cpu === undefined ? {} : { requests: { cpu: options.cpu, memory: '100Mi' } } }] },
    status: { phase: options.phase ?? 'Running', conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
  };
}

const usage = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('calculateResourceReplicas', () => {
  it('scales to ceil(ready pods * utilization / target)', () => {
    const result = calculateResourceReplicas({
      currentReplicas: 2,
      resource: 'cpu',
      target: { averageUtilization: 50 },
      pods: [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m' })],
      usage: usage({ a: 90, b: 70 }),
    });
    expect(result).toEqual({ replicas: 4, utilization: 80, averageValue: 80 });
  });

  it('keeps the count within the 10% tolerance', () => {
    const result = calculateResourceReplicas({
      currentReplicas: 3,
      resource: 'cpu',
      target: { averageUtilization: 50 },
      pods: [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m' }), pod('c', { cpu: '100m' })],
      usage: usage({ a: 54, b: 54, c: 54 }),
    });
    expect(result.replicas).toBe(3);
    expect(result.utilization).toBe(54);
  });

  it('on a scale down counts pods without metrics as using their whole request', () => {
    const result = calculateResourceReplicas({
      currentReplicas: 4,
      resource: 'cpu',
      target: { averageUtilization: 50 },
      pods: ['a', 'b', 'c', 'd'].map((n) => pod(n, { cpu: '100m' })),
      usage: usage({ a: 10, b: 10 }),
    });
    // (10 + 10 + 100 + 100) / 400 = 55% of request, 1.1x the target: not a scale down, within tolerance.
    expect(result.replicas).toBe(4);
  });

  it('on a scale up counts unready pods as using nothing', () => {
    const result = calculateResourceReplicas({
      currentReplicas: 2,
      resource: 'cpu',
      target: { averageUtilization: 50 },
      pods: [pod('a', { cpu: '100m' }), pod('b', { cpu: '100m', ready: false })],
      usage: usage({ a: 200, b: 200 }),
    });
    // a alone: 200% -> 4x. With b at 0: 100% -> 2x of 2 pods = 4.
    expect(result.replicas).toBe(4);
  });

  it('AverageValue targets divide the mean usage by the target', () => {
    const result = calculateResourceReplicas({
      currentReplicas: 2,
      resource: 'memory',
      target: { averageValue: 100 },
      pods: [pod('a', { cpu: '1' }), pod('b', { cpu: '1' })],
      usage: usage({ a: 300, b: 300 }),
    });
    expect(result.replicas).toBe(6);
    expect(result.utilization).toBeUndefined();
  });

  it('refuses without requests or without metrics', () => {
    expect(() =>
      calculateResourceReplicas({ currentReplicas: 1, resource: 'cpu', target: { averageUtilization: 50 }, pods: [pod('a')], usage: usage({ a: 10 }) }),
    ).toThrow(/missing request for cpu in container app of Pod a/);
    expect(() =>
      calculateResourceReplicas({ currentReplicas: 1, resource: 'cpu', target: { averageUtilization: 50 }, pods: [pod('a', { cpu: '1' })], usage: usage({}) }),
    ).toThrow(MetricsUnavailableError);
  });
});
