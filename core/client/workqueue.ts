// client-go's rate-limited work queue (k8s.io/client-go/util/workqueue): controllers'
// event handlers only add keys, workers take them one at a time. Guarantees:
// - a key waiting in the queue is there once, however often it is added;
// - a key is never handed to two workers at once: added while processing, it waits
//   until done(key) and is then queued again;
// - failed keys come back after a per-key exponential backoff until forget(key).

export interface WorkQueueOptions {
  /** First retry delay of addRateLimited; doubles on every further failure. Default 5 ms. */
  baseDelayMs?: number;
  /** Cap of the retry delay. Default 1000 s. */
  maxDelayMs?: number;
}

interface DelayedAdd {
  readyAt: number;
  timer: ReturnType<typeof setTimeout>;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  /** Keys that need processing: waiting in `queue`, or re-added while processing. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private readonly failures = new Map<K, number>();
  private readonly delayed = new Map<K, DelayedAdd>();
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done(key) queues it again
    this.queue.push(key);
    this.handOut();
  }

  /** The next key to process, waiting for one if needed; undefined once shut down. Call done(key) after. */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.queue.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key processed; if it was added meanwhile, it is queued again now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.handOut();
    }
  }

  /** Adds the key after its backoff: baseDelay * 2^(failures so far), capped at maxDelay. */
  addRateLimited(key: K): void {
    this.addAfter(key, this.nextDelay(key));
  }

  /** The delay the next addRateLimited(key) waits; counts this as a failure. */
  private nextDelay(key: K): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
  }

  /** How many times the key has been rate-limited since the last forget. */
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets the key's backoff (call after a successful sync). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  /** Adds the key once `ms` have passed; several pending adds of one key keep the earliest. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.readyAt <= readyAt) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { readyAt, timer });
  }

  /** Keys waiting to be handed out (not counting those in progress or delayed). */
  len(): number {
    return this.queue.length;
  }

  /** Stops handing out keys: pending and future get() resolve to undefined, delayed adds are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private take(): K {
    const key = this.queue.shift() as K;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private handOut(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const resolve = this.waiters.shift()!;
      resolve(this.take());
    }
  }
}

export interface RunWorkersOptions<K> {
  /** Told about every failed sync before the key is retried with backoff. */
  onError?: (key: K, error: unknown) => void;
}

/**
 * Runs `count` workers that take keys and sync them: success forgets the key's backoff,
 * failure re-adds it rate-limited. Resolves when the queue is shut down and every worker
 * has finished its current key.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  count: number,
  sync: (key: K) => Promise<void>,
  options: RunWorkersOptions<K> = {},
): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await sync(key);
        queue.forget(key);
      } catch (error) {
        queue.addRateLimited(key);
        try {
          options.onError?.(key, error);
        } catch {
          // A failing error reporter must not stop the worker.
        }
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: count }, worker));
}
