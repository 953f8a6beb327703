import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitDocuments } from '../manifest/split-documents.ts';
import { parseKubernetesYaml } from './kubernetes-yaml.ts';
import { jsonTooDeep, MAX_NESTING_DEPTH, yamlTooDeepAt } from './nesting-depth.ts';

/** A value nested exactly `depth` levels, each level a map or a sequence as `shapes` says. */
function nested(depth: number, shapes: boolean[]): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = shapes[level % shapes.length] ? { k: value } : [value];
  return value;
}

/** The same in block style, written by hand (the yaml library's stringify recurses). */
function nestedBlockYaml(depth: number, shapes: boolean[]): string {
  const lines: string[] = [];
  for (let level = 0; level < depth; level++) lines.push(' '.repeat(2 * level) + (shapes[level % shapes.length] ? 'k:' : '-'));
  lines.push(' '.repeat(2 * depth) + 'leaf');
  return lines.join('\n');
}

describe('nesting depth', () => {
  it('JSON: the limit itself passes, one level more does not, and brackets inside strings do not count', () => {
    expect(jsonTooDeep('['.repeat(MAX_NESTING_DEPTH) + ']'.repeat(MAX_NESTING_DEPTH))).toBe(false);
    expect(jsonTooDeep('['.repeat(MAX_NESTING_DEPTH + 1) + ']'.repeat(MAX_NESTING_DEPTH + 1))).toBe(true);
    expect(jsonTooDeep(JSON.stringify({ a: '['.repeat(5000), b: '\\"{'.repeat(5000) }))).toBe(false);
  });

  it('YAML: block maps, block sequences and flow collections of any mix are measured exactly, around the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_NESTING_DEPTH - 3, max: MAX_NESTING_DEPTH + 3 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), fc.boolean(), (depth, shapes, flow) => {
        const text = flow ? JSON.stringify(nested(depth, shapes)) : nestedBlockYaml(depth, shapes);
        expect(yamlTooDeepAt(text) !== undefined).toBe(depth > MAX_NESTING_DEPTH);
      }),
      { numRuns: 60 },
    );
  });

  it('YAML nested far past the limit is refused with its line, before the recursive composer sees it', () => {
    expect(() => parseKubernetesYaml(`a: 1\nb:\n  ${'- '.repeat(50_000)}x\n`)).toThrow(/nested more than 500 levels deep; .* \(at line 3\)/);
    expect(() => parseKubernetesYaml('['.repeat(50_000))).toThrow(/nested more than 500 levels deep/);
    const [document] = splitDocuments({ name: 'deep.yaml', text: `kind: ConfigMap\ndata:\n  k: ${'{a: '.repeat(30_000)}` });
    expect(document.parseError).toEqual({ message: expect.stringMatching(/nested more than 500 levels deep/), line: 3 });
  });

  it('an anchor whose alias sits inside it is refused as Go\'s decoder refuses it; shared anchors are fine', () => {
    expect(() => parseKubernetesYaml('data: &d\n  k: *d\n')).toThrow('anchor "d" value contains itself (at line 2)');
    expect(() => parseKubernetesYaml('data: &d\n  <<: *d\n')).toThrow('anchor "d" value contains itself');
    expect(parseKubernetesYaml('a: &x [1, 2]\nb: [*x, *x]\n')).toEqual({ a: [1, 2], b: [[1, 2], [1, 2]] });
    const [document] = splitDocuments({ name: 'loop.yaml', text: 'apiVersion: v1\nkind: ConfigMap\ndata: &d\n  k: *d\n' });
    expect(document.parseError).toEqual({ message: 'anchor "d" value contains itself', line: 4 });
  });
});
