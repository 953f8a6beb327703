import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework.ts';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { imageLocality, normalizedImageName } from './image-locality.ts';

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

  it('follows a node getting the image, however many cycles saw the node set before', () => {
    const image = { names: ['app:1'], sizeBytes: 500 * MB };
    const pod = makePod('p', { image: 'app:1' });
    const before = [newNodeInfo(makeNode('a', { images: [image] })), newNodeInfo(makeNode('b'))];
    for (let i = 0; i < 3; i++) expect(before.map((n) => imageLocality.score(new CycleState([], before), pod, n))).toEqual([23, 0]);
    // b's Node object replaced by one holding the image too: both now hold it, each counts fully.
    const after = [before[0], newNodeInfo(makeNode('b', { images: [image] }))];
    expect(after.map((n) => imageLocality.score(new CycleState([], after), pod, n))).toEqual([48, 48]);
    expect(before.map((n) => imageLocality.score(new CycleState([], before), pod, n))).toEqual([23, 0]);
  });
});
