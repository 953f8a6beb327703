import { describe, expect, it, vi } from 'vitest';
import { toMillicores } from '../api/quantity.ts';
import { buildNodeInfos } from './node-info.ts';
import { makeNode, makePod } from './test-fixtures.ts';

// Snapshots are rebuilt for every scheduling attempt; re-parsing every quantity each time
// was most of a burst's CPU. The parse is counted through the quantity module.
vi.mock('../api/quantity.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../api/quantity.ts')>();
  return { ...original, toMillicores: vi.fn(original.toMillicores) };
});

describe('snapshot quantities', () => {
  it('are parsed once per pod and node object, however many snapshots hold them', () => {
    const nodes = [makeNode('a', { cpu: '4' }), makeNode('b', { cpu: '4' })];
    const pods = Array.from({ length: 10 }, (_, i) => ({ ...makePod(`p${i}`, { cpu: '100m' }), spec: { ...makePod(`p${i}`, { cpu: '100m' }).spec!, nodeName: i % 2 ? 'a' : 'b' } }));
    const first = buildNodeInfos(nodes, pods);
    const parses = vi.mocked(toMillicores).mock.calls.length;
    for (let i = 0; i < 5; i++) expect(buildNodeInfos(nodes, pods)).toEqual(first);
    expect(vi.mocked(toMillicores).mock.calls.length).toBe(parses);
    expect(first.map((n) => n.requested.milliCpu)).toEqual([500, 500]);
  });
});
