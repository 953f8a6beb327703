import { parentPort, workerData } from 'node:worker_threads';
import Dockerode from 'dockerode';
import { KUBERNETES_AGENT_SETTINGS, LAB_AGENT_SETTINGS } from '../agent/agent-settings.ts';
import { startKubeletServer } from '../agent/kubelet-server.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import { RestClient } from '../client/rest-client.ts';
import { createLogger } from '../log/logger.ts';
import { NodeManager } from '../nodes/node-manager.ts';
import { NodeProxyRunner } from '../proxy/node-proxy-runner.ts';
import { hostOnPodNetwork, ServiceProxy } from '../proxy/service-proxy.ts';

// The node agents' worker thread: one NodeManager running an agent per Docker endpoint
// (the local daemon by default, added daemons, lab nodes), and the kubelet server that
// serves their logs and exec. Like every component, it reaches the cluster only
// through the API server.
// Messages: in {type:'stop', leave?}; out {type:'ready', kubeletPort} | {type:'error', message} | {type:'stopped', result?}.
// `leave` says what stays on the nodes: 'pods' (default: containers keep running and the
// next start adopts them, as a kubelet restart does), 'volumes' (pods removed, lab nodes
// stopped: the next start makes them again), or 'nothing' (`kubelab reset`: every
// container, volume and lab node of the cluster removed).

export type LeaveOnNodes = 'pods' | 'volumes' | 'nothing';

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
  let serviceProxy: ServiceProxy | undefined;
  // Port-forward and probes on lab and remote nodes reach pods through the service proxy
  // (directly on the host's daemon, else through the node's proxy).
  const dialPod = (node: string, podIp: string, podPort: number) =>
    serviceProxy ? serviceProxy.dialPod(node, podIp, podPort) : Promise.reject(new Error('the service proxy is not running yet'));
  const kubelet = await startKubeletServer({
    token: data.token,
    clusterId,
    runtimeFor: (node) => manager?.runtimeFor(node),
    podMetricsFor: (node) => manager?.agentFor(node)?.podMetrics?.(),
    dialPod,
    logger: createLogger('kubelet-server'),
  });
  manager = new NodeManager({
    client,
    clusterId,
    kubeletPort: kubelet.port,
    settings: data.timings === 'lab' ? LAB_AGENT_SETTINGS : KUBERNETES_AGENT_SETTINGS,
    dataDir: data.dataDir,
    hostDocker: () => new Dockerode(),
    dialPod,
  });
  if (data.localNode) {
    await manager.ensureLocalNode().catch((e: Error) => logger.warn('no local Docker daemon: running without a local node', { error: e.message }));
  }
  await manager.start();
  const nodeManager = manager;
  let runner: NodeProxyRunner | undefined;
  serviceProxy = new ServiceProxy({
    client,
    createRunner: (hooks) =>
      (runner = new NodeProxyRunner({ ...hooks, hostDocker: () => new Dockerode(), dockerFor: (node) => nodeManager.dockerFor(node), clusterId, logger: createLogger('node-proxy-runner') })),
    hostReachesPods: (node) => (runner?.isHostDaemon(node) ?? false) && hostOnPodNetwork(),
    logger: createLogger('service-proxy'),
  });
  await serviceProxy.start();
  port.on('message', async (message: { type: string; leave?: LeaveOnNodes }) => {
    if (message.type !== 'stop') return;
    await serviceProxy!.stop().catch((error: Error) => logger.warn('service proxy did not stop cleanly', { error: error.message }));
    await manager!.stop();
    let result: object | undefined;
    try {
      if (message.leave === 'volumes') result = await manager!.stopClusterPods();
      if (message.leave === 'nothing') result = await manager!.removeClusterEverywhere();
    } catch (error) {
      result = { problems: [(error as Error).message] };
    }
    await kubelet.close();
    port.postMessage({ type: 'stopped', result });
  });
  port.postMessage({ type: 'ready', kubeletPort: kubelet.port });
}

run().catch((error: Error) => {
  port.postMessage({ type: 'error', message: error.message });
});
