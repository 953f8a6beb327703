import { PassThrough, type Duplex } from 'node:stream';
import { createInterface } from 'node:readline';
import type Dockerode from 'dockerode';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../agent/container-runtime.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { withImageSideload } from '../nodes/image-sideload.ts';
import { MuxLink, type LogEntry } from './mux-protocol.ts';
import { ensurePodNetwork, podNetworkSettings, POD_NETWORK_NAME } from './pod-network.ts';
import { ensureProxyImage, otherClusterProxy, proxyContainerName, proxyContainerSpec, PROXY_CONTAINER_ROLE } from './proxy-image.ts';
import { LABELS } from '../agent/container-runtime.ts';
import type { NodeProxyRunnerHooks, NodeProxyRunnerLike } from './service-proxy.ts';
import { imagePresent } from '../nodes/node-image.ts';

// Runs one node proxy container per node (`kubelab-proxy-<node>` on the node's
// `kubelab-pods` network) and keeps a MuxLink to it over the container's stdin/stdout:
// the only channel that exists for every kind of node. A proxy that dies, or whose
// link breaks, is made again from scratch (the protocol has no resynchronisation).

export interface NodeProxyRunnerOptions extends NodeProxyRunnerHooks {
  /** The host's daemon: the image is built there and copied to other daemons. */
  hostDocker: () => Dockerode;
  /** A node's daemon, once its agent runs (NodeManager.dockerFor). */
  dockerFor(node: string): Dockerode | undefined;
  clusterId: string;
  /** Makes the proxy image on a daemon and returns its ref; proxy-image.ts by default. */
  ensureImage?: (docker: Dockerode) => Promise<string>;
  logger?: Logger;
}

export class NodeProxyRunner implements NodeProxyRunnerLike {
  private readonly instances = new Map<string, NodeProxyInstance>();
  private readonly logger: Logger;
  private hostImage: Promise<string> | undefined;
  private hostDaemonId: Promise<string> | undefined;
  private stopped = false;

  constructor(private readonly options: NodeProxyRunnerOptions) {
    this.logger = options.logger ?? createLogger('node-proxy-runner');
  }

  /** Makes the running proxies match the nodes: one per node with a podCIDR and a running agent. */
  syncNodes(nodes: Node[]): void {
    if (this.stopped) return;
    const wanted = new Map<string, { docker: Dockerode; podCidr: string }>();
    for (const node of nodes) {
      const name = node.metadata?.name;
      const podCidr = node.spec?.podCIDR;
      const docker = name ? this.options.dockerFor(name) : undefined;
      if (!name || !podCidr || !docker || node.metadata?.deletionTimestamp) continue;
      wanted.set(name, { docker, podCidr });
    }
    for (const [name, instance] of this.instances) {
      const want = wanted.get(name);
      if (want && want.docker === instance.docker && want.podCidr === instance.podCidr) continue;
      this.instances.delete(name);
      // A node that is gone takes its proxy with it; one whose daemon changed gets a new one.
      void instance.stop({ remove: true });
    }
    for (const [name, { docker, podCidr }] of wanted) {
      if (this.instances.has(name)) continue;
      const instance = new NodeProxyInstance(name, docker, podCidr, this);
      this.instances.set(name, instance);
      instance.start();
    }
  }

  /** True when the node's daemon is the host's own (its pod network bridge is on this machine). */
  isHostDaemon(node: string): boolean {
    return this.instances.get(node)?.onHostDaemon === true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const instances = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(instances.map((instance) => instance.stop({ remove: true })));
  }

  /** @internal */
  get hooks(): NodeProxyRunnerHooks {
    return this.options;
  }

  /** @internal */
  get log(): Logger {
    return this.logger;
  }

  /** @internal */
  get clusterId(): string {
    return this.options.clusterId;
  }

  /** @internal */
  async sameDaemonAsHost(docker: Dockerode): Promise<boolean> {
    this.hostDaemonId ??= this.options
      .hostDocker()
      .info()
      .then((info: { ID: string }) => info.ID);
    const [hostId, nodeInfo] = await Promise.all([this.hostDaemonId, docker.info() as Promise<{ ID: string }>]);
    return hostId === nodeInfo.ID;
  }

  /** @internal The proxy image on `docker`, built on the host once and copied over when needed. */
  async imageOn(docker: Dockerode, onHost: boolean): Promise<string> {
    const ensureImage = this.options.ensureImage ?? ensureProxyImage;
    this.hostImage ??= ensureImage(this.options.hostDocker()).catch((error: unknown) => {
      this.hostImage = undefined;
      throw error;
    });
    const ref = await this.hostImage;
    if (onHost) return ref;
    if (await imagePresent(docker, ref)) return ref;
    await copyImageFromHost(this.options.hostDocker(), docker, ref, this.logger);
    return ref;
  }
}

class NodeProxyInstance {
  onHostDaemon = false;
  private stopped = false;
  private attachStream: Duplex | undefined;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly node: string,
    readonly docker: Dockerode,
    readonly podCidr: string,
    private readonly runner: NodeProxyRunner,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop({ remove }: { remove: boolean }): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.attachStream?.destroy();
    // The loop first, so a container it was making in the meantime goes too.
    await this.running;
    if (remove) {
      await this.docker
        .getContainer(proxyContainerName(this.node, this.runner.clusterId))
        .remove({ force: true })
        .catch(() => {});
    }
  }

  private async loop(): Promise<void> {
    let delayMs = 1000;
    while (!this.stopped) {
      const startedAt = Date.now();
      try {
        await this.runOnce();
      } catch (error) {
        if (this.stopped) break;
        this.runner.log.warn('node proxy failed; starting it again', { node: this.node, error: (error as Error).message });
      }
      if (this.stopped) break;
      // A proxy that ran a while starts again at once; one that keeps failing backs off.
      delayMs = Date.now() - startedAt > 30_000 ? 1000 : Math.min(delayMs * 2, 30_000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One life of the proxy container: make it, link to it, wait until either ends. */
  private async runOnce(): Promise<void> {
    const { node, docker } = this;
    this.onHostDaemon = await this.runner.sameDaemonAsHost(docker);
    const proxies = await docker.listContainers({ filters: { label: [`${LABELS.role}=${PROXY_CONTAINER_ROLE}`], status: ['running'] } });
    const other = otherClusterProxy(proxies, this.runner.clusterId);
    if (other) {
      // Retried with back-off by loop(): once the other Kubelab stops, its proxy exits and this one starts.
      throw new Error(
        `another Kubelab cluster runs a node proxy on this node's Docker daemon (container ${other.Names?.[0]?.replace(/^\//, '') ?? other.Id.slice(0, 12)}): ` +
          'their Service addresses and cluster DNS would collide, so Services on this node wait until it stops. ' +
          'Stop the other Kubelab, or give this one its own daemon (a lab node)',
      );
    }
    const image = await this.runner.imageOn(docker, this.onHostDaemon);
    await ensurePodNetwork(docker, podNetworkSettings(this.podCidr), this.runner.log);
    const name = proxyContainerName(node, this.runner.clusterId);
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
    if (this.stopped) return;
    const container = await docker.createContainer(proxyContainerSpec({ node, image, clusterId: this.runner.clusterId, network: POD_NETWORK_NAME }));
    // Attach before start: nothing the proxy writes first may be lost.
    const attach = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    this.attachStream = attach;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(attach, stdout, stderr);
    attach.on('end', () => {
      stdout.end();
      stderr.end();
    });
    attach.on('error', (error) => stdout.destroy(error));
    createInterface({ input: stderr }).on('line', (line) => this.runner.log.info('node proxy stderr', { node, line }));
    const link = new MuxLink(stdout, attach, { side: 'host', onOpen: (target) => this.runner.hooks.relay(target) });
    link.on('log', (entry: LogEntry) => {
      const { level, message, ...fields } = entry;
      const log = this.runner.log[level] ?? this.runner.log.info;
      log.call(this.runner.log, message, { node, ...fields });
    });
    const linkClosed = new Promise<string>((resolve) => link.once('close', (reason) => resolve(`link closed${reason ? `: ${reason.message}` : ''}`)));
    if (this.stopped) {
      attach.destroy();
      return;
    }
    await container.start();
    this.runner.log.info('node proxy started', { node, container: container.id.slice(0, 12) });
    this.runner.hooks.onLinkUp(node, link);
    const exited = container.wait().then(
      (result: { StatusCode?: number }) => `exited with ${result.StatusCode}`,
      (error: Error) => `wait failed: ${error.message}`,
    );
    const why = await Promise.race([exited, linkClosed]);
    this.runner.hooks.onLinkDown(node, link);
    link.close();
    attach.destroy();
    if (!this.stopped) throw new Error(`proxy container ${why}`);
  }
}


/** docker save | docker load from the host to the node, through image-sideload.ts. */
async function copyImageFromHost(hostDocker: Dockerode, nodeDocker: Dockerode, ref: string, logger: Logger): Promise<void> {
  const nodeImages: Pick<ContainerRuntime, 'imageId' | 'pullImage'> = {
    imageId: async (image) => ((await imagePresent(nodeDocker, image)) ? image : undefined),
    pullImage: async (image) => {
      throw new Error(`could not copy ${image} from the host's daemon to the node (it is built by Kubelab, not pulled)`);
    },
  };
  await withImageSideload(nodeImages as ContainerRuntime, hostDocker, nodeDocker, logger).pullImage(ref);
}
