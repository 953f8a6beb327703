import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { garbageCollector } from './garbage-collector.ts';
import { kinds, startControllerHarness, type ControllerHarness } from './lifecycle-test-harness.ts';

// The garbage collector against an in-process API server, on a Deployment -> ReplicaSet
// -> Pod chain built by hand (no workload controllers run here).

let h: ControllerHarness;
beforeAll(async () => {
  h = await startControllerHarness([garbageCollector]);
});
afterAll(async () => h?.stop());

const labels = { app: 'web' };
const template = { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'kubelab/busybox:test' }] } };
const ownerRef = (owner: KubeObject, block = true) => ({
  apiVersion: owner.apiVersion!,
  kind: owner.kind!,
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  controller: true,
  blockOwnerDeletion: block,
});

async function chain(namespace: string) {
  const deployment = await h.client.create(kinds.deployments, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace },
    spec: { replicas: 1, selector: { matchLabels: labels }, template },
  } as KubeObject);
  const replicaSet = await h.client.create(kinds.replicasets, {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace, ownerReferences: [ownerRef(deployment)] },
    spec: { replicas: 1, selector: { matchLabels: labels }, template },
  } as KubeObject);
  const pod = await h.client.create(kinds.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1-a', namespace, labels, ownerReferences: [ownerRef(replicaSet)] }, spec: template.spec,
  } as KubeObject);
  return { deployment, replicaSet, pod };
}

async function exists(info: typeof kinds.pods, namespace: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await h.client.get(info, namespace, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

describe('garbage collector', () => {
  it('Background: deleting the Deployment collects its ReplicaSet, then the Pod', async () => {
    const ns = await h.newNamespace();
    await chain(ns);
    await h.client.delete(kinds.deployments, ns, 'web', { propagationPolicy: 'Background' });
    expect(await exists(kinds.deployments, ns, 'web')).toBeUndefined();
    await h.waitGone(kinds.replicasets, ns, 'web-1');
    await h.waitGone(kinds.pods, ns, 'web-1-a');
  });

  it('Foreground: the Deployment stays until its blocking dependents are gone', async () => {
    const ns = await h.newNamespace();
    const { pod } = await chain(ns);
    // A second finalizer on the pod holds the chain so the intermediate state can be seen.
    await h.client.update(kinds.pods, { ...pod, metadata: { ...pod.metadata, finalizers: ['kubelab.dev/hold'] } });
    const marked = (await h.client.delete(kinds.deployments, ns, 'web', { propagationPolicy: 'Foreground' })) as KubeObject;
    expect(marked.metadata.finalizers).toEqual(['foregroundDeletion']);

    const heldPod = await h.waitFor('the pod to be deleted', async () => {
      const current = await exists(kinds.pods, ns, 'web-1-a');
      return current?.metadata.deletionTimestamp ? current : undefined;
    });
    const rs = await exists(kinds.replicasets, ns, 'web-1');
    expect(rs?.metadata.deletionTimestamp).toBeDefined();
    expect(rs?.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect((await exists(kinds.deployments, ns, 'web'))?.metadata.finalizers).toEqual(['foregroundDeletion']);

    await h.client.update(kinds.pods, { ...heldPod, metadata: { ...heldPod.metadata, finalizers: [] } });
    await h.waitGone(kinds.pods, ns, 'web-1-a');
    await h.waitGone(kinds.replicasets, ns, 'web-1');
    await h.waitGone(kinds.deployments, ns, 'web');
  });

  it('Orphan: dependents lose the ownerReference and stay', async () => {
    const ns = await h.newNamespace();
    const { replicaSet } = await chain(ns);
    await h.client.delete(kinds.deployments, ns, 'web', { propagationPolicy: 'Orphan' });
    await h.waitGone(kinds.deployments, ns, 'web');
    const orphan = await exists(kinds.replicasets, ns, 'web-1');
    expect(orphan?.metadata.uid).toBe(replicaSet.metadata.uid);
    expect(orphan?.metadata.ownerReferences).toBeUndefined();
    expect((await exists(kinds.pods, ns, 'web-1-a'))?.metadata.ownerReferences?.[0].uid).toBe(replicaSet.metadata.uid);
  });

  it('a dependent with one owner left keeps living and drops the dangling reference', async () => {
    const ns = await h.newNamespace();
    const a = await h.client.create(kinds.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: ns } } as KubeObject);
    const b = await h.client.create(kinds.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: ns } } as KubeObject);
    await h.client.create(kinds.configmaps, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: ns, ownerReferences: [ownerRef(a, false), { ...ownerRef(b, false), controller: false }] },
    } as KubeObject);
    await h.client.delete(kinds.configmaps, ns, 'a');
    const shared = await h.waitFor('the dangling reference to go', async () => {
      const current = await exists(kinds.configmaps, ns, 'shared');
      return current?.metadata.ownerReferences?.length === 1 ? current : undefined;
    });
    expect(shared.metadata.ownerReferences?.[0].uid).toBe(b.metadata.uid);
  });

  it('an owner named in another namespace does not exist here: the dependent is collected with a warning', async () => {
    const ns = await h.newNamespace();
    const other = await h.newNamespace();
    const owner = await h.client.create(kinds.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: other } } as KubeObject);
    await h.client.create(kinds.configmaps, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'confused', namespace: ns, ownerReferences: [ownerRef(owner)] },
    } as KubeObject);
    await h.waitGone(kinds.configmaps, ns, 'confused');
    expect(await exists(kinds.configmaps, other, 'owner')).toBeDefined();
    await h.waitFor('the OwnerRefInvalidNamespace event', async () => {
      const events = await h.client.list(kinds.events, { namespace: ns });
      return events.items.some((e) => e.reason === 'OwnerRefInvalidNamespace');
    });
  });

  it('a cluster-scoped dependent naming a namespaced owner is left alone', async () => {
    const owner = await h.client.create(kinds.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ns-owner', namespace: 'default' } } as KubeObject);
    await h.client.create(kinds.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'confused-node', ownerReferences: [ownerRef(owner)] } } as KubeObject);
    await h.waitFor('the OwnerRefInvalidNamespace event', async () => {
      const events = await h.client.list(kinds.events, { namespace: 'default' });
      return events.items.some((e) => e.reason === 'OwnerRefInvalidNamespace' && (e.involvedObject as { name?: string }).name === 'confused-node');
    });
    await h.client.delete(kinds.configmaps, 'default', 'ns-owner');
    // Deleting the "owner" is an event the collector sees; the node must survive it.
    await h.client.create(kinds.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace: 'default', ownerReferences: [ownerRef(owner)] } } as KubeObject);
    await h.waitGone(kinds.configmaps, 'default', 'after');
    expect(await h.client.get(kinds.nodes, undefined, 'confused-node')).toBeDefined();
  });
});
