import { describe, expect, it } from 'vitest';
import {
  CARD_HEAD_ESTIMATE,
  CARD_INSET,
  GRID_GAP,
  OVERSCAN_LINES,
  TILE_PITCH,
  cardLinesInView,
  gridColumns,
  mapLayout,
  tileAreaHeight,
  tilesPerLine,
  visibleLines,
} from './map-layout.ts';

const cards = (...tileCounts: number[]) => tileCounts.map((tileCount, i) => ({ key: `node-${i}`, tileCount }));

describe('map layout', () => {
  it('makes as many columns as auto-fill minmax(280px, 1fr) does, at least one', () => {
    expect(gridColumns(0)).toBe(1);
    expect(gridColumns(279)).toBe(1);
    expect(gridColumns(280)).toBe(1);
    expect(gridColumns(571)).toBe(1);
    expect(gridColumns(572)).toBe(2);
    expect(gridColumns(1408)).toBe(4);
  });

  it('fits 18 px tiles 4 px apart inside a card', () => {
    // 280 - 2 x 13 = 254 px inside: 11 tiles take 11 x 22 - 4 = 238, a 12th would need 260.
    expect(tilesPerLine(280)).toBe(11);
    expect(tilesPerLine(300)).toBe(12);
    expect(tilesPerLine(10)).toBe(1);
    expect(tileAreaHeight(0)).toBe(0);
    expect(tileAreaHeight(3)).toBe(3 * TILE_PITCH - 4);
  });

  it('puts cards in rows of the column count, each row as tall as its tallest card', () => {
    const layout = mapLayout(1000, cards(100, 5, 0, 30, 7));
    expect(layout.columns).toBe(3);
    expect(layout.cardWidth).toBeCloseTo((1000 - 2 * GRID_GAP) / 3);
    expect(layout.tilesPerLine).toBe(13);
    expect(layout.rows.map((row) => row.cards.map((card) => card.key))).toEqual([['node-0', 'node-1', 'node-2'], ['node-3', 'node-4']]);
    // 100 tiles at 13 a line: 8 lines; 30 tiles: 3 lines.
    expect(layout.rows.map((row) => row.estimate)).toEqual([CARD_HEAD_ESTIMATE + tileAreaHeight(8) + CARD_INSET + GRID_GAP, CARD_HEAD_ESTIMATE + tileAreaHeight(3) + CARD_INSET + GRID_GAP]);
    expect(layout.rows[0].key).toBe('node-0|node-1|node-2');
  });

  it('counts a card’s own header height when it has one', () => {
    const layout = mapLayout(300, [{ key: 'unscheduled', tileCount: 12, head: 50 }]);
    expect(layout.rows[0].estimate).toBe(50 + tileAreaHeight(1) + CARD_INSET + GRID_GAP);
  });

  it('renders only the lines of tiles in view, with a few lines of overscan each side', () => {
    // 1,000 lines; the viewport shows lines 100 to ~109.
    expect(visibleLines(1000, 100 * TILE_PITCH, 110 * TILE_PITCH)).toEqual({ firstLine: 100 - OVERSCAN_LINES, endLine: 110 + OVERSCAN_LINES });
    expect(visibleLines(1000, 0, 10 * TILE_PITCH, 0)).toEqual({ firstLine: 0, endLine: 10 });
    // Viewport above the tiles: only the overscan; below them: nothing.
    expect(visibleLines(1000, -500, -100, 2)).toEqual({ firstLine: 0, endLine: 0 });
    expect(visibleLines(1000, -500, 10, 2)).toEqual({ firstLine: 0, endLine: 3 });
    expect(visibleLines(20, 5000, 6000)).toEqual({ firstLine: 20, endLine: 20 });
    expect(visibleLines(0, 0, 800)).toEqual({ firstLine: 0, endLine: 0 });
  });

  it('measures a card’s window from below its header', () => {
    const card = { key: 'n', tileCount: 13 * 100 };
    const head = CARD_HEAD_ESTIMATE;
    expect(cardLinesInView(card, 13, 0, 800)).toEqual(visibleLines(100, -head, 800 - head));
    expect(cardLinesInView(card, 13, head + 50 * TILE_PITCH, head + 60 * TILE_PITCH)).toEqual({ firstLine: 50 - OVERSCAN_LINES, endLine: 60 + OVERSCAN_LINES });
  });
});
