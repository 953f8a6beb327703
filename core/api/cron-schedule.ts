// Cron schedule syntax as CronJobs accept it: robfig/cron/v3's ParseStandard (five fields,
// names for months and weekdays, `@hourly`-style descriptors and `@every <duration>`),
// with that parser's error wording. Only checks syntax; the CronJob controller computes times.

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

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

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

function checkRange(expression: string, bounds: FieldBounds): void {
  const slashParts = expression.split('/');
  if (slashParts.length > 2) throw new CronScheduleError(`too many slashes: ${expression}`);
  const rangeParts = slashParts[0].split('-');
  if (rangeParts.length > 2) throw new CronScheduleError(`too many hyphens: ${expression}`);
  let start: number;
  let end: number;
  if (rangeParts[0] === '*' || rangeParts[0] === '?') {
    start = bounds.min;
    end = bounds.max;
  } else {
    start = parseValue(rangeParts[0], bounds);
    end = rangeParts.length === 2 ? parseValue(rangeParts[1], bounds) : start;
  }
  if (slashParts.length === 2) {
    const step = parseNumber(slashParts[1]);
    if (step <= 0) throw new CronScheduleError(`step of range should be a positive number: ${expression}`);
    // `N/step` means N through the maximum.
    if (rangeParts.length === 1 && rangeParts[0] !== '*' && rangeParts[0] !== '?') end = bounds.max;
  }
  if (start < bounds.min) throw new CronScheduleError(`beginning of range (${start}) below minimum (${bounds.min}): ${expression}`);
  if (end > bounds.max) throw new CronScheduleError(`end of range (${end}) above maximum (${bounds.max}): ${expression}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expression}`);
}

const durationPattern = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** Throws CronScheduleError with robfig/cron's message when `schedule` does not parse. */
export function checkCronSchedule(schedule: string): void {
  let spec = schedule.trim();
  if (spec.length === 0) throw new CronScheduleError('empty spec string');
  // A leading TZ=Zone / CRON_TZ=Zone picks the zone; the rest is the schedule.
  const zone = /^(CRON_TZ|TZ)=(\S*)\s*(.*)$/.exec(spec);
  if (zone) spec = zone[3];
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return;
    if (spec.startsWith('@every ')) {
      const duration = spec.slice('@every '.length).trim();
      if (!durationPattern.test(duration)) throw new CronScheduleError(`failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(duration)}`);
      return;
    }
    throw new CronScheduleError(`unrecognized descriptor: ${spec}`);
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    throw new CronScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  fields.forEach((field, i) => {
    for (const expression of field.split(',')) checkRange(expression, FIELDS[i]);
  });
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
