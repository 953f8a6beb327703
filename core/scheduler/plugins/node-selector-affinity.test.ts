import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { nodeAffinity, nodeMatchesPodAffinity, preferredAffinityWeight, REASON_NODE_AFFINITY } from './node-selector-affinity.ts';

const state = new CycleState();
const ssd = makeNode('a', { labels: { disk: 'ssd', cores: '8' } });
const hdd = makeNode('b', { labels: { disk: 'hdd', cores: '2' } });

describe('NodeAffinity filter', () => {
  it('applies nodeSelector', () => {
    const pod = makePod('p', { spec: { nodeSelector: { disk: 'ssd' } } });
    expect(nodeAffinity.filter(state, pod, newNodeInfo(ssd)).code).toBe('Success');
    expect(nodeAffinity.filter(state, pod, newNodeInfo(hdd))).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [REASON_NODE_AFFINITY] });
  });

  it('ORs required terms and ANDs expressions, with every operator', () => {
    const required = (expressions: { key: string; operator: string; values?: string[] }[]) =>
      makePod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expressions }] } } } } });
    expect(nodeMatchesPodAffinity(required([{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }]), ssd)).toBe(true);
    expect(nodeMatchesPodAffinity(required([{ key: 'disk', operator: 'NotIn', values: ['ssd'] }]), ssd)).toBe(false);
    expect(nodeMatchesPodAffinity(required([{ key: 'gpu', operator: 'DoesNotExist' }]), ssd)).toBe(true);
    expect(nodeMatchesPodAffinity(required([{ key: 'disk', operator: 'Exists' }, { key: 'cores', operator: 'Gt', values: ['4'] }]), ssd)).toBe(true);
    expect(nodeMatchesPodAffinity(required([{ key: 'cores', operator: 'Gt', values: ['4'] }]), hdd)).toBe(false);
    expect(nodeMatchesPodAffinity(required([{ key: 'cores', operator: 'Lt', values: ['4'] }]), hdd)).toBe(true);
    const byName = makePod('p', {
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'disk', operator: 'In', values: ['nvme'] }] }] } } } },
    });
    expect(nodeMatchesPodAffinity(byName, hdd)).toBe(true);
    expect(nodeMatchesPodAffinity(byName, ssd)).toBe(false);
  });
});

describe('NodeAffinity score', () => {
  const preferring = makePod('p', {
    spec: {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 80, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: 'cores', operator: 'Exists' }] } },
          ],
        },
      },
    },
  });

  it('sums the weights of matching preferred terms and normalizes to the best node', () => {
    expect(preferredAffinityWeight(preferring, ssd)).toBe(100);
    expect(preferredAffinityWeight(preferring, hdd)).toBe(20);
    const raw = [
      { name: 'a', score: nodeAffinity.score(state, preferring, newNodeInfo(ssd)) },
      { name: 'b', score: nodeAffinity.score(state, preferring, newNodeInfo(hdd)) },
    ];
    expect(nodeAffinity.normalize(state, preferring, raw).map((s) => s.score)).toEqual([100, 20]);
  });

  it('skips pods without preferences', () => {
    expect(nodeAffinity.preScore(state, makePod('p'))).toBe('Skip');
    expect(nodeAffinity.preScore(state, preferring)).toBeUndefined();
  });
});
