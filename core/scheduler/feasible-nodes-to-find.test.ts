import { describe, expect, it } from 'vitest';
import { numFeasibleNodesToFind } from './feasible-nodes-to-find.ts';

describe('numFeasibleNodesToFind', () => {
  it('checks every node of a small cluster', () => {
    expect(numFeasibleNodesToFind(undefined, 0)).toBe(0);
    expect(numFeasibleNodesToFind(undefined, 99)).toBe(99);
    expect(numFeasibleNodesToFind(10, 99)).toBe(99);
  });

  it('is adaptive by default: 50% minus a point per 125 nodes, at least 5% and 100 nodes', () => {
    expect(numFeasibleNodesToFind(undefined, 100)).toBe(100);
    expect(numFeasibleNodesToFind(0, 500)).toBe(230);
    expect(numFeasibleNodesToFind(0, 5000)).toBe(500);
    expect(numFeasibleNodesToFind(0, 6000)).toBe(300);
    expect(numFeasibleNodesToFind(0, 20000)).toBe(1000);
  });

  it('takes a configured percentage, still finding at least 100 nodes', () => {
    expect(numFeasibleNodesToFind(30, 1000)).toBe(300);
    expect(numFeasibleNodesToFind(100, 5000)).toBe(5000);
    expect(numFeasibleNodesToFind(1, 1000)).toBe(100);
  });
});
