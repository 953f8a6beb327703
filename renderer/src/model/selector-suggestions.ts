// Autocompletion for the label selector bar: which label keys and values exist on live
// objects, how many objects carry each (the ranking), and what to offer at the cursor
// of a half-typed kubectl selector: keys at the start of a requirement (or after `!`),
// values after `=`, `==`, `!=`, `in (` and `notin (`.

export type Labels = Record<string, string> | undefined | null;

/** key -> value -> number of objects with that label; keyCounts: objects with the key. */
export interface LabelIndex {
  readonly values: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly keyCounts: ReadonlyMap<string, number>;
}

export interface Suggestion {
  kind: 'key' | 'value';
  /** The key, or the value, offered. */
  text: string;
  /** Objects carrying it. */
  count: number;
  /** The text [from, to) is replaced by `text` when the suggestion is taken. */
  from: number;
  to: number;
}

export function indexLabels(labelSets: Iterable<Labels>): LabelIndex {
  const values = new Map<string, Map<string, number>>();
  const keyCounts = new Map<string, number>();
  for (const labels of labelSets) {
    if (!labels) continue;
    for (const [key, value] of Object.entries(labels)) {
      keyCounts.set(key, (keyCounts.get(key) ?? 0) + 1);
      let byValue = values.get(key);
      if (!byValue) values.set(key, (byValue = new Map()));
      byValue.set(value, (byValue.get(value) ?? 0) + 1);
    }
  }
  return { values, keyCounts };
}

type Context =
  | { kind: 'key'; partial: string; from: number; usedKeys: Set<string> }
  | { kind: 'value'; key: string; partial: string; from: number; exclude: Set<string> };

const KEY = String.raw`[^\s=!(),<>]+`;

/** Where the cursor is in the selector grammar, judged from the text before it. */
export function completionContext(text: string, cursor: number): Context | undefined {
  const before = text.slice(0, cursor);
  // The requirement being typed starts after the last comma outside parentheses.
  let depth = 0;
  let start = 0;
  for (let i = 0; i < before.length; i++) {
    const ch = before[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) start = i + 1;
  }
  const current = before.slice(start);

  const setMatch = new RegExp(String.raw`^\s*(${KEY})\s+(?:in|notin)\s*\(([^)]*)$`).exec(current);
  if (setMatch) {
    const listed = setMatch[2].split(',');
    const partial = listed[listed.length - 1].trimStart();
    const exclude = new Set(listed.slice(0, -1).map((v) => v.trim()));
    return { kind: 'value', key: setMatch[1], partial, from: cursor - partial.length, exclude };
  }
  const equality = new RegExp(String.raw`^\s*(${KEY})\s*(?:==|=|!=)\s*([^\s,()]*)$`).exec(current);
  if (equality) {
    const partial = equality[2];
    return { kind: 'value', key: equality[1], partial, from: cursor - partial.length, exclude: new Set() };
  }
  const key = new RegExp(String.raw`^\s*!?\s*(${KEY})?$`).exec(current);
  if (key) {
    const partial = key[1] ?? '';
    const usedKeys = new Set<string>();
    const rest = text.slice(0, start) + ',' + text.slice(cursor);
    for (const match of rest.matchAll(new RegExp(String.raw`(?:^|,)\s*!?\s*(${KEY})`, 'g'))) usedKeys.add(match[1]);
    return { kind: 'key', partial, from: cursor - partial.length, usedKeys };
  }
  return undefined;
}

/** Ranked by how many objects carry it; prefix matches before other substring matches. */
export function suggest(text: string, cursor: number, index: LabelIndex, limit = 8): Suggestion[] {
  const context = completionContext(text, cursor);
  if (!context) return [];
  const candidates: [string, number][] =
    context.kind === 'key'
      ? [...index.keyCounts].filter(([key]) => !context.usedKeys.has(key))
      : [...(index.values.get(context.key) ?? new Map<string, number>())].filter(([value]) => value !== '' && !context.exclude.has(value));
  const needle = context.partial.toLowerCase();
  const rank = (candidate: string) => {
    const lower = candidate.toLowerCase();
    return lower.startsWith(needle) ? 0 : lower.includes(needle) ? 1 : 2;
  };
  return candidates
    .map(([candidate, count]) => ({ candidate, count, rank: rank(candidate) }))
    .filter((c) => c.rank < 2)
    .sort((a, b) => a.rank - b.rank || b.count - a.count || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({ candidate, count }) => ({ kind: context.kind, text: candidate, count, from: context.from, to: cursor }));
}

/** The text after taking a suggestion, and where the cursor goes. */
export function applySuggestion(text: string, suggestion: Suggestion): { text: string; cursor: number } {
  const next = text.slice(0, suggestion.from) + suggestion.text + text.slice(suggestion.to);
  return { text: next, cursor: suggestion.from + suggestion.text.length };
}
