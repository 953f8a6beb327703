import { describe, expect, it } from 'vitest';
import { evictionTime, NOT_READY_TAINT, tolerates, UNREACHABLE_TAINT, withDefaultTolerations } from './taint-eviction.ts';

const t0 = Date.parse('2024-05-01T12:00:00Z');
const unreachable = { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: '2024-05-01T12:00:00Z' };

describe('taint eviction arithmetic', () => {
  it('tolerates: Exists matches any value, Equal compares values, an empty key with Exists matches every taint', () => {
    expect(tolerates({ key: 'k', operator: 'Exists' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(true);
    expect(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(true);
    expect(tolerates({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(false);
    expect(tolerates({ operator: 'Exists' }, { key: 'any', effect: 'NoSchedule' })).toBe(true);
    expect(tolerates({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' })).toBe(false);
  });

  it('pods get the default not-ready/unreachable tolerations unless they have their own', () => {
    expect(withDefaultTolerations(undefined, 300)).toEqual([
      { key: NOT_READY_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    const daemon = [{ key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute' }];
    expect(withDefaultTolerations(daemon, 300)).toHaveLength(2);
    expect(evictionTime([unreachable], withDefaultTolerations(daemon, 300), t0)).toBeUndefined();
  });

  it('evicts now without a toleration, after the shortest tolerationSeconds from timeAdded otherwise', () => {
    expect(evictionTime([{ key: 'dedicated', effect: 'NoExecute' }], withDefaultTolerations([], 5), t0 + 1000)).toBe(t0 + 1000);
    expect(evictionTime([unreachable], withDefaultTolerations([], 5), t0 + 1000)).toBe(t0 + 5000);
    const two = [
      { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      { key: UNREACHABLE_TAINT, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
    ];
    expect(evictionTime([unreachable], two, t0)).toBe(t0 + 10_000);
    expect(evictionTime([{ key: 'x', effect: 'NoSchedule' }], [], t0)).toBeUndefined();
  });
});
