import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../core/api/errors.ts';
import type { ResourceInfo } from '../../../core/api/resource-catalog.ts';
import {
  commitScale,
  cronJobSummary,
  deploymentCounts,
  groupReplicaSets,
  jobCounts,
  kubectlScaleCommand,
  maxReplicaSlot,
  scaleWithUndo,
  templateImages,
  type ScaleClient,
  type ScaleFeedback,
  type ScaleTarget,
} from './workloads.ts';

/** A scale subresource in memory: each write bumps resourceVersion; a stale one gets 409. */
class StubScaleClient implements ScaleClient {
  replicas: number;
  resourceVersion = 1;
  writes: Scale[] = [];
  /** Someone else writes just after each of the next N reads. */
  interleavedWrites = 0;
  failWith: Error | undefined;
  infos: ResourceInfo[] = [];

  constructor(replicas: number) {
    this.replicas = replicas;
  }

  async getScale(info: ResourceInfo, namespace: string, name: string): Promise<Scale> {
    this.infos.push(info);
    const scale: Scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { namespace, name, resourceVersion: String(this.resourceVersion) }, spec: { replicas: this.replicas } };
    if (this.interleavedWrites > 0) {
      this.interleavedWrites--;
      this.resourceVersion++;
    }
    return scale;
  }

  async updateScale(_info: ResourceInfo, _namespace: string, _name: string, scale: Scale): Promise<Scale> {
    if (this.failWith) throw this.failWith;
    this.writes.push(scale);
    if (scale.metadata?.resourceVersion !== String(this.resourceVersion)) throw new ApiError(409, 'Conflict', 'the object has been modified');
    this.replicas = scale.spec?.replicas ?? 0;
    this.resourceVersion++;
    return scale;
  }
}

const web: ScaleTarget = { kind: 'Deployment', namespace: 'shop', name: 'web' };

function feedbackFor(client: ScaleClient) {
  const toasts: { message: string; kind?: string; action?: { label: string; run: () => void | Promise<void> } }[] = [];
  const commands: string[] = [];
  const feedback: ScaleFeedback = {
    client,
    showKubectl: (command) => commands.push(command),
    toast: (message, options) => toasts.push({ message, ...options }),
    scaledMessage: (_target, from, to) => `scaled ${from} -> ${to}`,
    undoLabel: 'Undo',
    errorMessage: (_target, message) => `error: ${message}`,
  };
  return { feedback, toasts, commands };
}

describe('workload counts', () => {
  it('reads desired, ready and available of a Deployment (replicas default to 1)', () => {
    const deployment: Deployment = { metadata: { name: 'web' }, spec: { selector: {}, template: {} }, status: { readyReplicas: 1, availableReplicas: 1 } };
    expect(deploymentCounts(deployment)).toEqual({ desired: 1, ready: 1, available: 1 });
    expect(deploymentCounts({ ...deployment, spec: { ...deployment.spec!, replicas: 5 }, status: {} })).toEqual({ desired: 5, ready: 0, available: 0 });
  });

  it('reads job progress and cron state', () => {
    const job: Job = { metadata: { name: 'j' }, spec: { completions: 3, template: {} }, status: { succeeded: 2, failed: 1, active: 1 } };
    expect(jobCounts(job)).toEqual({ completions: 3, succeeded: 2, failed: 1, active: 1 });
    const cron: CronJob = {
      metadata: { name: 'c' },
      spec: { schedule: '*/5 * * * *', suspend: true, jobTemplate: {} },
      status: { lastScheduleTime: '2024-01-01T00:00:00Z', active: [{ name: 'c-1' }] },
    };
    expect(cronJobSummary(cron)).toEqual({ schedule: '*/5 * * * *', suspend: true, lastScheduleTime: '2024-01-01T00:00:00Z', active: 1 });
  });

  it('lists init and app container images', () => {
    expect(templateImages({ spec: { initContainers: [{ name: 'i', image: 'busybox' }], containers: [{ name: 'c', image: 'nginx:1.27' }] } })).toEqual(['busybox', 'nginx:1.27']);
  });

  it('puts ReplicaSets under the Deployment that controls them', () => {
    const owned = (name: string, owner: string): ReplicaSet => ({
      metadata: { namespace: 'shop', name, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: 'u', controller: true }] },
    });
    const alone: ReplicaSet = { metadata: { namespace: 'shop', name: 'alone' } };
    const { byDeployment, standalone } = groupReplicaSets([owned('web-1', 'web'), alone, owned('web-2', 'web')]);
    expect(byDeployment.get('shop/web')?.map((rs) => rs.metadata?.name)).toEqual(['web-1', 'web-2']);
    expect(standalone).toEqual([alone]);
  });

  it('offers slots up to at least ten and five beyond the desired count', () => {
    expect(maxReplicaSlot(2)).toBe(10);
    expect(maxReplicaSlot(8)).toBe(13);
  });
});

describe('scaling through the scale subresource', () => {
  it('writes spec.replicas with the read resourceVersion and returns the previous count', async () => {
    const client = new StubScaleClient(2);
    expect(await commitScale(client, web, 5)).toEqual({ previous: 2 });
    expect(client.replicas).toBe(5);
    expect(client.writes[0].metadata?.resourceVersion).toBe('1');
    expect(client.infos[0].plural).toBe('deployments');
  });

  it('re-reads and retries once on a 409 Conflict', async () => {
    const client = new StubScaleClient(2);
    client.interleavedWrites = 1;
    await commitScale(client, web, 5);
    expect(client.writes).toHaveLength(2);
    expect(client.replicas).toBe(5);
  });

  it('gives up after the second conflict', async () => {
    const client = new StubScaleClient(2);
    client.interleavedWrites = 2;
    await expect(commitScale(client, web, 5)).rejects.toMatchObject({ code: 409 });
    expect(client.writes).toHaveLength(2);
    expect(client.replicas).toBe(2);
  });

  it('shows the kubectl command and an undo toast that scales back', async () => {
    const client = new StubScaleClient(2);
    const { feedback, toasts, commands } = feedbackFor(client);
    expect(await scaleWithUndo(feedback, web, 5)).toBe(true);
    expect(commands).toEqual(['kubectl scale deployment/web --replicas=5 -n shop']);
    expect(toasts).toHaveLength(1);
    expect(toasts[0].message).toBe('scaled 2 -> 5');
    expect(toasts[0].action?.label).toBe('Undo');
    await toasts[0].action!.run();
    expect(client.replicas).toBe(2);
    expect(commands.at(-1)).toBe('kubectl scale deployment/web --replicas=2 -n shop');
  });

  it('toasts the API error message and resolves false', async () => {
    const client = new StubScaleClient(2);
    client.failWith = new ApiError(422, 'Invalid', 'spec.replicas: Invalid value: -1');
    const { feedback, toasts } = feedbackFor(client);
    expect(await scaleWithUndo(feedback, web, 5)).toBe(false);
    expect(toasts).toEqual([{ message: 'error: spec.replicas: Invalid value: -1', kind: 'error' }]);
  });

  it('prints kubectl scale for ReplicaSets too', () => {
    expect(kubectlScaleCommand({ kind: 'ReplicaSet', namespace: 'default', name: 'rs' }, 3)).toBe('kubectl scale replicaset/rs --replicas=3 -n default');
  });
});
