import type { Job, JobStatus } from 'kubernetes-types/batch/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { eventReasons, finishTerminatingPods, listPods, ManualClock, PODS, setPodPhase, startTestCluster, type PodObject, type TestCluster } from './batch-controller-test-env.ts';
import { createJobController, formatIndexes, JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER, parseIndexes } from './job-controller.ts';
import { eventually } from '../../test/support/eventually.ts';

const JOBS = findByKind('batch/v1', 'Job') as ResourceInfo;

let cluster: TestCluster;
const clock = new ManualClock(Date.parse('2024-05-01T12:00:00Z'));

beforeAll(async () => {
  cluster = await startTestCluster();
  await cluster.run(createJobController({ now: clock.now }));
});
afterAll(async () => {
  await cluster?.close();
});

function job(namespace: string, name: string, spec: Partial<NonNullable<Job['spec']>> = {}, restartPolicy = 'Never'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: { template: { spec: { restartPolicy, containers: [{ name: 'work', image: 'busybox' }] } }, ...spec },
  };
}

async function jobStatus(namespace: string, name: string): Promise<JobStatus> {
  return ((await cluster.client.get(JOBS, namespace, name)).status ?? {}) as JobStatus;
}

const activePods = (pods: PodObject[]): PodObject[] =>
  pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
const hasCondition = (status: JobStatus, type: string): boolean => (status.conditions ?? []).some((c) => c.type === type && c.status === 'True');

describe('Job controller', () => {
  it('runs completions 5 with parallelism 2: never more than 2 active, exactly 5 succeeded', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'batch', { completions: 5, parallelism: 2 }));
    let maxActive = 0;
    let finishedByUs = 0;
    const status = await eventually(async () => {
      const pods = await listPods(cluster.client, ns);
      const active = activePods(pods);
      maxActive = Math.max(maxActive, active.length);
      // Play the kubelet: finish one running pod per round.
      if (active[0]) {
        await setPodPhase(cluster.client, active[0], 'Succeeded');
        finishedByUs++;
      }
      const s = await jobStatus(ns, 'batch');
      return hasCondition(s, 'Complete') && s;
    }, 'the Job to complete');
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(finishedByUs).toBe(5);
    expect(status).toMatchObject({ succeeded: 5, failed: 0, active: 0 });
    expect(status.completionTime).toBeTruthy();
    expect(status.startTime).toBe('2024-05-01T12:00:00Z');
    expect(hasCondition(status, 'SuccessCriteriaMet')).toBe(true);
    const pods = await listPods(cluster.client, ns);
    expect(pods).toHaveLength(5);
    for (const pod of pods) {
      expect(pod.metadata.generateName).toBe('batch-');
      expect(pod.metadata.labels?.['batch.kubernetes.io/job-name']).toBe('batch');
      expect(pod.metadata.labels?.['batch.kubernetes.io/controller-uid']).toBeTruthy();
      expect(pod.metadata.finalizers ?? []).not.toContain(JOB_TRACKING_FINALIZER);
    }
    const reasons = await eventReasons(cluster.client, ns, 'batch');
    expect(reasons).toContain('SuccessfulCreate');
    expect(reasons).toContain('Completed');
  });

  it('creates pods with the tracking finalizer and counts a deleted pod once', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'once', { completions: 2, parallelism: 1, backoffLimit: 5 }));
    const [first] = await eventually(async () => {
      const p = activePods(await listPods(cluster.client, ns));
      return p.length === 1 && p;
    }, 'the first pod');
    expect(first.metadata.finalizers).toContain(JOB_TRACKING_FINALIZER);
    await setPodPhase(cluster.client, first, 'Succeeded');
    await eventually(async () => (await jobStatus(ns, 'once')).succeeded === 1, 'one success counted');
    // A user deletes the succeeded pod, then a running one: each counts once (the running one as failed).
    await cluster.client.delete(PODS, ns, first.metadata.name ?? '');
    const [second] = await eventually(async () => {
      const p = activePods(await listPods(cluster.client, ns));
      return p.length === 1 && p[0].metadata.uid !== first.metadata.uid && p;
    }, 'the second pod');
    await cluster.client.delete(PODS, ns, second.metadata.name ?? '', { gracePeriodSeconds: 0 });
    const third = await eventually(async () => {
      const p = activePods(await listPods(cluster.client, ns)).filter((pod) => pod.metadata.uid !== second.metadata.uid);
      return p.length === 1 && p[0];
    }, 'a replacement for the deleted pod');
    // The force-deleted pod was held by the finalizer until counted, then went away.
    await eventually(async () => (await cluster.client.get(PODS, ns, second.metadata.name ?? '').then(() => false, (e) => isNotFound(e))), 'the deleted pod to go');
    await setPodPhase(cluster.client, third, 'Succeeded');
    const status = await eventually(async () => {
      const s = await jobStatus(ns, 'once');
      return hasCondition(s, 'Complete') && s;
    }, 'completion');
    expect(status).toMatchObject({ succeeded: 2, failed: 1 });
    expect(status.uncountedTerminatedPods).toEqual({ succeeded: [], failed: [] });
  });

  it('fails after backoffLimit failed pods with BackoffLimitExceeded', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'flaky', { backoffLimit: 2 }));
    let created = 0;
    const seen = new Set<string>();
    const status = await eventually(async () => {
      for (const pod of activePods(await listPods(cluster.client, ns))) {
        if (!seen.has(pod.metadata.uid ?? '')) created++;
        seen.add(pod.metadata.uid ?? '');
        await setPodPhase(cluster.client, pod, 'Failed');
      }
      const s = await jobStatus(ns, 'flaky');
      return hasCondition(s, 'Failed') && s;
    }, 'the Job to fail');
    expect(created).toBe(3);
    expect(status.failed).toBe(3);
    expect(status.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(hasCondition(status, 'FailureTarget')).toBe(true);
    expect(await eventReasons(cluster.client, ns, 'flaky')).toContain('BackoffLimitExceeded');
    // No new pod after failing.
    expect(activePods(await listPods(cluster.client, ns))).toHaveLength(0);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and kills active pods', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }));
    await eventually(async () => activePods(await listPods(cluster.client, ns)).length === 2, 'two running pods');
    expect(hasCondition(await jobStatus(ns, 'slow'), 'Failed')).toBe(false);
    clock.advance(31);
    const status = await eventually(async () => {
      await finishTerminatingPods(cluster.client, ns);
      const s = await jobStatus(ns, 'slow');
      return hasCondition(s, 'Failed') && s;
    }, 'the deadline to fail the Job');
    expect(status.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(status.active).toBe(0);
    expect(activePods(await listPods(cluster.client, ns))).toHaveLength(0);
  });

  it('deletes a finished Job after ttlSecondsAfterFinished', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'short', { ttlSecondsAfterFinished: 60 }));
    const [pod] = await eventually(async () => {
      const p = activePods(await listPods(cluster.client, ns));
      return p.length === 1 && p;
    }, 'a pod');
    await setPodPhase(cluster.client, pod, 'Succeeded');
    await eventually(async () => hasCondition(await jobStatus(ns, 'short'), 'Complete'), 'completion');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await cluster.client.get(JOBS, ns, 'short')).metadata.name).toBe('short');
    clock.advance(61);
    await eventually(async () => cluster.client.get(JOBS, ns, 'short').then(() => false, (e) => isNotFound(e)), 'the Job to be deleted');
  });

  it('suspends (no pods) and resumes', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'paused', { suspend: true }));
    await eventually(async () => hasCondition(await jobStatus(ns, 'paused'), 'Suspended'), 'Suspended condition');
    expect(await listPods(cluster.client, ns)).toHaveLength(0);
    await cluster.client.patch(JOBS, ns, 'paused', { spec: { suspend: false } }, 'merge');
    await eventually(async () => activePods(await listPods(cluster.client, ns)).length === 1, 'a pod after resuming');
  });

  it('with completions unset (work queue), completes once a pod succeeded and none run', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'queue', { parallelism: 2 }));
    const pods = await eventually(async () => {
      const p = activePods(await listPods(cluster.client, ns));
      return p.length === 2 && p;
    }, 'two workers');
    await setPodPhase(cluster.client, pods[0], 'Succeeded');
    await eventually(async () => (await jobStatus(ns, 'queue')).succeeded === 1, 'one success');
    expect(hasCondition(await jobStatus(ns, 'queue'), 'Complete')).toBe(false);
    expect(activePods(await listPods(cluster.client, ns))).toHaveLength(1);
    await setPodPhase(cluster.client, pods[1], 'Succeeded');
    await eventually(async () => hasCondition(await jobStatus(ns, 'queue'), 'Complete'), 'completion');
    expect((await jobStatus(ns, 'queue')).succeeded).toBe(2);
  });

  it('runs Indexed jobs with one pod per completion index', async () => {
    const ns = await cluster.newNamespace();
    await cluster.client.create(JOBS, job(ns, 'idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const pods = await eventually(async () => {
      const p = activePods(await listPods(cluster.client, ns));
      return p.length === 3 && p;
    }, 'three indexed pods');
    expect(pods.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort()).toEqual(['0', '1', '2']);
    for (const pod of pods) await setPodPhase(cluster.client, pod, 'Succeeded');
    const status = await eventually(async () => {
      const s = await jobStatus(ns, 'idx');
      return hasCondition(s, 'Complete') && s;
    }, 'completion');
    expect(status.completedIndexes).toBe('0-2');
  });
});

describe('completed index sets', () => {
  it('formats and parses ranges', () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
    expect([...parseIndexes('0-2,5,7-8')]).toEqual([0, 1, 2, 5, 7, 8]);
  });
});
