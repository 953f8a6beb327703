import type { Endpoints, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { endpointsController } from './endpoints-controller.ts';
import { kinds, startControllerHarness, type ControllerHarness } from './lifecycle-test-harness.ts';

// The endpoints controller against an in-process API server; the test plays the kubelet
// by writing pod statuses (IP and Ready condition).

let h: ControllerHarness;
beforeAll(async () => {
  h = await startControllerHarness([endpointsController]);
});
afterAll(async () => h?.stop());

async function runningPod(namespace: string, name: string, ip: string, ready: boolean, ports: { name: string; containerPort: number }[] = []) {
  const pod = await h.client.create(kinds.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: 'web' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'kubelab/busybox:test', ports }] },
  } as KubeObject);
  return setReady(pod as Pod & KubeObject, ip, ready);
}

async function setReady(pod: Pod & KubeObject, ip: string, ready: boolean) {
  const current = (await h.client.get(kinds.pods, pod.metadata.namespace, pod.metadata.name!)) as Pod & KubeObject;
  const status = { ...current.status, phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  return h.client.updateStatus(kinds.pods, { ...current, status } as KubeObject);
}

const endpointsOf = async (namespace: string, name: string) => {
  try {
    return (await h.client.get(kinds.endpoints, namespace, name)) as Endpoints & KubeObject;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
};
const ips = (addresses: { ip: string }[] | undefined) => (addresses ?? []).map((a) => a.ip);

describe('endpoints controller', () => {
  it('lists ready and not-ready pods per port set, and follows readiness flips and deletions', async () => {
    const ns = await h.newNamespace();
    await h.client.create(kinds.services, {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns, labels: { tier: 'front' } },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] },
    } as KubeObject);
    const a = await runningPod(ns, 'a', '10.1.0.1', true, [{ name: 'http', containerPort: 8080 }]);
    const b = await runningPod(ns, 'b', '10.1.0.2', false, [{ name: 'http', containerPort: 8080 }]);
    await runningPod(ns, 'c', '10.1.0.3', true);

    const first = await h.waitFor('endpoints for a, b and c', async () => {
      const ep = await endpointsOf(ns, 'web');
      return ep?.subsets?.length === 2 && ep.subsets[0].notReadyAddresses?.length === 1 && ep.subsets[1].addresses?.length === 1 ? ep : undefined;
    });
    expect(first.metadata.labels).toEqual({ tier: 'front' });
    expect(first.subsets![0]).toMatchObject({
      addresses: [{ ip: '10.1.0.1', nodeName: 'node-a', targetRef: { kind: 'Pod', name: 'a', namespace: ns, uid: a.metadata.uid } }],
      notReadyAddresses: [{ ip: '10.1.0.2', targetRef: { name: 'b', uid: b.metadata.uid } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }],
    });
    expect(first.subsets![1]).toEqual({ addresses: [expect.objectContaining({ ip: '10.1.0.3' })], ports: [{ name: 'metrics', port: 9090, protocol: 'TCP' }] });

    await setReady(b as Pod & KubeObject, '10.1.0.2', true);
    await setReady(a as Pod & KubeObject, '10.1.0.1', false);
    const flipped = await h.waitFor('b ready and a not ready', async () => {
      const subset = (await endpointsOf(ns, 'web'))?.subsets?.[0];
      return ips(subset?.addresses).join() === '10.1.0.2' && ips(subset?.notReadyAddresses).join() === '10.1.0.1' ? subset : undefined;
    });
    expect(flipped.ports).toHaveLength(2);

    await h.client.delete(kinds.pods, ns, 'a', { gracePeriodSeconds: 0 });
    await h.client.delete(kinds.pods, ns, 'c', { gracePeriodSeconds: 0 });
    const last = await h.waitFor('a and c gone from the endpoints', async () => {
      const ep = await endpointsOf(ns, 'web');
      return ep?.subsets?.length === 1 && !ep.subsets[0].notReadyAddresses ? ep : undefined;
    });
    expect(ips(last.subsets![0].addresses)).toEqual(['10.1.0.2']);

    // A pod being deleted leaves at once, before its node has stopped it.
    await h.client.delete(kinds.pods, ns, 'b');
    await h.waitFor('no subsets left', async () => {
      const ep = await endpointsOf(ns, 'web');
      return ep && !ep.subsets ? ep : undefined;
    });

    await h.client.delete(kinds.services, ns, 'web');
    await h.waitFor('the endpoints to go with the service', async () => (await endpointsOf(ns, 'web')) === undefined);
  });

  it('leaves the Endpoints of a service without a selector to the user', async () => {
    const ns = await h.newNamespace();
    const subsets = [{ addresses: [{ ip: '192.168.1.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }];
    await h.client.create(kinds.endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'db', namespace: ns }, subsets } as KubeObject);
    await h.client.create(kinds.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: ns }, spec: { ports: [{ port: 5432 }] } } as KubeObject);
    // A managed service in the same namespace shows the controller has caught up past the user's objects.
    await h.client.create(kinds.services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'marker', namespace: ns }, spec: { selector: { app: 'none' }, ports: [{ port: 1 }] } } as KubeObject);
    await h.waitFor('the marker endpoints', async () => endpointsOf(ns, 'marker'));
    expect((await endpointsOf(ns, 'db'))?.subsets).toEqual(subsets);
  });
});
