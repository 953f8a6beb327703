import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { nodeName, REASON_NODE_NAME } from './node-name.ts';

describe('NodeName', () => {
  it('passes a pod without spec.nodeName and the named node; rejects others', () => {
    const state = new CycleState();
    expect(nodeName.filter(state, makePod('p'), newNodeInfo(makeNode('a'))).code).toBe('Success');
    expect(nodeName.filter(state, makePod('p', { nodeName: 'a' }), newNodeInfo(makeNode('a'))).code).toBe('Success');
    expect(nodeName.filter(state, makePod('p', { nodeName: 'a' }), newNodeInfo(makeNode('b')))).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [REASON_NODE_NAME] });
  });
});
