import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { finishTerminatingPods, listPods, NODES, nodeObject, setPodPhase, startTestCluster, type PodObject, type RunningController, type TestCluster } from './batch-controller-test-env.ts';
import { CONTROLLER_REVISION_HASH_LABEL, createDaemonSetController, nodeShouldRunDaemonPod } from './daemonset-controller.ts';
import { eventually } from '../../test/support/eventually.ts';

const DAEMONSETS = findByKind('apps/v1', 'DaemonSet') as ResourceInfo;

let cluster: TestCluster;
let controller: RunningController;
const createdNodes: string[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
  controller = await cluster.run(createDaemonSetController());
});
afterEach(async () => {
  for (const name of createdNodes.splice(0)) await cluster.client.delete(NODES, undefined, name).catch(() => {});
});
afterAll(async () => {
  await cluster?.close();
});

async function addNode(name: string, labels: Record<string, string> = {}, taints: unknown[] = []): Promise<void> {
  createdNodes.push(name);
  await cluster.client.create(NODES, nodeObject(name, labels, taints));
}

function daemonSet(namespace: string, name: string, extra: Partial<NonNullable<DaemonSet['spec']>> = {}, image = 'agent:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'agent', image }] } },
      ...extra,
    },
  };
}

const live = (pods: PodObject[]): PodObject[] => pods.filter((p) => !p.metadata.deletionTimestamp);
const nodesOf = (pods: PodObject[]): string[] => live(pods).map((p) => p.spec?.nodeName ?? '').sort();

async function dsStatus(namespace: string, name: string): Promise<DaemonSetStatus> {
  return ((await cluster.client.get(DAEMONSETS, namespace, name)).status ?? {}) as DaemonSetStatus;
}

describe('DaemonSet controller', () => {
  it('runs one pod per node, bound directly, and follows nodes that come and go', async () => {
    const ns = await cluster.newNamespace();
    await addNode('ds1-a');
    await addNode('ds1-b');
    await cluster.client.create(DAEMONSETS, daemonSet(ns, 'logs'));
    const pods = await eventually(async () => {
      const p = await listPods(cluster.client, ns);
      return nodesOf(p).join() === 'ds1-a,ds1-b' && p;
    }, 'a pod on each node');
    const pod = pods[0];
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'logs', controller: true });
    expect(pod.metadata.generateName).toBe('logs-');
    expect(pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL]).toBeTruthy();
    expect(pod.spec?.tolerations).toContainEqual({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' });
    expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0].matchFields?.[0].values).toEqual([
      pod.spec?.nodeName,
    ]);

    await addNode('ds1-c');
    await eventually(async () => nodesOf(await listPods(cluster.client, ns)).join() === 'ds1-a,ds1-b,ds1-c', 'a pod on the new node');

    await cluster.client.delete(NODES, undefined, 'ds1-b');
    await eventually(async () => {
      const p = await listPods(cluster.client, ns);
      return p.length === 2 && nodesOf(p).join() === 'ds1-a,ds1-c';
    }, 'the gone node’s pod removed');

    for (const p of await listPods(cluster.client, ns)) await setPodPhase(cluster.client, p, 'Running', true);
    const status = await eventually(async () => {
      const s = await dsStatus(ns, 'logs');
      return s.numberReady === 2 && s;
    }, 'status');
    expect(status).toMatchObject({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberReady: 2,
      numberAvailable: 2,
      updatedNumberScheduled: 2,
      numberMisscheduled: 0,
      observedGeneration: 1,
    });
  });

  it('places pods only on nodes matching the node selector, and moves them when labels change', async () => {
    const ns = await cluster.newNamespace();
    await addNode('ds2-gpu', { gpu: 'yes' });
    await addNode('ds2-plain');
    await cluster.client.create(DAEMONSETS, daemonSet(ns, 'driver', { template: {
      metadata: { labels: { app: 'driver' } },
      spec: { nodeSelector: { gpu: 'yes' }, containers: [{ name: 'agent', image: 'driver:1' }] },
    } }));
    await eventually(async () => nodesOf(await listPods(cluster.client, ns)).join() === 'ds2-gpu', 'a pod on the gpu node only');
    await eventually(async () => (await dsStatus(ns, 'driver')).desiredNumberScheduled === 1, 'one desired pod');

    await cluster.client.patch(NODES, undefined, 'ds2-plain', { metadata: { labels: { gpu: 'yes' } } }, 'merge');
    await cluster.client.patch(NODES, undefined, 'ds2-gpu', { metadata: { labels: { gpu: null } } }, 'merge');
    await eventually(async () => {
      await finishTerminatingPods(cluster.client, ns);
      const p = await listPods(cluster.client, ns);
      return p.length === 1 && nodesOf(p).join() === 'ds2-plain';
    }, 'the pod to follow the label');
  });

  it('rolls a template change out node by node within maxUnavailable', async () => {
    const ns = await cluster.newNamespace();
    for (const n of ['ds3-a', 'ds3-b', 'ds3-c']) await addNode(n);
    await cluster.client.create(DAEMONSETS, daemonSet(ns, 'web', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }));
    const first = await eventually(async () => {
      const p = await listPods(cluster.client, ns);
      return nodesOf(p).join() === 'ds3-a,ds3-b,ds3-c' && p.length === 3 && p;
    }, 'three pods');
    for (const p of first) await setPodPhase(cluster.client, p, 'Running', true);
    const oldHash = first[0].metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    await eventually(async () => (await dsStatus(ns, 'web')).numberAvailable === 3, 'all available');

    const current = await cluster.client.get(DAEMONSETS, ns, 'web');
    const spec = structuredClone(current.spec) as NonNullable<DaemonSet['spec']>;
    spec.template.spec!.containers[0].image = 'agent:2';
    await cluster.client.update(DAEMONSETS, { ...current, spec });

    // Play the kubelet: finish deletions and make new pods ready, checking the budget every round.
    let maxDown = 0;
    await eventually(async () => {
      const pods = await listPods(cluster.client, ns);
      const oldLive = live(pods).filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] === oldHash);
      const readyNew = live(pods).filter((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== oldHash && p.status?.phase === 'Running');
      maxDown = Math.max(maxDown, 3 - oldLive.length - readyNew.length);
      for (const p of live(pods)) if (p.status?.phase !== 'Running') await setPodPhase(cluster.client, p, 'Running', true);
      await finishTerminatingPods(cluster.client, ns);
      const s = await dsStatus(ns, 'web');
      return oldLive.length === 0 && readyNew.length === 3 && s.updatedNumberScheduled === 3 && s.numberAvailable === 3;
    }, 'the rollout to finish');
    expect(maxDown).toBeLessThanOrEqual(1);
    const images = (await listPods(cluster.client, ns)).map((p) => p.spec?.containers[0].image);
    expect(images).toEqual(['agent:2', 'agent:2', 'agent:2']);
  });

  it('leaves old pods alone with OnDelete until they are deleted', async () => {
    const ns = await cluster.newNamespace();
    await addNode('ds4-a');
    await cluster.client.create(DAEMONSETS, daemonSet(ns, 'od', { updateStrategy: { type: 'OnDelete' } }));
    // Nodes of earlier tests may linger in the controller's cache for a moment: wait for the settled state.
    const [pod] = await eventually(async () => {
      const p = await listPods(cluster.client, ns);
      return p.length === 1 && p[0].spec?.nodeName === 'ds4-a' && p;
    }, 'a pod');
    const current = await cluster.client.get(DAEMONSETS, ns, 'od');
    const spec = structuredClone(current.spec) as NonNullable<DaemonSet['spec']>;
    spec.template.spec!.containers[0].image = 'agent:2';
    await cluster.client.update(DAEMONSETS, { ...current, spec });
    await eventually(async () => (await dsStatus(ns, 'od')).observedGeneration === 2, 'the new generation observed');
    expect((await dsStatus(ns, 'od')).updatedNumberScheduled).toBe(0);
    expect((await listPods(cluster.client, ns)).map((p) => p.metadata.uid)).toEqual([pod.metadata.uid]);

    await cluster.client.delete(findByKind('v1', 'Pod') as ResourceInfo, ns, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
    const [replacement] = await eventually(async () => {
      const p = await listPods(cluster.client, ns);
      return p.length === 1 && p[0].metadata.uid !== pod.metadata.uid && p;
    }, 'a replacement');
    expect(replacement.spec?.containers[0].image).toBe('agent:2');
  });
});

describe('nodeShouldRunDaemonPod', () => {
  const ds = (spec: Record<string, unknown> = {}): DaemonSet => ({
    spec: { selector: {}, template: { spec: { containers: [{ name: 'c' }], ...spec } } },
  });
  const node = (extra: Partial<Node> = {}): Node => ({ metadata: { name: 'n1', labels: { zone: 'a', cores: '8' } }, ...extra });

  it('tolerates the taints Kubernetes adds tolerations for, not others', () => {
    expect(nodeShouldRunDaemonPod(node({ spec: { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] } }), ds()).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node({ spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] } }), ds()).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node({ spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }), ds())).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
    });
    expect(nodeShouldRunDaemonPod(node({ spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] } }), ds()).shouldContinueRunning).toBe(false);
    const tolerating = ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] });
    expect(nodeShouldRunDaemonPod(node({ spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }), tolerating).shouldRun).toBe(true);
  });

  it('honours required node affinity', () => {
    const affinity = (matchExpressions: unknown[]) =>
      ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } } });
    expect(nodeShouldRunDaemonPod(node(), affinity([{ key: 'zone', operator: 'In', values: ['a', 'b'] }])).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node(), affinity([{ key: 'zone', operator: 'NotIn', values: ['a'] }])).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod(node(), affinity([{ key: 'cores', operator: 'Gt', values: ['4'] }])).shouldRun).toBe(true);
    expect(nodeShouldRunDaemonPod(node(), affinity([{ key: 'ssd', operator: 'Exists' }])).shouldRun).toBe(false);
  });
});
