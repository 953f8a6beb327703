import { describe, it, expect } from 'vitest';
import { humanDuration, shortHumanDuration, translateTimestampSince, translateTimestampUntil } from './age.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const y = 365 * d;

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  // Same cases as apimachinery's duration_test.go, plus each threshold's both sides.
  it.each([
    [-2 * s, '<invalid>'],
    [-1999, '0s'], // int(-1.999s) is -1: clock skew under 2s still reads as now
    [-1 * s, '0s'],
    [-1, '0s'], // truncation toward zero, like Go's int()
    [0, '0s'],
    [1 * s, '1s'],
    [1999, '1s'],
    [45 * s, '45s'],
    [59 * s, '59s'],
    [60 * s, '60s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [2 * m + 1 * s, '2m1s'],
    [3 * m + 12 * s, '3m12s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'],
    [10 * m + 59 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 1 * m, '3h1m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h, '8h'],
    [8 * h + 59 * m, '8h'],
    [47 * h + 59 * m, '47h'],
    [48 * h, '2d'],
    [48 * h + 1 * h, '2d1h'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [8 * d + 23 * h, '8d'],
    [2 * y - 1 * d, '729d'],
    [2 * y, '2y'],
    [2 * y + 1 * d, '2y1d'],
    [2 * y + 10 * d, '2y10d'],
    [8 * y - 1 * d, '7y364d'],
    [8 * y, '8y'],
    [9 * y + 100 * d, '9y'],
  ])('%d ms -> %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });
});

describe('shortHumanDuration (apimachinery duration.ShortHumanDuration)', () => {
  it.each([
    [-2 * s, '<invalid>'],
    [-1 * s, '0s'],
    [59 * s, '59s'],
    [60 * s, '1m'],
    [59 * m, '59m'],
    [60 * m, '1h'],
    [23 * h, '23h'],
    [24 * h, '1d'],
    [364 * d, '364d'],
    [365 * d, '1y'],
    [4 * y + 100 * d, '4y'],
  ])('%d ms -> %s', (ms, expected) => {
    expect(shortHumanDuration(ms)).toBe(expected);
  });
});

describe('translateTimestampSince / Until', () => {
  const now = new Date('2024-05-10T12:00:00Z');

  it('prints the age of a timestamp', () => {
    expect(translateTimestampSince('2024-05-10T11:56:48Z', now)).toBe('3m12s');
    expect(translateTimestampSince('2024-05-08T09:00:00Z', now)).toBe('2d3h');
  });

  it('prints <unknown> for missing or unparsable timestamps', () => {
    expect(translateTimestampSince(undefined, now)).toBe('<unknown>');
    expect(translateTimestampSince(null, now)).toBe('<unknown>');
    expect(translateTimestampSince('', now)).toBe('<unknown>');
    expect(translateTimestampSince('not a time', now)).toBe('<unknown>');
  });

  it('prints the time left until a future timestamp', () => {
    expect(translateTimestampUntil('2024-05-10T17:00:00Z', now)).toBe('5h');
    expect(translateTimestampUntil('2024-05-10T11:00:00Z', now)).toBe('<invalid>');
  });
});
