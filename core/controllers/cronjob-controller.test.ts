import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { eventReasons, ManualClock, startTestCluster, type TestCluster } from './batch-controller-test-env.ts';
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, createCronJobController, jobNameFor, mostRecentScheduleTime } from './cronjob-controller.ts';
import { parseCronSchedule } from './cron-schedule-next.ts';
import { eventually } from '../../test/support/eventually.ts';

// No Job controller runs here: the test finishes Jobs itself by writing their status.

const CRONJOBS = findByKind('batch/v1', 'CronJob') as ResourceInfo;
const JOBS = findByKind('batch/v1', 'Job') as ResourceInfo;
type JobObject = Job & KubeObject;

let cluster: TestCluster;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  cluster = await startTestCluster();
  await cluster.run(createCronJobController({ now: clock.now }), { resyncMs: 50 });
});
afterAll(async () => {
  await cluster?.close();
});

function cronJob(namespace: string, name: string, spec: Partial<NonNullable<CronJob['spec']>> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        metadata: { labels: { team: 'ops' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'tick', image: 'busybox' }] } } },
      },
      ...spec,
    },
  };
}

/**
 * The API server stamps creationTimestamp with real time: the clock waits an hour behind
 * (nothing is due before a CronJob exists) until the CronJob is created, then starts at its creation.
 */
async function createCronJob(obj: KubeObject): Promise<void> {
  clock.set(Date.now() - 3_600_000);
  const created = await cluster.client.create(CRONJOBS, obj);
  clock.set(Date.parse(created.metadata.creationTimestamp ?? ''));
}

async function jobsOf(namespace: string): Promise<JobObject[]> {
  const { items } = await cluster.client.list<JobObject>(JOBS, { namespace });
  return items.filter((j) => !j.metadata.deletionTimestamp).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

async function cronStatus(namespace: string, name: string): Promise<CronJobStatus> {
  return ((await cluster.client.get(CRONJOBS, namespace, name)).status ?? {}) as CronJobStatus;
}

/** Moves the clock just past the next whole minute and returns that minute. */
function tickToNextMinute(): Date {
  const next = Math.floor(clock.now().getTime() / 60_000) * 60_000 + 60_000;
  clock.advance((next - clock.now().getTime()) / 1000 + 1);
  return new Date(next);
}

async function finishJob(job: JobObject, outcome: 'Complete' | 'Failed'): Promise<void> {
  const fresh = await cluster.client.get<JobObject>(JOBS, job.metadata.namespace, job.metadata.name ?? '');
  const at = clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = {
    startTime: at,
    ...(outcome === 'Complete' ? { completionTime: at, succeeded: 1 } : { failed: 1 }),
    conditions: [{ type: outcome, status: 'True', lastTransitionTime: at }],
  };
  await cluster.client.updateStatus(JOBS, { ...fresh, status } as KubeObject);
}

describe('CronJob controller', () => {
  it('creates a Job every minute, named by the scheduled minute, and tracks active and last times', async () => {
    const ns = await cluster.newNamespace();
    await createCronJob(cronJob(ns, 'tick'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await jobsOf(ns)).toHaveLength(0);

    const first = tickToNextMinute();
    const [job] = await eventually(async () => {
      const j = await jobsOf(ns);
      return j.length === 1 && j;
    }, 'the first Job');
    expect(job.metadata.name).toBe(jobNameFor('tick', first));
    expect(job.metadata.name).toBe(`tick-${first.getTime() / 60_000}`);
    expect(job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]).toBe(first.toISOString().replace('.000Z', 'Z'));
    expect(job.metadata.labels?.team).toBe('ops');
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick', controller: true });
    const status = await eventually(async () => {
      const s = await cronStatus(ns, 'tick');
      return s.active?.length === 1 && s;
    }, 'status.active');
    expect(status.active?.[0]).toMatchObject({ kind: 'Job', name: job.metadata.name, uid: job.metadata.uid });
    expect(status.lastScheduleTime).toBe(first.toISOString().replace('.000Z', 'Z'));
    expect(await eventReasons(cluster.client, ns, 'tick')).toContain('SuccessfulCreate');

    await finishJob(job, 'Complete');
    await eventually(async () => {
      const s = await cronStatus(ns, 'tick');
      return !s.active && s.lastSuccessfulTime;
    }, 'the finished Job to leave active');

    const second = tickToNextMinute();
    await eventually(async () => (await jobsOf(ns)).some((j) => j.metadata.name === jobNameFor('tick', second)), 'the second Job');
    // Nothing more until the clock moves again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await jobsOf(ns)).toHaveLength(2);
  });

  it('with concurrencyPolicy Forbid skips a run while the previous one is active', async () => {
    const ns = await cluster.newNamespace();
    await createCronJob(cronJob(ns, 'solo', { concurrencyPolicy: 'Forbid' }));
    tickToNextMinute();
    await eventually(async () => (await jobsOf(ns)).length === 1, 'the first Job');
    await eventually(async () => (await cronStatus(ns, 'solo')).active?.length === 1, 'status.active');
    tickToNextMinute();
    await eventually(async () => (await eventReasons(cluster.client, ns, 'solo')).includes('JobAlreadyActive'), 'JobAlreadyActive');
    expect(await jobsOf(ns)).toHaveLength(1);
  });

  it('with concurrencyPolicy Replace deletes the active Job and starts the new one', async () => {
    const ns = await cluster.newNamespace();
    await createCronJob(cronJob(ns, 'swap', { concurrencyPolicy: 'Replace' }));
    tickToNextMinute();
    const [old] = await eventually(async () => {
      const j = await jobsOf(ns);
      return j.length === 1 && j;
    }, 'the first Job');
    await eventually(async () => (await cronStatus(ns, 'swap')).active?.length === 1, 'status.active');
    const second = tickToNextMinute();
    const [replacement] = await eventually(async () => {
      const j = await jobsOf(ns);
      return j.length === 1 && j[0].metadata.uid !== old.metadata.uid && j;
    }, 'the replacement');
    expect(replacement.metadata.name).toBe(jobNameFor('swap', second));
    const status = await eventually(async () => {
      const s = await cronStatus(ns, 'swap');
      return s.active?.length === 1 && s.active[0].uid === replacement.metadata.uid && s;
    }, 'active to name the replacement');
    expect(status.active).toHaveLength(1);
  });

  it('keeps only the newest finished Jobs within the history limits', async () => {
    const ns = await cluster.newNamespace();
    await createCronJob(cronJob(ns, 'hist', { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }));
    const outcomes: ('Complete' | 'Failed')[] = ['Complete', 'Failed', 'Complete', 'Failed'];
    const names: string[] = [];
    for (const outcome of outcomes) {
      const minute = tickToNextMinute();
      const name = jobNameFor('hist', minute);
      names.push(name);
      const job = await eventually(async () => (await jobsOf(ns)).find((j) => j.metadata.name === name), `Job ${name}`);
      await finishJob(job, outcome);
    }
    await eventually(async () => (await jobsOf(ns)).map((j) => j.metadata.name).join() === [names[2], names[3]].sort().join(), 'old Jobs trimmed');
  });

  it('evaluates the schedule in spec.timeZone', async () => {
    const ns = await cluster.newNamespace();
    // A daily time three minutes from now on Kolkata's wall clock (UTC+05:30): in UTC it is hours away.
    const target = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 3 * 60_000);
    const kolkata = new Date(target.getTime() + 5.5 * 3_600_000);
    const schedule = `${kolkata.getUTCMinutes()} ${kolkata.getUTCHours()} * * *`;
    await createCronJob(cronJob(ns, 'zoned', { schedule, timeZone: 'Asia/Kolkata' }));
    clock.advance(60);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await jobsOf(ns)).toHaveLength(0);
    clock.advance(180);
    const [job] = await eventually(async () => {
      const j = await jobsOf(ns);
      return j.length === 1 && j;
    }, 'the zoned Job');
    expect(job.metadata.name).toBe(jobNameFor('zoned', target));
  });

  it('does nothing while suspended', async () => {
    const ns = await cluster.newNamespace();
    await createCronJob(cronJob(ns, 'off', { suspend: true }));
    tickToNextMinute();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await jobsOf(ns)).toHaveLength(0);
  });
});

describe('mostRecentScheduleTime', () => {
  it('finds the newest missed time cheaply and flags too many misses', () => {
    const everyMinute = parseCronSchedule('* * * * *');
    const result = mostRecentScheduleTime(everyMinute, new Date('2023-01-01T00:00:30Z'), new Date('2024-01-01T00:10:30Z'));
    expect(result.time?.toISOString()).toBe('2024-01-01T00:10:00.000Z');
    expect(result.tooMany).toBe(true);
    const few = mostRecentScheduleTime(parseCronSchedule('0 * * * *'), new Date('2024-01-01T00:00:30Z'), new Date('2024-01-01T03:10:00Z'));
    expect(few).toEqual({ time: new Date('2024-01-01T03:00:00Z'), tooMany: false });
    expect(mostRecentScheduleTime(everyMinute, new Date('2024-01-01T00:00:10Z'), new Date('2024-01-01T00:00:50Z')).time).toBeUndefined();
  });
});
