// The kubelet's per-container back-off (CrashLoopBackOff, ImagePullBackOff): each failure
// doubles the wait from a base up to a cap; a container that stayed up long enough, or
// sat idle that long, starts from the base again.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** After this long without a failure the next one waits only baseMs. */
  resetMs: number;
  now?: () => number;
}

interface Entry {
  delayMs: number;
  /** When the current back-off ends (ms since epoch). */
  until: number;
  lastFailureAt: number;
}

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Records a failure that happened at `failedAt` (default now) and returns the delay it imposes.
   * Calling again for the same failure (same failedAt) does not double the delay.
   * The back-off runs from when the failure is first recorded if that is later than
   * failedAt: an exit a busy (or restarted) agent notices late still shows as back-off
   * for the whole delay, instead of the container coming back before anyone saw it die.
   */
  recordFailure(key: string, failedAt = this.now(), ranForMs = 0): number {
    const entry = this.entries.get(key);
    if (entry && entry.lastFailureAt === failedAt) return entry.delayMs;
    const stale = !entry || failedAt - entry.lastFailureAt > this.options.resetMs || ranForMs >= this.options.resetMs;
    const delayMs = stale ? this.options.baseMs : Math.min(entry.delayMs * 2, this.options.maxMs);
    this.entries.set(key, { delayMs, until: Math.max(failedAt, this.now()) + delayMs, lastFailureAt: failedAt });
    return delayMs;
  }

  /** Milliseconds left in the key's back-off (0 when it may retry now). */
  remainingMs(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.until - this.now()) : 0;
  }

  /** The delay of the current back-off, for messages ("back-off 20s ..."). */
  currentDelayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key starting with `prefix` (a pod's uid when the pod goes). */
  resetPrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}

/** "20s", "1m20s", "5m0s": the duration format of the kubelet's back-off messages. */
export function formatBackoff(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return ms < 1000 && ms > 0 ? `${ms}ms` : `${totalSeconds}s`;
  return `${Math.floor(totalSeconds / 60)}m${totalSeconds % 60}s`;
}
