import { describe, expect, it } from 'vitest';
import { mergedMessages } from './index.ts';

// Both languages say everything: a key in one catalogue and not the other shows the
// raw key (or English) to a Chinese reader, and no test of a view would notice.

type Tree = { [key: string]: string | Tree };

function keyPaths(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => (typeof value === 'string' ? [`${prefix}${key}`] : keyPaths(value, `${prefix}${key}.`)));
}

describe('message catalogues', () => {
  it('English and Simplified Chinese have the same keys', () => {
    const { en, zh } = mergedMessages();
    const english = keyPaths(en as Tree);
    const chinese = keyPaths(zh as Tree);
    expect(english.length).toBeGreaterThan(50);
    expect(english.filter((key) => !chinese.includes(key)), 'in English only').toEqual([]);
    expect(chinese.filter((key) => !english.includes(key)), 'in Chinese only').toEqual([]);
  });
});
