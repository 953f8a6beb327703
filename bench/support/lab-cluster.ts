import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { apiRequest, tokenOf, type RawResponse } from '../../test/support/api-request.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, type ServeProcess } from '../../test/support/kubelab-serve.ts';
import { labNodePaths } from '../../core/nodes/lab-node.ts';
import { docker } from '../../test/support/docker-cli.ts';

// A real `kubelab serve` with the local node and N lab nodes, as a person makes one
// with `kubelab node create`, for the benchmarks that need more than one node.

const run = promisify(execFile);

export interface LabCluster {
  serve: ServeProcess;
  token: string;
  localNode: string;
  labNodes: string[];
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse>;
  /** Containers (running or not) of pods in `namespace` on every node's daemon: what a deleted pod leaves until its agent has removed it. */
  podContainers(namespace?: string): Promise<number>;
  /** Runs `kubelab ARGS --data-dir DIR` and returns what it printed. */
  kubelab(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startLabCluster(options: { labNodes: number; serveArgs?: string[]; dataDir?: string; prefix?: string }): Promise<LabCluster> {
  const serve = await startServe(options.dataDir, options.serveArgs ?? []);
  const token = tokenOf(serve.dataDir);
  const api: LabCluster['api'] = (method, path, body, headers) => apiRequest(serve.httpUrl, method, path, { token, body, headers });
  const kubelab = async (args: string[]) =>
    (await run(process.execPath, [KUBELAB_BIN, ...args, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, timeout: 300_000 })).stdout;
  const labNodes = Array.from({ length: options.labNodes }, (_, i) => `${options.prefix ?? 'bench'}-lab-${i + 1}`);
  const cluster: LabCluster = {
    serve,
    token,
    localNode: '',
    labNodes,
    api,
    kubelab,
    podContainers: async (namespace = 'default') => {
      const hosts = [undefined, ...labNodes.map((name) => labNodePaths(serve.dataDir, name).endpointUrl)];
      const counts = await Promise.all(
        hosts.map(async (host) => (await docker(['ps', '-aq', '--filter', `label=io.kubelab.pod.namespace=${namespace}`], { host })).split('\n').filter(Boolean).length),
      );
      return counts.reduce((a, b) => a + b, 0);
    },
    stop: async () => {
      await api('DELETE', '/api/v1/namespaces/default/pods').catch(() => undefined);
      await Promise.all(labNodes.map((name) => kubelab(['node', 'delete', name]).catch(() => undefined)));
      await serve.stop();
    },
  };
  try {
    // `node create` waits until the node is Ready.
    await Promise.all(labNodes.map((name) => kubelab(['node', 'create', name])));
    const nodes = (await api('GET', '/api/v1/nodes')).json().items as { metadata: { name: string } }[];
    cluster.localNode = nodes.map((n) => n.metadata.name).find((n) => !labNodes.includes(n)) ?? '';
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
