import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { EXPLANATION_ANNOTATION, formatNodeVerdict, pendingReason } from './pending-reason.ts';

// The annotation exactly as core/scheduler writes it.
const explanation = JSON.stringify({
  time: '2024-05-01T10:00:00Z',
  result: 'Unschedulable',
  message: '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {lab: x}.',
  scoringStrategy: 'LeastAllocated',
  nodes: [
    { name: 'lab-1', filters: [{ plugin: 'NodeUnschedulable', code: 'Success' }, { plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Insufficient cpu'] }] },
    { name: 'lab-2', filters: [{ plugin: 'TaintToleration', code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {lab: x}'] }] },
  ],
});

function pendingPod(annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name: 'big', namespace: 'default', uid: 'p1', annotations },
    spec: { containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'condition text' }] },
  };
}

const event: Event = {
  metadata: { name: 'big.1', namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'big', namespace: 'default', uid: 'p1' },
  reason: 'FailedScheduling',
  message: 'event text',
  count: 3,
  lastTimestamp: '2024-05-01T10:00:00Z',
};
const otherEvent: Event = { ...event, involvedObject: { kind: 'Pod', name: 'small', namespace: 'default' }, message: 'not mine' };

describe('pending reason', () => {
  it('explains per node which filter turned it down and why', () => {
    const reason = pendingReason(pendingPod({ [EXPLANATION_ANNOTATION]: explanation }), [event, otherEvent])!;
    expect(reason.summary).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {lab: x}.');
    expect(reason.nodes.map(formatNodeVerdict)).toEqual(['lab-1: NodeResourcesFit: Insufficient cpu', 'lab-2: TaintToleration: node(s) had untolerated taint {lab: x}']);
    expect(reason.conditionMessage).toBe('condition text');
    expect(reason.events).toEqual([{ message: 'event text', count: 3, last: '2024-05-01T10:00:00Z' }]);
  });

  it('falls back to the PodScheduled condition when there is no annotation', () => {
    const reason = pendingReason(pendingPod(), [])!;
    expect(reason.summary).toBe('condition text');
    expect(reason.nodes).toEqual([]);
  });

  it('says nothing for a bound pod', () => {
    const pod = pendingPod();
    pod.spec!.nodeName = 'lab-1';
    expect(pendingReason(pod, [event])).toBeUndefined();
  });
});
