import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitDocuments } from './split-documents.ts';

// The importer (GUI and `kubelab apply`) reads whatever file a person drops on it:
// whatever the text, it answers documents, each an object or an error with a line,
// and never throws or hangs the tab.

const yamlish = fc.array(fc.constantFrom('---\n', '- ', ': ', 'a', 'kind: List\n', 'items:', '  ', '\n', '&x ', '*x ', '<<: ', '[', ']', '{', '}', ',', '"', "'", '|', '>', '? ', '#', '!!str ', '%YAML 1.1\n', '\t', '\\'), { maxLength: 200 }).map((parts) => parts.join(''));
const bomb = fc.record({ levels: fc.integer({ min: 1, max: 12 }), width: fc.integer({ min: 1, max: 12 }) }).map(({ levels, width }) => {
  const lines = [`a0: &a0 [${Array(width).fill('x').join(', ')}]`];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(width).fill(`*a${i - 1}`).join(', ')}]`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
});
const deep = fc.tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom('[', '{a: ', '- ')).map(([depth, open]) => `kind: ConfigMap\ndata:\n  k: ${open.repeat(depth)}`);

describe('splitDocuments on hostile files', () => {
  it('answers every file with documents that are objects or errors with a line, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), yamlish, bomb, deep), (text) => {
        for (const document of splitDocuments({ name: 'dropped.yaml', text })) {
          if (document.parseError) {
            expect(document.parseError.message.length).toBeGreaterThan(0);
            expect(document.parseError.line).toBeGreaterThanOrEqual(1);
          } else {
            expect(document.object).toBeTypeOf('object');
          }
        }
      }),
      { numRuns: 1000 },
    );
  }, 120_000);
});
