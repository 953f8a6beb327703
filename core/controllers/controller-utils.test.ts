import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { isPodAvailable, podsToDelete, setCondition } from './controller-utils.ts';

function pod(name: string, options: { node?: string; phase?: string; ready?: boolean; readySince?: string; restarts?: number; created?: string } = {}): Pod {
  return {
    metadata: { name, creationTimestamp: options.created ?? '2024-01-01T00:00:00Z' },
    spec: { containers: [], ...(options.node ? { nodeName: options.node } : {}) },
    status: {
      phase: options.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: options.ready ? 'True' : 'False', lastTransitionTime: options.readySince ?? '2024-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: !!options.ready, restartCount: options.restarts ?? 0 }],
    },
  };
}

describe('scale-down order', () => {
  it('deletes unassigned, then pending, then not-ready, then crash-looping and newer pods first', () => {
    const pods = [
      pod('ready-old', { node: 'n1', ready: true, readySince: '2024-01-01T00:00:00Z' }),
      pod('ready-new', { node: 'n2', ready: true, readySince: '2024-01-02T00:00:00Z' }),
      pod('not-ready', { node: 'n3' }),
      pod('pending', { node: 'n4', phase: 'Pending' }),
      pod('unassigned', { phase: 'Pending' }),
    ];
    expect(podsToDelete(pods, [], 5).length).toBe(5);
    expect(podsToDelete(pods, [], 4).map((p) => p.metadata?.name)).toEqual(['unassigned', 'pending', 'not-ready', 'ready-new']);
    const restarted = [pod('calm', { node: 'n1' }), pod('flappy', { node: 'n2', restarts: 3 })];
    expect(podsToDelete(restarted, [], 1)[0].metadata?.name).toBe('flappy');
    const ages = [pod('older', { node: 'n1', created: '2024-01-01T00:00:00Z' }), pod('newer', { node: 'n2', created: '2024-02-01T00:00:00Z' })];
    expect(podsToDelete(ages, [], 1)[0].metadata?.name).toBe('newer');
    // Of two otherwise equal pods, the one sharing its node with more siblings goes.
    const crowded = [pod('alone', { node: 'n1' }), pod('crowded', { node: 'n2' })];
    expect(podsToDelete(crowded, [...crowded, pod('sibling', { node: 'n2' })], 1)[0].metadata?.name).toBe('crowded');
  });

  it('counts a pod available only after minReadySeconds of readiness', () => {
    const since = Date.parse('2024-01-01T00:00:00Z');
    const ready = pod('p', { ready: true });
    expect(isPodAvailable(ready, 10, since + 9_000)).toBe(false);
    expect(isPodAvailable(ready, 10, since + 10_000)).toBe(true);
    expect(isPodAvailable(pod('q'), 0, since)).toBe(false);
  });

  it('keeps a condition unchanged when status and reason are the same', () => {
    const first = setCondition([], { type: 'Available', status: 'True', reason: 'A', lastTransitionTime: 't1' });
    expect(setCondition(first, { type: 'Available', status: 'True', reason: 'A', lastTransitionTime: 't2' })).toBe(first);
    expect(setCondition(first, { type: 'Available', status: 'True', reason: 'B', lastTransitionTime: 't2' })[0]).toMatchObject({ reason: 'B', lastTransitionTime: 't1' });
  });
});
