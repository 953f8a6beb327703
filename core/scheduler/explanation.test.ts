import { describe, expect, it } from 'vitest';
import { EXPLAINED_NODES_LIMIT, EXPLANATION_ANNOTATION, explanationAnnotationValue, explanationChanged, explainedNodes, readExplanation } from './explanation.ts';
import type { NodeExplanation, ScheduleExplanation } from './schedule-one.ts';
import { makePod } from './test-fixtures.ts';

const failed: ScheduleExplanation = {
  result: 'Unschedulable',
  message: '0/1 nodes are available: 1 Too many pods.',
  nodes: [{ name: 'a', filters: [{ plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: ['Too many pods'] }] }],
};

describe('explanation annotation', () => {
  it('is compact JSON with the time first and no empty fields', () => {
    const value = explanationAnnotationValue(failed, 'LeastAllocated', new Date('2024-05-01T10:00:00.123Z'));
    expect(value).toBe(
      '{"time":"2024-05-01T10:00:00Z","result":"Unschedulable","message":"0/1 nodes are available: 1 Too many pods.","scoringStrategy":"LeastAllocated",' +
        '"nodes":[{"name":"a","filters":[{"plugin":"NodeResourcesFit","code":"Unschedulable","reasons":["Too many pods"]}]}]}',
    );
  });

  it('counts as unchanged when only the time differs', () => {
    const pod = makePod('p');
    pod.metadata!.annotations = { [EXPLANATION_ANNOTATION]: explanationAnnotationValue(failed, 'LeastAllocated', new Date(0)) };
    expect(readExplanation(pod)?.result).toBe('Unschedulable');
    expect(explanationChanged(pod, explanationAnnotationValue(failed, 'LeastAllocated', new Date()))).toBe(false);
    expect(explanationChanged(pod, explanationAnnotationValue(failed, 'MostAllocated', new Date()))).toBe(true);
    expect(explanationChanged(makePod('fresh'), explanationAnnotationValue(failed, 'LeastAllocated', new Date()))).toBe(true);
  });

  describe('in a big cluster', () => {
    const fits = (name: string, total: number): NodeExplanation => ({ name, filters: [{ plugin: 'NodeResourcesFit', code: 'Success' }], scores: [], total });
    const full = (name: string, reason: string): NodeExplanation => ({ name, filters: [{ plugin: 'NodeResourcesFit', code: 'Unschedulable', reasons: [reason] }] });
    const name = (i: number) => `node-${String(i).padStart(4, '0')}`;

    it('lists every node up to the limit', () => {
      const nodes = Array.from({ length: EXPLAINED_NODES_LIMIT }, (_, i) => fits(name(i), i));
      expect(explainedNodes(nodes, name(0))).toEqual(nodes);
    });

    it('keeps the chosen node, one node per distinct failure and the best-scored nodes, in name order', () => {
      const nodes = [
        ...Array.from({ length: 3000 }, (_, i) => fits(name(i), i % 100)),
        ...Array.from({ length: 1000 }, (_, i) => full(name(3000 + i), i % 2 ? 'Insufficient cpu' : 'Insufficient memory')),
      ];
      const listed = explainedNodes(nodes, name(5), 5);
      expect(listed.map((n) => n.name)).toEqual([name(5), name(99), name(199), name(3000), name(3001)]);
    });

    it('tells a node that failed after passing other filters from a feasible one', () => {
      const passed = { plugin: 'NodeUnschedulable', code: 'Success' as const };
      const failedLate = (n: string): NodeExplanation => ({ name: n, filters: [passed, { plugin: 'NodePorts', code: 'Unschedulable', reasons: ['ports'] }] });
      const nodes = [...Array.from({ length: 30 }, (_, i) => fits(name(i), 1)), failedLate(name(30)), failedLate(name(31))];
      // The failure is listed (one per distinct reason), not counted as a feasible node.
      expect(explainedNodes(nodes, name(0), 3).map((n) => n.name)).toEqual([name(0), name(1), name(30)]);
    });

    it('stays far below the 256 KiB annotation limit and says how many nodes it left out', () => {
      const nodes = Array.from({ length: 5000 }, (_, i) => fits(name(i), 600));
      const value = explanationAnnotationValue({ result: 'Scheduled', node: name(4321), nodes }, 'LeastAllocated', new Date(0));
      expect(value.length).toBeLessThan(32 * 1024);
      const parsed = JSON.parse(value);
      expect(parsed.nodes).toHaveLength(EXPLAINED_NODES_LIMIT);
      expect(parsed.nodes.map((n: NodeExplanation) => n.name)).toContain(name(4321));
      expect(parsed.omittedNodes).toBe(5000 - EXPLAINED_NODES_LIMIT);
    });
  });
});
