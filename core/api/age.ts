// Human durations exactly as Kubernetes prints them (apimachinery pkg/util/duration),
// so AGE, LAST SEEN and "(2m ago)" read the same here, in kubectl and in the renderer.
// No Node imports: the renderer bundles this module too.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * `duration.HumanDuration`: about 2-3 significant figures, e.g. `45s`, `3m12s`, `42m`,
 * `5h10m`, `20h`, `2d3h`, `30d`, `2y10d`, `9y`. Slightly negative durations (clock skew
 * under 2s) count as `0s`; anything earlier is `<invalid>`.
 */
export function humanDuration(milliseconds: number): string {
  // Go converts with int(), which truncates toward zero.
  const seconds = Math.trunc(milliseconds / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;

  const minutes = Math.trunc(milliseconds / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;

  const hours = Math.trunc(milliseconds / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const days = Math.trunc(hours / 24);
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const years = Math.trunc(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const dayOfYear = Math.trunc(hours / 24) % 365;
    return dayOfYear === 0 ? `${years}y` : `${years}y${dayOfYear}d`;
  }
  return `${years}y`;
}

/**
 * `duration.ShortHumanDuration`: one unit only (`45s`, `3m`, `5h`, `2d`, `4y`), as
 * `kubectl describe` and some status lines use.
 */
export function shortHumanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(milliseconds / MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(milliseconds / HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Milliseconds since an RFC 3339 timestamp, or undefined when it is missing or unparsable. */
function millisecondsSince(timestamp: string | undefined | null, now: Date): number | undefined {
  if (!timestamp) return undefined;
  const at = Date.parse(timestamp);
  return Number.isNaN(at) ? undefined : now.getTime() - at;
}

/** Printers' `translateTimestampSince`: the age of a timestamp, `<unknown>` when unset. */
export function translateTimestampSince(timestamp: string | undefined | null, now: Date = new Date()): string {
  const elapsed = millisecondsSince(timestamp, now);
  return elapsed === undefined ? '<unknown>' : humanDuration(elapsed);
}

/** Printers' `translateTimestampUntil`: time left until a timestamp, `<unknown>` when unset. */
export function translateTimestampUntil(timestamp: string | undefined | null, now: Date = new Date()): string {
  const elapsed = millisecondsSince(timestamp, now);
  return elapsed === undefined ? '<unknown>' : humanDuration(-elapsed);
}
