import { badRequest, gone } from '../api/errors.ts';
import { cloneJson } from './json-clone.ts';
import type { Watch, WatchEvent, WatchOptions } from './store.ts';

// Fans durable events out to watchers and keeps the last `historySize` events (all
// resources) so a client can resume a watch from a resourceVersion, like the
// Kubernetes watch cache. Events arrive already in resourceVersion order, one per
// resourceVersion, so the history covers a contiguous range.
//
// Each watcher gets its own copy of every object: a watcher that changes what it was
// given cannot change what other watchers, the history or the store see.

export interface WatchHubOptions {
  historySize: number;
  /** The resourceVersion the store starts at (history is empty then). */
  resourceVersion: number;
  /** Called when a watcher throws; the other watchers still get the event. */
  onListenerError?: (error: unknown, event: WatchEvent) => void;
}

interface RetainedEvent {
  resourceVersion: number;
  namespace: string;
  event: WatchEvent;
}

interface Listener {
  namespace: string | undefined;
  onEvent: (event: WatchEvent) => void;
  /** Only events after this resourceVersion are delivered. */
  after: number;
  /** Events waiting while the replay is still being delivered; undefined once live. */
  backlog: RetainedEvent[] | undefined;
  stopped: boolean;
}

export class WatchHub {
  private readonly capacity: number;
  private readonly ring: (RetainedEvent | undefined)[];
  private start = 0; // index of the oldest retained event
  private count = 0;
  private lastResourceVersion: number;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly onListenerError: (error: unknown, event: WatchEvent) => void;

  constructor(options: WatchHubOptions) {
    this.capacity = Math.max(1, Math.floor(options.historySize));
    this.ring = new Array(this.capacity);
    this.lastResourceVersion = options.resourceVersion;
    this.onListenerError =
      options.onListenerError ??
      ((error, event) =>
        console.error(`watch-hub: a ${event.resource} watcher threw on ${event.type} ${event.object.metadata.name}:`, error));
  }

  /** The resourceVersion of the latest published event. */
  currentResourceVersion(): number {
    return this.lastResourceVersion;
  }

  /** The oldest resourceVersion a watch can start from. */
  oldestWatchableResourceVersion(): number {
    return this.count === 0 ? this.lastResourceVersion : this.at(0).resourceVersion - 1;
  }

  /** Records a durable event and delivers it. resourceVersion must grow with each call. */
  publish(event: WatchEvent): void {
    const resourceVersion = Number(event.object.metadata.resourceVersion);
    if (!(resourceVersion > this.lastResourceVersion)) {
      throw new Error(`watch-hub: event resourceVersion ${resourceVersion} is not after ${this.lastResourceVersion}`);
    }
    const retained: RetainedEvent = { resourceVersion, namespace: event.object.metadata.namespace ?? '', event };
    this.retain(retained);
    this.lastResourceVersion = resourceVersion;

    const listeners = this.listeners.get(event.resource);
    if (!listeners) return;
    for (const listener of listeners) {
      if (listener.backlog) listener.backlog.push(retained);
      else this.deliver(listener, retained);
    }
  }

  /**
   * Live events only for resourceVersion undefined or '0'; otherwise every retained
   * event after it, then live ones. Throws 410 when events after it were dropped.
   */
  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Watch {
    const from = parseResourceVersion(options.resourceVersion);
    const listener: Listener = {
      namespace: options.namespace || undefined,
      onEvent,
      after: from ?? this.lastResourceVersion,
      backlog: undefined,
      stopped: false,
    };

    if (from !== undefined && from < this.lastResourceVersion) {
      const oldest = this.oldestWatchableResourceVersion();
      if (from < oldest) throw gone(`too old resource version: ${from} (${oldest})`);
      listener.backlog = this.retainedAfter(from).filter((retained) => retained.event.resource === resource);
      // Replay after watch() returns, so the caller holds its Watch before the first event.
      queueMicrotask(() => this.drainBacklog(listener));
    }

    let set = this.listeners.get(resource);
    if (!set) {
      set = new Set();
      this.listeners.set(resource, set);
    }
    set.add(listener);

    return {
      stop: () => {
        if (listener.stopped) return;
        listener.stopped = true;
        listener.backlog = undefined;
        const current = this.listeners.get(resource);
        current?.delete(listener);
        if (current?.size === 0) this.listeners.delete(resource);
      },
    };
  }

  /** Ends every watch (store closing). */
  stopAll(): void {
    for (const set of this.listeners.values()) {
      for (const listener of set) {
        listener.stopped = true;
        listener.backlog = undefined;
      }
    }
    this.listeners.clear();
  }

  watcherCount(resource?: string): number {
    if (resource !== undefined) return this.listeners.get(resource)?.size ?? 0;
    let total = 0;
    for (const set of this.listeners.values()) total += set.size;
    return total;
  }

  private drainBacklog(listener: Listener): void {
    // Events published while we deliver (a watcher may write synchronously) join the backlog.
    while (listener.backlog && listener.backlog.length > 0) {
      const next = listener.backlog.shift()!;
      this.deliver(listener, next);
    }
    listener.backlog = undefined;
  }

  private deliver(listener: Listener, retained: RetainedEvent): void {
    if (listener.stopped || retained.resourceVersion <= listener.after) return;
    if (listener.namespace !== undefined && retained.namespace !== listener.namespace) return;
    listener.after = retained.resourceVersion;
    const { event } = retained;
    try {
      listener.onEvent({ type: event.type, resource: event.resource, object: cloneJson(event.object) });
    } catch (error) {
      try {
        this.onListenerError(error, event);
      } catch {
        // a broken error reporter must not stop delivery either
      }
    }
  }

  private retain(retained: RetainedEvent): void {
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = retained;
      this.count++;
    } else {
      this.ring[this.start] = retained;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  private at(offset: number): RetainedEvent {
    return this.ring[(this.start + offset) % this.capacity]!;
  }

  /** Retained events with resourceVersion > from, oldest first (binary search: the ring is sorted). */
  private retainedAfter(from: number): RetainedEvent[] {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.at(mid).resourceVersion <= from) low = mid + 1;
      else high = mid;
    }
    const result: RetainedEvent[] = [];
    for (let offset = low; offset < this.count; offset++) result.push(this.at(offset));
    return result;
  }
}

/** undefined for "start now" ('0' or absent); 400 for anything that is not a resourceVersion. */
function parseResourceVersion(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw badRequest(`invalid resource version: ${JSON.stringify(value)}`);
  return Number(value);
}
