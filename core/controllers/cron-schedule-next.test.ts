import { describe, expect, it } from 'vitest';
import { CronScheduleError } from '../api/cron-schedule.ts';
import { parseCronSchedule, scheduleTimesBetween } from './cron-schedule-next.ts';

const next = (schedule: string, after: string, timeZone?: string): string | undefined =>
  parseCronSchedule(schedule, timeZone).next(new Date(after))?.toISOString();

describe('parseCronSchedule().next', () => {
  it('fires every minute strictly after the given time', () => {
    expect(next('* * * * *', '2024-03-01T10:00:00Z')).toBe('2024-03-01T10:01:00.000Z');
    expect(next('* * * * *', '2024-03-01T10:00:59.999Z')).toBe('2024-03-01T10:01:00.000Z');
  });

  it('handles steps, ranges, lists and names', () => {
    expect(next('*/15 * * * *', '2024-03-01T10:16:00Z')).toBe('2024-03-01T10:30:00.000Z');
    expect(next('5/20 * * * *', '2024-03-01T10:26:00Z')).toBe('2024-03-01T10:45:00.000Z');
    expect(next('0 9-17/4 * * *', '2024-03-01T13:00:00Z')).toBe('2024-03-01T17:00:00.000Z');
    expect(next('30 8 * * mon,fri', '2024-03-01T09:00:00Z')).toBe('2024-03-04T08:30:00.000Z'); // Fri -> Mon
    expect(next('0 0 1 jan *', '2024-03-01T00:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
  });

  it('ORs day-of-month and day-of-week when both are restricted, ANDs when one is *', () => {
    // 2024-03-01 is a Friday. "on the 10th OR on Mondays":
    expect(next('0 0 10 * 1', '2024-03-01T00:00:00Z')).toBe('2024-03-04T00:00:00.000Z');
    // "*/2 days of month" is not a star: still OR with Mondays.
    expect(next('0 0 */10 * 1', '2024-03-01T12:00:00Z')).toBe('2024-03-04T00:00:00.000Z');
    // day-of-week *, so only the 10th:
    expect(next('0 0 10 * *', '2024-03-01T00:00:00Z')).toBe('2024-03-10T00:00:00.000Z');
  });

  it('knows the descriptors and @every', () => {
    expect(next('@hourly', '2024-03-01T10:00:00Z')).toBe('2024-03-01T11:00:00.000Z');
    expect(next('@daily', '2024-03-01T10:00:00Z')).toBe('2024-03-02T00:00:00.000Z');
    expect(next('@weekly', '2024-03-01T10:00:00Z')).toBe('2024-03-03T00:00:00.000Z');
    expect(next('@every 1h30m', '2024-03-01T10:00:00.400Z')).toBe('2024-03-01T11:30:00.000Z');
  });

  it('skips impossible dates and gives up after five years', () => {
    expect(next('0 0 29 2 *', '2024-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 30 2 *', '2024-03-01T00:00:00Z')).toBeUndefined();
  });

  it('evaluates the schedule on the wall clock of spec.timeZone', () => {
    // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    expect(next('0 9 * * *', '2024-01-15T00:00:00Z', 'America/New_York')).toBe('2024-01-15T14:00:00.000Z');
    expect(next('0 9 * * *', '2024-07-15T00:00:00Z', 'America/New_York')).toBe('2024-07-15T13:00:00.000Z');
    expect(next('0 0 * * *', '2024-07-15T00:00:00Z', 'Asia/Kolkata')).toBe('2024-07-15T18:30:00.000Z');
  });

  it('never fires a wall time skipped by DST, and fires a repeated one once', () => {
    // 2024-03-10 02:30 does not exist in New York: the next 02:30 is the day after.
    expect(next('30 2 * * *', '2024-03-10T05:00:00Z', 'America/New_York')).toBe('2024-03-11T06:30:00.000Z');
    // 2024-11-03 01:30 happens twice (05:30Z EDT, 06:30Z EST): only the first counts.
    expect(next('30 1 * * *', '2024-11-03T04:00:00Z', 'America/New_York')).toBe('2024-11-03T05:30:00.000Z');
    expect(next('30 1 * * *', '2024-11-03T05:30:00Z', 'America/New_York')).toBe('2024-11-04T06:30:00.000Z');
  });

  it('rejects bad schedules, TZ prefixes and unknown zones', () => {
    expect(() => parseCronSchedule('61 * * * *')).toThrow(CronScheduleError);
    expect(() => parseCronSchedule('CRON_TZ=UTC * * * * *')).toThrow(/spec.timeZone/);
    expect(() => parseCronSchedule('* * * * *', 'Mars/Olympus')).toThrow(/unknown time zone/);
  });
});

describe('scheduleTimesBetween', () => {
  it('lists the activations in (after, until]', () => {
    const times = scheduleTimesBetween(parseCronSchedule('*/10 * * * *'), new Date('2024-03-01T10:00:00Z'), new Date('2024-03-01T10:30:00Z'));
    expect(times.map((t) => t.toISOString())).toEqual(['2024-03-01T10:10:00.000Z', '2024-03-01T10:20:00.000Z', '2024-03-01T10:30:00.000Z']);
  });
});
