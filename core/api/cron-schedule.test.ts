import { describe, expect, it } from 'vitest';
import { cronScheduleProblem } from './cron-schedule.ts';

describe('cronScheduleProblem', () => {
  it.each(['* * * * *', '0 0 1 1 *', '*/5 0-23/2 1,15 jan-DEC sun-sat', '5 4 * * 0', '0 12 ? * MON', '@daily', '@annually', '@every 90s', 'CRON_TZ=UTC 0 * * * *'])(
    'accepts %s',
    (schedule) => {
      expect(cronScheduleProblem(schedule)).toBeUndefined();
    },
  );

  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['* * * 13 *', 'end of range (13) above maximum (12): 13'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['* * * * funday', 'failed to parse int from funday: strconv.Atoi: parsing "funday": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every soon', 'failed to parse duration @every soon: time: invalid duration "soon"'],
  ])('rejects %j with %s', (schedule, message) => {
    expect(cronScheduleProblem(schedule)).toBe(message);
  });
});
