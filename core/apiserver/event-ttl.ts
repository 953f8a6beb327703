import type { Store } from '../store/store.ts';
import type { Logger } from '../log/logger.ts';

// Events expire, as in Kubernetes (the API server's --event-ttl, one hour by default):
// agents and controllers write many of them, and a lab left running for days must not
// keep every one in its data file.

export const DEFAULT_EVENT_TTL_SECONDS = 3600;

/** Removes the events whose last sighting is older than the TTL; returns how many went. */
export async function expireEvents(store: Store, ttlSeconds: number, now = new Date()): Promise<number> {
  const cutoff = now.getTime() - ttlSeconds * 1000;
  const { items } = await store.list('events');
  let removed = 0;
  for (const event of items) {
    const seen = (event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp) as string | undefined;
    if (!seen || Date.parse(seen) >= cutoff) continue;
    try {
      await store.delete('events', event.metadata.namespace ?? '', event.metadata.name!, {});
      removed++;
    } catch {
      // deleted meanwhile
    }
  }
  return removed;
}

/** Runs expireEvents every few minutes until stopped. */
export function startEventExpiry(store: Store, logger: Logger, ttlSeconds = DEFAULT_EVENT_TTL_SECONDS): () => void {
  const timer = setInterval(() => {
    expireEvents(store, ttlSeconds).then(
      (n) => n && logger.debug('expired events', { count: n }),
      (e) => logger.warn('event expiry failed', { error: String(e) }),
    );
  }, Math.min(ttlSeconds, 300) * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
