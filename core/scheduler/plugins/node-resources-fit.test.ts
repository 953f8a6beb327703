import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';

const state = new CycleState();

describe('NodeResourcesFit filter', () => {
  const node = newNodeInfo(makeNode('a', { cpu: '2', memory: '1Gi', pods: '2' }), [makePod('old', { cpu: '1500m', memory: '512Mi' })]);

  it('fits requests into allocatable minus what is already requested', () => {
    expect(nodeResourcesFit.filter(state, makePod('p', { cpu: '500m', memory: '512Mi' }), node).code).toBe('Success');
  });

  it('reports each missing resource; resolvable when the node could hold the pod empty', () => {
    expect(nodeResourcesFit.filter(state, makePod('p', { cpu: '600m', memory: '600Mi' }), node)).toEqual({
      code: 'Unschedulable',
      reasons: ['Insufficient cpu', 'Insufficient memory'],
    });
  });

  it('is unresolvable when the request exceeds the whole node', () => {
    expect(nodeResourcesFit.filter(state, makePod('p', { cpu: '3' }), node)).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] });
  });

  it('counts pod slots, even for pods without requests', () => {
    const full = newNodeInfo(makeNode('a', { pods: '1' }), [makePod('old')]);
    expect(nodeResourcesFit.filter(state, makePod('p'), full)).toEqual({ code: 'Unschedulable', reasons: ['Too many pods'] });
  });

  it('uses effective requests: the biggest init container counts', () => {
    const pod = makePod('p', { cpu: '100m', spec: { initContainers: [{ name: 'init', image: 'x', resources: { requests: { cpu: '1' } } }] } });
    expect(nodeResourcesFit.filter(state, pod, node).reasons).toEqual(['Insufficient cpu']);
  });
});
