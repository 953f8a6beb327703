import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { CronScheduleError } from '../api/cron-schedule.ts';
import { isAlreadyExists, isNotFound } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Lister } from '../client/lister.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { parseCronSchedule, scheduleTimesBetween, type CronSchedule } from './cron-schedule-next.ts';
import { isJobFinished } from './job-controller.ts';
import { controllerKeyOf, controllerReferenceTo, isControlledBy } from './owned-pods.ts';
import { processQueue } from './run-controller.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' CronJob controller (pkg/controller/cronjob, the v2 controller), batch/v1:
// at each schedule time (on the wall clock of spec.timeZone) it creates a Job named
// `<cronjob>-<scheduled time in minutes since the epoch>`, so a retry after a crash
// finds the Job it already made (AlreadyExists) instead of running twice. It honours
// concurrencyPolicy, suspend and startingDeadlineSeconds, keeps status.active,
// lastScheduleTime and lastSuccessfulTime, trims finished Jobs to the history limits,
// and requeues itself for the next schedule time. Jobs made by
// `kubectl create job --from=cronjob/X` carry an owner reference and show up in active.

const CRONJOBS = findByKind('batch/v1', 'CronJob') as ResourceInfo;
const JOBS = findByKind('batch/v1', 'Job') as ResourceInfo;

export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** More missed start times than this gets a warning (the controller still starts only the latest). */
const MISSED_TIMES_WARNING = 100;
/** How far back the newest missed time is looked for, smallest window first so frequent schedules stay cheap. */
const LOOKBACK_WINDOWS_MS = [3_600_000, 86_400_000, 32 * 86_400_000, 366 * 86_400_000, 5 * 366 * 86_400_000];

type CronJobObject = CronJob & KubeObject;
type JobObject = Job & KubeObject;

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `<cronjob>-<minutes since the epoch>`: the same scheduled time always names the same Job. */
export function jobNameFor(cronJobName: string, scheduledTime: Date): string {
  return `${cronJobName}-${Math.floor(scheduledTime.getTime() / 60_000)}`;
}

/** The newest schedule time in (earliest, now], and whether more than MISSED_TIMES_WARNING were missed. */
export function mostRecentScheduleTime(schedule: CronSchedule, earliest: Date, now: Date): { time?: Date; tooMany: boolean } {
  if (earliest.getTime() >= now.getTime()) return { tooMany: false };
  const tooMany = scheduleTimesBetween(schedule, earliest, now, MISSED_TIMES_WARNING + 1).length > MISSED_TIMES_WARNING;
  for (const window of LOOKBACK_WINDOWS_MS) {
    const from = new Date(Math.max(earliest.getTime(), now.getTime() - window));
    let latest: Date | undefined;
    for (let t = schedule.next(from); t && t.getTime() <= now.getTime(); t = schedule.next(t)) latest = t;
    if (latest || from.getTime() === earliest.getTime()) return { time: latest, tooMany };
  }
  return { tooMany };
}

function jobOutcome(job: Job): 'Complete' | 'Failed' | undefined {
  const finished = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  return finished?.type as 'Complete' | 'Failed' | undefined;
}

function referenceTo(job: JobObject): ObjectReference {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata.name,
    namespace: job.metadata.namespace,
    uid: job.metadata.uid,
    resourceVersion: job.metadata.resourceVersion,
  };
}

class CronJobController implements Controller {
  readonly name = 'cronjob-controller';

  constructor(private readonly now: () => Date) {}

  async run(ctx: ControllerContext): Promise<void> {
    const queue = new WorkQueue<string>();
    const cronJobs = ctx.informers.informerFor<CronJobObject>(CRONJOBS);
    const jobs = ctx.informers.informerFor<JobObject>(JOBS);
    const jobChanged = (job: JobObject): void => {
      const owner = controllerKeyOf(job, 'CronJob');
      if (owner) queue.add(owner);
    };
    const removers = [
      cronJobs.addEventHandler({
        onAdd: (cj) => queue.add(keyOf(cj)),
        onUpdate: (_old, cj) => queue.add(keyOf(cj)),
        onDelete: (cj) => queue.add(keyOf(cj)),
      }),
      jobs.addEventHandler({ onAdd: jobChanged, onUpdate: (_old, job) => jobChanged(job), onDelete: jobChanged }),
    ];
    try {
      await processQueue(ctx, queue, (key) => this.sync(ctx, key, cronJobs.lister(), jobs.lister(), queue), (key) => ({ cronjob: key }));
    } finally {
      for (const remove of removers) remove();
    }
  }

  private async sync(ctx: ControllerContext, key: string, cronJobLister: Lister<CronJobObject>, jobLister: Lister<JobObject>, queue: WorkQueue<string>): Promise<void> {
    const [namespace, name] = key.split('/');
    const cj = cronJobLister.get(namespace, name);
    if (!cj) return;
    const owned = jobLister.listNamespace(namespace).filter((job) => isControlledBy(job, cj));
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    await this.reconcileActive(ctx, cj, owned, status);
    const requeueAt = await this.schedule(ctx, cj, owned, status);
    if (!jsonEqual(status, cj.status ?? {})) {
      await ctx.client.updateStatus(CRONJOBS, { ...structuredClone(cj), status } as KubeObject);
    }
    await this.cleanupFinishedJobs(ctx, cj, owned);
    if (requeueAt) {
      // Real time may run ahead of or behind an injected clock; a little slack lands after the tick.
      queue.addAfter(key, Math.max(0, requeueAt.getTime() - this.now().getTime()) + 100);
    }
  }

  /** status.active lists exactly the owned Jobs still running; finished ones update lastSuccessfulTime. */
  private async reconcileActive(ctx: ControllerContext, cj: CronJobObject, owned: JobObject[], status: CronJobStatus): Promise<void> {
    const active = status.active ?? [];
    for (const job of owned) {
      const listed = active.some((ref) => ref.uid === job.metadata.uid);
      const outcome = jobOutcome(job);
      if (!outcome && !listed && !job.metadata.deletionTimestamp) active.push(referenceTo(job));
      if (outcome && listed) {
        active.splice(active.findIndex((ref) => ref.uid === job.metadata.uid), 1);
        void ctx.recorder.record(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${outcome}`);
      }
      if (outcome === 'Complete' && job.status?.completionTime) {
        if (!status.lastSuccessfulTime || Date.parse(job.status.completionTime) > Date.parse(status.lastSuccessfulTime)) {
          status.lastSuccessfulTime = job.status.completionTime;
        }
      }
    }
    // A listed Job missing from the cache may be one we just created: ask the API before dropping it.
    for (const ref of [...active]) {
      if (owned.some((job) => job.metadata.uid === ref.uid)) continue;
      let gone = false;
      try {
        const live = await ctx.client.get<JobObject>(JOBS, ref.namespace ?? cj.metadata.namespace, ref.name ?? '');
        gone = live.metadata.uid !== ref.uid;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        gone = true;
      }
      if (gone) {
        active.splice(active.indexOf(ref), 1);
        void ctx.recorder.record(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      }
    }
    if (active.length) status.active = active;
    else delete status.active;
  }

  /** Starts the Job for the newest due schedule time, if allowed; returns when to look again. */
  private async schedule(ctx: ControllerContext, cj: CronJobObject, owned: JobObject[], status: CronJobStatus): Promise<Date | undefined> {
    if (cj.metadata.deletionTimestamp) return undefined;
    const spec = cj.spec!;
    let schedule: CronSchedule;
    try {
      schedule = parseCronSchedule(spec.schedule, spec.timeZone);
    } catch (error) {
      const message = (error as Error).message;
      const reason = /^(CRON_TZ|TZ)=/.test(spec.schedule.trim())
        ? 'UnsupportedSchedule'
        : error instanceof CronScheduleError
          ? 'UnparseableSchedule'
          : 'UnknownTimeZone';
      void ctx.recorder.record(cj, 'Warning', reason, `invalid schedule: ${spec.schedule}: ${message}`);
      return undefined;
    }
    if (spec.suspend) return undefined;
    const now = this.now();
    const next = schedule.next(now);
    let earliest = new Date(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? now.toISOString());
    if (spec.startingDeadlineSeconds != null) {
      earliest = new Date(Math.max(earliest.getTime(), now.getTime() - spec.startingDeadlineSeconds * 1000));
    }
    const { time: scheduledTime, tooMany } = mostRecentScheduleTime(schedule, earliest, now);
    if (tooMany) {
      void ctx.recorder.record(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    if (!scheduledTime) return next;
    if (spec.startingDeadlineSeconds != null && scheduledTime.getTime() + spec.startingDeadlineSeconds * 1000 < now.getTime()) {
      void ctx.recorder.record(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339(scheduledTime)}`);
      return next;
    }
    const jobName = jobNameFor(cj.metadata.name ?? '', scheduledTime);
    if ((status.active ?? []).some((ref) => ref.name === jobName) || owned.some((job) => job.metadata.name === jobName)) return next;
    const active = status.active ?? [];
    if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
      void ctx.recorder.record(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return next;
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...active]) {
        try {
          await ctx.client.delete(JOBS, ref.namespace ?? cj.metadata.namespace, ref.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: ref.uid } });
          void ctx.recorder.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        active.splice(active.indexOf(ref), 1);
      }
    }
    const job = await this.createJob(ctx, cj, jobName, scheduledTime);
    if (job && !jobOutcome(job) && !active.some((ref) => ref.uid === job.metadata.uid)) active.push(referenceTo(job));
    if (active.length) status.active = active;
    else delete status.active;
    status.lastScheduleTime = rfc3339(scheduledTime);
    return next;
  }

  private async createJob(ctx: ControllerContext, cj: CronJobObject, name: string, scheduledTime: Date): Promise<JobObject | undefined> {
    const template = cj.spec!.jobTemplate;
    const job: JobObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        annotations: { ...(template.metadata?.annotations ?? {}), [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339(scheduledTime) },
        ownerReferences: [controllerReferenceTo(cj)],
      },
      spec: structuredClone(template.spec),
    };
    try {
      const created = await ctx.client.create<JobObject>(JOBS, job);
      void ctx.recorder.record(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
      ctx.reportAction(`CronJob ${keyOf(cj)} created Job ${name}`);
      return created;
    } catch (error) {
      if (!isAlreadyExists(error)) {
        void ctx.recorder.record(cj, 'Warning', 'FailedCreate', `Error creating job: ${(error as Error).message}`);
        throw error;
      }
      // Made by an earlier attempt (ours): that run happened. Someone else's Job blocks this run.
      const existing = await ctx.client.get<JobObject>(JOBS, cj.metadata.namespace, name);
      if (isControlledBy(existing, cj)) return existing;
      void ctx.recorder.record(cj, 'Warning', 'FailedCreate', `Error creating job: a job named ${name} exists and is not owned by this CronJob`);
      return undefined;
    }
  }

  /** Keeps the newest successfulJobsHistoryLimit Complete and failedJobsHistoryLimit Failed Jobs. */
  private async cleanupFinishedJobs(ctx: ControllerContext, cj: CronJobObject, owned: JobObject[]): Promise<void> {
    const limits: Record<'Complete' | 'Failed', number | undefined> = {
      Complete: cj.spec?.successfulJobsHistoryLimit,
      Failed: cj.spec?.failedJobsHistoryLimit,
    };
    for (const outcome of ['Complete', 'Failed'] as const) {
      const limit = limits[outcome];
      if (limit == null) continue;
      const finished = owned
        .filter((job) => !job.metadata.deletionTimestamp && isJobFinished(job) && jobOutcome(job) === outcome)
        .sort((a, b) => startOf(a) - startOf(b));
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        try {
          await ctx.client.delete(JOBS, job.metadata.namespace, job.metadata.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } });
          void ctx.recorder.record(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
    }
  }
}

function startOf(job: Job): number {
  return Date.parse(job.status?.startTime ?? job.metadata?.creationTimestamp ?? '') || 0;
}

export interface CronJobControllerOptions {
  /** The clock schedules are evaluated against; tests inject one and move it. */
  now?: () => Date;
}

export function createCronJobController(options: CronJobControllerOptions = {}): Controller {
  return new CronJobController(options.now ?? (() => new Date()));
}

export const cronJobController: ControllerFactory = () => createCronJobController();
