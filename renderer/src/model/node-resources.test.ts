import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { endpointKindOf, groupPodsByNode, isNodeReady, nodeResources, podTiles, usageFraction } from './node-resources.ts';

function node(name: string, allocatable: Record<string, string>, ready = true): Node {
  return {
    metadata: { name, labels: { 'kubelab.io/endpoint-kind': 'lab' } },
    status: { allocatable, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function pod(name: string, nodeName: string | undefined, requests: Record<string, string>, phase = 'Running', restarts = 0): Pod {
  return {
    metadata: { namespace: 'default', name, labels: { app: name } },
    spec: { nodeName, containers: [{ name: 'c', image: 'nginx', resources: { requests } }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: true, restartCount: restarts, state: { running: {} } }],
    },
  };
}

describe('node resources', () => {
  it('sums the requests of non-terminated pods against allocatable', () => {
    const pods = [pod('a', 'n1', { cpu: '250m', memory: '128Mi' }), pod('b', 'n1', { cpu: '1', memory: '1Gi' }), pod('done', 'n1', { cpu: '2', memory: '2Gi' }, 'Succeeded')];
    const resources = nodeResources(node('n1', { cpu: '4', memory: '8Gi' }), pods);
    expect(resources.cpu).toEqual({ requested: 1250, allocatable: 4000 });
    expect(resources.memory).toEqual({ requested: (128 + 1024) * 1024 * 1024, allocatable: 8 * 1024 ** 3 });
  });

  it('fills the bar fully when over-committed or when the node advertises nothing', () => {
    expect(usageFraction({ requested: 500, allocatable: 1000 })).toBe(0.5);
    expect(usageFraction({ requested: 3000, allocatable: 1000 })).toBe(1);
    expect(usageFraction({ requested: 10, allocatable: 0 })).toBe(1);
    expect(usageFraction({ requested: 0, allocatable: 0 })).toBe(0);
  });

  it('reads readiness and the endpoint kind label', () => {
    expect(isNodeReady(node('n1', {}))).toBe(true);
    expect(isNodeReady(node('n1', {}, false))).toBe(false);
    expect(isNodeReady(undefined)).toBe(false);
    expect(endpointKindOf(node('n1', {}))).toBe('lab');
  });

  it('groups pods under their node in one pass, unscheduled ones apart', () => {
    const { byNode, unscheduled } = groupPodsByNode([pod('a', 'n1', {}), pod('b', 'n2', {}), pod('c', 'n1', {}), pod('p', undefined, {}, 'Pending')]);
    expect(byNode.get('n1')?.map((p) => p.metadata?.name)).toEqual(['a', 'c']);
    expect(byNode.get('n2')?.map((p) => p.metadata?.name)).toEqual(['b']);
    expect(unscheduled.map((p) => p.metadata?.name)).toEqual(['p']);
  });

  it('makes sorted tiles with health and restarts for the visible pods only', () => {
    const tiles = podTiles([pod('z', 'n1', {}, 'Running', 3), pod('a', 'n1', {}), pod('hidden', 'n1', {})], (p) => p.metadata?.name !== 'hidden');
    expect(tiles).toEqual([
      { key: 'default/a', namespace: 'default', name: 'a', health: 'running', restarts: 0 },
      { key: 'default/z', namespace: 'default', name: 'z', health: 'running', restarts: 3 },
    ]);
  });
});
