import { runWorkers, type WorkQueue } from '../client/workqueue.ts';
import type { ControllerContext } from './controller.ts';

/**
 * The part every queue-driven controller shares: wait until the shared informers have
 * synced, then run `sync` over the queue with the configured number of workers until
 * the controller's signal aborts (losing leadership or shutting down). Failures are
 * retried with back-off by the queue and logged with the object's key.
 */
export async function processQueue<K>(ctx: ControllerContext, queue: WorkQueue<K>, sync: (key: K) => Promise<void>, describe: (key: K) => Record<string, unknown>): Promise<void> {
  ctx.signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  try {
    await ctx.informers.waitForSync(ctx.signal);
    if (ctx.signal.aborted) return;
    await runWorkers(queue, ctx.settings.workers, sync, {
      onError: (key, error) => ctx.logger.warn('sync failed', { ...describe(key), error: (error as Error)?.message ?? String(error) }),
    });
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
  } finally {
    queue.shutDown();
  }
}
