import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SchedulingQueue } from './scheduling-queue.ts';

// Fake timers drive backoff and the leftover sweep, so nothing here waits for real time.

let queue: SchedulingQueue;

beforeEach(() => {
  vi.useFakeTimers();
  queue = new SchedulingQueue({ initialBackoffMs: 1000, maxBackoffMs: 10_000, maxInUnschedulableMs: 60_000, flushIntervalMs: 5_000 });
});
afterEach(() => {
  queue.close();
  vi.useRealTimers();
});

describe('SchedulingQueue', () => {
  it('pops by priority, then in arrival order, and holds each pod once', async () => {
    queue.add('ns/low', 0);
    queue.add('ns/high', 10);
    queue.add('ns/low2', 0);
    queue.add('ns/low', 0);
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await queue.pop())!.key);
    expect(order).toEqual(['ns/high', 'ns/low', 'ns/low2']);
  });

  it('waits in pop() until a pod arrives, and close() releases the waiter', async () => {
    const waiting = queue.pop();
    queue.add('ns/p');
    expect((await waiting)!.key).toBe('ns/p');
    const released = queue.pop();
    queue.close();
    expect(await released).toBeUndefined();
  });

  it('parks an unschedulable pod until a cluster change, then honours its backoff', async () => {
    queue.add('ns/p');
    await queue.pop();
    queue.markUnschedulable('ns/p');
    expect(queue.locate('ns/p')).toBe('unschedulable');
    vi.advanceTimersByTime(30_000);
    expect(queue.locate('ns/p')).toBe('unschedulable');
    queue.moveAllToActiveOrBackoff();
    expect(queue.locate('ns/p')).toBe('active'); // its 1 s backoff is long over

    await queue.pop();
    queue.markUnschedulable('ns/p');
    queue.moveAllToActiveOrBackoff();
    expect(queue.locate('ns/p')).toBe('backoff'); // second attempt: 2 s backoff, just started
    vi.advanceTimersByTime(1999);
    expect(queue.locate('ns/p')).toBe('backoff');
    vi.advanceTimersByTime(1);
    expect(queue.locate('ns/p')).toBe('active');
  });

  it('does not park a pod whose attempt overlapped a cluster change', async () => {
    queue.add('ns/p');
    await queue.pop();
    queue.moveAllToActiveOrBackoff(); // e.g. a node was added while the pod was being scheduled
    queue.markUnschedulable('ns/p');
    expect(queue.locate('ns/p')).toBe('backoff');
    vi.advanceTimersByTime(1000);
    expect(queue.locate('ns/p')).toBe('active');
  });

  it('retries a pod that changed while in flight', async () => {
    queue.add('ns/p');
    await queue.pop();
    queue.update('ns/p');
    queue.markUnschedulable('ns/p');
    expect(queue.locate('ns/p')).toBe('backoff');
  });

  it('an update moves a parked pod out at once; an add does not', async () => {
    queue.add('ns/p');
    await queue.pop();
    queue.markUnschedulable('ns/p');
    queue.add('ns/p');
    expect(queue.locate('ns/p')).toBe('unschedulable');
    vi.advanceTimersByTime(1000);
    queue.update('ns/p');
    expect(queue.locate('ns/p')).toBe('active');
  });

  it('sweeps pods left unschedulable too long', async () => {
    queue.add('ns/p');
    await queue.pop();
    queue.markUnschedulable('ns/p');
    vi.advanceTimersByTime(59_999);
    expect(queue.locate('ns/p')).toBe('unschedulable');
    vi.advanceTimersByTime(5_000);
    expect(queue.locate('ns/p')).toBe('active');
  });

  it('doubles the backoff per attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => queue.backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('forgets deleted pods wherever they are', async () => {
    queue.add('ns/p');
    await queue.pop();
    queue.retryWithBackoff('ns/p');
    expect(queue.locate('ns/p')).toBe('backoff');
    queue.delete('ns/p');
    vi.advanceTimersByTime(10_000);
    expect(queue.locate('ns/p')).toBeUndefined();
  });
});
