import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { buildNodeInfos, type NodeInfo } from './node-info.ts';
import { buildProfile } from './registry.ts';
import { scheduleOne } from './schedule-one.ts';
import { explanationAnnotationValue } from './explanation.ts';
import { makeNode, makePod } from './test-fixtures.ts';

const least = buildProfile({ scoringStrategy: 'LeastAllocated' });
const most = buildProfile({ scoringStrategy: 'MostAllocated' });

/** Schedules pods one after another, each placement assumed before the next, as the scheduler's cache does. */
function placeAll(pods: Pod[], nodes: ReturnType<typeof makeNode>[], profile = least): string[] {
  const placed: Pod[] = [];
  return pods.map((pod) => {
    const result = scheduleOne(pod, buildNodeInfos(nodes, placed), profile);
    expect(result.nodeName).toBeDefined();
    placed.push({ ...pod, spec: { ...pod.spec!, nodeName: result.nodeName } });
    return result.nodeName!;
  });
}

function counts(names: string[]): Record<string, number> {
  return names.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});
}

describe('scheduleOne', () => {
  const equalNodes = () => ['a', 'b', 'c'].map((n) => makeNode(n, { cpu: '2', memory: '4Gi' }));

  it('spreads 6 pods 2-2-2 over 3 equal nodes under LeastAllocated', () => {
    const pods = Array.from({ length: 6 }, (_, i) => makePod(`p${i}`, { cpu: '250m', memory: '256Mi' }));
    expect(counts(placeAll(pods, equalNodes()))).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('fills node A before node B under MostAllocated', () => {
    const nodes = ['a', 'b', 'c'].map((n) => makeNode(n, { cpu: '3', memory: '3Gi' }));
    const pods = Array.from({ length: 5 }, (_, i) => makePod(`p${i}`, { cpu: '1', memory: '1Gi' }));
    expect(placeAll(pods, nodes, most)).toEqual(['a', 'a', 'a', 'b', 'b']);
  });

  it('still packs the pods of one Deployment under MostAllocated (default spreading is off there)', () => {
    const nodes = ['a', 'b', 'c'].map((n) => makeNode(n, { cpu: '2', memory: '4Gi' }));
    const pods = Array.from({ length: 6 }, (_, i) => makePod(`p${i}`, { cpu: '600m', ownerUid: 'rs-1' }));
    expect(counts(placeAll(pods, nodes, most))).toEqual({ a: 3, b: 3 });
    expect(counts(placeAll(pods, nodes, least))).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('explains a pod bigger than every node with the exact Kubernetes message', () => {
    const result = scheduleOne(makePod('big', { cpu: '8' }), buildNodeInfos(equalNodes(), []), least);
    expect(result.nodeName).toBeUndefined();
    expect(result.explanation.result).toBe('Unschedulable');
    expect(result.explanation.message).toBe(
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    const [first] = result.explanation.nodes;
    expect(first.filters.at(-1)).toEqual({ plugin: 'NodeResourcesFit', code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] });
    expect(first.scores).toBeUndefined();
  });

  it('keeps pods off tainted nodes unless they tolerate the taint, and counts reasons per node', () => {
    const nodes = [
      makeNode('a', { taints: [{ key: 'lab', value: 'x', effect: 'NoSchedule' }] }),
      makeNode('b', { taints: [{ key: 'lab', value: 'x', effect: 'NoSchedule' }] }),
      makeNode('c', { cpu: '1' }),
    ];
    const infos = buildNodeInfos(nodes, [makePod('hog', { cpu: '800m', nodeName: 'c' })]);
    const blocked = scheduleOne(makePod('p', { cpu: '500m' }), infos, least);
    expect(blocked.explanation.message).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {lab: x}. ' +
        'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.',
    );
    const tolerant = makePod('t', { cpu: '500m', spec: { tolerations: [{ key: 'lab', operator: 'Exists' }] } });
    expect(scheduleOne(tolerant, infos, least).nodeName).toBe('a');
  });

  it('honours the node selector', () => {
    const nodes = [makeNode('a'), makeNode('b', { labels: { disk: 'ssd' } }), makeNode('c')];
    const pod = makePod('p', { spec: { nodeSelector: { disk: 'ssd' } } });
    expect(scheduleOne(pod, buildNodeInfos(nodes, []), least).nodeName).toBe('b');
    const nowhere = makePod('q', { spec: { nodeSelector: { disk: 'nvme' } } });
    expect(scheduleOne(nowhere, buildNodeInfos(nodes, []), least).explanation.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('places pods with the same host port on different nodes', () => {
    const withPort = (name: string) => makePod(name, { container: { ports: [{ containerPort: 80, hostPort: 8080 }] } });
    const nodes = [makeNode('a'), makeNode('b')];
    const placed = placeAll([withPort('p1'), withPort('p2')], nodes);
    expect(new Set(placed).size).toBe(2);
    const infos = buildNodeInfos(nodes, [withPort('x1'), withPort('x2')].map((p, i) => ({ ...p, spec: { ...p.spec!, nodeName: ['a', 'b'][i] } })));
    expect(scheduleOne(withPort('p3'), infos, least).explanation.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
    );
  });

  it('explains each feasible node with raw, normalized and weighted scores', () => {
    const infos: NodeInfo[] = buildNodeInfos(equalNodes(), [makePod('old', { cpu: '1', memory: '1Gi', nodeName: 'a' })]);
    const result = scheduleOne(makePod('p', { cpu: '500m', memory: '512Mi' }), infos, least);
    const a = result.explanation.nodes.find((n) => n.name === 'a')!;
    expect(a.filters.map((f) => f.code)).toEqual(Array(7).fill('Success'));
    expect(a.scores!.map((s) => s.plugin)).toEqual(['TaintToleration', 'NodeResourcesFit', 'NodeResourcesBalancedAllocation', 'ImageLocality']);
    expect(a.scores!.find((s) => s.plugin === 'TaintToleration')).toEqual({ plugin: 'TaintToleration', raw: 0, score: 100, weight: 3 });
    expect(a.total).toBe(a.scores!.reduce((sum, s) => sum + s.score * s.weight, 0));
    expect(result.nodeName).not.toBe('a');
  });

  it('gives every node that passed all filters one shared, frozen filter list; a failing node lists the passed filters and its failure', () => {
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c', { cpu: '1' })];
    const result = scheduleOne(makePod('p', { cpu: '2' }), buildNodeInfos(nodes, []), least);
    const [a, b, c] = result.explanation.nodes;
    expect(a.filters).toBe(b.filters);
    expect(Object.isFrozen(a.filters) && Object.isFrozen(a.filters[0])).toBe(true);
    expect(a.filters.map((f) => f.plugin)).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeBinding']);
    expect(c.filters).toEqual([...a.filters.slice(0, 5), { plugin: 'NodeResourcesFit', code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu'] }]);
    expect(a.filters).toHaveLength(7);
  });

  it('breaks ties by name, or with the given random source', () => {
    const infos = buildNodeInfos(equalNodes(), []);
    expect(scheduleOne(makePod('p'), infos, least).nodeName).toBe('a');
    expect(scheduleOne(makePod('p'), infos, least, { random: () => 0.99 }).nodeName).toBe('c');
  });

  it('says so when there are no nodes at all', () => {
    expect(scheduleOne(makePod('p'), [], least).explanation).toEqual({ result: 'Unschedulable', message: 'no nodes available to schedule pods', nodes: [] });
  });

  describe('in a cluster of more than 100 nodes', () => {
    const name = (i: number) => `n-${String(i).padStart(3, '0')}`;
    const nodes = Array.from({ length: 300 }, (_, i) => makeNode(name(i)));
    // 300 nodes: 50 - 300/125 = 48% -> 144 feasible nodes are enough.
    const toFind = 144;

    it('stops filtering once enough nodes fit and starts the next cycle where this one stopped', () => {
      const infos = buildNodeInfos(nodes, []);
      const first = scheduleOne(makePod('p1'), infos, least);
      expect(first.explanation.nodes.map((n) => n.name)).toEqual(Array.from({ length: toFind }, (_, i) => name(i)));
      expect(first.explanation.uncheckedNodes).toBe(300 - toFind);
      expect(first.nextStartNodeIndex).toBe(toFind);
      expect(first.explanation.nodes.every((n) => n.total !== undefined)).toBe(true);

      // From 144 on: 144..287 are checked; the next start is 288.
      const second = scheduleOne(makePod('p2'), infos, least, { startNodeIndex: first.nextStartNodeIndex });
      expect(second.explanation.nodes.map((n) => n.name)).toEqual(Array.from({ length: toFind }, (_, i) => name(toFind + i)));
      expect(second.nextStartNodeIndex).toBe(2 * toFind);
      expect(Number(second.nodeName!.slice(2))).toBeGreaterThanOrEqual(toFind);

      // From 288 on it wraps past the end: 288..299 then 0..131, listed in name order.
      const third = scheduleOne(makePod('p3'), infos, least, { startNodeIndex: second.nextStartNodeIndex });
      const expected = [...Array.from({ length: 132 }, (_, i) => name(i)), ...Array.from({ length: 12 }, (_, i) => name(288 + i))];
      expect(third.explanation.nodes.map((n) => n.name)).toEqual(expected);
      expect(third.nextStartNodeIndex).toBe(132);
    });

    it('counts nodes that failed a filter among the checked ones', () => {
      const infos = buildNodeInfos(nodes, Array.from({ length: 10 }, (_, i) => makePod(`hog${i}`, { cpu: '4', nodeName: name(i) })));
      const result = scheduleOne(makePod('p', { cpu: '1' }), infos, least);
      expect(result.explanation.nodes).toHaveLength(toFind + 10);
      expect(result.nextStartNodeIndex).toBe(toFind + 10);
      expect(result.explanation.nodes.slice(0, 10).every((n) => n.filters.at(-1)?.code === 'Unschedulable')).toBe(true);
    });

    it('checks every node when the percentage is 100, and when nothing fits', () => {
      const infos = buildNodeInfos(nodes, []);
      expect(scheduleOne(makePod('p'), infos, least, { percentageOfNodesToScore: 100 }).explanation.nodes).toHaveLength(300);
      const big = scheduleOne(makePod('big', { cpu: '8' }), infos, least, { startNodeIndex: 7 });
      expect(big.explanation.nodes).toHaveLength(300);
      expect(big.explanation.uncheckedNodes).toBeUndefined();
      expect(big.explanation.message).toMatch(/^0\/300 nodes are available: 300 Insufficient cpu\./);
      expect(big.nextStartNodeIndex).toBe(7);
    });

    it('writes only checked nodes into the annotation and says how many went unchecked', () => {
      const result = scheduleOne(makePod('p'), buildNodeInfos(nodes, []), least, { startNodeIndex: 200 });
      const value = JSON.parse(explanationAnnotationValue(result.explanation, 'LeastAllocated', new Date(0)));
      expect(value.uncheckedNodes).toBe(300 - toFind);
      expect(value.omittedNodes).toBe(toFind - value.nodes.length);
      const checked = new Set(result.explanation.nodes.map((n) => n.name));
      expect(value.nodes.every((n: { name: string }) => checked.has(n.name))).toBe(true);
      expect(checked.has(name(199))).toBe(false);
    });
  });
});
