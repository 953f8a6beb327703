import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runWorkers, WorkQueue } from './workqueue.ts';

/** Resolves on the next macrotask: lets pending promise chains settle. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WorkQueue', () => {
  it('hands keys out in order and drops duplicates of a waiting key', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    expect(queue.len()).toBe(0);
  });

  it('never hands out a key that is being processed; re-added, it comes back after done', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);

    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await settle();
    expect(second).toBeUndefined();

    queue.done('a');
    await settle();
    expect(second).toBe('a');
    expect(queue.len()).toBe(0);
  });

  it('does not requeue a processed key that was not added again', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    await queue.get();
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('wakes a waiting get when a key is added', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('x');
    expect(await next).toBe('x');
  });

  it('resolves waiting and later gets to undefined after shutDown and ignores new adds', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    queue.add('a');
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });
});

describe('WorkQueue delays', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('addAfter adds the key once the delay has passed, keeping the earliest of several', () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 100);
    queue.addAfter('a', 50);
    queue.addAfter('a', 500);
    vi.advanceTimersByTime(49);
    expect(queue.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.len()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(queue.len()).toBe(1);
  });

  it('addRateLimited doubles the delay per failure up to the cap, and forget resets it', () => {
    const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40 });
    const delayOfNextRetry = (): number => {
      queue.addRateLimited('a');
      let waited = 0;
      while (queue.len() === 0) {
        vi.advanceTimersByTime(1);
        waited++;
      }
      // Take it out again so the next retry is observable.
      void queue.get();
      queue.done('a');
      return waited;
    };
    expect([delayOfNextRetry(), delayOfNextRetry(), delayOfNextRetry(), delayOfNextRetry()]).toEqual([10, 20, 40, 40]);
    expect(queue.numRequeues('a')).toBe(4);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    expect(delayOfNextRetry()).toBe(10);
  });

  it('keeps backoff per key', () => {
    const queue = new WorkQueue({ baseDelayMs: 10 });
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    queue.addRateLimited('b');
    expect(queue.numRequeues('a')).toBe(2);
    expect(queue.numRequeues('b')).toBe(1);
  });

  it('uses 5 ms as the default base delay', () => {
    const queue = new WorkQueue();
    queue.addRateLimited('a');
    vi.advanceTimersByTime(4);
    expect(queue.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.len()).toBe(1);
  });

  it('drops delayed adds on shutDown', () => {
    const queue = new WorkQueue();
    queue.addAfter('a', 10);
    queue.shutDown();
    vi.advanceTimersByTime(100);
    expect(queue.len()).toBe(0);
  });
});

describe('runWorkers', () => {
  it('syncs keys, never the same key on two workers at once, and stops on shutDown', async () => {
    const queue = new WorkQueue();
    const running = new Set<string>();
    const overlaps: string[] = [];
    const synced: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));

    const workers = runWorkers(queue, 4, async (key) => {
      if (running.has(key)) overlaps.push(key);
      running.add(key);
      await gate;
      running.delete(key);
      synced.push(key);
    });
    queue.add('a');
    queue.add('b');
    await settle();
    // Re-added while in progress: must wait, even with idle workers.
    queue.add('a');
    await settle();
    expect([...running].sort()).toEqual(['a', 'b']);
    release();
    await vi.waitFor(() => expect(synced.filter((k) => k === 'a')).toHaveLength(2));
    expect(overlaps).toEqual([]);

    queue.shutDown();
    await workers;
  });

  it('retries a failed key with backoff and forgets it after success', async () => {
    const queue = new WorkQueue({ baseDelayMs: 1 });
    const errors: unknown[] = [];
    let attempts = 0;
    const requeuesSeen: number[] = [];
    const workers = runWorkers(
      queue,
      1,
      async (key) => {
        requeuesSeen.push(queue.numRequeues(key));
        attempts++;
        if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
      },
      { onError: (_key, error) => errors.push(error) },
    );
    queue.add('a');
    await vi.waitFor(() => expect(attempts).toBe(3));
    expect(requeuesSeen).toEqual([0, 1, 2]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['attempt 1 failed', 'attempt 2 failed']);
    await vi.waitFor(() => expect(queue.numRequeues('a')).toBe(0));
    queue.shutDown();
    await workers;
  });
});
