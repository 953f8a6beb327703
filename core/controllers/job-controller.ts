import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL } from '../api/validate-batch.ts';
import type { Lister } from '../client/lister.ts';
import type { RestClient } from '../client/rest-client.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { controllerKeyOf, controllerRefOf, isControlledBy, isPodActive, isPodReady, PodExpectations, podFromTemplate, runLimited } from './owned-pods.ts';
import { processQueue } from './run-controller.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' Job controller (pkg/controller/job), batch/v1: runs pods until `completions`
// of them succeed (or, with completions unset, until one succeeds and none run), at most
// `parallelism` at once; fails the Job after backoffLimit failed pods or after
// activeDeadlineSeconds; honours suspend; deletes the finished Job after
// ttlSecondsAfterFinished (Kubernetes does that in its ttl-after-finished controller).
//
// Exact counts: every pod is created with the `batch.kubernetes.io/job-tracking`
// finalizer, so a finished pod cannot disappear before it is counted. A finished pod's
// uid is first recorded in status.uncountedTerminatedPods, then its finalizer removed,
// then the uid moves into status.succeeded/failed: a pod is counted once whatever
// happens between the steps, and a user deleting a pod cannot make it count twice or
// not at all. A pod being deleted before it succeeded counts as failed (it will never
// finish), as in Kubernetes with podReplacementPolicy TerminatingOrFailed.
//
// Not done: the exponential delay before recreating failed pods, podFailurePolicy,
// backoffLimitPerIndex, successPolicy.

const JOBS = findByKind('batch/v1', 'Job') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
const MAX_CREATES_PER_SYNC = 500;
const WRITE_BURST = 20;
/** Gives up waiting to see our own status write (a lost watch event must not freeze the Job). */
const STATUS_WAIT_TIMEOUT_MS = 30_000;

type JobObject = Job & KubeObject;
type PodObject = Pod & KubeObject;

export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function condition(job: { status?: JobStatus }, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "0-2,5" for {0,1,2,5}: status.completedIndexes. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function parseIndexes(text: string | undefined): Set<number> {
  const result = new Set<number>();
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [from, to] = part.split('-').map((n) => Number.parseInt(n, 10));
    for (let i = from; i <= (to ?? from); i++) result.add(i);
  }
  return result;
}

function completionIndexOf(pod: Pod): number | undefined {
  const text = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  const index = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isFinite(index) ? index : undefined;
}

function hasTrackingFinalizer(pod: Pod): boolean {
  return pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/** Finished for counting: succeeded, failed, or being deleted before it succeeded. */
function finishedOutcome(pod: Pod): 'succeeded' | 'failed' | undefined {
  if (pod.status?.phase === 'Succeeded') return 'succeeded';
  if (pod.status?.phase === 'Failed' || pod.metadata?.deletionTimestamp) return 'failed';
  return undefined;
}

class JobController implements Controller {
  readonly name = 'job-controller';
  private readonly expectations = new PodExpectations();
  /**
   * Uids of pods whose finalizer we removed but whose pod informer has not shown it yet.
   * The Job informer may run ahead of the pod informer: without this, a counted pod
   * still cached with its finalizer would look uncounted and be counted again.
   */
  private readonly finalizerRemovals = new Set<string>();
  /**
   * The resourceVersion of our last status write per Job, until the Job informer shows it.
   * A sync on an older copy would miss counts recorded there (a pod counted and released
   * no longer looks finished-and-uncounted) and could start a pod too many.
   */
  private readonly awaitedStatus = new Map<string, { resourceVersion: string; at: number }>();

  constructor(private readonly now: () => Date) {}

  async run(ctx: ControllerContext): Promise<void> {
    const queue = new WorkQueue<string>();
    const jobs = ctx.informers.informerFor<JobObject>(JOBS);
    const pods = ctx.informers.informerFor<PodObject>(PODS);
    const podChanged = (pod: PodObject, deleted: boolean): void => {
      if (deleted || !hasTrackingFinalizer(pod)) this.finalizerRemovals.delete(pod.metadata.uid ?? '');
      const owner = controllerKeyOf(pod, 'Job');
      if (!owner) return;
      if (deleted || pod.metadata.deletionTimestamp) this.expectations.deletionObserved(owner, pod.metadata.uid ?? '');
      queue.add(owner);
    };
    const removers = [
      jobs.addEventHandler({
        onAdd: (job) => this.jobSeen(job, queue),
        onUpdate: (_old, job) => this.jobSeen(job, queue),
        onDelete: (job) => {
          this.awaitedStatus.delete(keyOf(job));
          queue.add(keyOf(job));
        },
      }),
      pods.addEventHandler({
        onAdd: (pod) => {
          const owner = controllerKeyOf(pod, 'Job');
          if (owner) this.expectations.creationObserved(owner);
          podChanged(pod, false);
        },
        onUpdate: (_old, pod) => podChanged(pod, false),
        onDelete: (pod) => podChanged(pod, true),
      }),
    ];
    try {
      await processQueue(ctx, queue, (key) => this.sync(ctx, key, jobs.lister(), pods.lister(), queue), (key) => ({ job: key }));
    } finally {
      for (const remove of removers) remove();
    }
  }

  private jobSeen(job: JobObject, queue: WorkQueue<string>): void {
    const key = keyOf(job);
    const awaited = this.awaitedStatus.get(key);
    if (awaited && isAtLeastVersion(job.metadata.resourceVersion, awaited.resourceVersion)) this.awaitedStatus.delete(key);
    queue.add(key);
  }

  /** False while the cache still holds a Job older than our last status write (its event re-queues the key). */
  private cacheIsCurrent(key: string, job: JobObject): boolean {
    const awaited = this.awaitedStatus.get(key);
    if (!awaited) return true;
    if (isAtLeastVersion(job.metadata.resourceVersion, awaited.resourceVersion) || Date.now() - awaited.at > STATUS_WAIT_TIMEOUT_MS) {
      this.awaitedStatus.delete(key);
      return true;
    }
    return false;
  }

  private async sync(ctx: ControllerContext, key: string, jobLister: Lister<JobObject>, podLister: Lister<PodObject>, queue: WorkQueue<string>): Promise<void> {
    const [namespace, name] = key.split('/');
    const job = jobLister.get(namespace, name);
    if (job && !this.cacheIsCurrent(key, job)) return;
    if (!job || job.metadata.deletionTimestamp) {
      if (!job) this.expectations.forget(key);
      // Pods of a Job that is gone would keep their finalizer (and never go away) otherwise.
      const orphans = podLister.listNamespace(namespace).filter((p) => controllerRefOf(p)?.kind === 'Job' && controllerRefOf(p)?.name === name);
      await removeTrackingFinalizers(ctx.client, orphans.filter(hasTrackingFinalizer));
      return;
    }
    const pods = podLister.listNamespace(namespace).filter((pod) => isControlledBy(pod, job));
    for (const pod of pods) if (!hasTrackingFinalizer(pod)) this.finalizerRemovals.delete(pod.metadata.uid ?? '');
    if (isJobFinished(job)) {
      await removeTrackingFinalizers(ctx.client, pods.filter(hasTrackingFinalizer));
      await this.deleteAfterTtl(ctx, job, queue);
      return;
    }
    const now = this.now();
    const spec = job.spec!;
    const status: JobStatus = structuredClone(job.status ?? {});
    let resourceVersion = job.metadata.resourceVersion;
    const writeStatus = async (): Promise<void> => {
      const written = await ctx.client.updateStatus<JobObject>(JOBS, { ...structuredClone(job), metadata: { ...job.metadata, resourceVersion }, status } as JobObject);
      resourceVersion = written.metadata.resourceVersion;
      if (resourceVersion) this.awaitedStatus.set(key, { resourceVersion, at: Date.now() });
    };

    // 1. Count finished pods exactly once (see the comment at the top).
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const known = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const newlyFinished = pods.filter((p) => {
      const uid = p.metadata.uid ?? '';
      return hasTrackingFinalizer(p) && finishedOutcome(p) && !known.has(uid) && !this.finalizerRemovals.has(uid);
    });
    const completedIndexes = parseIndexes(status.completedIndexes);
    for (const pod of newlyFinished) {
      const outcome = finishedOutcome(pod)!;
      uncounted[outcome].push(pod.metadata.uid ?? '');
      const index = completionIndexOf(pod);
      if (outcome === 'succeeded' && spec.completionMode === 'Indexed' && index !== undefined && index < (spec.completions ?? 0)) completedIndexes.add(index);
    }
    if (spec.completionMode === 'Indexed') status.completedIndexes = formatIndexes(completedIndexes);
    if (newlyFinished.length > 0) {
      status.uncountedTerminatedPods = uncounted;
      await writeStatus();
    }
    const podsByUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));
    const toRelease = [...uncounted.succeeded, ...uncounted.failed].map((uid) => podsByUid.get(uid)).filter((p): p is PodObject => !!p && hasTrackingFinalizer(p));
    const released = await removeTrackingFinalizers(ctx.client, toRelease);
    for (const uid of released) if (podsByUid.has(uid)) this.finalizerRemovals.add(uid);
    const stillHeld = new Set(toRelease.filter((p) => !released.has(p.metadata.uid ?? '')).map((p) => p.metadata.uid ?? ''));
    const settle = (uids: string[]): [number, string[]] => [uids.filter((u) => !stillHeld.has(u)).length, uids.filter((u) => stillHeld.has(u))];
    const [settledSucceeded, heldSucceeded] = settle(uncounted.succeeded);
    const [settledFailed, heldFailed] = settle(uncounted.failed);
    status.succeeded = (status.succeeded ?? 0) + settledSucceeded;
    status.failed = (status.failed ?? 0) + settledFailed;
    status.uncountedTerminatedPods = { succeeded: heldSucceeded, failed: heldFailed };
    const succeeded = spec.completionMode === 'Indexed' ? completedIndexes.size : status.succeeded + heldSucceeded.length;
    const failed = status.failed + heldFailed.length;

    // 2. Decide whether the Job has met its goal or must fail.
    const active = pods.filter(isPodActive);
    if (!status.startTime && !spec.suspend) status.startTime = rfc3339(now);
    const conditions = status.conditions ?? [];
    let failure = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    let success = conditions.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
    if (!failure && !success) {
      const completions = spec.completions;
      if (completions != null ? succeeded >= completions : succeeded > 0 && active.length === 0) {
        success = { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
        conditions.push(success);
      } else if (failed > (spec.backoffLimit ?? 6) || restartsExceedBackoffLimit(spec, active)) {
        failure = { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
        conditions.push(failure);
      } else if (this.pastActiveDeadline(job, status, now)) {
        failure = { type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
        conditions.push(failure);
      }
    }
    status.conditions = conditions;

    // 3. Act on pods.
    if (failure || success) {
      // Whatever still runs is no longer needed (and is counted as failed once terminating).
      await this.deletePods(ctx, job, active);
      if (active.length === 0) {
        const final = failure
          ? { ...failure, type: 'Failed' }
          : { type: 'Complete', status: 'True', lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
        conditions.push(final);
        if (success) status.completionTime = rfc3339(now);
        if (failure) void ctx.recorder.record(job, 'Warning', failure.reason ?? 'Failed', failure.message ?? 'Job failed');
        else void ctx.recorder.record(job, 'Normal', 'Completed', 'Job completed');
        ctx.reportAction(`Job ${key} ${failure ? `failed (${failure.reason})` : 'completed'}`);
      }
    } else if (this.expectations.satisfied(key)) {
      await this.managePods(ctx, job, active, succeeded, completedIndexes, conditions, status, now);
    }

    const activeNow = pods.filter(isPodActive);
    status.active = activeNow.length;
    status.ready = activeNow.filter(isPodReady).length;
    status.terminating = pods.filter((p) => p.metadata.deletionTimestamp && !['Succeeded', 'Failed'].includes(p.status?.phase ?? '')).length;
    if (!jsonEqual(status, job.status ?? {})) {
      try {
        await writeStatus();
      } catch (error) {
        // A stale cache is retried by the queue; nothing was half-done, counts live in the Job.
        if (!isConflict(error)) throw error;
        queue.addRateLimited(key);
      }
    }
    this.requeueForDeadline(key, job, status, now, queue);
  }

  private async managePods(
    ctx: ControllerContext,
    job: JobObject,
    active: PodObject[],
    succeeded: number,
    completedIndexes: Set<number>,
    conditions: JobCondition[],
    status: JobStatus,
    now: Date,
  ): Promise<void> {
    const spec = job.spec!;
    const suspended = spec.suspend === true;
    const suspendedCondition = conditions.find((c) => c.type === 'Suspended');
    if (suspended) {
      if (suspendedCondition?.status !== 'True') {
        const entry = { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended', lastProbeTime: rfc3339(now), lastTransitionTime: rfc3339(now) };
        if (suspendedCondition) Object.assign(suspendedCondition, entry);
        else conditions.push(entry);
        void ctx.recorder.record(job, 'Normal', 'Suspended', 'Job suspended');
      }
      await this.deletePods(ctx, job, active);
      return;
    }
    if (suspendedCondition?.status === 'True') {
      Object.assign(suspendedCondition, { status: 'False', reason: 'JobResumed', message: 'Job resumed', lastTransitionTime: rfc3339(now) });
      // A resumed Job's deadline counts from now, as in Kubernetes.
      status.startTime = rfc3339(now);
      void ctx.recorder.record(job, 'Normal', 'Resumed', 'Job resumed');
    }
    const parallelism = spec.parallelism ?? 1;
    if (spec.completionMode === 'Indexed') {
      const completions = spec.completions ?? 0;
      const running = new Set(active.map(completionIndexOf).filter((i): i is number => i !== undefined));
      // Duplicates of an index, and indexes out of range or already done, are deleted.
      const seen = new Set<number>();
      const extra = active.filter((p) => {
        const index = completionIndexOf(p);
        if (index === undefined || index >= completions || completedIndexes.has(index) || seen.has(index)) return true;
        seen.add(index);
        return false;
      });
      await this.deletePods(ctx, job, extra);
      const missing: number[] = [];
      for (let i = 0; i < completions && seen.size + missing.length < parallelism; i++) {
        if (!completedIndexes.has(i) && !running.has(i)) missing.push(i);
      }
      await this.createPods(ctx, job, missing);
      return;
    }
    let wantActive: number;
    // Work-queue style: after the first success, whatever still runs is left to finish.
    if (spec.completions == null) wantActive = succeeded > 0 ? active.length : parallelism;
    else wantActive = Math.max(0, Math.min(parallelism, spec.completions - succeeded));
    if (active.length > wantActive) {
      // Not-ready and newest pods go first.
      const ordered = [...active].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
      await this.deletePods(ctx, job, ordered.slice(0, active.length - wantActive));
    } else if (active.length < wantActive) {
      await this.createPods(ctx, job, Array.from({ length: Math.min(MAX_CREATES_PER_SYNC, wantActive - active.length) }, () => undefined));
    }
  }

  private async createPods(ctx: ControllerContext, job: JobObject, indexes: (number | undefined)[]): Promise<void> {
    if (indexes.length === 0) return;
    const key = keyOf(job);
    const name = job.metadata.name ?? '';
    const uid = job.metadata.uid ?? '';
    this.expectations.expectCreations(key, indexes.length);
    const errors = await runLimited(indexes, WRITE_BURST, async (index) => {
      const indexed = index !== undefined;
      const pod = podFromTemplate(job.spec!.template, job, {
        generateName: indexed ? `${name}-${index}-` : `${name}-`,
        finalizers: [JOB_TRACKING_FINALIZER],
        annotations: indexed ? { [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) } : undefined,
      });
      const labels = pod.metadata!.labels!;
      for (const label of [JOB_NAME_LABEL, LEGACY_JOB_NAME_LABEL]) labels[label] ??= name;
      for (const label of [CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL]) labels[label] ??= uid;
      if (indexed) {
        labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
        pod.spec!.hostname ??= `${name}-${index}`;
        for (const container of [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers]) {
          if (container.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')) continue;
          container.env = [
            ...(container.env ?? []),
            { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } },
          ];
        }
      }
      try {
        const created = await ctx.client.create(PODS, pod as KubeObject);
        void ctx.recorder.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (error) {
        this.expectations.creationObserved(key);
        void ctx.recorder.record(job, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`);
        throw error;
      }
    });
    ctx.reportAction(`created ${indexes.length - errors.length} pod(s) for Job ${key}`);
    if (errors.length) throw errors[0];
  }

  private async deletePods(ctx: ControllerContext, job: JobObject, pods: PodObject[]): Promise<void> {
    if (pods.length === 0) return;
    const key = keyOf(job);
    this.expectations.expectDeletions(key, pods.map((p) => p.metadata.uid ?? ''));
    const errors = await runLimited(pods, WRITE_BURST, async (pod) => {
      try {
        await ctx.client.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
        void ctx.recorder.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (error) {
        this.expectations.deletionObserved(key, pod.metadata.uid ?? '');
        if (!isNotFound(error)) throw error;
      }
    });
    if (errors.length) throw errors[0];
  }

  private pastActiveDeadline(job: Job, status: JobStatus, now: Date): boolean {
    const deadline = job.spec?.activeDeadlineSeconds;
    if (deadline == null || !status.startTime || job.spec?.suspend) return false;
    return Date.parse(status.startTime) + deadline * 1000 <= now.getTime();
  }

  private requeueForDeadline(key: string, job: Job, status: JobStatus, now: Date, queue: WorkQueue<string>): void {
    const deadline = job.spec?.activeDeadlineSeconds;
    if (deadline == null || !status.startTime || isJobFinished({ status })) return;
    const remaining = Date.parse(status.startTime) + deadline * 1000 - now.getTime();
    if (remaining > 0) queue.addAfter(key, remaining);
  }

  /** ttlSecondsAfterFinished: the finished Job (and, through the garbage collector, its pods) goes after the TTL. */
  private async deleteAfterTtl(ctx: ControllerContext, job: JobObject, queue: WorkQueue<string>): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl == null) return;
    const finished = job.status?.completionTime ?? condition(job, 'Failed')?.lastTransitionTime ?? condition(job, 'Complete')?.lastTransitionTime;
    if (!finished) return;
    const remaining = Date.parse(finished) + ttl * 1000 - this.now().getTime();
    if (remaining > 0) {
      queue.addAfter(keyOf(job), remaining);
      return;
    }
    try {
      await ctx.client.delete(JOBS, job.metadata.namespace, job.metadata.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } });
      ctx.reportAction(`deleted finished Job ${keyOf(job)} after its ttlSecondsAfterFinished`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** True when `version` is `awaited` or (numeric versions, as this API server hands out) newer. */
function isAtLeastVersion(version: string | undefined, awaited: string): boolean {
  if (version === awaited) return true;
  if (!version || !/^\d+$/.test(version) || !/^\d+$/.test(awaited)) return false;
  return BigInt(version) >= BigInt(awaited);
}

/** With restartPolicy OnFailure failures are restarts in place: their sum counts against backoffLimit. */
function restartsExceedBackoffLimit(spec: NonNullable<Job['spec']>, active: Pod[]): boolean {
  if (spec.template.spec?.restartPolicy !== 'OnFailure') return false;
  const limit = spec.backoffLimit ?? 6;
  const restarts = active.reduce((sum, pod) => sum + (pod.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0), 0);
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Removes the tracking finalizer; returns the uids it is now gone from (or whose pod is gone). */
async function removeTrackingFinalizers(client: RestClient, pods: PodObject[]): Promise<Set<string>> {
  const released = new Set<string>();
  await runLimited(pods, WRITE_BURST, async (pod) => {
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      await client.patch(PODS, pod.metadata.namespace, pod.metadata.name ?? '', { metadata: { uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion, finalizers } }, 'merge');
      released.add(pod.metadata.uid ?? '');
    } catch (error) {
      if (isNotFound(error)) released.add(pod.metadata.uid ?? '');
      else if (isConflict(error)) await removeFinalizerFromFresh(client, pod, released);
    }
  });
  return released;
}

/** The cached pod was stale: re-read it and try once more. */
async function removeFinalizerFromFresh(client: RestClient, pod: PodObject, released: Set<string>): Promise<void> {
  try {
    const fresh = await client.get<PodObject>(PODS, pod.metadata.namespace, pod.metadata.name ?? '');
    if (fresh.metadata.uid !== pod.metadata.uid || !hasTrackingFinalizer(fresh)) {
      released.add(pod.metadata.uid ?? '');
      return;
    }
    const finalizers = (fresh.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    await client.patch(PODS, fresh.metadata.namespace, fresh.metadata.name ?? '', { metadata: { resourceVersion: fresh.metadata.resourceVersion, finalizers } }, 'merge');
    released.add(pod.metadata.uid ?? '');
  } catch (error) {
    if (isNotFound(error)) released.add(pod.metadata.uid ?? '');
  }
}

export interface JobControllerOptions {
  /** The clock for activeDeadlineSeconds, ttlSecondsAfterFinished and timestamps; tests inject one. */
  now?: () => Date;
}

export function createJobController(options: JobControllerOptions = {}): Controller {
  return new JobController(options.now ?? (() => new Date()));
}

export const jobController: ControllerFactory = () => createJobController();
