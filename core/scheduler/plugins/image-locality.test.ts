import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { imageLocality } from './image-locality.ts';
import { imageStates, normalizedImageName } from './image-states.ts';

const MB = 1024 * 1024;

describe('ImageLocality', () => {
  it('normalizes names like the Docker Hub does', () => {
    expect(normalizedImageName('nginx')).toBe('nginx:latest');
    expect(normalizedImageName('docker.io/library/nginx:1.25')).toBe('nginx:1.25');
    expect(normalizedImageName('localhost:5000/app')).toBe('localhost:5000/app:latest');
  });

  it('prefers the node holding a big image, scaled by how many nodes hold it', () => {
    const image = { names: ['docker.io/library/app:1'], sizeBytes: 500 * MB };
    const nodes = [newNodeInfo(makeNode('a', { images: [image] })), newNodeInfo(makeNode('b')), newNodeInfo(makeNode('c'))];
    const state = new CycleState([], nodes);
    const pod = makePod('p', { image: 'app:1' });
    const scores = nodes.map((n) => imageLocality.score(state, pod, n));
    // 500MB x 1/3 nodes = 166MB: (166-23)/(1000-23) of 100
    expect(scores).toEqual([14, 0, 0]);
  });

  it('gives nothing for small images', () => {
    const nodes = [newNodeInfo(makeNode('a', { images: [{ names: ['tiny:1'], sizeBytes: 5 * MB }] }))];
    expect(imageLocality.score(new CycleState([], nodes), makePod('p', { image: 'tiny:1' }), nodes[0])).toBe(0);
  });

  it('uses the image states the caller keeps, else computes them from the cycle\'s nodes', () => {
    const image = { names: ['app:1'], sizeBytes: 500 * MB };
    const pod = makePod('p', { image: 'app:1' });
    const nodes = [newNodeInfo(makeNode('a', { images: [image] })), newNodeInfo(makeNode('b'))];
    expect(nodes.map((n) => imageLocality.score(new CycleState([], nodes), pod, n))).toEqual([23, 0]);
    // As if both nodes held it: 500MB x 2/2.
    const kept = new Map([['app:1', { size: 500 * MB, numNodes: 2 }]]);
    expect(nodes.map((n) => imageLocality.score(new CycleState([], nodes, undefined, kept), pod, n))).toEqual([48, 0]);
    expect(imageStates(nodes.map((n) => n.node))).toEqual(new Map([['app:1', { size: 500 * MB, numNodes: 1 }]]));
  });
});
