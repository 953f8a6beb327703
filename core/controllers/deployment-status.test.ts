import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import { calculateStatus, deploymentTimedOut, pausedConditions, rolloutStatus } from './deployment-status.ts';

const now = new Date('2024-05-01T12:00:00Z');

function deployment(status: Deployment['status'] = {}, spec: Partial<Deployment['spec']> = {}): Deployment {
  return { metadata: { name: 'web', generation: 2 }, spec: { replicas: 4, selector: {}, template: {}, progressDeadlineSeconds: 60, ...spec }, status };
}

const rs = (name: string, replicas: number, available: number): ReplicaSet => ({
  metadata: { name },
  spec: { replicas, selector: {} },
  status: { replicas, readyReplicas: available, availableReplicas: available },
});

describe('deployment status', () => {
  it('sums counts over ReplicaSets and says whether minimum availability holds', () => {
    const newRs = rs('web-new', 2, 1);
    const status = calculateStatus([rs('web-old', 2, 2), newRs], newRs, deployment(), now);
    expect(status).toMatchObject({ observedGeneration: 2, replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 });
    expect(status.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    const short = calculateStatus([rs('web-new', 4, 2)], undefined, deployment(), now);
    expect(short.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('reports completion, progress, and a missed progress deadline', () => {
    const done = rs('web-new', 4, 4);
    expect(rolloutStatus([done], done, deployment(), now).conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: 'ReplicaSet "web-new" has successfully progressed.',
    });
    const stale = '2024-05-01T11:58:00Z'; // two minutes ago, deadline 60 s
    const stuck = deployment({
      replicas: 4,
      updatedReplicas: 4,
      availableReplicas: 1,
      readyReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: stale, lastTransitionTime: stale }],
    });
    const pending = rs('web-new', 4, 1);
    expect(deploymentTimedOut(stuck, stuck.status!, now)).toBe(true);
    expect(rolloutStatus([pending], pending, stuck, now).conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
    // One more available pod is progress: the deadline starts again.
    const moving = rs('web-new', 4, 2);
    expect(rolloutStatus([moving], moving, stuck, now).conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
      lastUpdateTime: '2024-05-01T12:00:00Z',
    });
  });

  it('shows pause and resume in the Progressing condition', () => {
    const paused = pausedConditions(deployment({}, { paused: true }), now);
    expect(paused?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    expect(pausedConditions(deployment({ conditions: paused }, { paused: true }), now)).toBeUndefined();
    expect(pausedConditions(deployment({ conditions: paused }), now)?.find((c) => c.type === 'Progressing')).toMatchObject({ reason: 'DeploymentResumed' });
  });
});
