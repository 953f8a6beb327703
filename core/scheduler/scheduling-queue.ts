// kube-scheduler's scheduling queue (pkg/scheduler/internal/queue), reduced to what a lab
// needs. A pending pod is in exactly one place:
//   active         ready to be tried now; popped by priority, then first come first served
//   backoff        failed recently; waits podInitialBackoff x 2^(attempts-1), capped at podMaxBackoff
//   unschedulable  fit nowhere; stays until something changes that could make it fit
//                  (moveAllToActiveOrBackoff) or it has waited podMaxInUnschedulablePods
//   in flight      popped, being scheduled right now
// Nothing polls: pop() awaits, backoff ends on a timer, the leftover sweep runs on an
// interval. A cluster change during an attempt sends that pod to backoff instead of
// unschedulable, so the change that would have let it fit is never lost.

export interface SchedulingQueueOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** An unschedulable pod is retried after this long even without a cluster change. */
  maxInUnschedulableMs: number;
  /** How often the unschedulable pods are checked against maxInUnschedulableMs. */
  flushIntervalMs: number;
  now?: () => number;
}

export interface QueuedPodInfo {
  key: string;
  priority: number;
  /** Attempts so far, this one included once popped. */
  attempts: number;
  /** The scheduling cycle in which it was popped. */
  cycle: number;
}

interface Entry {
  key: string;
  priority: number;
  attempts: number;
  lastAttemptAt: number;
  /** Arrival order, for first come first served among equal priorities. */
  sequence: number;
  cycle: number;
  /** The pod changed while it was being scheduled. */
  updatedInFlight: boolean;
}

export type QueueLocation = 'active' | 'backoff' | 'unschedulable' | 'inFlight';

export class SchedulingQueue {
  private readonly active = new Map<string, Entry>();
  private readonly backoff = new Map<string, { entry: Entry; timer: ReturnType<typeof setTimeout> }>();
  private readonly unschedulable = new Map<string, { entry: Entry; since: number }>();
  private readonly inFlight = new Map<string, Entry>();
  private readonly waiters: ((entry: QueuedPodInfo | undefined) => void)[] = [];
  private readonly now: () => number;
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private sequence = 0;
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private closed = false;

  constructor(private readonly options: SchedulingQueueOptions) {
    this.now = options.now ?? Date.now;
    this.flushTimer = setInterval(() => this.flushUnschedulableLeftover(), options.flushIntervalMs);
  }

  /** A pod that needs scheduling; no effect if the queue already holds it somewhere. */
  add(key: string, priority = 0): void {
    if (this.closed || this.locate(key)) return;
    this.pushActive(this.newEntry(key, priority));
  }

  /**
   * The pod changed in a way that may change where it fits (spec, labels): an
   * unschedulable or waiting pod is retried (respecting its backoff), an unknown one added.
   */
  update(key: string, priority = 0): void {
    if (this.closed) return;
    const flying = this.inFlight.get(key);
    if (flying) {
      flying.updatedInFlight = true;
      flying.priority = priority;
      return;
    }
    const parked = this.unschedulable.get(key);
    if (parked) {
      this.unschedulable.delete(key);
      parked.entry.priority = priority;
      this.requeue(parked.entry);
      return;
    }
    const waiting = this.active.get(key) ?? this.backoff.get(key)?.entry;
    if (waiting) waiting.priority = priority;
    else this.add(key, priority);
  }

  /** The pod is gone, bound by someone else, or no longer ours. */
  delete(key: string): void {
    this.active.delete(key);
    this.inFlight.delete(key);
    this.unschedulable.delete(key);
    const waiting = this.backoff.get(key);
    if (waiting) clearTimeout(waiting.timer);
    this.backoff.delete(key);
  }

  /** The next pod to try, waiting for one; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const entry = this.takeActive();
    if (entry) return Promise.resolve(entry);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The popped pod was scheduled (or dropped): the queue forgets it. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** The popped pod fit nowhere. */
  markUnschedulable(key: string): void {
    const entry = this.inFlight.get(key);
    if (!entry || this.closed) return;
    this.inFlight.delete(key);
    if (entry.updatedInFlight || this.moveRequestCycle >= entry.cycle) {
      // Something changed while it was tried: the answer may already be different.
      entry.updatedInFlight = false;
      this.requeue(entry);
    } else {
      this.unschedulable.set(key, { entry, since: this.now() });
    }
  }

  /** The attempt failed for another reason (an API error): retry after the pod's backoff. */
  retryWithBackoff(key: string, priority = 0): void {
    if (this.closed) return;
    let entry = this.inFlight.get(key);
    this.inFlight.delete(key);
    if (!entry) {
      if (this.locate(key)) return;
      entry = this.newEntry(key, priority);
      entry.attempts = 1;
      entry.lastAttemptAt = this.now();
    }
    this.pushBackoff(entry);
  }

  /**
   * Something in the cluster changed that could let unschedulable pods fit (a node
   * appeared or changed, a pod left a node, the configuration changed).
   */
  moveAllToActiveOrBackoff(): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const [key, { entry }] of [...this.unschedulable]) {
      this.unschedulable.delete(key);
      this.requeue(entry);
    }
  }

  /** Where the pod is, for tests and diagnostics. */
  locate(key: string): QueueLocation | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** Backoff of a pod after `attempts` attempts. */
  backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.options.initialBackoffMs * 2 ** (attempts - 1), this.options.maxBackoffMs);
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    for (const { timer } of this.backoff.values()) clearTimeout(timer);
    this.backoff.clear();
    this.active.clear();
    this.unschedulable.clear();
    this.inFlight.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  /** Pods unschedulable for longer than maxInUnschedulableMs get another try. */
  flushUnschedulableLeftover(): void {
    const now = this.now();
    for (const [key, { entry, since }] of [...this.unschedulable]) {
      if (now - since < this.options.maxInUnschedulableMs) continue;
      this.unschedulable.delete(key);
      this.requeue(entry);
    }
  }

  private newEntry(key: string, priority: number): Entry {
    return { key, priority, attempts: 0, lastAttemptAt: 0, sequence: this.sequence++, cycle: -1, updatedInFlight: false };
  }

  /** To active if its backoff is over, else to backoff for what remains. */
  private requeue(entry: Entry): void {
    if (this.remainingBackoff(entry) > 0) this.pushBackoff(entry);
    else this.pushActive(entry);
  }

  private remainingBackoff(entry: Entry): number {
    return entry.lastAttemptAt + this.backoffMs(entry.attempts) - this.now();
  }

  private pushBackoff(entry: Entry): void {
    const remaining = this.remainingBackoff(entry);
    if (remaining <= 0) {
      this.pushActive(entry);
      return;
    }
    const timer = setTimeout(() => {
      this.backoff.delete(entry.key);
      this.pushActive(entry);
    }, remaining);
    this.backoff.set(entry.key, { entry, timer });
  }

  private pushActive(entry: Entry): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.startAttempt(entry));
      return;
    }
    this.active.set(entry.key, entry);
  }

  private takeActive(): QueuedPodInfo | undefined {
    let best: Entry | undefined;
    for (const entry of this.active.values()) {
      if (!best || entry.priority > best.priority || (entry.priority === best.priority && entry.sequence < best.sequence)) best = entry;
    }
    if (!best) return undefined;
    this.active.delete(best.key);
    return this.startAttempt(best);
  }

  private startAttempt(entry: Entry): QueuedPodInfo {
    entry.attempts += 1;
    entry.lastAttemptAt = this.now();
    entry.cycle = ++this.schedulingCycle;
    this.inFlight.set(entry.key, entry);
    return { key: entry.key, priority: entry.priority, attempts: entry.attempts, cycle: entry.cycle };
  }
}
