// Cron schedule syntax as CronJobs accept it: robfig/cron/v3's ParseStandard (five fields,
// names for months and weekdays, `@hourly`-style descriptors and `@every <duration>`),
// with that parser's error wording. The one parser of schedules: validation reports its
// errors, and the CronJob controller (cron-schedule-next.ts) computes times from what
// it returns.

interface FieldBounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};
const weekdays: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: FieldBounds[] = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12, names: months },
  { min: 0, max: 6, names: weekdays },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One field's values. */
export interface CronField {
  values: Set<number>;
  /** robfig's star bit: `*` or `?` without a step above 1; decides how day-of-month and day-of-week combine. */
  star: boolean;
}

/** A parsed schedule: five fields (minute, hour, day of month, month, day of week), or a constant delay. */
export type ParsedCronSchedule =
  | { kind: 'fields'; fields: [CronField, CronField, CronField, CronField, CronField]; zonePrefix: boolean }
  | { kind: 'every'; delayMs: number; zonePrefix: boolean };

export class CronScheduleError extends Error {
  override name = 'CronScheduleError';
}

function parseNumber(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    throw new CronScheduleError(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  const value = Number.parseInt(text, 10);
  if (value < 0) throw new CronScheduleError(`negative number (${value}) not allowed: ${text}`);
  return value;
}

function parseValue(text: string, bounds: FieldBounds): number {
  const named = bounds.names?.[text.toLowerCase()];
  return named ?? parseNumber(text);
}

/** One comma-separated part of a field, added to `field`. */
function addRange(expression: string, bounds: FieldBounds, field: CronField): void {
  const slashParts = expression.split('/');
  if (slashParts.length > 2) throw new CronScheduleError(`too many slashes: ${expression}`);
  const rangeParts = slashParts[0].split('-');
  if (rangeParts.length > 2) throw new CronScheduleError(`too many hyphens: ${expression}`);
  let start: number;
  let end: number;
  let step = 1;
  const all = rangeParts[0] === '*' || rangeParts[0] === '?';
  if (all) {
    start = bounds.min;
    end = bounds.max;
  } else {
    start = parseValue(rangeParts[0], bounds);
    end = rangeParts.length === 2 ? parseValue(rangeParts[1], bounds) : start;
  }
  if (slashParts.length === 2) {
    step = parseNumber(slashParts[1]);
    if (step <= 0) throw new CronScheduleError(`step of range should be a positive number: ${expression}`);
    // `N/step` means N through the maximum.
    if (rangeParts.length === 1 && !all) end = bounds.max;
  }
  if (start < bounds.min) throw new CronScheduleError(`beginning of range (${start}) below minimum (${bounds.min}): ${expression}`);
  if (end > bounds.max) throw new CronScheduleError(`end of range (${end}) above maximum (${bounds.max}): ${expression}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expression}`);
  if (all && step === 1) field.star = true;
  for (let v = start; v <= end; v += step) field.values.add(v);
}

const durationPattern = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDuration(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(amount) * DURATION_UNITS_MS[unit];
  return total;
}

/** Parses `schedule`; throws CronScheduleError with robfig/cron's message when it does not parse. */
export function parseCronSpec(schedule: string): ParsedCronSchedule {
  let spec = schedule.trim();
  if (spec.length === 0) throw new CronScheduleError('empty spec string');
  // A leading TZ=Zone / CRON_TZ=Zone picks the zone; the rest is the schedule.
  const zone = /^(CRON_TZ|TZ)=(\S*)\s*(.*)$/.exec(spec);
  if (zone) spec = zone[3];
  const zonePrefix = zone !== null;
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const duration = spec.slice('@every '.length).trim();
      if (!durationPattern.test(duration)) throw new CronScheduleError(`failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(duration)}`);
      return { kind: 'every', delayMs: parseDuration(duration), zonePrefix };
    }
    if (!DESCRIPTORS[spec]) throw new CronScheduleError(`unrecognized descriptor: ${spec}`);
    spec = DESCRIPTORS[spec];
  }
  const texts = spec.split(/\s+/).filter(Boolean);
  if (texts.length !== 5) {
    throw new CronScheduleError(`expected exactly 5 fields, found ${texts.length}: [${texts.join(' ')}]`);
  }
  const fields = texts.map((text, i) => {
    const field: CronField = { values: new Set(), star: false };
    for (const expression of text.split(',')) addRange(expression, FIELDS[i], field);
    return field;
  }) as [CronField, CronField, CronField, CronField, CronField];
  return { kind: 'fields', fields, zonePrefix };
}

/** Throws CronScheduleError with robfig/cron's message when `schedule` does not parse. */
export function checkCronSchedule(schedule: string): void {
  parseCronSpec(schedule);
}

/** The error message, or undefined when `schedule` is valid. */
export function cronScheduleProblem(schedule: string): string | undefined {
  try {
    checkCronSchedule(schedule);
    return undefined;
  } catch (error) {
    if (error instanceof CronScheduleError) return error.message;
    throw error;
  }
}
