import { parseCronSpec } from '../api/cron-schedule.ts';

// When a CronJob schedule fires next, as robfig/cron/v3 (Kubernetes' parser) computes it:
// five fields, names, `@hourly`-style descriptors and `@every <duration>`, evaluated on
// the wall clock of an IANA time zone (UTC when none is given). core/api/cron-schedule.ts
// parses the schedule (with robfig's error wording); this file turns it into times.
// Zone offsets come from Intl, so no time-zone database is bundled here.
//
// Daylight saving: a wall time that does not exist (the hour skipped in spring) never
// fires; a wall time that occurs twice (the hour repeated in autumn) fires once, at its
// first occurrence.

export interface CronSchedule {
  /** The first activation strictly after `after`, or undefined when none comes within five years. */
  next(after: Date): Date | undefined;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const SEARCH_YEARS = 5;

/**
 * Parses a schedule for a time zone. Throws CronScheduleError (robfig's wording) for bad
 * syntax and a plain Error for an unknown zone or a `TZ=`/`CRON_TZ=` prefix, which
 * Kubernetes asks users to replace with spec.timeZone.
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  const parsed = parseCronSpec(schedule);
  if (parsed.zonePrefix) {
    throw new Error(`TZ and CRON_TZ are not supported in the schedule ${JSON.stringify(schedule)}: set spec.timeZone instead`);
  }
  const zone = timeZone ?? 'UTC';
  const offsetOf = zoneOffsetFunction(zone);
  if (parsed.kind === 'every') return everySchedule(parsed.delayMs);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parsed.fields;
  const dayMatches = (wall: Date): boolean => {
    const domMatch = dayOfMonth.values.has(wall.getUTCDate());
    const dowMatch = dayOfWeek.values.has(wall.getUTCDay());
    return dayOfMonth.star || dayOfWeek.star ? domMatch && dowMatch : domMatch || dowMatch;
  };
  return {
    next(after: Date): Date | undefined {
      // Walk the zone's wall clock (kept in a UTC Date, which has no DST) field by field, as robfig does.
      const afterMs = after.getTime();
      let wallMs = Math.floor((afterMs + offsetOf(afterMs)) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      const limit = wallMs + SEARCH_YEARS * 366 * DAY_MS;
      while (wallMs <= limit) {
        const wall = new Date(wallMs);
        if (!month.values.has(wall.getUTCMonth() + 1)) {
          wallMs = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() + 1, 1);
          continue;
        }
        if (!dayMatches(wall)) {
          wallMs = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() + 1);
          continue;
        }
        if (!hour.values.has(wall.getUTCHours())) {
          wallMs = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate(), wall.getUTCHours() + 1);
          continue;
        }
        if (!minute.values.has(wall.getUTCMinutes())) {
          wallMs += MINUTE_MS;
          continue;
        }
        const instant = firstInstantOfWallTime(wallMs, offsetOf);
        if (instant !== undefined && instant > afterMs) return new Date(instant);
        wallMs += MINUTE_MS;
      }
      return undefined;
    },
  };
}

/** Every activation in (after, until], oldest first, stopping after `max` of them. */
export function scheduleTimesBetween(schedule: CronSchedule, after: Date, until: Date, max = Number.POSITIVE_INFINITY): Date[] {
  const times: Date[] = [];
  for (let t = schedule.next(after); t && t.getTime() <= until.getTime() && times.length < max; t = schedule.next(t)) times.push(t);
  return times;
}

/** robfig's ConstantDelaySchedule: `after` rounded down to the second, plus the delay (at least a second). */
function everySchedule(delayMs: number): CronSchedule {
  const delay = Math.max(1000, Math.floor(delayMs / 1000) * 1000);
  return { next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + delay) };
}

/** The earliest instant whose wall clock reads `wallMs`, or undefined for a time skipped by DST. */
function firstInstantOfWallTime(wallMs: number, offsetOf: (instantMs: number) => number): number | undefined {
  // The offsets in force a day either side cover any single transition near this wall time.
  const offsets = new Set([offsetOf(wallMs - DAY_MS), offsetOf(wallMs), offsetOf(wallMs + DAY_MS)]);
  const instants = [...offsets].map((offset) => wallMs - offset).filter((instant) => instant + offsetOf(instant) === wallMs);
  return instants.length ? Math.min(...instants) : undefined;
}

/** A function giving the zone's UTC offset (ms, east positive) at an instant; throws for an unknown zone. */
function zoneOffsetFunction(timeZone: string): (instantMs: number) => number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return () => 0;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new Error(`unknown time zone ${timeZone}`);
  }
  return (instantMs) => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(instantMs))) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    // Years before 100 would be mangled by Date.UTC; schedules never get there.
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return wall - Math.floor(instantMs / 1000) * 1000;
  };
}
