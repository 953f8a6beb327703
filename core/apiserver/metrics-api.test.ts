import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeletServer, type RunningKubeletServer } from '../agent/kubelet-server.ts';
import type { PodMetrics } from '../agent/node-agent.ts';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { startApiServer, type RunningApiServer } from './api-server.ts';
import { ensureSystemNamespaces } from './bootstrap-namespaces.ts';
import { ResourceService } from './resource-service.ts';

// metrics.k8s.io served by the API server from a real kubelet server that returns fixed
// samples (the node agent is played by podMetricsFor).

const TOKEN = 'metrics-api-test-token-0123456789abcdef';
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let store: LowdbStore;
let server: RunningApiServer;
let kubelet: RunningKubeletServer;
let client: RestClient;
const samples = new Map<string, PodMetrics[]>();

async function createPod(name: string, node: string, labels: Record<string, string>): Promise<KubeObject> {
  return client.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'busybox' }, { name: 'sidecar', image: 'busybox' }] },
  });
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-metrics-test-'));
  store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  server = await startApiServer({ store, token: TOKEN, logger: silent });
  client = new RestClient({ server: server.httpUrl, token: TOKEN });
  kubelet = await startKubeletServer({ token: TOKEN, runtimeFor: () => undefined, podMetricsFor: (node) => samples.get(node), logger: silent });
  for (const name of ['node-a', 'node-b', 'node-silent']) {
    const node = await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: name === 'node-a' ? 'east' : 'west' } } });
    await client.updateStatus(NODES, { ...node, status: { daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } });
  }
  const web = await createPod('web', 'node-a', { app: 'web' });
  const db = await createPod('db', 'node-b', { app: 'db' });
  await createPod('fresh', 'node-b', { app: 'web' }); // no sample yet
  const at = '2026-01-01T00:00:10.000Z';
  samples.set('node-a', [
    { namespace: 'default', name: 'web', uid: web.metadata.uid!, timestamp: at, containers: [
      { name: 'app', cpuNanoCores: 250_000_000, memoryWorkingSetBytes: 64 * 1024 * 1024 },
      { name: 'sidecar', cpuNanoCores: 5_000_000, memoryWorkingSetBytes: 8 * 1024 * 1024 },
    ] },
  ]);
  samples.set('node-b', [
    { namespace: 'default', name: 'db', uid: db.metadata.uid!, timestamp: at, containers: [{ name: 'app', cpuNanoCores: 1_000_000_000, memoryWorkingSetBytes: 512 * 1024 * 1024 }] },
  ]);
  // node-silent has no agent here: the kubelet answers 404 and the node is left out.
});

afterAll(async () => {
  await kubelet?.close();
  await server?.close();
  await store?.close();
});

const get = (path: string) => client.raw('GET', path) as Promise<any>;

describe('discovery', () => {
  it('lists metrics.k8s.io/v1beta1 with nodes and pods, as kubectl top checks', async () => {
    const groups = await get('/apis');
    const metrics = groups.groups.find((g: { name: string }) => g.name === 'metrics.k8s.io');
    expect(metrics.versions).toEqual([{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }]);
    expect((await get('/apis/metrics.k8s.io')).preferredVersion.version).toBe('v1beta1');
    const resources = await get('/apis/metrics.k8s.io/v1beta1');
    expect(resources.groupVersion).toBe('metrics.k8s.io/v1beta1');
    expect(resources.resources).toEqual([
      expect.objectContaining({ name: 'nodes', kind: 'NodeMetrics', namespaced: false, verbs: ['get', 'list'] }),
      expect.objectContaining({ name: 'pods', kind: 'PodMetrics', namespaced: true, verbs: ['get', 'list'] }),
    ]);
  });
});

describe('NodeMetrics', () => {
  it('lists every node whose kubelet answers, usage summed over its pods', async () => {
    const list = await get('/apis/metrics.k8s.io/v1beta1/nodes');
    expect(list.kind).toBe('NodeMetricsList');
    expect(list.apiVersion).toBe('metrics.k8s.io/v1beta1');
    expect(list.items.map((i: any) => i.metadata.name).sort()).toEqual(['node-a', 'node-b']);
    const a = list.items.find((i: any) => i.metadata.name === 'node-a');
    expect(a).toMatchObject({ window: '15s', timestamp: '2026-01-01T00:00:10.000Z', usage: { cpu: '255000000n', memory: `${72 * 1024}Ki` } });
  });

  it('gets one node, filters by label, and answers NotFound for a node without metrics', async () => {
    const one = await get('/apis/metrics.k8s.io/v1beta1/nodes/node-b');
    expect(one).toMatchObject({ kind: 'NodeMetrics', metadata: { name: 'node-b' }, usage: { cpu: '1000000000n', memory: '524288Ki' } });
    const east = await get('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Deast');
    expect(east.items.map((i: any) => i.metadata.name)).toEqual(['node-a']);
    const missing = await get('/apis/metrics.k8s.io/v1beta1/nodes/node-silent').catch((e) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError).code).toBe(404);
    expect((missing as ApiError).message).toBe('nodemetrics.metrics.k8s.io "node-silent" not found');
  });
});

describe('PodMetrics', () => {
  it('lists the pods of a namespace that have samples, per container', async () => {
    const list = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    expect(list.kind).toBe('PodMetricsList');
    expect(list.items.map((i: any) => i.metadata.name).sort()).toEqual(['db', 'web']);
    const web = list.items.find((i: any) => i.metadata.name === 'web');
    expect(web.metadata).toMatchObject({ namespace: 'default', labels: { app: 'web' } });
    expect(web.containers).toEqual([
      { name: 'app', usage: { cpu: '250000000n', memory: '65536Ki' } },
      { name: 'sidecar', usage: { cpu: '5000000n', memory: '8192Ki' } },
    ]);
    const all = await get('/apis/metrics.k8s.io/v1beta1/pods');
    expect(all.items).toHaveLength(2);
  });

  it('filters by label selector, gets one pod, and answers NotFound for a pod without samples', async () => {
    const web = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb');
    expect(web.items.map((i: any) => i.metadata.name)).toEqual(['web']);
    const db = await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/db');
    expect(db).toMatchObject({ kind: 'PodMetrics', metadata: { name: 'db' } });
    const fresh = (await get('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/fresh').catch((e) => e)) as ApiError;
    expect(fresh.code).toBe(404);
    expect(fresh.message).toBe('podmetrics.metrics.k8s.io "default/fresh" not found');
    const other = await get('/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods');
    expect(other.items).toEqual([]);
  });

  it('is read-only', async () => {
    const refused = (await client.raw('POST', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', {}).catch((e) => e)) as ApiError;
    expect(refused.code).toBe(405);
  });
});

describe('kubelet resource metrics endpoint', () => {
  it('requires the cluster token', async () => {
    const response = await fetch(`http://127.0.0.1:${kubelet.port}/nodes/node-a/metrics/resource`);
    expect(response.status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${kubelet.port}/nodes/node-a/metrics/resource`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const body = await ok.json();
    expect(body.node).toMatchObject({ name: 'node-a', cpuNanoCores: 255_000_000 });
    expect(body.pods).toHaveLength(1);
  });
});
