import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { REPLICASETS, replicaSetController } from './replicaset-controller.ts';
import {
  container,
  eventually,
  EVENTS,
  listPods,
  markAllReady,
  markPodReady,
  PODS,
  runControllers,
  startTestCluster,
  type TestCluster,
} from './workload-test-support.ts';

// The ReplicaSet controller against an in-process API server; the test plays the kubelet.

let cluster: TestCluster;
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await cluster?.close();
});

function start(): void {
  running.push(runControllers(cluster.client, [replicaSetController]));
}

function replicaSet(namespace: string, name: string, replicas: number, extra: Partial<ReplicaSet['spec']> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [container()] } },
      ...extra,
    },
  };
}

async function getRs(namespace: string, name: string): Promise<ReplicaSet & KubeObject> {
  return cluster.client.get<ReplicaSet & KubeObject>(REPLICASETS, namespace, name);
}

async function scale(namespace: string, name: string, replicas: number): Promise<void> {
  await cluster.client.patch(REPLICASETS, namespace, name, { spec: { replicas } }, 'merge');
}

async function ownedPods(namespace: string, rs: KubeObject): Promise<(Pod & KubeObject)[]> {
  const pods = await listPods(cluster.client, namespace);
  return pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid && r.controller));
}

describe('ReplicaSet controller', () => {
  it('creates the desired pods from the template with an owner reference, and records events', async () => {
    const ns = await cluster.newNamespace();
    start();
    const rs = await cluster.client.create(REPLICASETS, replicaSet(ns, 'web', 3));
    const pods = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 3 && list;
    });
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(pod.metadata.ownerReferences).toEqual([
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
    }
    const events = await eventually(async () => {
      const { items } = await cluster.client.list(EVENTS, { namespace: ns });
      const created = items.filter((e) => e.reason === 'SuccessfulCreate');
      return created.length === 3 && created;
    });
    expect(events.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    await eventually(async () => (await getRs(ns, 'web')).status?.replicas === 3);
    // Nothing more is ever created.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await listPods(cluster.client, ns)).toHaveLength(3);
  });

  it('reports replicas, fullyLabeled, ready and available counts and observedGeneration', async () => {
    const ns = await cluster.newNamespace();
    start();
    const rs = await cluster.client.create(REPLICASETS, replicaSet(ns, 'api', 3, { minReadySeconds: 1000 }));
    const pods = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 3 && list;
    });
    await markPodReady(cluster.client, pods[0]); // ready long ago: available
    await markPodReady(cluster.client, pods[1], { readySince: new Date() }); // ready but not for minReadySeconds
    await eventually(async () => {
      const status = (await getRs(ns, 'api')).status;
      return status?.readyReplicas === 2 && status.availableReplicas === 1 && status.replicas === 3 && status.fullyLabeledReplicas === 3 && status.observedGeneration === 1;
    });
  });

  it('scales down deleting unassigned, then not-ready pods before ready ones', async () => {
    const ns = await cluster.newNamespace();
    start();
    const rs = await cluster.client.create(REPLICASETS, replicaSet(ns, 'down', 4));
    const pods = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 4 && list;
    });
    const [unassigned, notReady, readyA, readyB] = pods;
    for (const pod of [notReady, readyA, readyB]) {
      await cluster.client.createSubresource(PODS, ns, pod.metadata.name ?? '', 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name },
        target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
      });
    }
    await markPodReady(cluster.client, notReady, { ready: false });
    await markPodReady(cluster.client, readyA);
    await markPodReady(cluster.client, readyB);
    await eventually(async () => (await getRs(ns, 'down')).status?.readyReplicas === 2);
    await scale(ns, 'down', 2);
    // Pods on a node are deleted gracefully (a deletionTimestamp; the node agent would remove them).
    await eventually(async () => {
      const all = await listPods(cluster.client, ns, true);
      const live = all.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
      return live.length === 2 && live.sort().join() === [readyA.metadata.name, readyB.metadata.name].sort().join();
    });
    expect(unassigned.metadata.name).toBeDefined();
    await eventually(async () => (await getRs(ns, 'down')).status?.replicas === 2);
  });

  it('replaces deleted pods', async () => {
    const ns = await cluster.newNamespace();
    start();
    const rs = await cluster.client.create(REPLICASETS, replicaSet(ns, 'heal', 2));
    const pods = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 2 && list;
    });
    await cluster.client.delete(PODS, ns, pods[0].metadata.name ?? '');
    const after = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 2 && !list.some((p) => p.metadata.name === pods[0].metadata.name) && list;
    });
    expect(after.map((p) => p.metadata.name)).toContain(pods[1].metadata.name);
  });

  it('adopts a matching orphan instead of creating a pod, and releases a relabelled pod', async () => {
    const ns = await cluster.newNamespace();
    const orphan: KubeObject = await cluster.client.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', namespace: ns, labels: { app: 'adopt' } },
      spec: { containers: [container()] },
    });
    start();
    const rs = await cluster.client.create(REPLICASETS, replicaSet(ns, 'adopt', 2));
    const owned = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 2 && list;
    });
    expect(owned.map((p) => p.metadata.name)).toContain('orphan');
    expect(await listPods(cluster.client, ns)).toHaveLength(2);
    expect(orphan.metadata.uid).toBe(owned.find((p) => p.metadata.name === 'orphan')?.metadata.uid);

    // Relabelled out of the selector: released (ownerRef removed) and replaced.
    await cluster.client.patch(PODS, ns, 'orphan', { metadata: { labels: { app: 'debug' } } }, 'merge');
    await eventually(async () => {
      const released = await cluster.client.get(PODS, ns, 'orphan');
      return !released.metadata.ownerReferences?.length;
    });
    await eventually(async () => (await ownedPods(ns, rs)).length === 2 && (await listPods(cluster.client, ns)).length === 3);
  });

  it('counts neither terminating nor finished pods', async () => {
    const ns = await cluster.newNamespace();
    start();
    const rs = await cluster.client.create(REPLICASETS, replicaSet(ns, 'done', 2));
    const pods = await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.length === 2 && list;
    });
    const finished = await cluster.client.get<Pod & KubeObject>(PODS, ns, pods[0].metadata.name ?? '');
    await cluster.client.updateStatus(PODS, { ...finished, status: { ...finished.status, phase: 'Failed' } } as KubeObject);
    await eventually(async () => {
      const list = await ownedPods(ns, rs);
      return list.filter((p) => p.status?.phase !== 'Failed').length === 2;
    });
    await eventually(async () => (await getRs(ns, 'done')).status?.replicas === 2);
    await markAllReady(cluster.client, ns);
  });
});
