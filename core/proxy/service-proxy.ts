import { connect as netConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Endpoints, Node, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { Informer } from '../client/informer.ts';
import type { RestClient } from '../client/rest-client.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { LoadBalancer } from './balancer.ts';
import { DesktopListeners } from './desktop-listeners.ts';
import type { ProxyConfig, ServiceEntry } from './mux-protocol.ts';
import { POD_NETWORK_GATEWAY } from './pod-network.ts';
import { proxyConfigFor, serviceEntries } from './proxy-config.ts';
import { udpDatagramStream } from './udp-flows.ts';
import { cidrContains } from '../api/ipv4.ts';

// The host side of Service networking (kube-proxy's control loop, moved off the nodes):
// watches Services and Endpoints, pushes one table to every node proxy whenever it
// changes, relays connections between node proxies (nodes have no network path to each
// other, only to the host over their proxy's stdin/stdout), and opens a 127.0.0.1
// listener per Service port for the desktop.

const SERVICES = findByKind('v1', 'Service') as ResourceInfo;
const ENDPOINTS = findByKind('v1', 'Endpoints') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
/** How long a connection waits for its node's proxy to come up. */
const LINK_WAIT_MS = 15_000;
const ENDPOINT_WAIT_MS = 5_000;

/** Where a connection goes: a pod's ip:port on a node; a UDP flow when protocol says so. */
export interface DialTarget {
  ip: string;
  port: number;
  node: string;
  protocol?: 'UDP';
}

/** The host's end of one node proxy's link (node-proxy-runner.ts makes them). */
export interface NodeProxyLink {
  /** Replaces the proxy's table. */
  sendConfig(config: ProxyConfig): void;
  /** Asks the proxy to connect to a pod on its own node. */
  open(target: DialTarget): Promise<Duplex>;
}

/** What runs the node proxies; the service proxy only tells it the nodes and hears of links. */
export interface NodeProxyRunnerLike {
  syncNodes(nodes: Node[]): void;
  stop(): Promise<void>;
}

export interface NodeProxyRunnerHooks {
  onLinkUp(node: string, link: NodeProxyLink): void;
  onLinkDown(node: string, link: NodeProxyLink): void;
  /** A proxy asks to be relayed to a pod on (usually) another node. */
  relay(target: DialTarget): Promise<Duplex>;
}

export interface ServiceProxyOptions {
  client: RestClient;
  /** Builds the runner with the service proxy's hooks; node-proxy-runner.ts in the agents worker. */
  createRunner(hooks: NodeProxyRunnerHooks): NodeProxyRunnerLike;
  /** True when the host itself has a route to the pods of that node (its daemon is the host's own). */
  hostReachesPods?(node: string): boolean;
  /** Open 127.0.0.1 listeners per Service port. Default true. */
  desktopListeners?: boolean;
  /** How long a connection waits for its node's proxy to come up; default LINK_WAIT_MS. */
  linkWaitMs?: number;
  /** How long a desktop connection waits for a ready endpoint; default ENDPOINT_WAIT_MS. */
  endpointWaitMs?: number;
  logger?: Logger;
}

export class ServiceProxy {
  private readonly services: Informer<Service & KubeObject>;
  private readonly endpoints: Informer<Endpoints & KubeObject>;
  private readonly nodes: Informer<Node & KubeObject>;
  private readonly logger: Logger;
  private readonly links = new Map<string, NodeProxyLink>();
  /** The JSON last sent to each link, so unchanged tables are not resent. */
  private readonly sent = new WeakMap<NodeProxyLink, string>();
  private readonly balancer = new LoadBalancer();
  private readonly desktop: DesktopListeners | undefined;
  private runner: NodeProxyRunnerLike | undefined;
  private entries: ServiceEntry[] = [];
  private pushTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: ServiceProxyOptions) {
    this.logger = options.logger ?? createLogger('service-proxy');
    const onError = (error: unknown) => this.logger.warn('watch failed', { error: String(error) });
    this.services = new Informer(options.client, SERVICES, { onError });
    this.endpoints = new Informer(options.client, ENDPOINTS, { onError });
    this.nodes = new Informer(options.client, NODES, { onError, resyncMs: 10_000 });
    if (options.desktopListeners !== false) {
      this.desktop = new DesktopListeners({
        dial: (namespace, name, port, clientIp) => this.dialService(namespace, name, port, clientIp),
        annotate: async (namespace, name, annotations) => {
          await options.client.patch(SERVICES, namespace, name, { metadata: { annotations } }, 'merge');
        },
        logger: this.logger,
      });
    }
  }

  async start(): Promise<void> {
    const changed = () => this.schedulePush();
    for (const informer of [this.services, this.endpoints] as Informer<KubeObject>[]) {
      informer.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    }
    this.runner = this.options.createRunner({
      onLinkUp: (node, link) => {
        this.links.set(node, link);
        this.pushTo(node, link);
      },
      onLinkDown: (node, link) => {
        if (this.links.get(node) === link) this.links.delete(node);
      },
      relay: (target) => this.dialPod(target.node, target.ip, target.port, target.protocol),
    });
    const syncNodes = () => this.runner?.syncNodes(this.nodes.lister().list());
    // Resyncs call onUpdate too: a node's daemon may become usable without its Node changing.
    this.nodes.addEventHandler({ onAdd: syncNodes, onUpdate: syncNodes, onDelete: syncNodes });
    this.services.start();
    this.endpoints.start();
    this.nodes.start();
    await Promise.all([this.services.waitForSync(), this.endpoints.waitForSync(), this.nodes.waitForSync()]);
    this.push();
    syncNodes();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pushTimer);
    this.services.stop();
    this.endpoints.stop();
    this.nodes.stop();
    await this.desktop?.close();
    await this.runner?.stop();
    this.links.clear();
  }

  /** The current table (tests, diagnostics). */
  serviceEntries(): ServiceEntry[] {
    return this.entries;
  }

  /**
   * A byte stream to a pod's ip:port on a node: directly when the host has a route to
   * that node's pods, else through that node's proxy. For UDP, a stream of framed
   * datagrams (udp-flows.ts).
   */
  async dialPod(nodeName: string, podIp: string, port: number, protocol?: 'UDP'): Promise<Duplex> {
    // Right after start-up (or a proxy restart) the node's route is not known yet; a
    // connection waits for it a little rather than failing (kubectl port-forward gives up
    // on the first failed connection).
    const deadline = Date.now() + (this.options.linkWaitMs ?? LINK_WAIT_MS);
    for (;;) {
      // A nodeless address is outside the pod network: the host connects to it itself.
      if (nodeName === '' || this.options.hostReachesPods?.(nodeName)) return protocol === 'UDP' ? udpDatagramStream(podIp, port) : connectDirect(podIp, port);
      const link = this.links.get(nodeName);
      if (link) return link.open({ ip: podIp, port, node: nodeName, ...(protocol ? { protocol } : {}) });
      if (this.stopped || Date.now() > deadline) throw new Error(`no node proxy is connected for node ${nodeName}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * A connection to one ready backend of a Service port (round robin, or the client's
   * under ClientIP affinity). With no ready backend it waits up to endpointWaitMs: a
   * pod is Ready a moment before its Endpoints reach this proxy, and a desktop request
   * sent right after `kubectl wait` should not be the one that falls in that gap.
   */
  async dialService(namespace: string, name: string, servicePort: number, clientIp = '127.0.0.1'): Promise<Duplex> {
    const deadline = Date.now() + (this.options.endpointWaitMs ?? ENDPOINT_WAIT_MS);
    for (;;) {
      const entry = this.entries.find((e) => e.namespace === namespace && e.name === name);
      const port = entry?.ports.find((p) => p.port === servicePort && p.protocol === 'TCP');
      const backend = entry && port ? this.balancer.pick(`${namespace}/${name}:${servicePort}`, port.backends, entry, clientIp) : undefined;
      if (backend) return this.dialPod(backend.node, backend.ip, backend.port);
      if (this.stopped || Date.now() > deadline) throw new Error(`service ${namespace}/${name} has no ready endpoints for port ${servicePort}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private schedulePush(): void {
    if (this.pushTimer || this.stopped) return;
    // Coalesced: a rollout changes many objects at once; the proxies get one table.
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      this.push();
    }, 50);
  }

  private push(): void {
    if (this.stopped) return;
    const services = this.services.lister().list();
    const nodes = this.nodes.lister().list();
    this.entries = serviceEntries(services, (namespace, name) => this.endpoints.lister().get(namespace, name), (ip) => nodeOwningIp(nodes, ip));
    for (const [node, link] of this.links) this.pushTo(node, link);
    void this.desktop?.sync(services);
  }

  private pushTo(node: string, link: NodeProxyLink): void {
    const config = proxyConfigFor(node, this.entries);
    const json = JSON.stringify(config);
    if (this.sent.get(link) === json) return;
    try {
      link.sendConfig(config);
      this.sent.set(link, json);
    } catch (error) {
      this.logger.warn('could not send the table to a node proxy', { node, error: (error as Error).message });
    }
  }
}

/** The node whose spec.podCIDR holds `ip`. */
export function nodeOwningIp(nodes: readonly Node[], ip: string): string | undefined {
  return nodes.find((node) => node.spec?.podCIDR && cidrContains(node.spec.podCIDR, ip))?.metadata?.name;
}

/** True when this host has an address on the pod network (its daemon's `kubelab-pods` bridge is here). */
export function hostOnPodNetwork(): boolean {
  return Object.values(networkInterfaces()).some((addresses) => addresses?.some((address) => address.address === POD_NETWORK_GATEWAY));
}

function connectDirect(ip: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: ip, port });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`connect to ${ip}:${port} timed out`)));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
