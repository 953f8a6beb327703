import { isGone } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { resourceKey, type ResourceInfo } from '../api/resource-catalog.ts';
import { Lister } from './lister.ts';
import type { RestClient, WatchEvent } from './rest-client.ts';

// client-go's shared informer (Reflector + indexer + event distribution) in one class:
// list, then watch from the list's resourceVersion into a map keyed `namespace/name`.
// A watch that ends normally is reopened from the last resourceVersion seen (bookmarks
// included); 410 Gone means history moved on, so it relists and turns the difference
// between the cache and the fresh list into add/update/delete events. Other failures
// retry the same step with capped exponential backoff.

export interface InformerEventHandler<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** Receives the last state seen (the DELETED event's object, or the cached one when a relist found it gone). */
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every resyncMs, onUpdate(obj, obj) for every cached object, so level-based controllers re-check. 0/undefined: never. */
  resyncMs?: number;
  /** Server-side watch timeout; default a random 5-10 minutes so informers don't reconnect in step. */
  watchTimeoutSeconds?: number;
  /** Retry backoff after a failed list or watch. Defaults 500 ms doubling to 30 s. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Where list/watch failures and handler exceptions go; default console.error. */
  onError?: (error: unknown) => void;
}

// A watch that closes at once with nothing in it means a misbehaving server; client-go
// treats it as an error ("very short watch") so we back off instead of spinning.
const SHORT_WATCH_MS = 1000;

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<InformerEventHandler<T>>();
  private readonly syncWaiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>();
  private synced = false;
  private resourceVersion = '';
  private abort: AbortController | undefined;
  private resyncTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly client: RestClient,
    readonly info: ResourceInfo,
    private readonly options: InformerOptions = {},
  ) {}

  /**
   * Handlers added after the informer has synced are first told onAdd for every cached object.
   * Returns a function that removes the handler.
   */
  addEventHandler(handler: InformerEventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) {
      for (const obj of this.cache.values()) this.call(() => handler.onAdd?.(obj));
    }
    return () => {
      this.handlers.delete(handler);
    };
  }

  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    if (this.options.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
    }
    void this.run(abort.signal);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.resyncTimer = undefined;
    for (const waiter of this.syncWaiters) waiter.reject(new Error(`informer for ${resourceKey(this.info)} stopped before it synced`));
    this.syncWaiters.clear();
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.syncWaiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.syncWaiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The resourceVersion the next watch starts from (advanced by events and bookmarks). */
  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Read access to the cache; see Lister about not mutating what it returns. */
  lister(): Lister<T> {
    return new Lister(this.cache);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const initialBackoff = this.options.backoffInitialMs ?? 500;
    const maxBackoff = this.options.backoffMaxMs ?? 30_000;
    let backoff = initialBackoff;
    let needsList = true;
    while (!signal.aborted) {
      let listedNow = false;
      try {
        if (needsList) {
          await this.relist(signal);
          needsList = false;
          listedNow = true;
          backoff = initialBackoff;
        }
        const startedAt = Date.now();
        let events = 0;
        await this.client.watch<T>(
          this.info,
          {
            namespace: this.options.namespace,
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
          },
          (event) => {
            if (signal.aborted) return;
            events++;
            this.applyWatchEvent(event);
          },
          signal,
        );
        if (events === 0 && Date.now() - startedAt < SHORT_WATCH_MS) {
          throw new Error(`watch of ${resourceKey(this.info)} closed at once without events`);
        }
        backoff = initialBackoff;
      } catch (error) {
        if (signal.aborted) return;
        if (isGone(error)) {
          needsList = true;
          // Gone right after a fresh list would loop list/watch as fast as the server answers.
          if (!listedNow) continue;
        }
        this.report(error);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  /** Replaces the cache with a fresh list and tells handlers what changed since the cache was last right. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.client.listAll<T>(
      this.info,
      { namespace: this.options.namespace, labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector },
      signal,
    );
    if (signal.aborted) return;
    const fresh = new Map(items.map((obj) => [keyOf(obj), obj]));
    for (const [key, old] of [...this.cache]) {
      if (fresh.has(key)) continue;
      this.cache.delete(key);
      this.notify((h) => h.onDelete?.(old));
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.notify((h) => h.onAdd?.(obj));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.notify((h) => h.onUpdate?.(old, obj));
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters) waiter.resolve();
      this.syncWaiters.clear();
    }
  }

  private applyWatchEvent(event: WatchEvent<T>): void {
    const obj = event.object;
    const version = obj.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (version) this.resourceVersion = version;
      return;
    }
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.notify((h) => h.onDelete?.(obj));
    } else {
      this.cache.set(key, obj);
      if (old) this.notify((h) => h.onUpdate?.(old, obj));
      else this.notify((h) => h.onAdd?.(obj));
    }
    if (version) this.resourceVersion = version;
  }

  private resync(): void {
    if (!this.synced) return;
    for (const obj of this.cache.values()) this.notify((h) => h.onUpdate?.(obj, obj));
  }

  private notify(deliver: (handler: InformerEventHandler<T>) => void): void {
    for (const handler of [...this.handlers]) this.call(() => deliver(handler));
  }

  /** A throwing handler must not break the informer or starve the other handlers. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    if (this.options.onError) this.options.onError(error);
    else console.error(`informer ${resourceKey(this.info)}:`, error);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
