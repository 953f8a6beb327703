import { describe, expect, it } from 'vitest';
import { formatBackoff, RestartBackoff } from './restart-backoff.ts';

describe('RestartBackoff', () => {
  it('doubles per failure up to the cap, counts one failure once, and resets after a long run', () => {
    let now = 1_000_000;
    const backoff = new RestartBackoff({ baseMs: 10_000, maxMs: 40_000, resetMs: 600_000, now: () => now });
    expect(backoff.recordFailure('c', now)).toBe(10_000);
    expect(backoff.recordFailure('c', now)).toBe(10_000);
    expect(backoff.remainingMs('c')).toBe(10_000);
    now += 10_000;
    expect(backoff.remainingMs('c')).toBe(0);
    expect(backoff.recordFailure('c', now)).toBe(20_000);
    now += 20_000;
    expect(backoff.recordFailure('c', now)).toBe(40_000);
    now += 40_000;
    expect(backoff.recordFailure('c', now)).toBe(40_000);
    now += 1000;
    expect(backoff.recordFailure('c', now, 600_000)).toBe(10_000);
  });
  it('runs the back-off from when a late-noticed failure is recorded, so it is never skipped', () => {
    let now = 1_000_000;
    const backoff = new RestartBackoff({ baseMs: 1000, maxMs: 20_000, resetMs: 60_000, now: () => now });
    const exitedAt = now - 3000; // the agent sees the exit three seconds after it happened
    expect(backoff.recordFailure('c', exitedAt)).toBe(1000);
    expect(backoff.remainingMs('c')).toBe(1000);
    now += 500;
    expect(backoff.recordFailure('c', exitedAt)).toBe(1000);
    expect(backoff.remainingMs('c')).toBe(500);
    now += 500;
    expect(backoff.remainingMs('c')).toBe(0);
  });
  it('formats delays like the kubelet', () => {
    expect(formatBackoff(20_000)).toBe('20s');
    expect(formatBackoff(80_000)).toBe('1m20s');
    expect(formatBackoff(300_000)).toBe('5m0s');
  });
});
