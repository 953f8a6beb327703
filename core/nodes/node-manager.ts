import { hostname as osHostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { AgentSettings } from '../agent/agent-settings.ts';
import type { PodMetrics } from '../agent/node-agent.ts';
import type { ContainerRuntime } from '../agent/container-runtime.ts';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind } from '../api/resource-catalog.ts';
import { Informer } from '../client/informer.ts';
import type { RestClient } from '../client/rest-client.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { checkEndpointSecurity, createDocker, localDockerEndpoint, parseDockerEndpoint, type ConnectOptions, type DockerEndpoint } from './docker-endpoint.ts';
import { withImageSideload } from './image-sideload.ts';
import { addRemoved, ensureClusterMarker, nothingRemoved, removeClusterContainers, removeClusterFromDaemon, type Removed } from './cluster-leftovers.ts';
import { createLabNode, deleteLabNode, labNodePaths, labNodeState, startLabNode, stopLabNode, type LabNodeState } from './lab-node.ts';
import { dockerEndpointOf, isLabNode, LAB_NODE_FINALIZER, NODE_ANNOTATIONS, NODE_SECRET_NAMESPACE } from './node-annotations.ts';
import { ensureNodeImage } from './node-image.ts';
import type { NodeAgentOptions } from '../agent/node-agent.ts';

// Runs one node agent per Node that names a Docker endpoint, the way a cluster has
// one kubelet per machine; Node objects are the only input, so nodes added through
// the CLI, the GUI or kubectl all end up here. Lab nodes are also provisioned from
// here: their Docker-in-Docker container is made before the agent starts, and a
// finalizer holds the Node object until the container, volume and socket are gone.

const NODES = findByKind('v1', 'Node')!;
const SECRETS = findByKind('v1', 'Secret')!;
const EVENTS = findByKind('v1', 'Event')!;

export type { EndpointKind } from '../agent/probe-manager.ts';

/** What a node agent is built from: the agent's own options (a type-only import loads no Docker code). */
export type AgentOptions = NodeAgentOptions;

export interface RunningAgent {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The last container stats samples by pod (NodeAgent.podMetrics), served as resource metrics. */
  podMetrics?(): PodMetrics[];
}

/** What the manager needs to make and remove lab nodes; lab-node.ts on the host daemon by default. */
export interface LabNodeProvisioner {
  state(name: string): Promise<LabNodeState>;
  /** Makes the node's container (or starts it) and returns its endpoint URL once its daemon answers. */
  create(name: string): Promise<string>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** The endpoint URL a lab node of that name has. */
  endpointUrl(name: string): string;
}

export interface NodeManagerOptions {
  client: RestClient;
  kubeletPort: number;
  settings: AgentSettings;
  /** Kubelab cluster id (kube-system's uid), passed to every agent (see LABELS.cluster). */
  clusterId?: string;
  dataDir: string;
  /** The local daemon: lab nodes run on it and images are copied from it. */
  hostDocker: () => Dockerode;
  createAgent?: (options: AgentOptions) => RunningAgent;
  createRuntime?: (docker: Dockerode) => ContainerRuntime;
  /** Dockerode for an endpoint; injectable for tests. */
  connect?: (endpoint: DockerEndpoint, options: ConnectOptions) => Dockerode;
  labNodes?: LabNodeProvisioner;
  /** Copy images from the host to remote (non-lab) nodes too. Default false. */
  sideloadRemote?: boolean;
  hostname?: () => string;
  /** Connections to a node's pods from this process (the service proxy's), for probes on nodes it cannot route to. */
  dialPod?: (nodeName: string, podIp: string, port: number) => Promise<Duplex>;
  logger?: Logger;
}

interface ManagedNode {
  /** What the agent was built from; a change restarts it. */
  connectionKey: string;
  agent: RunningAgent;
  runtime: ContainerRuntime;
  docker: Dockerode;
}

export class NodeManager {
  private readonly informer: Informer<Node & KubeObject>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 500, maxDelayMs: 30_000 });
  private readonly managed = new Map<string, ManagedNode>();
  /** Last problem reported per node, so retries don't repeat the same Event. */
  private readonly reported = new Map<string, string>();
  private readonly logger: Logger;
  private readonly labNodes: LabNodeProvisioner;
  private readonly connect: (endpoint: DockerEndpoint, options: ConnectOptions) => Dockerode;
  private createAgent: ((options: AgentOptions) => RunningAgent) | undefined;
  private createRuntime: ((docker: Dockerode) => ContainerRuntime) | undefined;
  private workers: Promise<void> | undefined;

  constructor(private readonly options: NodeManagerOptions) {
    this.logger = options.logger ?? createLogger('node-manager');
    this.informer = new Informer(options.client, NODES, { onError: (error) => this.logger.warn('node watch failed', { error: String(error) }) });
    this.labNodes = options.labNodes ?? hostLabNodes(options.hostDocker, options.dataDir, this.logger, options.clusterId);
    this.connect = options.connect ?? createDocker;
    this.createAgent = options.createAgent;
    this.createRuntime = options.createRuntime;
  }

  async start(): Promise<void> {
    // The real agent and runtime load only when used, so tests with fakes never load Docker code.
    if (!this.createAgent) {
      const { NodeAgent } = await import('../agent/node-agent.ts');
      this.createAgent = (agentOptions) => new NodeAgent(agentOptions);
    }
    if (!this.createRuntime) {
      const { DockerRuntime } = await import('../agent/docker-runtime.ts');
      this.createRuntime = (docker) => new DockerRuntime(docker);
    }
    const enqueue = (node: Node & KubeObject) => this.queue.add(node.metadata.name!);
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, node) => enqueue(node), onDelete: enqueue });
    this.informer.start();
    this.workers = runWorkers(this.queue, 4, (name) => this.sync(name), {
      onError: (name, error) => this.logger.warn('node sync failed; retrying', { node: name, error: (error as Error).message }),
    });
    await this.informer.waitForSync();
  }

  /** Stops every agent; containers, lab nodes and Node objects stay for the next start. */
  async stop(): Promise<void> {
    this.informer.stop();
    this.queue.shutDown();
    await this.workers;
    await Promise.all([...this.managed.keys()].map((name) => this.stopAgent(name)));
  }

  /**
   * After stop(): removes everything of this cluster from every node's daemon and from
   * the host's (containers, volumes, the pod network once unused), and deletes the
   * lab nodes. A node that cannot be reached is reported, and the rest still cleaned.
   */
  async removeClusterEverywhere(): Promise<Removed & { labNodes: number; problems: string[] }> {
    let removed = nothingRemoved();
    let labNodes = 0;
    const problems: string[] = [];
    await this.forEachNodeDaemon(problems, async (node, docker) => {
      if (isLabNode(node)) {
        await this.labNodes.delete(node.metadata.name!);
        labNodes++;
      } else {
        removed = addRemoved(removed, await removeClusterFromDaemon(docker!, this.clusterId()));
      }
    });
    try {
      removed = addRemoved(removed, await removeClusterFromDaemon(this.options.hostDocker(), this.clusterId()));
    } catch (error) {
      problems.push(`the local Docker daemon: ${(error as Error).message}`);
    }
    return { ...removed, labNodes, problems };
  }

  /** After stop(): removes this cluster's containers from every node and stops the lab nodes; volumes and objects stay. */
  async stopClusterPods(): Promise<{ containers: number; problems: string[] }> {
    let containers = 0;
    const problems: string[] = [];
    await this.forEachNodeDaemon(problems, async (node, docker) => {
      if (isLabNode(node)) {
        if ((await this.labNodes.state(node.metadata.name!)) === 'running') await this.labNodes.stop(node.metadata.name!);
      } else {
        containers += await removeClusterContainers(docker!, this.clusterId());
      }
    });
    return { containers, problems };
  }

  private clusterId(): string {
    if (!this.options.clusterId) throw new Error('this node manager runs without a cluster id: nothing is known to belong to the cluster');
    return this.options.clusterId;
  }

  /** Runs `work` for every Node with its daemon (undefined for lab nodes, which live on the host's), collecting failures. */
  private async forEachNodeDaemon(problems: string[], work: (node: Node & KubeObject, docker: Dockerode | undefined) => Promise<void>): Promise<void> {
    const { items } = await this.options.client.listAll<Node & KubeObject>(NODES);
    for (const node of items) {
      try {
        if (isLabNode(node)) {
          await work(node, undefined);
          continue;
        }
        const url = dockerEndpointOf(node);
        if (url) await work(node, (await this.connectToNode(node, url)).docker);
      } catch (error) {
        problems.push(`node ${node.metadata.name}: ${(error as Error).message}`);
      }
    }
  }

  runtimeFor(nodeName: string): ContainerRuntime | undefined {
    return this.managed.get(nodeName)?.runtime;
  }

  /** The Docker client of a node whose agent runs (the node proxy runner uses it). */
  dockerFor(nodeName: string): Dockerode | undefined {
    return this.managed.get(nodeName)?.docker;
  }

  agentFor(nodeName: string): RunningAgent | undefined {
    return this.managed.get(nodeName)?.agent;
  }

  /**
   * `kubelab serve`'s default node: when the local daemon answers and no Node uses it yet,
   * creates one named after this machine. Returns the node's name, or undefined.
   */
  async ensureLocalNode(): Promise<string | undefined> {
    const endpoint = localDockerEndpoint();
    try {
      await this.connect(endpoint, { timeoutMs: 5_000 }).ping();
    } catch (error) {
      this.logger.info('no local Docker daemon; no default node', { endpoint: endpoint.url, error: (error as Error).message });
      return undefined;
    }
    const { items } = await this.options.client.listAll<Node & KubeObject>(NODES);
    const existing = items.find((node) => sameEndpoint(dockerEndpointOf(node), endpoint.url));
    if (existing) return existing.metadata.name;
    const name = nodeNameFromHostname((this.options.hostname ?? osHostname)());
    try {
      await this.options.client.create<KubeObject>(NODES, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, annotations: { [NODE_ANNOTATIONS.dockerEndpoint]: endpoint.url } },
      });
      this.logger.info('created the local node', { node: name, endpoint: endpoint.url });
    } catch (error) {
      if (!isConflict(error) && (error as { reason?: string }).reason !== 'AlreadyExists') throw error;
      this.logger.warn('a node named after this machine already exists with another endpoint; not adding the local daemon', { node: name });
      return undefined;
    }
    return name;
  }

  private async sync(name: string): Promise<void> {
    const node = this.informer.lister().get(undefined, name);
    if (!node) {
      await this.stopAgent(name);
      this.reported.delete(name);
      return;
    }
    if (node.metadata.deletionTimestamp) {
      await this.stopAgent(name);
      if (isLabNode(node) && node.metadata.finalizers?.includes(LAB_NODE_FINALIZER)) {
        await this.labNodes.delete(name);
        await this.removeFinalizer(name);
        this.logger.info('lab node removed', { node: name });
      }
      return;
    }
    try {
      if (isLabNode(node) && !(await this.syncLabNode(node))) return;
      await this.syncAgent(node);
      this.reported.delete(name);
    } catch (error) {
      await this.reportProblem(node, error as Error);
      throw error;
    }
  }

  /** Makes the lab node's container match the Node; true when the agent should run. */
  private async syncLabNode(node: Node & KubeObject): Promise<boolean> {
    const name = node.metadata.name!;
    if (!node.metadata.finalizers?.includes(LAB_NODE_FINALIZER)) {
      // The update's event brings the node back through sync.
      await this.options.client.update(NODES, { ...node, metadata: { ...node.metadata, finalizers: [...(node.metadata.finalizers ?? []), LAB_NODE_FINALIZER] } });
      return false;
    }
    const state = await this.labNodes.state(name);
    if (node.metadata.annotations?.[NODE_ANNOTATIONS.labNodeStopped] === 'true') {
      // A machine going down: its kubelet stops with it, so the node goes NotReady.
      await this.stopAgent(name);
      if (state === 'running') await this.labNodes.stop(name);
      return false;
    }
    if (state === 'missing') {
      this.logger.info('provisioning lab node', { node: name });
      await this.labNodes.create(name);
    } else if (state === 'stopped') {
      await this.labNodes.start(name);
    }
    const endpointUrl = this.labNodes.endpointUrl(name);
    if (dockerEndpointOf(node) !== endpointUrl) {
      await this.options.client.patch(NODES, undefined, name, { metadata: { annotations: { [NODE_ANNOTATIONS.dockerEndpoint]: endpointUrl } } }, 'merge');
      return false;
    }
    return true;
  }

  private async syncAgent(node: Node & KubeObject): Promise<void> {
    const name = node.metadata.name!;
    const url = dockerEndpointOf(node);
    if (!url) {
      await this.stopAgent(name);
      return;
    }
    const annotations = node.metadata.annotations ?? {};
    const connectionKey = JSON.stringify([
      url,
      annotations[NODE_ANNOTATIONS.dockerTlsSecret] ?? '',
      annotations[NODE_ANNOTATIONS.dockerSshSecret] ?? '',
      annotations[NODE_ANNOTATIONS.dockerInsecure] ?? '',
      isLabNode(node),
    ]);
    const current = this.managed.get(name);
    if (current?.connectionKey === connectionKey) return;
    if (current) {
      this.logger.info('node endpoint changed; restarting its agent', { node: name, endpoint: url });
      await this.stopAgent(name);
    }

    const { endpoint, docker } = await this.connectToNode(node, url);
    if (this.options.clusterId) {
      await ensureClusterMarker(docker, this.options.clusterId, this.options.dataDir).catch((error: Error) =>
        this.logger.warn('could not mark the daemon with this cluster (kubelab gc will not recognise its leftovers)', { node: name, error: error.message }),
      );
    }
    const lab = isLabNode(node);
    let runtime = this.createRuntime!(docker);
    if (lab || this.options.sideloadRemote) runtime = withImageSideload(runtime, this.options.hostDocker(), docker, this.logger);
    const agent = this.createAgent!({
      client: this.options.client,
      runtime,
      nodeName: name,
      endpointKind: lab ? 'lab' : endpoint.kind === 'unix' ? 'local' : endpoint.kind,
      kubeletPort: this.options.kubeletPort,
      settings: this.options.settings,
      clusterId: this.options.clusterId,
      ...(this.options.dialPod ? { dialPod: (podIp: string, port: number) => this.options.dialPod!(name, podIp, port) } : {}),
      logger: createLogger(`node-agent/${name}`),
    });
    await agent.start();
    this.managed.set(name, { connectionKey, agent, runtime, docker });
    this.logger.info('node agent started', { node: name, endpoint: url });
  }

  /** A client for the daemon a Node's endpoint annotation names, with the key material its Secrets hold. */
  private async connectToNode(node: Node & KubeObject, url: string): Promise<{ endpoint: DockerEndpoint; docker: Dockerode }> {
    const endpoint = parseDockerEndpoint(url, `annotation ${NODE_ANNOTATIONS.dockerEndpoint}`);
    const connectOptions = await this.connectOptions(node);
    checkEndpointSecurity(endpoint, connectOptions);
    return { endpoint, docker: this.connect(endpoint, connectOptions) };
  }

  private async connectOptions(node: Node & KubeObject): Promise<ConnectOptions> {
    const annotations = node.metadata.annotations ?? {};
    const options: ConnectOptions = { insecure: annotations[NODE_ANNOTATIONS.dockerInsecure] === 'true' };
    const tlsSecret = annotations[NODE_ANNOTATIONS.dockerTlsSecret];
    if (tlsSecret) {
      const data = await this.secretData(tlsSecret, NODE_ANNOTATIONS.dockerTlsSecret);
      for (const key of ['ca.crt', 'tls.crt', 'tls.key']) {
        if (!data[key]) throw new Error(`secret ${NODE_SECRET_NAMESPACE}/${tlsSecret} has no ${key}: recreate the node with --tls-ca --tls-cert --tls-key`);
      }
      options.tls = { ca: data['ca.crt'], cert: data['tls.crt'], key: data['tls.key'] };
    }
    const sshSecret = annotations[NODE_ANNOTATIONS.dockerSshSecret];
    if (sshSecret) {
      const data = await this.secretData(sshSecret, NODE_ANNOTATIONS.dockerSshSecret);
      if (!data['ssh-privatekey']) throw new Error(`secret ${NODE_SECRET_NAMESPACE}/${sshSecret} has no ssh-privatekey`);
      options.sshPrivateKey = data['ssh-privatekey'];
    }
    return options;
  }

  private async secretData(name: string, annotation: string): Promise<Record<string, Buffer>> {
    let secret: KubeObject;
    try {
      secret = await this.options.client.get(SECRETS, NODE_SECRET_NAMESPACE, name);
    } catch (error) {
      if (isNotFound(error)) throw new Error(`annotation ${annotation} names secret ${NODE_SECRET_NAMESPACE}/${name}, which does not exist`);
      throw error;
    }
    const data = (secret.data ?? {}) as Record<string, string>;
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
  }

  private async stopAgent(name: string): Promise<void> {
    const current = this.managed.get(name);
    if (!current) return;
    this.managed.delete(name);
    try {
      await current.agent.stop();
      this.logger.info('node agent stopped', { node: name });
    } catch (error) {
      this.logger.warn('node agent did not stop cleanly', { node: name, error: (error as Error).message });
    }
  }

  private async removeFinalizer(name: string): Promise<void> {
    let node: KubeObject;
    try {
      node = await this.options.client.get(NODES, undefined, name);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const finalizers = (node.metadata.finalizers ?? []).filter((finalizer) => finalizer !== LAB_NODE_FINALIZER);
    await this.options.client.update(NODES, { ...node, metadata: { ...node.metadata, finalizers } });
  }

  /** A Warning Event on the Node, once per distinct problem: `kubelab node create` and the GUI show it. */
  private async reportProblem(node: Node & KubeObject, error: Error): Promise<void> {
    const name = node.metadata.name!;
    const reason = isLabNode(node) ? 'LabNodeFailed' : 'DockerEndpointFailed';
    const message = error.message.slice(0, 1024);
    if (this.reported.get(name) === message) return;
    this.reported.set(name, message);
    const now = new Date().toISOString();
    try {
      await this.options.client.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${name}.${Date.now().toString(16)}`, namespace: 'default' },
        involvedObject: { apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid },
        reason,
        message,
        type: 'Warning',
        source: { component: 'kubelab-node-manager' },
        reportingComponent: 'kubelab-node-manager',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (eventError) {
      this.logger.warn('could not record an event', { node: name, error: (eventError as Error).message });
    }
  }
}

/** Lab nodes on the host's daemon (lab-node.ts), with the node image ensured first. */
export function hostLabNodes(hostDocker: () => Dockerode, dataDir: string, logger?: Logger, clusterId?: string): LabNodeProvisioner {
  return {
    state: (name) => labNodeState(hostDocker(), name),
    create: async (name) => {
      const image = await ensureNodeImage(hostDocker(), { logger });
      const node = await createLabNode(hostDocker(), { name, dataDir, image, clusterId, socketGid: process.getgid?.(), logger });
      return node.endpointUrl;
    },
    start: (name) => startLabNode(hostDocker(), dataDir, name),
    stop: (name) => stopLabNode(hostDocker(), name),
    delete: (name) => deleteLabNode(hostDocker(), dataDir, name),
    endpointUrl: (name) => labNodePaths(dataDir, name).endpointUrl,
  };
}

/** A hostname as a Node name: lowercase DNS-1123 labels joined by dots. */
export function nodeNameFromHostname(hostname: string): string {
  const name = hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((label) => label.replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, ''))
    .filter(Boolean)
    .join('.')
    .slice(0, 253)
    .replace(/[.-]+$/, '');
  return name || 'local';
}

function sameEndpoint(a: string | undefined, b: string): boolean {
  if (!a) return false;
  try {
    return parseDockerEndpoint(a).url === parseDockerEndpoint(b).url;
  } catch {
    return false;
  }
}
