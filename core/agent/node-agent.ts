import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { EventRecorder } from '../client/event-recorder.ts';
import { Informer } from '../client/informer.ts';
import type { RestClient } from '../client/rest-client.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { AgentSettings } from './agent-settings.ts';
import { nodeScope, type ConfigSource } from './container-config.ts';
import { VolumeReclaimer } from './volume-reclaimer.ts';
import { LABELS, type ContainerRuntime, type ContainerStats } from './container-runtime.ts';
import { NodeRegistration } from './node-registration.ts';
import { podKey, PodSync } from './pod-sync.ts';
import { ProbeManager, type PodDial, type EndpointKind, type ProbeKind, type ProbeTarget } from './probe-manager.ts';
import { VolumeManager } from './volume-manager.ts';

// The kubelet of one Docker endpoint. Registers the Node and keeps its Lease fresh,
// watches the pods bound to it and reconciles each through a work queue (several workers,
// one key at a time, so a slow pull in one pod never holds another), reacts to container
// deaths through the daemon's event stream, and on start adopts what a previous run left
// running while removing what belongs to pods that are gone. stop() leaves containers up.

const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const CONFIGMAPS = findByKind('v1', 'ConfigMap') as ResourceInfo;
const SECRETS = findByKind('v1', 'Secret') as ResourceInfo;
const SERVICES = findByKind('v1', 'Service') as ResourceInfo;
const EVENT_STREAM_RETRY_MS = 1000;

export interface NodeAgentOptions {
  client: RestClient;
  runtime: ContainerRuntime;
  nodeName: string;
  endpointKind: EndpointKind;
  /** Port of the kubelet server (logs/exec), reported in Node.status.daemonEndpoints. */
  kubeletPort: number;
  settings: AgentSettings;
  /** Kubelab cluster id (kube-system's uid), put on every container so labs sharing a daemon stay apart; '' in unit tests. */
  clusterId?: string;
  /** Connections to this node's pods from the agent's process (probes on nodes whose pod IPs it cannot route to). */
  dialPod?: PodDial;
  logger?: Logger;
}

export interface ContainerMetrics {
  name: string;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
}

export interface PodMetrics {
  namespace: string;
  name: string;
  uid: string;
  /** When the newest sample of the pod was taken (RFC 3339). */
  timestamp: string;
  containers: ContainerMetrics[];
}

interface MetricsSample {
  podUid: string;
  podNamespace: string;
  podName: string;
  container: string;
  stats: ContainerStats;
  at: Date;
}

export class NodeAgent {
  readonly nodeName: string;
  private readonly client: RestClient;
  private readonly runtime: ContainerRuntime;
  private readonly settings: AgentSettings;
  private readonly logger: Logger;
  private readonly registration: NodeRegistration;
  private readonly recorder: EventRecorder;
  private readonly probes: ProbeManager;
  private readonly volumes: VolumeManager;
  private readonly podSync: PodSync;
  private readonly pods: Informer<KubeObject>;
  private readonly configMaps: Informer<KubeObject>;
  private readonly secrets: Informer<KubeObject>;
  /** For the Service variables of containers created from now on (the kubelet's service lister). */
  private readonly services: Informer<KubeObject>;
  private reclaimer: VolumeReclaimer | undefined;
  /** Labels of this node of this cluster: every filter over the daemon uses them. */
  private readonly scope: Record<string, string>;
  private queue = new WorkQueue<string>();
  private abort: AbortController | undefined;
  private workers: Promise<void> | undefined;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly samples = new Map<string, MetricsSample>();

  constructor(options: NodeAgentOptions) {
    this.nodeName = options.nodeName;
    this.scope = nodeScope(options.nodeName, options.clusterId);
    this.client = options.client;
    this.runtime = options.runtime;
    this.settings = options.settings;
    this.logger = options.logger ?? createLogger(`node-agent/${options.nodeName}`);
    this.registration = new NodeRegistration({
      client: options.client,
      runtime: options.runtime,
      nodeName: options.nodeName,
      endpointKind: options.endpointKind,
      kubeletPort: options.kubeletPort,
      logger: this.logger,
    });
    this.recorder = new EventRecorder(options.client, { component: 'kubelet', host: options.nodeName, logger: this.logger });
    this.probes = new ProbeManager(
      options.runtime,
      options.endpointKind,
      {
        onResultChange: (target) => this.queue.add(target.podKey),
        onProbeFailure: (target, kind, message) => this.recordProbeFailure(target, kind, message),
        onContainerUnhealthy: (target, kind) => void this.restartUnhealthy(target, kind),
      },
      this.logger,
      options.dialPod,
    );
    this.volumes = new VolumeManager(options.runtime, options.nodeName, options.clusterId);
    const resyncMs = this.settings.resyncSeconds * 1000;
    const onError = (error: unknown): void => this.logger.warn('informer error', { error: String(error) });
    this.pods = new Informer(options.client, PODS, { fieldSelector: `spec.nodeName=${options.nodeName}`, resyncMs, onError });
    this.configMaps = new Informer(options.client, CONFIGMAPS, { onError });
    this.secrets = new Informer(options.client, SECRETS, { onError });
    this.services = new Informer(options.client, SERVICES, { onError });
    this.podSync = new PodSync({
      client: options.client,
      runtime: options.runtime,
      nodeName: options.nodeName,
      clusterId: options.clusterId,
      settings: options.settings,
      recorder: this.recorder,
      probes: this.probes,
      volumes: this.volumes,
      configMap: (namespace, name) => this.configMaps.lister().get(namespace, name) as ConfigSource | undefined,
      secret: (namespace, name) => this.secrets.lister().get(namespace, name) as ConfigSource | undefined,
      services: () => this.services.lister().list() as unknown as Service[],
      hostIp: () => this.registration.info()?.hostIp ?? '127.0.0.1',
      podCidr: () => this.registration.podCidr(),
      nodeCapacity: () => {
        const info = this.registration.info();
        return { cpuMillicores: (info?.cpus ?? 1) * 1000, memoryBytes: info?.memoryBytes ?? 0 };
      },
      logger: this.logger,
    });
  }

  async start(): Promise<void> {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    this.queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: this.settings.resyncSeconds * 1000 });

    await this.registration.register();
    await this.registration.renewLease().catch((error: unknown) => this.logger.warn('lease renewal failed', { error: String(error) }));
    // Provisioned volumes pinned to this node are removed here when their claim goes (reclaim policy Delete).
    this.reclaimer = new VolumeReclaimer({ client: this.client, runtime: this.runtime, nodeName: this.nodeName, logger: this.logger });
    await this.reclaimer.start(abort.signal);

    this.pods.addEventHandler({
      onAdd: (pod) => this.queue.add(keyOf(pod)),
      onUpdate: (_old, pod) => this.queue.add(keyOf(pod)),
      onDelete: (pod) => this.queue.add(keyOf(pod)),
    });
    const onConfigChange = (kind: 'configMap' | 'secret') => (obj: KubeObject) => this.enqueuePodsReferencing(kind, obj);
    this.configMaps.addEventHandler({ onAdd: onConfigChange('configMap'), onUpdate: (_o, n) => onConfigChange('configMap')(n), onDelete: onConfigChange('configMap') });
    this.secrets.addEventHandler({ onAdd: onConfigChange('secret'), onUpdate: (_o, n) => onConfigChange('secret')(n), onDelete: onConfigChange('secret') });
    for (const informer of [this.pods, this.configMaps, this.secrets, this.services]) informer.start();
    await Promise.all([this.pods, this.configMaps, this.secrets, this.services].map((informer) => informer.waitForSync(abort.signal)));

    // Restart safety: before any pod is synced, remove what belongs to pods that are gone.
    await this.removeOrphans().catch((error: unknown) => this.logger.warn('orphan cleanup failed', { error: String(error) }));

    this.workers = runWorkers(this.queue, this.settings.workers, (key) => this.syncKey(key), {
      onError: (key, error) => this.logger.warn('pod sync failed', { pod: key, error: String(error) }),
    });
    void this.watchRuntimeEvents(abort.signal);
    this.every(this.settings.heartbeatSeconds, () => this.registration.renewLease(), 'lease renewal failed');
    this.every(this.settings.nodeStatusSeconds, () => this.registration.updateStatus(), 'node status update failed');
    this.every(this.settings.resyncSeconds, () => this.removeOrphans(), 'orphan cleanup failed');
    this.every(this.settings.metricsSampleSeconds, () => this.sampleMetrics(), 'metrics sampling failed');
  }

  /** Stops the loops; containers keep running for the next agent to adopt. */
  async stop(): Promise<void> {
    const abort = this.abort;
    if (!abort) return;
    this.abort = undefined;
    abort.abort();
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const informer of [this.pods, this.configMaps, this.secrets, this.services]) informer.stop();
    this.probes.stopAll();
    await this.reclaimer?.stop();
    this.reclaimer = undefined;
    this.queue.shutDown();
    await this.workers;
    this.workers = undefined;
  }

  /** The last stats sample of every running container, grouped by pod (for `kubectl top`). */
  podMetrics(): PodMetrics[] {
    const byPod = new Map<string, PodMetrics>();
    for (const sample of this.samples.values()) {
      let pod = byPod.get(sample.podUid);
      if (!pod) {
        pod = { namespace: sample.podNamespace, name: sample.podName, uid: sample.podUid, timestamp: sample.at.toISOString(), containers: [] };
        byPod.set(sample.podUid, pod);
      }
      if (sample.at.toISOString() > pod.timestamp) pod.timestamp = sample.at.toISOString();
      pod.containers.push({ name: sample.container, cpuNanoCores: sample.stats.cpuNanoCores, memoryWorkingSetBytes: sample.stats.memoryWorkingSetBytes });
    }
    return [...byPod.values()];
  }

  /** Takes one stats sample of every running app container now. */
  async sampleMetrics(): Promise<void> {
    const running = await this.runtime.listContainers({ ...this.scope, [LABELS.role]: 'app' });
    const seen = new Set<string>();
    for (const c of running.filter((c) => c.state === 'running')) {
      try {
        const stats = await this.runtime.stats(c.id);
        seen.add(c.id);
        this.samples.set(c.id, {
          podUid: c.labels[LABELS.podUid] ?? '',
          podNamespace: c.labels[LABELS.podNamespace] ?? '',
          podName: c.labels[LABELS.podName] ?? '',
          container: c.labels[LABELS.containerName] ?? '',
          stats,
          at: new Date(),
        });
      } catch {
        // Exited between list and stats.
      }
    }
    for (const id of [...this.samples.keys()]) if (!seen.has(id)) this.samples.delete(id);
  }

  private async syncKey(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const pod = this.pods.lister().get(namespace, name) as unknown as Pod | undefined;
    if (!pod) {
      await this.removeContainersOfGonePod(namespace, name);
      return;
    }
    const result = await this.podSync.sync(pod);
    if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
  }

  /** The pod object is gone (deleted with grace 0, or by us): nothing of it may keep running. */
  private async removeContainersOfGonePod(namespace: string, name: string): Promise<void> {
    const leftovers = await this.runtime.listContainers({ ...this.scope, [LABELS.podNamespace]: namespace, [LABELS.podName]: name });
    for (const uid of new Set(leftovers.map((c) => c.labels[LABELS.podUid] ?? ''))) await this.podSync.removePodResources(uid);
  }

  /** Containers and volumes labelled with this node whose pod no longer exists. */
  private async removeOrphans(): Promise<void> {
    const liveUids = new Set(this.pods.lister().list().map((p) => p.metadata.uid));
    const containers = await this.runtime.listContainers({ ...this.scope });
    const orphanUids = new Set(containers.map((c) => c.labels[LABELS.podUid] ?? '').filter((uid) => uid && !liveUids.has(uid)));
    for (const uid of orphanUids) {
      this.logger.info('removing containers of a pod that no longer exists', { podUid: uid });
      await this.podSync.removePodResources(uid);
    }
    // Volumes of pods whose containers were already gone (a crash between the two removals).
    const liveNames = new Set(this.pods.lister().list().map((p) => `kubelab-${(p.metadata.uid ?? '').replace(/-/g, '').slice(0, 8)}-`));
    for (const name of await this.runtime.listVolumes({ ...this.scope })) {
      if (![...liveNames].some((prefix) => name.startsWith(prefix))) await this.runtime.removeVolume(name).catch(() => {});
    }
  }

  private enqueuePodsReferencing(kind: 'configMap' | 'secret', obj: KubeObject): void {
    const namespace = obj.metadata.namespace;
    const name = obj.metadata.name ?? '';
    for (const pod of this.pods.lister().list()) {
      if (pod.metadata.namespace !== namespace) continue;
      if (podReferences(pod as unknown as Pod, kind, name)) this.queue.add(keyOf(pod));
    }
  }

  private recordProbeFailure(target: ProbeTarget, kind: ProbeKind, message: string): void {
    const pod = this.pods.lister().get(...splitKey(target.podKey)) as unknown as Pod | undefined;
    if (!pod) return;
    const label = kind === 'liveness' ? 'Liveness' : kind === 'readiness' ? 'Readiness' : 'Startup';
    void this.recorder.record({ ...(pod as unknown as KubeObject), apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'Unhealthy', `${label} probe failed: ${message}`, `spec.containers{${target.container.name}}`);
  }

  private async restartUnhealthy(target: ProbeTarget, kind: 'liveness' | 'startup'): Promise<void> {
    const pod = this.pods.lister().get(...splitKey(target.podKey)) as unknown as Pod | undefined;
    if (!pod) return;
    try {
      await this.podSync.killUnhealthy(pod, target.containerId, target.container.name, kind);
    } catch (error) {
      this.logger.warn('cannot stop unhealthy container', { pod: target.podKey, error: String(error) });
    }
    this.queue.add(target.podKey);
  }

  /** The daemon's container events bring a dead container's pod back at once, not at the next resync. */
  private async watchRuntimeEvents(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.runtime.events((event) => {
          const labels = event.labels;
          if (Object.entries(this.scope).some(([key, value]) => labels[key] !== value)) return;
          const namespace = labels[LABELS.podNamespace];
          const name = labels[LABELS.podName];
          if (namespace && name && ['die', 'oom', 'start', 'destroy'].includes(event.action)) this.queue.add(`${namespace}/${name}`);
        }, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.logger.warn('runtime event stream failed, reconnecting', { error: String(error) });
      }
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, EVENT_STREAM_RETRY_MS));
    }
  }

  private every(seconds: number, task: () => Promise<unknown>, failure: string): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((error: unknown) => this.logger.warn(failure, { error: String(error) }))
        .finally(() => {
          running = false;
        });
    }, seconds * 1000);
    this.timers.push(timer);
  }
}

function splitKey(key: string): [string, string] {
  const [namespace, name] = key.split('/');
  return [namespace, name];
}

/** Whether the pod reads this ConfigMap or Secret (volumes, env, envFrom). */
export function podReferences(pod: Pod, kind: 'configMap' | 'secret', name: string): boolean {
  const spec = pod.spec;
  if (!spec) return false;
  for (const volume of spec.volumes ?? []) {
    if (kind === 'configMap' && volume.configMap?.name === name) return true;
    if (kind === 'secret' && volume.secret?.secretName === name) return true;
    for (const source of volume.projected?.sources ?? []) {
      if (kind === 'configMap' && source.configMap?.name === name) return true;
      if (kind === 'secret' && source.secret?.name === name) return true;
    }
  }
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const from of container.envFrom ?? []) {
      if (kind === 'configMap' && from.configMapRef?.name === name) return true;
      if (kind === 'secret' && from.secretRef?.name === name) return true;
    }
    for (const env of container.env ?? []) {
      if (kind === 'configMap' && env.valueFrom?.configMapKeyRef?.name === name) return true;
      if (kind === 'secret' && env.valueFrom?.secretKeyRef?.name === name) return true;
    }
  }
  return false;
}
