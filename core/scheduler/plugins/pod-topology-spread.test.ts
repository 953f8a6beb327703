import type { Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { podTopologySpread, siblingMatcher } from './pod-topology-spread.ts';

const service = (selector: Record<string, string>): Service => ({ metadata: { name: 'svc', namespace: 'default' }, spec: { selector } });

describe('PodTopologySpread (system defaults)', () => {
  it('finds siblings by controlling owner and by the Services selecting the pod', () => {
    const pod = makePod('p', { labels: { app: 'web' }, ownerUid: 'rs-1' });
    const byOwner = siblingMatcher(pod, [])!;
    expect(byOwner(makePod('s', { ownerUid: 'rs-1' }))).toBe(true);
    expect(byOwner(makePod('s', { ownerUid: 'rs-2' }))).toBe(false);
    const byService = siblingMatcher(makePod('p', { labels: { app: 'web' } }), [service({ app: 'web' })])!;
    expect(byService(makePod('s', { labels: { app: 'web' } }))).toBe(true);
    expect(byService(makePod('s', { labels: { app: 'web' }, namespace: 'other' }))).toBe(false);
    expect(siblingMatcher(makePod('lonely'), [service({ app: 'web' })])).toBeUndefined();
  });

  it('skips pods with no siblings to spread from', () => {
    expect(podTopologySpread.preScore(new CycleState(), makePod('p'), [])).toBe('Skip');
  });

  it('prefers nodes with fewer siblings', () => {
    const sibling = (name: string, nodeName: string) => makePod(name, { ownerUid: 'rs-1', nodeName });
    const nodes = [
      newNodeInfo(makeNode('a'), [sibling('s1', 'a'), sibling('s2', 'a')]),
      newNodeInfo(makeNode('b'), [sibling('s3', 'b')]),
      newNodeInfo(makeNode('c'), [makePod('stranger', { nodeName: 'c' })]),
    ];
    const state = new CycleState([], nodes);
    const pod = makePod('p', { ownerUid: 'rs-1' });
    expect(podTopologySpread.preScore(state, pod, nodes)).toBeUndefined();
    const raw = nodes.map((n) => ({ name: n.name, score: podTopologySpread.score(state, pod, n) }));
    // count x ln(3 nodes + 2) + (maxSkew 3 - 1): 2 -> 5, 1 -> 4, 0 -> 2
    expect(raw.map((s) => s.score)).toEqual([5, 4, 2]);
    expect(podTopologySpread.normalize(state, pod, raw).map((s) => s.score)).toEqual([40, 60, 100]);
  });
});
