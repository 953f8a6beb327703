import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';
import { eventually } from '../../test/support/eventually.ts';
import { startTestApiServer, type TestApiServer } from './api-server-test-env.ts';

const PODS = findByKind('v1', 'Pod') as ResourceInfo;

let api: TestApiServer;
let client: RestClient;

beforeEach(async () => {
  api = await startTestApiServer('kubelab-binding-test');
  client = api.client;
});

afterEach(() => api.close());

describe('pods/binding', () => {
  it('sets the node, PodScheduled and the Binding annotations in one write, keeping the pod annotations', async () => {
    const created = (await client.create<KubeObject>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', annotations: { kept: 'yes', replaced: 'old' } },
      spec: { containers: [{ name: 'app', image: 'busybox' }] },
    })) as unknown as Pod;
    const versions: Pod[] = [];
    const stop = new AbortController();
    const watching = client.watch(PODS, { namespace: 'default', resourceVersion: created.metadata?.resourceVersion ?? '' }, (event) => void versions.push(event.object as Pod), stop.signal);

    await client.createSubresource(PODS, 'default', 'web', 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'web', namespace: 'default', annotations: { replaced: 'new', added: 'too' } },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
    });
    const pod = (await client.get<KubeObject>(PODS, 'default', 'web')) as unknown as Pod;
    expect(pod.spec?.nodeName).toBe('node-1');
    expect(pod.metadata?.annotations).toEqual({ kept: 'yes', replaced: 'new', added: 'too' });
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    await eventually(async () => versions.length > 0 || undefined, 'the watch event of the binding', 10_000);
    stop.abort();
    await watching.catch(() => {});
    // One write: the first version after the create already is the bound, annotated pod.
    expect(versions[0].metadata?.resourceVersion).toBe(pod.metadata?.resourceVersion);
  });

  it('leaves the annotations alone when the Binding has none', async () => {
    await client.create<KubeObject>(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
    await client.createSubresource(PODS, 'default', 'plain', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'plain' }, target: { kind: 'Node', name: 'n' } });
    const pod = (await client.get<KubeObject>(PODS, 'default', 'plain')) as unknown as Pod;
    expect(pod.spec?.nodeName).toBe('n');
    expect(pod.metadata?.annotations).toBeUndefined();
  });
});
