import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { garbageCollector } from './garbage-collector.ts';
import { kinds, startControllerHarness, type ControllerHarness } from './lifecycle-test-harness.ts';
import { namespaceController } from './namespace-controller.ts';

// Namespace deletion end to end without agents: the test plays the kubelet that removes
// a gracefully deleted pod from its node.

let h: ControllerHarness;
beforeAll(async () => {
  h = await startControllerHarness([namespaceController, garbageCollector]);
});
afterAll(async () => h?.stop());

const podSpec = { containers: [{ name: 'main', image: 'kubelab/busybox:test' }] };

describe('namespace controller', () => {
  it('removes the content of a deleted namespace, waits for pods on nodes, then the namespace', async () => {
    const ns = await h.newNamespace();
    await h.client.create(kinds.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', namespace: ns } } as KubeObject);
    await h.client.create(kinds.deployments, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } },
    } as KubeObject);
    await h.client.create(kinds.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loose', namespace: ns }, spec: podSpec } as KubeObject);
    await h.client.create(kinds.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-node', namespace: ns }, spec: { ...podSpec, nodeName: 'node-a' } } as KubeObject);

    const terminating = (await h.client.delete(kinds.namespaces, undefined, ns, { propagationPolicy: 'Background' })) as KubeObject;
    expect((terminating.status as { phase?: string }).phase).toBe('Terminating');

    // Everything goes except the pod whose node has yet to stop it.
    const onNode = await h.waitFor('the content to be deleted', async () => {
      const [configmaps, deployments, pods] = await Promise.all([
        h.client.list(kinds.configmaps, { namespace: ns }),
        h.client.list(kinds.deployments, { namespace: ns }),
        h.client.list(kinds.pods, { namespace: ns }),
      ]);
      const podLeft = pods.items.length === 1 && pods.items[0].metadata.deletionTimestamp ? pods.items[0] : undefined;
      return configmaps.items.length === 0 && deployments.items.length === 0 ? podLeft : undefined;
    });
    expect(onNode.metadata.name).toBe('on-node');
    expect((await h.client.get(kinds.namespaces, undefined, ns)).metadata.deletionTimestamp).toBeDefined();

    // The kubelet has stopped the containers: it removes the pod.
    await h.client.delete(kinds.pods, ns, 'on-node', { gracePeriodSeconds: 0 });
    await h.waitGone(kinds.namespaces, undefined, ns);
  });

  it('an empty namespace goes at once after its finalizer is dropped', async () => {
    const ns = await h.newNamespace();
    await h.client.delete(kinds.namespaces, undefined, ns);
    await h.waitGone(kinds.namespaces, undefined, ns);
  });
});
