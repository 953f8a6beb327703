import type { Container, LifecycleHandler, Pod, PodStatus, Service } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { EventRecorder } from '../client/event-recorder.ts';
import type { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import type { AgentSettings } from './agent-settings.ts';
import {
  buildContainerSpec,
  ContainerConfigError,
  containerSpecHash,
  dockerContainerName,
  nodeScope,
  podLabels,
  resolveEnv,
  sandboxPorts,
  type ConfigSource,
  type ContainerRole,
} from './container-config.ts';
import { LABELS, RuntimeError, type ContainerRuntime, type ContainerStatus, type SandboxSpec } from './container-runtime.ts';
import { podDnsConfig, podNetworkSettings } from '../proxy/pod-network.ts';
import { computePodStatus, initializationDone, type ContainerView, type Waiting } from './pod-status.ts';
import type { ProbeManager } from './probe-manager.ts';
import { formatBackoff, RestartBackoff } from './restart-backoff.ts';
import { VolumeError, type PreparedVolumes, type VolumeManager, type VolumeSources } from './volume-manager.ts';
import { jsonEqual } from '../store/json-clone.ts';

// One pod's reconcile step, the kubelet's SyncPod: level-based, it reads what runs for the
// pod on the daemon and does the next thing (sandbox, volumes, init containers in order,
// app containers with pulls, restarts and back-off), then writes the status. It never
// waits for a container to finish: runtime events and timed requeues bring it back.

const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const PVCS = findByKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
const STATUS_WRITE_ATTEMPTS = 5;
const HOOK_TIMEOUT_MS = 30_000;

export interface PodSyncDeps {
  client: RestClient;
  runtime: ContainerRuntime;
  nodeName: string;
  /** Kubelab cluster id for container labels (see LABELS.cluster); '' in unit tests. */
  clusterId?: string;
  settings: AgentSettings;
  recorder: EventRecorder;
  probes: ProbeManager;
  volumes: VolumeManager;
  configMap(namespace: string, name: string): ConfigSource | undefined;
  secret(namespace: string, name: string): ConfigSource | undefined;
  /** The Services known to the agent (for the containers' Service variables). */
  services?(): readonly Service[];
  hostIp(): string;
  nodeCapacity(): { cpuMillicores: number; memoryBytes: number };
  /** The node's spec.podCIDR: sandboxes join the pod network (with cluster DNS) when known. */
  podCidr?(): string | undefined;
  logger?: Logger;
}

/** What the agent remembers about a pod between syncs (lost on restart, which is fine). */
interface PodMemory {
  waiting: Map<string, Waiting>;
  terminatingSince?: number;
}

export interface SyncResult {
  /** Sync again after this many ms (a back-off ending), if set. */
  requeueAfterMs?: number;
}

export class PodSync {
  private readonly memory = new Map<string, PodMemory>();
  readonly crashBackoff: RestartBackoff;
  readonly pullBackoff: RestartBackoff;

  constructor(private readonly deps: PodSyncDeps) {
    const s = deps.settings;
    this.crashBackoff = new RestartBackoff({ baseMs: s.crashLoopBackoffBaseSeconds * 1000, maxMs: s.crashLoopBackoffMaxSeconds * 1000, resetMs: s.backoffResetSeconds * 1000 });
    this.pullBackoff = new RestartBackoff({ baseMs: s.imagePullBackoffBaseSeconds * 1000, maxMs: s.imagePullBackoffMaxSeconds * 1000, resetMs: s.backoffResetSeconds * 1000 });
  }

  async sync(cachedPod: Pod): Promise<SyncResult> {
    let pod = cachedPod;
    if (pod.metadata?.deletionTimestamp) {
      await this.terminate(pod);
      return {};
    }
    const uid = pod.metadata!.uid!;
    const memory = this.memoryOf(uid);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Terminal pods keep their stopped containers (logs) until the object is deleted.
      this.deps.probes.stopPod(uid);
      return {};
    }
    const requeues: number[] = [];
    const requeue = (ms: number): void => {
      requeues.push(Math.max(0, ms));
    };

    let containers = await this.podContainers(uid);
    const sources = this.volumeSources(pod, '');
    let prepared: PreparedVolumes;
    try {
      prepared = await this.deps.volumes.prepare(pod, sources);
    } catch (error) {
      if (!(error instanceof VolumeError)) throw error;
      void this.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${error.message}`);
      await this.writeStatus(pod, containers, undefined, memory);
      return { requeueAfterMs: this.deps.settings.resyncSeconds * 1000 };
    }

    const sandbox = await this.ensureSandbox(pod, containers, prepared);
    const podIp = sandbox.ipAddress ?? '';
    sources.podIp = podIp;
    await this.deps.volumes.syncConfigFiles(pod, sandbox.id, sources);
    containers = await this.podContainers(uid);
    if (!pod.status?.containerStatuses) pod = (await this.writeStatus(pod, containers, sandbox, memory)) ?? pod;

    const context: StartContext = { pod, sandbox, prepared, podIp, memory, requeue };
    const byName = groupByName(containers);
    const spec = pod.spec!;
    const initViews = views(spec.initContainers ?? [], byName, memory, this.deps.probes);
    const appViews = views(spec.containers, byName, memory, this.deps.probes);
    if (!initializationDone(spec.initContainers ?? [], initViews, appViews)) {
      await this.syncInitContainers(context, byName);
    } else {
      for (const container of spec.containers) await this.syncAppContainer(context, container, byName.get(container.name) ?? []);
    }

    containers = await this.podContainers(uid);
    await this.removeOldInstances(containers, sandbox.id);
    const written = (await this.writeStatus(pod, containers, sandbox, memory))?.status;
    if (written?.phase === 'Succeeded' || written?.phase === 'Failed') {
      this.deps.probes.stopPod(uid);
      await this.deps.runtime.stopContainer(sandbox.id, this.deps.settings.sandboxStopSeconds).catch(() => {});
    }
    return requeues.length ? { requeueAfterMs: Math.min(...requeues) } : {};
  }

  /** Graceful deletion: preStop hooks, stop with the remaining grace, remove, then delete the object. */
  async terminate(pod: Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    const memory = this.memoryOf(uid);
    memory.terminatingSince ??= Date.now();
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const deadline = memory.terminatingSince + grace * 1000;
    this.deps.probes.stopPod(uid);
    const containers = await this.podContainers(uid);
    const specs = new Map([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => [c.name, c]));
    const running = containers.filter((c) => c.state === 'running' && c.labels[LABELS.role] !== 'sandbox');
    await Promise.all(
      running.map(async (c) => {
        const name = c.labels[LABELS.containerName] ?? '';
        void this.event(pod, 'Normal', 'Killing', `Stopping container ${name}`, name);
        const preStop = specs.get(name)?.lifecycle?.preStop;
        if (preStop) await this.runPreStop(pod, c, name, preStop, deadline);
        const remaining = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
        await this.deps.runtime.stopContainer(c.id, remaining).catch((error: unknown) => this.ignoreMissing(error));
      }),
    );
    for (const c of containers.filter((c) => c.labels[LABELS.role] === 'sandbox' && c.state === 'running')) {
      await this.deps.runtime.stopContainer(c.id, this.deps.settings.sandboxStopSeconds).catch((error: unknown) => this.ignoreMissing(error));
    }
    await this.removePodResources(uid);
    try {
      await this.deps.client.delete(PODS, pod.metadata!.namespace, pod.metadata!.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  /** Removes every container and the pod's own volumes (used for deleted and orphaned pods). */
  async removePodResources(uid: string): Promise<void> {
    this.deps.probes.stopPod(uid);
    const containers = await this.podContainers(uid);
    for (const c of containers.filter((c) => c.state === 'running')) {
      await this.deps.runtime.stopContainer(c.id, this.deps.settings.sandboxStopSeconds).catch((error: unknown) => this.ignoreMissing(error));
    }
    for (const c of containers) await this.deps.runtime.removeContainer(c.id).catch((error: unknown) => this.ignoreMissing(error));
    await this.deps.volumes.removePodVolumes(uid);
    this.forget(uid);
  }

  forget(uid: string): void {
    this.memory.delete(uid);
    this.crashBackoff.resetPrefix(`${uid}/`);
    this.pullBackoff.resetPrefix(`${uid}/`);
    this.deps.volumes.forget(uid);
  }

  /** Liveness/startup failure: Killing event, stop, and let the next sync restart it. */
  async killUnhealthy(pod: Pod, containerId: string, containerName: string, kind: 'liveness' | 'startup'): Promise<void> {
    const spec = pod.spec?.containers.find((c) => c.name === containerName);
    const probe = kind === 'liveness' ? spec?.livenessProbe : spec?.startupProbe;
    const grace = probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.deps.probes.stop(containerId);
    void this.event(pod, 'Normal', 'Killing', `Container ${containerName} failed ${kind} probe, will be restarted`, containerName);
    await this.deps.runtime.stopContainer(containerId, grace).catch((error: unknown) => this.ignoreMissing(error));
  }

  private async syncInitContainers(ctx: StartContext, byName: Map<string, ContainerStatus[]>): Promise<void> {
    const restartPolicy = ctx.pod.spec?.restartPolicy ?? 'Always';
    for (const container of ctx.pod.spec?.initContainers ?? []) {
      const instances = byName.get(container.name) ?? [];
      const latest = instances[0];
      if (latest?.state === 'exited' && latest.exitCode === 0 && !latest.error) continue;
      if (latest?.state === 'running') return;
      if (latest) {
        if (restartPolicy === 'Never') return; // the pod fails; status shows why
        if (!this.pastCrashBackoff(ctx, container.name, latest)) return;
      }
      await this.startContainer(ctx, container, 'init', nextAttempt(instances));
      return;
    }
  }

  private async syncAppContainer(ctx: StartContext, container: Container, instances: ContainerStatus[]): Promise<void> {
    const latest = instances[0];
    const uid = ctx.pod.metadata!.uid!;
    if (latest?.state === 'running') {
      if (latest.labels[LABELS.specHash] === containerSpecHash(container)) {
        ctx.memory.waiting.delete(container.name);
        this.deps.probes.ensure({ podKey: podKey(ctx.pod), podUid: uid, containerId: latest.id, container, podIp: ctx.podIp });
        return;
      }
      void this.event(ctx.pod, 'Normal', 'Killing', `Container ${container.name} definition changed, will be restarted`, container.name);
      this.deps.probes.stop(latest.id);
      await this.deps.runtime.stopContainer(latest.id, ctx.pod.spec?.terminationGracePeriodSeconds ?? 30);
      this.crashBackoff.reset(`${uid}/${container.name}`);
      await this.startContainer(ctx, container, 'app', nextAttempt(instances));
      return;
    }
    if (latest) {
      const restartPolicy = ctx.pod.spec?.restartPolicy ?? 'Always';
      const failed = (latest.exitCode ?? 0) !== 0 || !!latest.error;
      const restart = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && failed);
      if (!restart) {
        ctx.memory.waiting.delete(container.name);
        return;
      }
      if (!this.pastCrashBackoff(ctx, container.name, latest)) return;
    }
    await this.startContainer(ctx, container, 'app', nextAttempt(instances));
  }

  /** Records the exit in the container's back-off; true when it may restart now. */
  private pastCrashBackoff(ctx: StartContext, name: string, latest: ContainerStatus): boolean {
    const key = `${ctx.pod.metadata!.uid}/${name}`;
    const finishedAt = Date.parse(latest.finishedAt ?? '') || Date.parse(latest.createdAt) || Date.now();
    const startedAt = Date.parse(latest.startedAt ?? '') || finishedAt;
    this.crashBackoff.recordFailure(key, finishedAt, finishedAt - startedAt);
    const remaining = this.crashBackoff.remainingMs(key);
    if (remaining <= 0) return true;
    const delay = formatBackoff(this.crashBackoff.currentDelayMs(key));
    const pod = ctx.pod;
    const identity = `${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`;
    if (ctx.memory.waiting.get(name)?.reason !== 'CrashLoopBackOff') {
      void this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${identity}`, name);
    }
    ctx.memory.waiting.set(name, { reason: 'CrashLoopBackOff', message: `back-off ${delay} restarting failed container=${name} pod=${identity}` });
    ctx.requeue(remaining);
    return false;
  }

  private async startContainer(ctx: StartContext, container: Container, role: ContainerRole, attempt: number): Promise<void> {
    const { pod, memory } = ctx;
    const name = container.name;
    if (!(await this.ensureImage(ctx, container))) return;
    let spec;
    try {
      const capacity = this.deps.nodeCapacity();
      const env = resolveEnv(container, {
        pod,
        nodeName: this.deps.nodeName,
        podIp: ctx.podIp,
        hostIp: this.deps.hostIp(),
        nodeCpuMillicores: capacity.cpuMillicores,
        nodeMemoryBytes: capacity.memoryBytes,
        configMap: this.deps.configMap,
        secret: this.deps.secret,
        services: this.deps.services?.(),
      });
      const mounts = this.deps.volumes.containerMounts(container, ctx.prepared);
      spec = buildContainerSpec({ pod, container, role, attempt, nodeName: this.deps.nodeName, clusterId: this.deps.clusterId, sandboxId: ctx.sandbox.id, env, mounts });
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      if (memory.waiting.get(name)?.message !== error.message) void this.event(pod, 'Warning', 'Failed', `Error: ${error.message}`, name);
      memory.waiting.set(name, { reason: 'CreateContainerConfigError', message: error.message });
      ctx.requeue(this.deps.settings.resyncSeconds * 1000);
      return;
    }
    let id: string;
    try {
      id = await this.deps.runtime.createContainer(spec);
    } catch (error) {
      if (!(error instanceof RuntimeError)) throw error;
      void this.event(pod, 'Warning', 'Failed', `Error: ${error.message}`, name);
      memory.waiting.set(name, { reason: 'CreateContainerError', message: error.message });
      ctx.requeue(this.pullBackoffDelay(`${pod.metadata!.uid}/${name}/create`));
      return;
    }
    void this.event(pod, 'Normal', 'Created', `Created container ${name}`, name);
    try {
      await this.deps.runtime.startContainer(id);
    } catch (error) {
      if (!(error instanceof RuntimeError)) throw error;
      void this.event(pod, 'Warning', 'Failed', `Error: ${error.message}`, name);
      memory.waiting.set(name, { reason: 'RunContainerError', message: error.message });
      // The failed instance is now an exited container: the next sync applies CrashLoopBackOff.
      ctx.requeue(0);
      return;
    }
    memory.waiting.delete(name);
    void this.event(pod, 'Normal', 'Started', `Started container ${name}`, name);
    const postStart = container.lifecycle?.postStart;
    if (postStart) await this.runPostStart(ctx, container, id, postStart);
    if (role === 'app') this.deps.probes.ensure({ podKey: podKey(pod), podUid: pod.metadata!.uid!, containerId: id, container, podIp: ctx.podIp });
  }

  /** Pulls per imagePullPolicy; false (with a waiting reason and a requeue) when the image is not there yet. */
  private async ensureImage(ctx: StartContext, container: Container): Promise<boolean> {
    const { pod, memory } = ctx;
    const image = container.image ?? '';
    const name = container.name;
    const policy = container.imagePullPolicy ?? defaultPullPolicy(image);
    const present = await this.deps.runtime.imageId(image);
    if (policy === 'Never') {
      if (present) return true;
      const message = `Container image "${image}" is not present with pull policy of Never`;
      if (memory.waiting.get(name)?.reason !== 'ErrImageNeverPull') void this.event(pod, 'Warning', 'ErrImageNeverPull', message, name);
      memory.waiting.set(name, { reason: 'ErrImageNeverPull', message });
      ctx.requeue(this.deps.settings.resyncSeconds * 1000);
      return false;
    }
    if (policy === 'IfNotPresent' && present) {
      void this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, name);
      return true;
    }
    const key = `${pod.metadata!.uid}/${name}/pull`;
    const remaining = this.pullBackoff.remainingMs(key);
    if (remaining > 0) {
      if (memory.waiting.get(name)?.reason !== 'ImagePullBackOff') void this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, name);
      memory.waiting.set(name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ${memory.waiting.get(name)?.message ?? ''}`.replace(/: $/, '') });
      ctx.requeue(remaining);
      return false;
    }
    void this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, name);
    const started = Date.now();
    try {
      await this.deps.runtime.pullImage(image);
    } catch (error) {
      if (!(error instanceof RuntimeError)) throw error;
      void this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${error.message}`, name);
      void this.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull', name);
      const delay = this.pullBackoff.recordFailure(key);
      memory.waiting.set(name, { reason: 'ErrImagePull', message: error.message });
      // Come back halfway through the back-off to show ImagePullBackOff, as the kubelet does.
      ctx.requeue(delay / 2);
      return false;
    }
    this.pullBackoff.reset(key);
    const took = Date.now() - started;
    void this.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took}ms (${took}ms including waiting)`, name);
    return true;
  }

  private pullBackoffDelay(key: string): number {
    return this.pullBackoff.recordFailure(key);
  }

  private async runPostStart(ctx: StartContext, container: Container, id: string, hook: LifecycleHandler): Promise<void> {
    const failure = await this.runHook(ctx.pod, container, id, hook, HOOK_TIMEOUT_MS, ctx.podIp);
    if (failure === undefined) return;
    void this.event(ctx.pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${failure}`, container.name);
    void this.event(ctx.pod, 'Normal', 'Killing', `FailedPostStartHook`, container.name);
    await this.deps.runtime.stopContainer(id, ctx.pod.spec?.terminationGracePeriodSeconds ?? 30).catch(() => {});
    ctx.requeue(0);
  }

  private async runPreStop(pod: Pod, c: ContainerStatus, name: string, hook: LifecycleHandler, deadline: number): Promise<void> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return;
    const container = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((x) => x.name === name)!;
    const failure = await this.runHook(pod, container, c.id, hook, remaining, pod.status?.podIP ?? '');
    if (failure !== undefined) void this.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${failure}`, name);
  }

  /** Runs an exec/httpGet/sleep hook; the failure text, or undefined on success. */
  private async runHook(pod: Pod, container: Container, id: string, hook: LifecycleHandler, timeoutMs: number, podIp: string): Promise<string | undefined> {
    try {
      if (hook.sleep) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(hook.sleep!.seconds * 1000, timeoutMs)));
        return undefined;
      }
      if (hook.exec) {
        const result = await this.deps.runtime.execSimple(id, hook.exec.command ?? [], timeoutMs);
        if (result.exitCode === 0 && !result.timedOut) return undefined;
        return `command '${(hook.exec.command ?? []).join(' ')}' exited with ${result.exitCode}: ${result.output.trim()}`;
      }
      if (hook.httpGet || hook.tcpSocket) {
        const target = { podKey: podKey(pod), podUid: pod.metadata!.uid!, containerId: id, container, podIp };
        const outcome = await this.deps.probes.run(target, { httpGet: hook.httpGet, tcpSocket: hook.tcpSocket, timeoutSeconds: Math.ceil(timeoutMs / 1000) });
        return outcome.success ? undefined : outcome.message;
      }
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private async ensureSandbox(pod: Pod, containers: ContainerStatus[], prepared: PreparedVolumes): Promise<ContainerStatus> {
    const sandboxes = containers.filter((c) => c.labels[LABELS.role] === 'sandbox').sort(byAttemptDesc);
    const current = sandboxes.find((c) => c.state === 'running');
    if (current) return current;
    if (sandboxes.length) {
      void this.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    for (const dead of sandboxes) await this.deps.runtime.removeContainer(dead.id).catch((error: unknown) => this.ignoreMissing(error));
    const attempt = sandboxes.length ? Number(sandboxes[0].labels[LABELS.attempt] ?? 0) + 1 : 0;
    let id: string | undefined;
    try {
      await this.deps.runtime.ensureSandboxImage();
      id = await this.deps.runtime.createSandbox({
        name: dockerContainerName(pod, 'POD', attempt),
        labels: { ...podLabels(pod, this.deps.nodeName, this.deps.clusterId), [LABELS.role]: 'sandbox', [LABELS.containerName]: 'POD', [LABELS.attempt]: String(attempt) },
        hostname: pod.spec?.hostname ?? pod.metadata!.name!,
        ports: sandboxPorts(pod),
        ...(pod.spec?.hostAliases?.length ? { extraHosts: pod.spec.hostAliases.flatMap((a) => (a.hostnames ?? []).map((h) => `${h}:${a.ip}`)) } : {}),
        ...sandboxNetwork(pod, this.deps.podCidr?.()),
        mounts: prepared.sandboxMounts,
      });
      await this.deps.runtime.startContainer(id);
    } catch (error) {
      // A sandbox that cannot start is removed at once (no half-made pods left on the
      // daemon) and the reason is told to the user, as the kubelet does.
      if (id) await this.deps.runtime.removeContainer(id).catch(() => {});
      void this.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(error as Error).message}`);
      throw error;
    }
    return this.deps.runtime.inspectContainer(id);
  }

  /** Keeps running instances and the newest exited one per container name (logs --previous). */
  private async removeOldInstances(containers: ContainerStatus[], sandboxId: string): Promise<void> {
    for (const [name, instances] of groupByName(containers)) {
      if (name === 'POD') continue;
      const exited = instances.filter((c) => c.state !== 'running');
      for (const old of exited.slice(1)) await this.deps.runtime.removeContainer(old.id).catch((error: unknown) => this.ignoreMissing(error));
    }
    for (const old of containers.filter((c) => c.labels[LABELS.role] === 'sandbox' && c.id !== sandboxId && c.state !== 'running')) {
      await this.deps.runtime.removeContainer(old.id).catch((error: unknown) => this.ignoreMissing(error));
    }
  }

  /** PUT /status when something changed; on 409 re-read the pod and recompute. */
  private async writeStatus(pod: Pod, containers: ContainerStatus[], sandbox: ContainerStatus | undefined, memory: PodMemory): Promise<Pod | undefined> {
    let current = pod;
    for (let attempt = 0; attempt < STATUS_WRITE_ATTEMPTS; attempt++) {
      const status = this.buildStatus(current, containers, sandbox, memory);
      if (jsonEqual(status, current.status ?? {})) return current;
      try {
        return (await this.deps.client.updateStatus(PODS, { ...(current as KubeObject), status } as KubeObject)) as Pod;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        if (!isConflict(error)) throw error;
        current = (await this.deps.client.get(PODS, pod.metadata!.namespace, pod.metadata!.name!)) as Pod;
        if (current.metadata?.uid !== pod.metadata?.uid || current.metadata?.deletionTimestamp) return undefined;
      }
    }
    throw new Error(`pod ${podKey(pod)}: status kept conflicting after ${STATUS_WRITE_ATTEMPTS} attempts`);
  }

  private buildStatus(pod: Pod, containers: ContainerStatus[], sandbox: ContainerStatus | undefined, memory: PodMemory): PodStatus {
    const byName = groupByName(containers);
    return computePodStatus({
      pod,
      sandboxReady: sandbox?.state === 'running',
      podIp: sandbox?.state === 'running' ? sandbox.ipAddress : undefined,
      hostIp: this.deps.hostIp(),
      init: views(pod.spec?.initContainers ?? [], byName, memory, this.deps.probes),
      app: views(pod.spec?.containers ?? [], byName, memory, this.deps.probes),
      now: new Date(),
    });
  }

  private volumeSources(pod: Pod, podIp: string): VolumeSources {
    const capacity = this.deps.nodeCapacity();
    return {
      configMap: this.deps.configMap,
      secret: this.deps.secret,
      persistentVolumeClaim: async (namespace, name) => {
        try {
          const claim = (await this.deps.client.get(PVCS, namespace, name)) as { spec?: { volumeName?: string }; status?: { phase?: string } } & KubeObject;
          return { volumeName: claim.spec?.volumeName, phase: claim.status?.phase };
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      },
      podIp: podIp || pod.status?.podIP || '',
      hostIp: this.deps.hostIp(),
      nodeName: this.deps.nodeName,
      nodeCpuMillicores: capacity.cpuMillicores,
      nodeMemoryBytes: capacity.memoryBytes,
    };
  }

  private async podContainers(uid: string): Promise<ContainerStatus[]> {
    return this.deps.runtime.listContainers({ ...nodeScope(this.deps.nodeName, this.deps.clusterId), [LABELS.podUid]: uid });
  }

  private memoryOf(uid: string): PodMemory {
    let memory = this.memory.get(uid);
    if (!memory) this.memory.set(uid, (memory = { waiting: new Map() }));
    return memory;
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, containerName?: string): Promise<void> {
    const fieldPath = containerName ? fieldPathOf(pod, containerName) : undefined;
    return this.deps.recorder.record({ ...(pod as KubeObject), apiVersion: 'v1', kind: 'Pod' }, type, reason, message, fieldPath);
  }

  private ignoreMissing(error: unknown): void {
    if (error instanceof RuntimeError && error.kind === 'not-found') return;
    this.deps.logger?.warn('runtime call failed', { error: String(error) });
  }
}

interface StartContext {
  pod: Pod;
  sandbox: ContainerStatus;
  prepared: PreparedVolumes;
  podIp: string;
  memory: PodMemory;
  requeue(ms: number): void;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function fieldPathOf(pod: Pod, containerName: string): string {
  const init = pod.spec?.initContainers?.some((c) => c.name === containerName);
  return `spec.${init ? 'initContainers' : 'containers'}{${containerName}}`;
}

function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const lastPart = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function byAttemptDesc(a: ContainerStatus, b: ContainerStatus): number {
  return Number(b.labels[LABELS.attempt] ?? 0) - Number(a.labels[LABELS.attempt] ?? 0);
}

function nextAttempt(instances: ContainerStatus[]): number {
  return instances.length ? Number(instances[0].labels[LABELS.attempt] ?? 0) + 1 : 0;
}

function groupByName(containers: ContainerStatus[]): Map<string, ContainerStatus[]> {
  const byName = new Map<string, ContainerStatus[]>();
  for (const c of containers) {
    if (c.labels[LABELS.role] === 'sandbox') continue;
    const name = c.labels[LABELS.containerName] ?? '';
    byName.set(name, [...(byName.get(name) ?? []), c]);
  }
  for (const list of byName.values()) list.sort(byAttemptDesc);
  return byName;
}

function views(specs: Container[], byName: Map<string, ContainerStatus[]>, memory: PodMemory, probes: ProbeManager): Map<string, ContainerView> {
  const result = new Map<string, ContainerView>();
  for (const spec of specs) {
    const instances = byName.get(spec.name) ?? [];
    const latest = instances[0];
    const running = latest?.state === 'running';
    // Adopted containers whose probes have not reported yet count as not ready.
    const started = running && (probes.isTracked(latest.id) ? probes.isStarted(latest.id) : !spec.startupProbe);
    const ready = running && (probes.isTracked(latest.id) ? probes.isReady(latest.id) : !spec.startupProbe && !spec.readinessProbe);
    const waiting = memory.waiting.get(spec.name);
    result.set(spec.name, { instances, waiting: running ? undefined : waiting, ready, started });
  }
  return result;
}

/**
 * The pod network and resolv.conf of a sandbox: with a podCIDR, the node's `kubelab-pods`
 * network and, for dnsPolicy ClusterFirst (the default), the cluster DNS; dnsConfig adds to it.
 */
function sandboxNetwork(pod: Pod, podCidr: string | undefined): Partial<SandboxSpec> {
  const dnsConfig = pod.spec?.dnsConfig;
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const cluster = podCidr && policy !== 'None' && policy !== 'Default' ? podDnsConfig(pod.metadata?.namespace ?? 'default') : undefined;
  const servers = [...(cluster?.dnsServers ?? []), ...(dnsConfig?.nameservers ?? [])];
  const searches = [...(cluster?.dnsSearch ?? []), ...(dnsConfig?.searches ?? [])];
  const options = [...(cluster?.dnsOptions ?? []), ...(dnsConfig?.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name ?? '')).filter(Boolean)];
  const network = podCidr ? podNetworkSettings(podCidr) : undefined;
  return {
    ...(network ? { network: network.name, networkSettings: { subnet: network.subnet, gateway: network.gateway, ipRange: network.ipRange } } : {}),
    ...(servers.length ? { dnsServers: servers } : {}),
    ...(searches.length ? { dnsSearch: searches } : {}),
    ...(options.length ? { dnsOptions: options } : {}),
  };
}
