import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { nodeUnschedulable, REASON_NODE_UNSCHEDULABLE } from './node-unschedulable.ts';

describe('NodeUnschedulable', () => {
  const cordoned = newNodeInfo(makeNode('a', { unschedulable: true }));

  it('passes schedulable nodes', () => {
    expect(nodeUnschedulable.filter(new CycleState(), makePod('p'), newNodeInfo(makeNode('a'))).code).toBe('Success');
  });

  it('rejects a cordoned node as unresolvable', () => {
    expect(nodeUnschedulable.filter(new CycleState(), makePod('p'), cordoned)).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [REASON_NODE_UNSCHEDULABLE] });
  });

  it('lets pods that tolerate the unschedulable taint through', () => {
    const pod = makePod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    expect(nodeUnschedulable.filter(new CycleState(), pod, cordoned).code).toBe('Success');
  });
});
