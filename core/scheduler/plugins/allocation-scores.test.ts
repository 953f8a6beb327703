import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { balancedAllocation, balancedScore } from './balanced-allocation.ts';
import { leastAllocated, leastRequestedScore } from './least-allocated.ts';
import { mostAllocated, mostRequestedScore } from './most-allocated.ts';

// least-allocated, most-allocated and balanced-allocation: the three resource scorers.

const state = new CycleState();

describe('LeastAllocated', () => {
  it('scores the share left free, averaged over cpu and memory', () => {
    expect(leastRequestedScore(1000, 4000)).toBe(75);
    expect(leastRequestedScore(5000, 4000)).toBe(0);
    const node = newNodeInfo(makeNode('a', { cpu: '4', memory: '4Gi' }), [makePod('old', { cpu: '1', memory: '1Gi' })]);
    // with the pod: cpu 2/4 -> 50, memory 1.5/4 -> 62
    expect(leastAllocated.score(state, makePod('p', { cpu: '1', memory: '512Mi' }), node)).toBe(56);
  });

  it('counts request-less pods as 100m / 200Mi', () => {
    const node = newNodeInfo(makeNode('a', { cpu: '1', memory: '2000Mi' }));
    // cpu (1000-100)/1000 -> 90, memory (2000-200)/2000 -> 90
    expect(leastAllocated.score(state, makePod('p'), node)).toBe(90);
  });
});

describe('MostAllocated', () => {
  it('scores the share used, capped at the capacity', () => {
    expect(mostRequestedScore(1000, 4000)).toBe(25);
    expect(mostRequestedScore(5000, 4000)).toBe(100);
    const node = newNodeInfo(makeNode('a', { cpu: '3', memory: '3Gi' }), [makePod('old', { cpu: '1', memory: '1Gi' })]);
    expect(mostAllocated.score(state, makePod('p', { cpu: '1', memory: '1Gi' }), node)).toBe(66);
  });
});

describe('BalancedAllocation', () => {
  it('is 100 when cpu and memory are used alike and drops with the difference', () => {
    expect(balancedScore([{ requested: 1, allocatable: 2 }, { requested: 2, allocatable: 4 }])).toBe(100);
    expect(balancedScore([{ requested: 4, allocatable: 4 }, { requested: 0, allocatable: 4 }])).toBe(50);
    const node = newNodeInfo(makeNode('a', { cpu: '4', memory: '4Gi' }));
    expect(balancedAllocation.score(state, makePod('p', { cpu: '2', memory: '1Gi' }), node)).toBe(87);
  });
});
