import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import { pausePatch, rollbackPatch, rolloutRevisions, rolloutStatus, RolloutError } from './rollout-history.ts';

const template = (image: string, hash?: string) => ({
  metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'web', image }] },
});

function deployment(image: string, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd1', generation: 3, annotations: { 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'set image web:2' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template(image), ...extra },
    status: { observedGeneration: 3, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 },
  };
}

function replicaSet(name: string, revision: number, image: string, changeCause?: string, owner = 'd1'): ReplicaSet {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: `2024-05-0${revision}T10:00:00Z`,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true }],
      annotations: {
        'deployment.kubernetes.io/revision': String(revision),
        'deployment.kubernetes.io/desired-replicas': '3',
        ...(changeCause ? { 'kubernetes.io/change-cause': changeCause } : {}),
      },
    },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: template(image, `h${revision}`) },
    status: { replicas: 0 },
  };
}

const sets = [replicaSet('web-a', 1, 'web:1', 'create'), replicaSet('web-b', 2, 'web:2', 'set image web:2'), replicaSet('other', 5, 'x:1', undefined, 'someone-else')];

describe('rollout history', () => {
  it('lists the revisions of the Deployment, newest first, marking the one it runs', () => {
    const revisions = rolloutRevisions(deployment('web:2'), sets);
    expect(revisions.map((r) => [r.revision, r.images, r.changeCause, r.current])).toEqual([
      [2, ['web:2'], 'set image web:2', true],
      [1, ['web:1'], 'create', false],
    ]);
  });

  it('builds kubectl rollout undo\'s JSON patch: the old template without its hash label, its annotations, our bookkeeping', () => {
    const patch = rollbackPatch(deployment('web:2'), sets, 1);
    expect(patch).toEqual([
      { op: 'replace', path: '/spec/template', value: template('web:1') },
      {
        op: 'replace',
        path: '/metadata/annotations',
        // desired-replicas is the ReplicaSet's bookkeeping: not copied (kubectl's annotationsToSkip).
        value: { 'deployment.kubernetes.io/revision': '2', 'kubernetes.io/change-cause': 'create' },
      },
    ]);
  });

  it('refuses as kubectl does: paused, unknown revision, or the template already running', () => {
    expect(() => rollbackPatch(deployment('web:2', { paused: true }), sets, 1)).toThrow(/paused/);
    expect(() => rollbackPatch(deployment('web:2'), sets, 7)).toThrow(RolloutError);
    expect(() => rollbackPatch(deployment('web:2'), sets, 2)).toThrow(/already matches revision 2/);
    expect(() => rollbackPatch(deployment('web:2'), sets, 5)).toThrow(/revision 5/);
  });

  it('pauses with spec.paused and resumes by removing it', () => {
    expect(pausePatch(true)).toEqual({ spec: { paused: true } });
    expect(pausePatch(false)).toEqual({ spec: { paused: null } });
  });

  it('reports the rollout status like kubectl rollout status', () => {
    expect(rolloutStatus(deployment('web:2')).summary).toBe('deployment "web" successfully rolled out');
    const rolling = deployment('web:2');
    rolling.status = { observedGeneration: 3, replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 };
    const status = rolloutStatus(rolling);
    expect(status.done).toBe(false);
    expect(status.summary).toBe('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...');
  });
});
