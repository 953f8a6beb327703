import { checkCronSchedule } from '../api/cron-schedule.ts';

// When a CronJob schedule fires next, as robfig/cron/v3 (Kubernetes' parser) computes it:
// five fields, names, `@hourly`-style descriptors and `@every <duration>`, evaluated on
// the wall clock of an IANA time zone (UTC when none is given). core/api/cron-schedule.ts
// checks the syntax (and gives the error wording); this file turns a valid schedule into
// times. Zone offsets come from Intl, so no time-zone database is bundled here.
//
// Daylight saving: a wall time that does not exist (the hour skipped in spring) never
// fires; a wall time that occurs twice (the hour repeated in autumn) fires once, at its
// first occurrence.

export interface CronSchedule {
  /** The first activation strictly after `after`, or undefined when none comes within five years. */
  next(after: Date): Date | undefined;
}

interface FieldBounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const WEEKDAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const MINUTE: FieldBounds = { min: 0, max: 59 };
const HOUR: FieldBounds = { min: 0, max: 23 };
const DAY_OF_MONTH: FieldBounds = { min: 1, max: 31 };
const MONTH: FieldBounds = { min: 1, max: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldBounds = { min: 0, max: 6, names: WEEKDAY_NAMES };

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const SEARCH_YEARS = 5;

interface ParsedField {
  values: Set<number>;
  /** robfig's star bit: `*` or `?` without a step; decides how day-of-month and day-of-week combine. */
  star: boolean;
}

/**
 * Parses a schedule for a time zone. Throws CronScheduleError (robfig's wording) for bad
 * syntax and a plain Error for an unknown zone or a `TZ=`/`CRON_TZ=` prefix, which
 * Kubernetes asks users to replace with spec.timeZone.
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  checkCronSchedule(schedule);
  const spec = schedule.trim();
  if (/^(CRON_TZ|TZ)=/.test(spec)) {
    throw new Error(`TZ and CRON_TZ are not supported in the schedule ${JSON.stringify(schedule)}: set spec.timeZone instead`);
  }
  const zone = timeZone ?? 'UTC';
  const offsetOf = zoneOffsetFunction(zone);
  if (spec.startsWith('@every ')) return everySchedule(parseDuration(spec.slice('@every '.length).trim()));
  const fields = (DESCRIPTORS[spec] ?? spec).split(/\s+/).filter(Boolean);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK].map((bounds, i) =>
    parseField(fields[i], bounds),
  );
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

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDuration(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit];
  }
  return total;
}

function parseField(field: string, bounds: FieldBounds): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const expression of field.split(',')) {
    const [range, stepText] = expression.split('/');
    const step = stepText === undefined ? 1 : Number.parseInt(stepText, 10);
    const [startText, endText] = range.split('-');
    let start: number;
    let end: number;
    if (startText === '*' || startText === '?') {
      start = bounds.min;
      end = bounds.max;
      if (stepText === undefined || step === 1) star = true;
    } else {
      start = valueOf(startText, bounds);
      end = endText !== undefined ? valueOf(endText, bounds) : stepText !== undefined ? bounds.max : start;
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values, star };
}

function valueOf(text: string, bounds: FieldBounds): number {
  return bounds.names?.[text.toLowerCase()] ?? Number.parseInt(text, 10);
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
