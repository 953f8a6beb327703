import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { kinds, startControllerHarness, type ControllerHarness } from './lifecycle-test-harness.ts';
import { nodeLifecycleController, reconcileTaints } from './node-lifecycle-controller.ts';

// Node lifecycle with the test as the kubelet: it renews the node's Lease and posts its
// Ready condition, then stops (a dead machine) or reports Ready=False (a broken runtime).

let h: ControllerHarness;
beforeAll(async () => {
  h = await startControllerHarness([nodeLifecycleController], { nodeMonitorGracePeriodSeconds: 1, nodeMonitorPeriodSeconds: 0.1, defaultNotReadyTolerationSeconds: 1 });
});
afterAll(async () => h?.stop());
const kubelets: ReturnType<typeof setInterval>[] = [];
afterEach(() => kubelets.splice(0).forEach(clearInterval));

type NodeObject = Node & KubeObject;
const microTime = () => new Date().toISOString().replace('Z', '000Z');

async function postStatus(name: string, ready: 'True' | 'False') {
  const node = (await h.client.get(kinds.nodes, undefined, name)) as NodeObject;
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  const conditions = [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: now, lastTransitionTime: now }];
  await h.client.updateStatus(kinds.nodes, { ...node, status: { ...node.status, conditions } } as KubeObject);
}

async function renewLease(name: string) {
  try {
    const lease = await h.client.get(kinds.leases, 'kube-node-lease', name);
    await h.client.update(kinds.leases, { ...lease, spec: { ...(lease.spec as object), renewTime: microTime() } });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await h.client.create(kinds.leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() } } as KubeObject);
  }
}

/** A kubelet that renews the Lease every 100 ms and posts `ready` once. */
async function startKubelet(name: string, ready: 'True' | 'False' = 'True') {
  await renewLease(name);
  await postStatus(name, ready);
  kubelets.push(setInterval(() => void renewLease(name).catch(() => {}), 100));
}

async function createNode(name: string) {
  await h.client.create(kinds.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } } as KubeObject);
  await startKubelet(name);
}

async function runningPod(namespace: string, name: string, nodeName: string, tolerations?: Toleration[], spec: Partial<NonNullable<Pod['spec']>> = {}) {
  await h.client.create(kinds.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
    spec: { nodeName, containers: [{ name: 'main', image: 'kubelab/busybox:test' }], ...(tolerations ? { tolerations } : {}), ...spec },
  } as KubeObject);
  const pod = await h.client.get(kinds.pods, namespace, name);
  await h.client.updateStatus(kinds.pods, { ...pod, status: { phase: 'Running', podIP: '10.2.0.1', conditions: [{ type: 'Ready', status: 'True' }] } });
}

const taintsOf = async (name: string) => (((await h.client.get(kinds.nodes, undefined, name)) as NodeObject).spec?.taints ?? []) as Taint[];
const keys = (taints: Taint[]) => taints.map((t) => `${t.key}:${t.effect}`).sort();
const eventsIn = async (namespace: string, reason: string) =>
  (await h.client.list(kinds.events, { namespace })).items.filter((e) => e.reason === reason).map((e) => e as KubeObject & { message: string; involvedObject: { name: string } });
const podOrUndefined = async (namespace: string, name: string) => {
  try {
    return (await h.client.get(kinds.pods, namespace, name)) as Pod & KubeObject;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
};

describe('node lifecycle controller', () => {
  it('a node whose Lease stops goes Unknown and unreachable; its pods go after the toleration; it recovers', async () => {
    const ns = await h.newNamespace();
    await createNode('n1');
    await runningPod(ns, 'daemon', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    await runningPod(ns, 'web', 'n1');

    kubelets.splice(0).forEach(clearInterval); // the machine dies
    const node = await h.waitFor('the node to go Unknown', async () => {
      const current = (await h.client.get(kinds.nodes, undefined, 'n1')) as NodeObject;
      return current.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? current : undefined;
    });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(node.status?.conditions?.map((c) => c.status)).toEqual(['Unknown', 'Unknown', 'Unknown', 'Unknown']);
    const taints = await h.waitFor('unreachable taints', async () => {
      const current = await taintsOf('n1');
      return current.length === 2 ? current : undefined;
    });
    expect(keys(taints)).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    expect(taints.find((t) => t.effect === 'NoExecute')?.timeAdded).toBeDefined();

    // The pod without its own toleration goes (force-deleted: nobody can stop it on a dead node).
    await h.waitGone(kinds.pods, ns, 'web');
    const evictions = await eventsIn(ns, 'TaintManagerEviction');
    expect(evictions.map((e) => e.message)).toEqual([`Marking for deletion Pod ${ns}/web`]);
    // When it goes (not before its toleration runs out) is taint-eviction.test.ts's, with fixed times.
    const daemon = await podOrUndefined(ns, 'daemon');
    expect(daemon?.metadata.deletionTimestamp).toBeUndefined();
    expect(daemon?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect((await eventsIn(ns, 'NodeNotReady')).map((e) => e.message)).toContain('Node is not ready');
    expect((await eventsIn('default', 'NodeNotReady')).some((e) => e.involvedObject.name === 'n1')).toBe(true);

    await startKubelet('n1'); // back on its feet
    await h.waitFor('the taints to go', async () => (await taintsOf('n1')).length === 0);
    expect((await eventsIn('default', 'NodeReady')).some((e) => e.involvedObject.name === 'n1')).toBe(true);
  });

  it('a node reporting Ready=False gets not-ready taints and its pods are deleted gracefully', async () => {
    const ns = await h.newNamespace();
    await createNode('n2');
    await runningPod(ns, 'web', 'n2');
    await runningPod(ns, 'quick', 'n2', undefined, { terminationGracePeriodSeconds: 1 });
    await postStatus('n2', 'False');
    await h.waitFor('not-ready taints', async () => keys(await taintsOf('n2')).join() === 'node.kubernetes.io/not-ready:NoExecute,node.kubernetes.io/not-ready:NoSchedule');
    // The agent is alive and will stop the pod: the deletion waits for it.
    const evicted = await h.waitFor('the eviction', async () => {
      const pod = await podOrUndefined(ns, 'web');
      return pod?.metadata.deletionTimestamp ? pod : undefined;
    });
    expect(evicted.metadata.deletionGracePeriodSeconds).toBe(30);
    // A deletion still unfinished after its grace period on a node that is not Ready is forced.
    await h.waitGone(kinds.pods, ns, 'quick');
    expect((await podOrUndefined(ns, 'web'))?.metadata.deletionTimestamp).toBeDefined();
    await postStatus('n2', 'True');
    await h.waitFor('the taints to go', async () => (await taintsOf('n2')).length === 0);
  });

  it('pods bound to a node that no longer exists are deleted', async () => {
    const ns = await h.newNamespace();
    await runningPod(ns, 'stray', 'ghost-node');
    await h.waitGone(kinds.pods, ns, 'stray');
  });
});

describe('reconcileTaints', () => {
  it('keeps other taints and the time of taints already there', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    const user = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const existing = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' };
    expect(reconcileTaints([user, existing], 'Unknown', now)).toEqual([user, existing, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]);
    expect(reconcileTaints([user, existing, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }], 'Unknown', now)).toBeUndefined();
    expect(reconcileTaints([user, existing], 'True', now)).toEqual([user]);
    expect(reconcileTaints([existing], 'False', now)).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2024-05-01T12:00:00Z' },
    ]);
  });
});
