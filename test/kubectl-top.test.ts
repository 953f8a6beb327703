import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeletServer, type RunningKubeletServer } from '../core/agent/kubelet-server.ts';
import type { PodMetrics } from '../core/agent/node-agent.ts';
import { startApiServer, type RunningApiServer } from '../core/apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../core/apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../core/apiserver/resource-service.ts';
import { writeKubeconfig } from '../core/cluster/kubeconfig.ts';
import { loadOrCreateServingCerts } from '../core/cluster/serving-certs.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { apiRequest } from './support/api-request.ts';
import { kubectlOk } from './support/kubectl.ts';
import { tempDataDir } from './support/kubelab-serve.ts';

// `kubectl top nodes` and `kubectl top pods` end to end: real kubectl over HTTPS, the API
// server's metrics.k8s.io asking a kubelet server that returns fixed samples (the node
// agent's podMetrics() played by the test). No Docker needed.

const TOKEN = `top-${randomBytes(12).toString('hex')}`;
const NODE = 'top-node';

let store: LowdbStore;
let api: RunningApiServer;
let kubelet: RunningKubeletServer;
let kubeconfig: string;
const samples: PodMetrics[] = [];

async function send(method: string, path: string, body: unknown): Promise<any> {
  const res = await apiRequest(api.httpUrl, method, path, { token: TOKEN, body });
  expect(res.status, res.body).toBeLessThan(300);
  return res.json();
}

beforeAll(async () => {
  const dataDir = await tempDataDir('kubelab-top-');
  const certs = await loadOrCreateServingCerts(dataDir);
  store = new LowdbStore({ file: join(dataDir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  api = await startApiServer({ store, token: TOKEN, tls: { cert: certs.cert, key: certs.key } });
  kubeconfig = join(dataDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, api.url, TOKEN, certs.caCert);
  kubelet = await startKubeletServer({ token: TOKEN, runtimeFor: () => undefined, podMetricsFor: (node) => (node === NODE ? samples : undefined) });

  const node = await send('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
  await send('PUT', `/api/v1/nodes/${NODE}/status`, {
    ...node,
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
    },
  });
  const pod = await send('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'busy', labels: { app: 'busy' } },
    spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox' }] },
  });
  samples.push({
    namespace: 'default',
    name: 'busy',
    uid: pod.metadata.uid,
    timestamp: new Date().toISOString(),
    containers: [{ name: 'main', cpuNanoCores: 250_000_000, memoryWorkingSetBytes: 100 * 1024 * 1024 }],
  });
});

afterAll(async () => {
  await api?.close();
  await kubelet?.close();
  await store?.close();
});

describe('kubectl top', () => {
  it('top nodes prints the node usage and its share of allocatable', async () => {
    const out = await kubectlOk(kubeconfig, ['top', 'nodes']);
    const [header, row] = out.trim().split('\n');
    expect(header).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    expect(row.split(/\s+/)).toEqual([NODE, '250m', '6%', '100Mi', '1%']);
  });

  it('top pods prints each pod, --containers each container', async () => {
    const out = await kubectlOk(kubeconfig, ['top', 'pods']);
    expect(out.trim().split('\n')[1].split(/\s+/)).toEqual(['busy', '250m', '100Mi']);
    const containers = await kubectlOk(kubeconfig, ['top', 'pods', '--containers', '-l', 'app=busy']);
    expect(containers.trim().split('\n')[1].split(/\s+/)).toEqual(['busy', 'main', '250m', '100Mi']);
  });
});
