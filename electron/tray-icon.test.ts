import { describe, expect, it } from 'vitest';
import { discBitmap, STATUS_COLORS, statusColor } from './tray-icon.ts';

describe('tray icon', () => {
  it('colours the state: all Ready, some not Ready, unknown', () => {
    expect(statusColor({ ready: 3, total: 3 })).toBe(STATUS_COLORS.allReady);
    expect(statusColor({ ready: 2, total: 3 })).toBe(STATUS_COLORS.someNotReady);
    expect(statusColor({ ready: 0, total: 0 })).toBe(STATUS_COLORS.unknown);
    expect(statusColor({ error: 'down' })).toBe(STATUS_COLORS.unknown);
    expect(statusColor(undefined)).toBe(STATUS_COLORS.unknown);
  });

  it('draws an opaque disc in BGRA with transparent corners', () => {
    const size = 16;
    const pixels = discBitmap(size, [10, 20, 30]);
    expect(pixels.length).toBe(size * size * 4);
    const at = (x: number, y: number) => [...pixels.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];
    expect(at(8, 8)).toEqual([30, 20, 10, 255]);
    expect(at(0, 0)).toEqual([0, 0, 0, 0]);
    expect(at(15, 15)).toEqual([0, 0, 0, 0]);
  });
});
