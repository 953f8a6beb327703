import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';

// client-go's leaderelection with a coordination.k8s.io/v1 Lease lock. Every copy tries
// to acquire the Lease every retryPeriod; the holder renews it every retryPeriod and
// steps down when it could not renew for renewDeadline. Writes carry the resourceVersion
// that was read, so of two copies racing for a free Lease exactly one wins (the other
// gets 409 Conflict). A Lease is free when its holder is empty or it has not been
// renewed for leaseDurationSeconds.

export const LEASES = findByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;

export interface LeaderElectionOptions {
  client: RestClient;
  /** Namespace of the Lease; 'kube-system' like Kubernetes' components. */
  namespace?: string;
  /** Lease name: 'kube-controller-manager', 'kube-scheduler'. */
  name: string;
  /** This copy's identity (unique per process). */
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  /** Aborting stops campaigning; a leader releases the Lease (unless releaseOnCancel is false) and returns. */
  signal: AbortSignal;
  /** Runs while leading; `leading` aborts when leadership ends. Awaited (briefly) before the Lease is released. */
  onStartedLeading(leading: AbortSignal): Promise<void> | void;
  onStoppedLeading?(): void;
  /** Told whenever the observed holder changes (including to this copy). */
  onNewLeader?(identity: string): void;
  /** client-go's ReleaseOnCancel; default true so another copy takes over at once on a clean stop. */
  releaseOnCancel?: boolean;
  logger?: Logger;
  now?: () => Date;
}

/** How the election ended: shut down by `signal`, or leadership lost (renewal failed). */
export type LeaderElectionOutcome = 'stopped' | 'lost';

/** MicroTime: RFC 3339 with microseconds, as Kubernetes writes Lease times. */
export function microTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

interface ObservedLease {
  lease: Lease & KubeObject;
  /** Local time when this copy first saw the current record; covers a holder whose clock runs ahead. */
  observedAt: number;
}

export async function runWithLeaderElection(options: LeaderElectionOptions): Promise<LeaderElectionOutcome> {
  const elector = new LeaderElector(options);
  return elector.run();
}

class LeaderElector {
  private observed: ObservedLease | undefined;
  private reportedLeader: string | undefined;
  private readonly namespace: string;
  private readonly now: () => Date;

  constructor(private readonly options: LeaderElectionOptions) {
    this.namespace = options.namespace ?? 'kube-system';
    this.now = options.now ?? (() => new Date());
  }

  async run(): Promise<LeaderElectionOutcome> {
    const { signal } = this.options;
    const acquired = await this.acquire();
    if (!acquired) return 'stopped';

    const leading = new AbortController();
    const work = Promise.resolve()
      .then(() => this.options.onStartedLeading(leading.signal))
      .catch((error: unknown) => this.options.logger?.error('leader work failed', { lease: this.leaseKey(), error: String(error) }));
    const outcome = await this.renewUntilLostOrStopped();
    leading.abort();
    // Let the leader's work wind down before another copy may start, but never hang on it.
    await Promise.race([work, delay(this.options.renewDeadlineSeconds * 1000)]);
    if (outcome === 'stopped' && (this.options.releaseOnCancel ?? true)) await this.release();
    try {
      this.options.onStoppedLeading?.();
    } catch (error) {
      this.options.logger?.warn('onStoppedLeading failed', { lease: this.leaseKey(), error: String(error) });
    }
    if (!signal.aborted || outcome === 'lost') this.options.logger?.info('leadership lost', { lease: this.leaseKey(), identity: this.options.identity });
    return outcome;
  }

  /** Tries every retryPeriod until this copy holds the Lease (true) or the signal aborts (false). */
  private async acquire(): Promise<boolean> {
    const { signal, retryPeriodSeconds } = this.options;
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenewWithin(this.options.renewDeadlineSeconds * 1000)) {
        this.options.logger?.info('acquired lease', { lease: this.leaseKey(), identity: this.options.identity });
        return true;
      }
      await jitteredSleep(retryPeriodSeconds * 1000, signal);
    }
    return false;
  }

  /** Renews every retryPeriod; 'lost' once no renewal succeeded for renewDeadline. */
  private async renewUntilLostOrStopped(): Promise<LeaderElectionOutcome> {
    const { signal, retryPeriodSeconds, renewDeadlineSeconds } = this.options;
    let lastRenewed = Date.now();
    for (;;) {
      await sleep(retryPeriodSeconds * 1000, signal);
      if (signal.aborted) return 'stopped';
      const remaining = renewDeadlineSeconds * 1000 - (Date.now() - lastRenewed);
      const renewed = remaining > 0 && (await this.tryAcquireOrRenewWithin(remaining));
      if (signal.aborted) return 'stopped';
      if (renewed) lastRenewed = Date.now();
      else if (Date.now() - lastRenewed >= renewDeadlineSeconds * 1000 || !this.holdsByObservation()) return 'lost';
    }
  }

  private holdsByObservation(): boolean {
    const holder = this.observed?.lease.spec?.holderIdentity;
    return holder === undefined || holder === this.options.identity;
  }

  /** One attempt bounded by `ms`, like client-go's per-call context timeout. */
  private async tryAcquireOrRenewWithin(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([
        this.tryAcquireOrRenew().catch((error: unknown) => {
          this.options.logger?.debug('lease attempt failed', { lease: this.leaseKey(), error: String(error) });
          return false;
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, name, identity } = this.options;
    const now = this.now();
    const desired: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.options.leaseDurationSeconds)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
    };

    let current: Lease & KubeObject;
    try {
      current = await client.get<Lease & KubeObject>(LEASES, this.namespace, name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const lease: KubeObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: this.namespace },
        spec: { ...desired, leaseTransitions: 0 },
      };
      try {
        this.observe((await client.create(LEASES, lease)) as Lease & KubeObject);
        return true;
      } catch (createError) {
        if (isAlreadyExists(createError)) return false;
        throw createError;
      }
    }
    this.observe(current);

    const spec = current.spec ?? {};
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    if (heldByOther && !this.isExpired(current, now)) return false;

    const next: LeaseSpec = { ...spec, ...desired };
    if (spec.holderIdentity === identity) {
      next.acquireTime = spec.acquireTime ?? desired.acquireTime;
      next.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      next.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      // The read resourceVersion is the precondition: a copy that read a stale Lease loses.
      this.observe((await client.update(LEASES, { ...current, spec: next })) as Lease & KubeObject);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  private isExpired(lease: Lease, now: Date): boolean {
    const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    const renewed = Date.parse(lease.spec?.renewTime ?? '');
    const byRenewTime = Number.isNaN(renewed) || renewed + duration < now.getTime();
    const byObservation = this.observed !== undefined && this.observed.observedAt + duration < now.getTime();
    return byRenewTime || byObservation;
  }

  private observe(lease: Lease & KubeObject): void {
    const previous = this.observed?.lease;
    const changed = !previous || previous.metadata.resourceVersion !== lease.metadata.resourceVersion;
    if (changed) this.observed = { lease, observedAt: this.now().getTime() };
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.options.onNewLeader?.(holder);
      } catch (error) {
        this.options.logger?.warn('onNewLeader failed', { lease: this.leaseKey(), error: String(error) });
      }
    }
  }

  /** Hands the Lease back so a waiting copy takes over at once instead of after it expires. */
  private async release(): Promise<void> {
    const lease = this.observed?.lease;
    if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
    const now = microTime(this.now());
    const released: LeaseSpec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now };
    try {
      await this.options.client.update(LEASES, { ...lease, spec: released });
      this.options.logger?.info('released lease', { lease: this.leaseKey(), identity: this.options.identity });
    } catch (error) {
      this.options.logger?.warn('cannot release lease', { lease: this.leaseKey(), error: String(error) });
    }
  }

  private leaseKey(): string {
    return `${this.namespace}/${this.options.name}`;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after `ms` or as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** client-go's JitterFactor 1.2: candidates don't all knock on the Lease at the same instant. */
function jitteredSleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms * (1 + Math.random() * 1.2), signal);
}
