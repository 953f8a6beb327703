import { describe, expect, it } from 'vitest';
import { applySuggestion, indexLabels, suggest } from './selector-suggestions.ts';

const index = indexLabels([
  { app: 'web', tier: 'frontend' },
  { app: 'web', tier: 'frontend', canary: 'true' },
  { app: 'api', tier: 'backend' },
  { app: 'web' },
  { 'kubernetes.io/hostname': 'node-a' },
  undefined,
]);

const texts = (text: string, cursor = text.length) => suggest(text, cursor, index).map((s) => s.text);

describe('selector suggestions', () => {
  it('offers keys at the start, ranked by how many objects carry them', () => {
    expect(texts('')).toEqual(['app', 'tier', 'canary', 'kubernetes.io/hostname']);
    expect(texts('t')).toEqual(['tier', 'kubernetes.io/hostname']);
  });

  it('offers keys after a comma and after "!", leaving out keys already used', () => {
    expect(texts('app=web,')).toEqual(['tier', 'canary', 'kubernetes.io/hostname']);
    expect(texts('app=web,!ca')).toEqual(['canary']);
  });

  it('offers values after =, == and !=, most frequent first', () => {
    expect(texts('app=')).toEqual(['web', 'api']);
    expect(texts('app==a')).toEqual(['api']);
    expect(texts('tier!=')).toEqual(['frontend', 'backend']);
    expect(texts('nosuchkey=')).toEqual([]);
  });

  it('offers values inside in (...) and notin (...), without those already listed', () => {
    expect(texts('tier in (')).toEqual(['frontend', 'backend']);
    expect(texts('tier notin (frontend,')).toEqual(['backend']);
    expect(texts('app=web,tier in (b')).toEqual(['backend']);
  });

  it('uses the text before the cursor and replaces only the word being typed', () => {
    const text = 'app=w,tier=frontend';
    const [first] = suggest(text, 5, index);
    expect(first).toMatchObject({ kind: 'value', text: 'web', from: 4, to: 5, count: 3 });
    expect(applySuggestion(text, first)).toEqual({ text: 'app=web,tier=frontend', cursor: 7 });
  });

  it('offers nothing where no key or value fits (after a key and a space)', () => {
    expect(texts('app ')).toEqual([]);
  });
});
