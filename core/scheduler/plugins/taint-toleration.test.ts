import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { countIntolerablePreferNoSchedule, taintToleration, toleratesTaint } from './taint-toleration.ts';

const state = new CycleState();

describe('toleratesTaint', () => {
  const taint = { key: 'lab', value: 'x', effect: 'NoSchedule' };
  it('matches key, value and effect like Kubernetes', () => {
    expect(toleratesTaint({ key: 'lab', value: 'x', effect: 'NoSchedule' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'lab', operator: 'Equal', value: 'y' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'lab', operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'lab', operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, taint)).toBe(false);
  });
});

describe('TaintToleration filter', () => {
  const tainted = newNodeInfo(makeNode('a', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }, { key: 'lab', value: 'x', effect: 'NoSchedule' }] }));

  it('rejects an untolerated NoSchedule taint with Kubernetes wording', () => {
    expect(taintToleration.filter(state, makePod('p'), tainted)).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: ['node(s) had untolerated taint {lab: x}'] });
  });

  it('rejects NoExecute too, names an empty value as such, and ignores PreferNoSchedule', () => {
    const node = newNodeInfo(makeNode('a', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }));
    expect(taintToleration.filter(state, makePod('p'), node).reasons).toEqual(['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
    const soft = newNodeInfo(makeNode('a', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }));
    expect(taintToleration.filter(state, makePod('p'), soft).code).toBe('Success');
  });

  it('passes when the pod tolerates the taint', () => {
    const pod = makePod('p', { spec: { tolerations: [{ key: 'lab', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] } });
    expect(taintToleration.filter(state, pod, tainted).code).toBe('Success');
  });
});

describe('TaintToleration score', () => {
  it('counts intolerable PreferNoSchedule taints and reverses them on normalize', () => {
    const taints = [
      { key: 'a', effect: 'PreferNoSchedule' },
      { key: 'b', effect: 'PreferNoSchedule' },
    ];
    expect(countIntolerablePreferNoSchedule(taints, [])).toBe(2);
    expect(countIntolerablePreferNoSchedule(taints, [{ key: 'a', operator: 'Exists' }])).toBe(1);
    // A toleration for another effect does not count.
    expect(countIntolerablePreferNoSchedule(taints, [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }])).toBe(2);
    const pod = makePod('p');
    const scores = ['x', 'y', 'z'].map((name, i) => ({
      name,
      score: taintToleration.score(state, pod, newNodeInfo(makeNode(name, { taints: taints.slice(0, i) }))),
    }));
    expect(scores.map((s) => s.score)).toEqual([0, 1, 2]);
    expect(taintToleration.normalize(state, pod, scores).map((s) => s.score)).toEqual([100, 50, 0]);
  });
});
