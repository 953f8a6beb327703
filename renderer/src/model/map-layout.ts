// Where the cluster map puts things, computed from widths alone so that only what is in
// view is rendered: the cards (one per node, plus the unscheduled pods) flow into
// columns as CSS grid's `repeat(auto-fill, minmax(280px, 1fr))` would place them, each
// card's tiles wrap into lines of a fixed count, and a card shows only the lines of
// tiles that cross the viewport. The numbers mirror the styles of NodeCard and
// PodTileGrid; the page measures real heights and corrects these estimates.

export const CARD_MIN_WIDTH = 280;
export const GRID_GAP = 12;
/** Padding plus border on each side of a card. */
export const CARD_INSET = 13;
export const TILE_SIZE = 18;
export const TILE_GAP = 4;
export const TILE_PITCH = TILE_SIZE + TILE_GAP;
/** A card above its tiles: top padding and border, header, two resource bars, the count, the gaps between them. */
export const CARD_HEAD_ESTIMATE = 117;
/** The unscheduled pods' card above its tiles: header and hint. */
export const UNSCHEDULED_HEAD_ESTIMATE = 70;
/** Lines of tiles rendered beyond the viewport on each side. */
export const OVERSCAN_LINES = 4;

export interface MapCardInput {
  key: string;
  tileCount: number;
  /** Height above the tiles, when not CARD_HEAD_ESTIMATE. */
  head?: number;
}

export interface MapRow<C extends MapCardInput = MapCardInput> {
  /** Stable while the cards in it stay the same. */
  key: string;
  cards: C[];
  /** Estimated height of the row, the card's bottom inset and the gap below included. */
  estimate: number;
}

export interface MapLayout<C extends MapCardInput = MapCardInput> {
  columns: number;
  cardWidth: number;
  tilesPerLine: number;
  rows: MapRow<C>[];
}

/** The number of columns `repeat(auto-fill, minmax(CARD_MIN_WIDTH, 1fr))` makes in `width`. */
export function gridColumns(width: number): number {
  return Math.max(1, Math.floor((width + GRID_GAP) / (CARD_MIN_WIDTH + GRID_GAP)));
}

/** How many tiles fit side by side in a card `cardWidth` wide. */
export function tilesPerLine(cardWidth: number): number {
  return Math.max(1, Math.floor((cardWidth - 2 * CARD_INSET + TILE_GAP) / TILE_PITCH));
}

export function tileLineCount(tileCount: number, perLine: number): number {
  return Math.ceil(tileCount / perLine);
}

/** Height of `lines` lines of tiles (no gap after the last). */
export function tileAreaHeight(lines: number): number {
  return lines > 0 ? lines * TILE_PITCH - TILE_GAP : 0;
}

/** Cards in rows of `columns`, each row as tall as its tallest card. */
export function mapLayout<C extends MapCardInput>(width: number, cards: readonly C[]): MapLayout<C> {
  const columns = gridColumns(width);
  const cardWidth = Math.max(CARD_MIN_WIDTH, (width - (columns - 1) * GRID_GAP) / columns);
  const perLine = tilesPerLine(cardWidth);
  const rows: MapRow<C>[] = [];
  for (let i = 0; i < cards.length; i += columns) {
    const rowCards = cards.slice(i, i + columns);
    const tallest = Math.max(...rowCards.map((card) => (card.head ?? CARD_HEAD_ESTIMATE) + tileAreaHeight(tileLineCount(card.tileCount, perLine))));
    rows.push({ key: rowCards.map((card) => card.key).join('|'), cards: rowCards, estimate: tallest + CARD_INSET + GRID_GAP });
  }
  return { columns, cardWidth, tilesPerLine: perLine, rows };
}

export interface LineRange {
  /** First line to render. */
  firstLine: number;
  /** One past the last line to render. */
  endLine: number;
}

/**
 * The lines of a card's tiles that cross the viewport, `from` to `to` in pixels measured
 * from the top of the tile area, plus `overscan` lines each side.
 */
export function visibleLines(lineCount: number, from: number, to: number, overscan = OVERSCAN_LINES): LineRange {
  if (lineCount === 0 || to <= from) return { firstLine: 0, endLine: 0 };
  const firstLine = Math.min(lineCount, Math.max(0, Math.floor(from / TILE_PITCH) - overscan));
  const endLine = Math.max(firstLine, Math.min(lineCount, Math.ceil(to / TILE_PITCH) + overscan));
  return { firstLine, endLine };
}

/** The lines of `card`'s tiles to render when the viewport is windowStart..windowEnd pixels from the top of its row. */
export function cardLinesInView(card: MapCardInput, perLine: number, windowStart: number, windowEnd: number): LineRange {
  const head = card.head ?? CARD_HEAD_ESTIMATE;
  return visibleLines(tileLineCount(card.tileCount, perLine), windowStart - head, windowEnd - head);
}
