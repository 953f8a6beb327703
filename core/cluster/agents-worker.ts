import { parentPort, workerData } from 'node:worker_threads';
import Dockerode from 'dockerode';
import { KUBERNETES_AGENT_SETTINGS, LAB_AGENT_SETTINGS } from '../agent/agent-settings.ts';
import { startKubeletServer } from '../agent/kubelet-server.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import { RestClient } from '../client/rest-client.ts';
import { createLogger } from '../log/logger.ts';
import { NodeManager } from '../nodes/node-manager.ts';

// The node agents' worker thread: one NodeManager running an agent per Docker endpoint
// (the local daemon by default, added daemons, lab nodes), and the kubelet server that
// serves their logs and exec. Like every component, it reaches the cluster only
// through the API server.
// Messages: in {type:'stop'}; out {type:'ready', kubeletPort} | {type:'error', message} | {type:'stopped'}.

export interface AgentsWorkerData {
  /** Plain-HTTP API address on loopback. */
  apiUrl: string;
  token: string;
  dataDir: string;
  timings: 'kubernetes' | 'lab';
  /** Register the local Docker daemon as a node when it answers. */
  localNode: boolean;
}

const logger = createLogger('node-agents');
const NAMESPACES = findByPlural('', 'v1', 'namespaces')!;
const data = workerData as AgentsWorkerData;
const port = parentPort!;

async function run(): Promise<void> {
  const client = new RestClient({ server: data.apiUrl, token: data.token, userAgent: 'kubelab-node-agent' });
  // This cluster's identity, put on every container it runs: two labs on one daemon stay apart.
  const clusterId = (await client.get(NAMESPACES, undefined, 'kube-system')).metadata.uid!;
  let manager: NodeManager | undefined;
  const kubelet = await startKubeletServer({
    token: data.token,
    clusterId,
    runtimeFor: (node) => manager?.runtimeFor(node),
    podMetricsFor: (node) => manager?.agentFor(node)?.podMetrics?.(),
    logger: createLogger('kubelet-server'),
  });
  manager = new NodeManager({
    client,
    clusterId,
    kubeletPort: kubelet.port,
    settings: data.timings === 'lab' ? LAB_AGENT_SETTINGS : KUBERNETES_AGENT_SETTINGS,
    dataDir: data.dataDir,
    hostDocker: () => new Dockerode(),
  });
  if (data.localNode) {
    await manager.ensureLocalNode().catch((e: Error) => logger.warn('no local Docker daemon: running without a local node', { error: e.message }));
  }
  await manager.start();
  port.on('message', async (message: { type: string }) => {
    if (message.type !== 'stop') return;
    await manager!.stop();
    await kubelet.close();
    port.postMessage({ type: 'stopped' });
  });
  port.postMessage({ type: 'ready', kubeletPort: kubelet.port });
}

run().catch((error: Error) => {
  port.postMessage({ type: 'error', message: error.message });
});
