import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import {
  computeTemplateHash,
  equalIgnoreHash,
  findNewReplicaSet,
  replicaSetsToCleanUp,
  setNewReplicaSetAnnotations,
  templateWithHash,
} from './deployment-revisions.ts';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } };

describe('deployment revisions', () => {
  it('hashes templates stably, differently per template and per collision count', () => {
    const hash = computeTemplateHash(template);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeTemplateHash(structuredClone(template))).toBe(hash);
    expect(computeTemplateHash({ ...template, spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } })).not.toBe(hash);
    expect(computeTemplateHash(template, 1)).not.toBe(hash);
  });

  it('compares templates ignoring the pod-template-hash label', () => {
    expect(equalIgnoreHash(templateWithHash(template, 'abc'), template)).toBe(true);
    expect(equalIgnoreHash(templateWithHash(template, 'abc'), { ...template, metadata: { labels: { app: 'api' } } })).toBe(false);
    const d: Deployment = { spec: { selector: {}, template } };
    const rs: ReplicaSet = { metadata: { name: 'web-abc', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { selector: {}, template: templateWithHash(template, 'abc') } };
    expect(findNewReplicaSet(d, [rs])).toBe(rs);
  });

  it('raises the revision of a reused ReplicaSet, remembering the old one, and copies change-cause', () => {
    const d: Deployment = { metadata: { annotations: { 'kubernetes.io/change-cause': 'undo', 'deployment.kubernetes.io/revision': '2' } }, spec: { replicas: 2, selector: {}, template } };
    const rs: ReplicaSet = { metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } }, spec: { selector: {} } };
    expect(setNewReplicaSetAnnotations(d, rs, 3, true, 1)).toBe(true);
    expect(rs.metadata?.annotations).toEqual({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
      'kubernetes.io/change-cause': 'undo',
    });
    expect(setNewReplicaSetAnnotations(d, rs, 3, true, 1)).toBe(false);
    const fresh: ReplicaSet = { metadata: {}, spec: { selector: {} } };
    setNewReplicaSetAnnotations(d, fresh, 1, false, 1);
    expect(fresh.metadata?.annotations).toMatchObject({ 'deployment.kubernetes.io/desired-replicas': '2', 'deployment.kubernetes.io/max-replicas': '3' });
  });

  it('cleans up the lowest empty revisions beyond the history limit', () => {
    const old = (revision: number, replicas: number): ReplicaSet => ({
      metadata: { name: `r${revision}`, annotations: { 'deployment.kubernetes.io/revision': String(revision) }, generation: 1 },
      spec: { replicas, selector: {} },
      status: { replicas, observedGeneration: 1 },
    });
    const sets = [old(3, 0), old(1, 0), old(2, 1)];
    expect(replicaSetsToCleanUp(sets, 1).map((rs) => rs.metadata?.name)).toEqual(['r1']); // r2 still has a pod
    expect(replicaSetsToCleanUp(sets, 3)).toEqual([]);
    expect(replicaSetsToCleanUp(sets, undefined)).toEqual([]);
  });
});
