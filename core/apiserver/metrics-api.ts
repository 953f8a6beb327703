import type { ServerResponse } from 'node:http';
import { ApiError, methodNotAllowed, notFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { NodeResourceMetrics } from '../agent/metrics-endpoint.ts';
import { resourceMetricsPath } from '../agent/metrics-endpoint.ts';
import type { PodMetrics } from '../agent/node-agent.ts';
import type { Logger } from '../log/logger.ts';
import { writeJson } from './http-io.ts';
import { isWatchRequest, parseListQuery } from './list-query.ts';
import type { ExtraGroupVersion } from './discovery.ts';
import type { ResourceService } from './resource-service.ts';

// metrics.k8s.io/v1beta1, which metrics-server serves in Kubernetes through API
// aggregation: NodeMetrics and PodMetrics built from each node's kubelet resource
// metrics (/nodes/<node>/metrics/resource on the node's kubelet server), asked on
// every request. `kubectl top` and the HPA read them.
//   GET /apis/metrics.k8s.io/v1beta1/nodes[/NAME]
//   GET /apis/metrics.k8s.io/v1beta1/[namespaces/NS/]pods[/NAME]

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
const PREFIX = `/apis/${API_VERSION}`;
/** metrics-server's default scrape window; the kubelab agent samples more often than this. */
const WINDOW = '15s';
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const KUBELET_TIMEOUT_MS = 5000;

/** Discovery's entry for metrics.k8s.io (metrics-server's group in Kubernetes). */
export const METRICS_DISCOVERY: ExtraGroupVersion = {
  group: METRICS_GROUP,
  version: METRICS_VERSION,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};

export function isMetricsApiPath(path: string): boolean {
  return path.startsWith(`${PREFIX}/`);
}

type MetricsRequest = { resource: 'nodes'; name: string } | { resource: 'pods'; namespace: string; name: string };

function parseMetricsPath(path: string): MetricsRequest | undefined {
  const parts = path.slice(PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'nodes' && parts.length <= 2) return { resource: 'nodes', name: parts[1] ?? '' };
  if (parts[0] === 'pods' && parts.length === 1) return { resource: 'pods', namespace: '', name: '' };
  if (parts[0] === 'namespaces' && parts[2] === 'pods' && parts.length <= 4) return { resource: 'pods', namespace: parts[1], name: parts[3] ?? '' };
  return undefined;
}

export interface MetricsApiOptions {
  service: ResourceService;
  /** The cluster token: every kubelet server requires it. */
  token: string;
  logger: Logger;
  /** Injected in tests. */
  fetch?: typeof fetch;
}

interface Usage {
  cpu: string;
  memory: string;
}

export class MetricsApi {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: MetricsApiOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async serve(res: ServerResponse, method: string, path: string, params: URLSearchParams): Promise<void> {
    const request = parseMetricsPath(path);
    if (!request) throw new ApiError(404, 'NotFound', `the server could not find the requested resource: metrics.k8s.io serves nodes and pods`);
    if (method !== 'GET') throw methodNotAllowed(`metrics.k8s.io is read-only: ${method} is not supported`);
    if (isWatchRequest(params)) throw methodNotAllowed('metrics.k8s.io cannot be watched: list it again instead');
    if (request.resource === 'nodes') return writeJson(res, 200, await this.nodeMetrics(request.name, params));
    return writeJson(res, 200, await this.podMetrics(request.namespace, request.name, params));
  }

  private async nodeMetrics(name: string, params: URLSearchParams): Promise<unknown> {
    const filter = name ? (node: KubeObject) => node.metadata.name === name : parseListQuery(NODES, params).filter;
    const { items: nodes } = await this.options.service.list({ info: NODES, namespace: '', name: '', subresource: '' }, { filter });
    const scraped = await Promise.all(nodes.map((node) => this.scrape(node)));
    const items = scraped.flatMap((metrics, i) => {
      if (!metrics) return [];
      const node = nodes[i];
      return [
        {
          metadata: { name: node.metadata.name, creationTimestamp: new Date().toISOString(), labels: node.metadata.labels ?? {} },
          timestamp: metrics.node.timestamp,
          window: WINDOW,
          usage: usage(metrics.node.cpuNanoCores, metrics.node.memoryWorkingSetBytes),
        },
      ];
    });
    if (name) {
      if (items.length === 0) throw notFound({ group: METRICS_GROUP, resource: 'nodemetrics' }, name);
      return { kind: 'NodeMetrics', apiVersion: API_VERSION, ...items[0] };
    }
    return { kind: 'NodeMetricsList', apiVersion: API_VERSION, metadata: {}, items };
  }

  private async podMetrics(namespace: string, name: string, params: URLSearchParams): Promise<unknown> {
    const query = parseListQuery(PODS, params);
    const filter = name ? (pod: KubeObject) => pod.metadata.name === name : query.filter;
    const { items: pods } = await this.options.service.list({ info: PODS, namespace, name: '', subresource: '' }, { filter });
    const nodeNames = new Set(pods.map((pod) => (pod.spec as { nodeName?: string } | undefined)?.nodeName).filter((n): n is string => !!n));
    const samples = new Map<string, PodMetrics>();
    await Promise.all(
      [...nodeNames].map(async (nodeName) => {
        const node = await this.options.service.get({ info: NODES, namespace: '', name: nodeName, subresource: '' }).catch(() => undefined);
        const metrics = node ? await this.scrape(node) : undefined;
        for (const pod of metrics?.pods ?? []) samples.set(pod.uid, pod);
      }),
    );
    const items = pods.flatMap((pod) => {
      const sample = samples.get(pod.metadata.uid ?? '');
      // A pod without samples yet is left out, as metrics-server does.
      if (!sample || sample.containers.length === 0) return [];
      return [
        {
          metadata: {
            name: pod.metadata.name,
            namespace: pod.metadata.namespace,
            creationTimestamp: new Date().toISOString(),
            labels: pod.metadata.labels ?? {},
          },
          timestamp: sample.timestamp,
          window: WINDOW,
          containers: sample.containers.map((c) => ({ name: c.name, usage: usage(c.cpuNanoCores, c.memoryWorkingSetBytes) })),
        },
      ];
    });
    if (name) {
      if (items.length === 0) throw notFound({ group: METRICS_GROUP, resource: 'podmetrics' }, `${namespace}/${name}`);
      return { kind: 'PodMetrics', apiVersion: API_VERSION, ...items[0] };
    }
    return { kind: 'PodMetricsList', apiVersion: API_VERSION, metadata: {}, items };
  }

  /** The node's kubelet resource metrics, or undefined when its kubelet is unknown or does not answer (that node is left out). */
  private async scrape(node: KubeObject): Promise<NodeResourceMetrics | undefined> {
    const nodeName = node.metadata.name ?? '';
    const port = (node.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined)?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!port) return undefined;
    try {
      const response = await this.fetchImpl(`http://127.0.0.1:${port}${resourceMetricsPath(nodeName)}`, {
        headers: { Authorization: `Bearer ${this.options.token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(KUBELET_TIMEOUT_MS),
      });
      if (!response.ok) {
        this.options.logger.debug('kubelet resource metrics refused', { node: nodeName, status: response.status });
        return undefined;
      }
      return (await response.json()) as NodeResourceMetrics;
    } catch (error) {
      this.options.logger.debug('kubelet resource metrics unreachable', { node: nodeName, error: String(error) });
      return undefined;
    }
  }
}

/** metrics-server's quantities: CPU in nanocores, memory in Ki. */
function usage(cpuNanoCores: number, memoryBytes: number): Usage {
  return { cpu: `${Math.max(0, Math.round(cpuNanoCores))}n`, memory: `${Math.max(0, Math.round(memoryBytes / 1024))}Ki` };
}
