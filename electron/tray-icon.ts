import type { ClusterStatus } from './cluster-status.ts';

// The tray icon is drawn in code (no image file to ship or lose): a filled disc whose
// colour is the cluster's state, so the status shows without opening the menu.

export type Rgb = readonly [number, number, number];

export const STATUS_COLORS = {
  allReady: [46, 158, 91],
  someNotReady: [212, 154, 26],
  unknown: [138, 143, 152],
} as const satisfies Record<string, Rgb>;

export function statusColor(status: ClusterStatus | undefined): Rgb {
  if (!status || 'error' in status || status.total === 0) return STATUS_COLORS.unknown;
  return status.ready === status.total ? STATUS_COLORS.allReady : STATUS_COLORS.someNotReady;
}

/** A size x size disc as raw BGRA pixels (nativeImage.createFromBitmap), edges anti-aliased. */
export function discBitmap(size: number, [r, g, b]: Rgb): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const centre = size / 2;
  const radius = size / 2 - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const distance = Math.hypot(x + 0.5 - centre, y + 0.5 - centre);
      const coverage = Math.max(0, Math.min(1, radius - distance + 0.5));
      const i = (y * size + x) * 4;
      // Premultiplied alpha, as Skia bitmaps expect.
      pixels[i] = Math.round(b * coverage);
      pixels[i + 1] = Math.round(g * coverage);
      pixels[i + 2] = Math.round(r * coverage);
      pixels[i + 3] = Math.round(255 * coverage);
    }
  }
  return pixels;
}
