import { Parser, type CST } from 'yaml';

// How deep a request body or manifest may nest. Kubernetes refuses more than 10,000
// levels (encoding/json's and go-yaml's limit). Kubelab's validators and patchers
// recurse, and so does the yaml library: its composer runs out of stack near 4,000
// levels (and at 8,000 took the whole process down with it), its stringify (the GUI's
// YAML view) near 1,000. So the limit is 500, checked before anything recursive sees
// the text: ten times deeper than any real manifest (the deepest, CRD schemas, stay
// under 50) and well clear of every stack's end.

export const MAX_NESTING_DEPTH = 500;

export function tooDeepMessage(where: string): string {
  return `${where} is nested more than ${MAX_NESTING_DEPTH} levels deep; Kubernetes objects are never that deep, so flatten it`;
}

/** True when valid JSON text nests arrays and objects more than MAX_NESTING_DEPTH deep. A linear scan, no recursion. */
export function jsonTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_NESTING_DEPTH) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * The offset where YAML text first nests collections more than MAX_NESTING_DEPTH deep, or
 * undefined. Walks the yaml library's concrete syntax tree, which its parser builds with
 * an explicit stack, so neither step recurses however deep the text goes.
 */
export function yamlTooDeepAt(text: string): number | undefined {
  if (!mightNestTooDeep(text)) return undefined;
  const pending: { token: CST.Token | undefined; depth: number }[] = [];
  for (const token of new Parser().parse(text)) pending.push({ token, depth: 0 });
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      pending.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MAX_NESTING_DEPTH) return token.offset;
      for (const item of token.items) {
        pending.push({ token: item.key ?? undefined, depth: depth + 1 }, { token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * A cheap bound that spares ordinary files the syntax tree: flow collections nest one
 * level per bracket, and block collections need indentation, at most two levels per
 * column (a sequence may sit at its parent map's column; the map inside it cannot).
 */
function mightNestTooDeep(text: string): boolean {
  let openers = 0;
  let column = 0;
  let widest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      if (column > widest) widest = column;
      column = 0;
      continue;
    }
    column++;
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) openers++;
  }
  return openers + 2 * Math.max(widest, column) + 2 > MAX_NESTING_DEPTH;
}
