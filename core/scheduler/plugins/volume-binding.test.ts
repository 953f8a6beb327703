import { describe, expect, it } from 'vitest';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { newNodeInfo } from '../node-info.ts';
import { makeNode, makePod } from '../test-fixtures.ts';
import { claimFits, REASON_UNBOUND_IMMEDIATE, REASON_VOLUME_NODE_CONFLICT, type StorageLookup } from './volume-binding.ts';

const pinnedTo = (node: string): PersistentVolume => ({
  metadata: { name: 'pv-1' },
  spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } },
});

function lookup(claim: PersistentVolumeClaim | undefined, classes: StorageClass[] = [], volumes: PersistentVolume[] = []): StorageLookup {
  return {
    claim: (_ns, name) => (claim?.metadata?.name === name ? claim : undefined),
    volume: (name) => volumes.find((v) => v.metadata?.name === name),
    storageClass: (name) => classes.find((c) => c.metadata?.name === name),
    defaultStorageClass: () => classes.find((c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true'),
  };
}

const podWithClaim = () => {
  const pod = makePod('p');
  pod.spec = { ...pod.spec!, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] };
  return pod;
};
const nodeA = newNodeInfo(makeNode('node-a', { labels: { 'kubernetes.io/hostname': 'node-a' } }));
const nodeB = newNodeInfo(makeNode('node-b', { labels: { 'kubernetes.io/hostname': 'node-b' } }));
const waitClass: StorageClass = { metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' };

describe('VolumeBinding', () => {
  it('a bound claim pins the pod to its volume’s node', () => {
    const claim: PersistentVolumeClaim = { metadata: { name: 'data' }, spec: { volumeName: 'pv-1' } };
    const storage = lookup(claim, [waitClass], [pinnedTo('node-a')]);
    expect(claimFits(podWithClaim(), nodeA, storage).code).toBe('Success');
    expect(claimFits(podWithClaim(), nodeB, storage)).toMatchObject({ code: 'Unschedulable', reasons: [REASON_VOLUME_NODE_CONFLICT] });
  });

  it('an unbound WaitForFirstConsumer claim fits anywhere; an unbound Immediate one nowhere', () => {
    expect(claimFits(podWithClaim(), nodeB, lookup({ metadata: { name: 'data' }, spec: {} }, [waitClass])).code).toBe('Success');
    const immediate: StorageClass = { metadata: { name: 'fast' }, provisioner: 'x', volumeBindingMode: 'Immediate' };
    expect(claimFits(podWithClaim(), nodeB, lookup({ metadata: { name: 'data' }, spec: { storageClassName: 'fast' } }, [immediate])).reasons).toEqual([REASON_UNBOUND_IMMEDIATE]);
  });

  it('a missing claim is unresolvable', () => {
    expect(claimFits(podWithClaim(), nodeA, lookup(undefined))).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ['persistentvolumeclaim "data" not found'] });
  });
});
