import { PassThrough } from 'node:stream';
import {
  LABELS,
  RuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStats,
  type ContainerStatus,
  type ExecResult,
  type ExecSession,
  type ImageInfo,
  type RuntimeEvent,
  type RuntimeInfo,
  type SandboxSpec,
} from './container-runtime.ts';

// An in-memory ContainerRuntime for the agent's unit tests: containers "run" until told
// to exit, images are present or not, pulls and starts fail on demand, and everything
// the agent did (stops, kills, files written, pulls) is left to inspect.

/** How app containers named (Kubernetes container name) behave once started. */
export interface FakeContainerBehaviour {
  /** Exit with this code after `exitAfterMs` (default: run until stopped). */
  exitCode?: number;
  exitAfterMs?: number;
  /** The start fails with this daemon message (bad command). */
  failStart?: string;
  /** SIGTERM is ignored: stopContainer waits its whole timeout, then kills (exit 137). */
  ignoreSigterm?: boolean;
  /** Exits 137 with OOMKilled after exitAfterMs. */
  oomKill?: boolean;
}

export interface FakeExecRule {
  /** Kubernetes container name the rule applies to ('*' for any). */
  container: string;
  /** Matches when the command joined with spaces contains this text. */
  commandIncludes: string;
  result: Partial<ExecResult>;
}

export interface FakeContainer {
  status: ContainerStatus;
  spec?: ContainerSpec;
  sandbox?: SandboxSpec;
  behaviour: FakeContainerBehaviour;
  /** Signals and stops the agent sent, in order. */
  signals: string[];
  timer?: ReturnType<typeof setTimeout>;
}

export interface FakeVolume {
  labels: Record<string, string>;
  tmpfsSizeBytes?: number;
  files: Map<string, { content: string; mode: number }>;
}

export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly images = new Map<string, ImageInfo>();
  /** Refs whose pull fails with this daemon message. */
  readonly pullFailures = new Map<string, string>();
  /** Every pull requested, in order. */
  readonly pulls: string[] = [];
  /** Pulls of these refs wait until releasePull(ref). */
  private readonly heldPulls = new Map<string, (() => void)[]>();
  readonly heldRefs = new Set<string>();
  readonly execRules: FakeExecRule[] = [];
  readonly execCalls: { container: string; command: string[] }[] = [];
  /** `create:<pod>/<container>`, `start:...`, `die:...`, `remove:...` (sandbox: container 'POD'), in order. */
  readonly history: string[] = [];
  /** Containers removed, with their final state and the signals they got. */
  readonly removedContainers: FakeContainer[] = [];
  private readonly behaviours = new Map<string, FakeContainerBehaviour>();
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private nextId = 1;
  private nextIp = 2;
  available = true;
  info_: RuntimeInfo = {
    hostname: 'fake-host',
    os: 'linux',
    arch: 'amd64',
    cpus: 4,
    memoryBytes: 8 * 1024 ** 3,
    engineVersion: '27.0.0-fake',
    kernelVersion: '6.1.0-fake',
    osImage: 'Fake Linux 1',
    hostIp: '172.17.0.1',
  };
  /** Pod IPs handed to sandboxes; override to point probes at a loopback server. */
  podIpFor: () => string = () => `10.88.0.${this.nextIp++}`;

  constructor(presentImages: string[] = ['busybox:latest']) {
    for (const ref of presentImages) this.addImage(ref);
  }

  // ---- test controls ----

  addImage(ref: string, sizeBytes = 1_000_000): void {
    this.images.set(ref, { id: `sha256:${hex(ref)}`, names: [ref], sizeBytes });
  }

  /** Behaviour of containers with this Kubernetes name (all pods), applied at their next start. */
  setBehaviour(containerName: string, behaviour: FakeContainerBehaviour): void {
    this.behaviours.set(containerName, behaviour);
  }

  setExecResult(container: string, commandIncludes: string, result: Partial<ExecResult>): void {
    const existing = this.execRules.findIndex((r) => r.container === container && r.commandIncludes === commandIncludes);
    if (existing >= 0) this.execRules.splice(existing, 1);
    this.execRules.unshift({ container, commandIncludes, result });
  }

  holdPull(ref: string): void {
    this.heldRefs.add(ref);
  }

  releasePull(ref: string): void {
    this.heldRefs.delete(ref);
    for (const resolve of this.heldPulls.get(ref) ?? []) resolve();
    this.heldPulls.delete(ref);
  }

  /** Makes a running container exit now, as if its process ended. */
  exit(id: string, exitCode: number, oomKilled = false): void {
    const container = this.mustGet(id);
    this.finish(container, exitCode, oomKilled);
  }

  /** Containers of a pod by Kubernetes container name (sandbox: 'POD'), oldest first. */
  podContainers(podName: string, containerName?: string): FakeContainer[] {
    return [...this.containers.values()]
      .filter((c) => c.status.labels[LABELS.podName] === podName)
      .filter((c) => containerName === undefined || c.status.labels[LABELS.containerName] === containerName)
      .sort((a, b) => Number(a.status.labels[LABELS.attempt]) - Number(b.status.labels[LABELS.attempt]));
  }

  running(podName: string, containerName: string): FakeContainer | undefined {
    return this.podContainers(podName, containerName).find((c) => c.status.state === 'running');
  }

  // ---- ContainerRuntime ----

  async info(): Promise<RuntimeInfo> {
    this.assertAvailable();
    return { ...this.info_ };
  }

  async ping(): Promise<void> {
    this.assertAvailable();
  }

  async listImages(): Promise<ImageInfo[]> {
    return [...this.images.values()];
  }

  async imageId(ref: string): Promise<string | undefined> {
    return this.images.get(ref)?.id;
  }

  async pullImage(ref: string, onProgress?: (line: string) => void): Promise<void> {
    this.assertAvailable();
    this.pulls.push(ref);
    if (this.heldRefs.has(ref)) {
      await new Promise<void>((resolve) => this.heldPulls.set(ref, [...(this.heldPulls.get(ref) ?? []), resolve]));
    }
    const failure = this.pullFailures.get(ref);
    if (failure) throw new RuntimeError(failure, 'image-pull');
    onProgress?.(`Pulling ${ref}`);
    this.addImage(ref);
  }

  async ensureSandboxImage(): Promise<string> {
    this.addImage('kubelab/pause:fake');
    return 'kubelab/pause:fake';
  }

  async createSandbox(spec: SandboxSpec): Promise<string> {
    this.assertAvailable();
    this.assertUniqueName(spec.name);
    const id = this.newId();
    this.containers.set(id, {
      status: { id, name: spec.name, labels: { ...spec.labels }, image: 'kubelab/pause:fake', imageId: 'sha256:pause', state: 'created', createdAt: now() },
      sandbox: spec,
      behaviour: {},
      signals: [],
    });
    this.history.push(`create:${spec.labels[LABELS.podName]}/POD`);
    for (const mount of spec.mounts ?? []) if (mount.type === 'volume') this.ensureVolume(mount.source, {});
    return id;
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    this.assertAvailable();
    this.assertUniqueName(spec.name);
    if (!this.images.has(spec.image)) throw new RuntimeError(`No such image: ${spec.image}`, 'image-not-present');
    const id = this.newId();
    const behaviour = { ...(this.behaviours.get(spec.labels[LABELS.containerName] ?? '') ?? {}) };
    this.containers.set(id, {
      status: { id, name: spec.name, labels: { ...spec.labels }, image: spec.image, imageId: this.images.get(spec.image)!.id, state: 'created', createdAt: now() },
      spec,
      behaviour,
      signals: [],
    });
    this.history.push(`create:${spec.labels[LABELS.podName]}/${spec.labels[LABELS.containerName] ?? ''}`);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const container = this.mustGet(id);
    if (container.behaviour.failStart) {
      container.status = { ...container.status, state: 'exited', exitCode: 128, error: container.behaviour.failStart, startedAt: now(), finishedAt: now() };
      throw new RuntimeError(container.behaviour.failStart);
    }
    if (container.status.state === 'running') return;
    container.status = { ...container.status, state: 'running', startedAt: now(), finishedAt: undefined, exitCode: undefined, oomKilled: undefined };
    if (container.sandbox) container.status.ipAddress = this.podIpFor();
    this.emit('start', container);
    const { exitCode, exitAfterMs, oomKill } = container.behaviour;
    if (exitCode !== undefined || oomKill) {
      container.timer = setTimeout(() => this.finish(container, oomKill ? 137 : exitCode ?? 0, !!oomKill), exitAfterMs ?? 0);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const container = this.mustGet(id);
    container.signals.push(`stop:${timeoutSeconds}`);
    if (container.status.state !== 'running') return;
    if (container.behaviour.ignoreSigterm) {
      await new Promise((resolve) => setTimeout(resolve, timeoutSeconds * 1000));
      if (container.status.state === 'running') this.finish(container, 137, false);
      return;
    }
    this.finish(container, 143, false);
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    const container = this.mustGet(id);
    container.signals.push(signal);
    if (container.status.state === 'running') this.finish(container, 137, false);
  }

  async removeContainer(id: string): Promise<void> {
    const container = this.mustGet(id);
    if (container.timer) clearTimeout(container.timer);
    this.containers.delete(id);
    this.removedContainers.push(container);
    this.emit('destroy', container);
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    this.assertAvailable();
    return structuredClone(this.mustGet(id).status);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerStatus[]> {
    this.assertAvailable();
    return [...this.containers.values()]
      .filter((c) => Object.entries(labels).every(([k, v]) => c.status.labels[k] === v))
      .map((c) => structuredClone(c.status));
  }

  async execSimple(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const container = this.mustGet(id);
    const name = container.status.labels[LABELS.containerName] ?? '';
    this.execCalls.push({ container: name, command });
    if (container.status.state !== 'running') throw new RuntimeError(`container ${id} is not running`, 'conflict');
    const joined = command.join(' ');
    const rule = this.execRules.find((r) => (r.container === '*' || r.container === name) && joined.includes(r.commandIncludes));
    void timeoutMs;
    return { exitCode: rule?.result.exitCode ?? 0, output: rule?.result.output ?? '', timedOut: rule?.result.timedOut ?? false };
  }

  async exec(): Promise<ExecSession> {
    throw new RuntimeError('interactive exec is not supported by the fake runtime');
  }

  async attach(): Promise<ExecSession> {
    throw new RuntimeError('attach is not supported by the fake runtime');
  }

  async logs(): Promise<NodeJS.ReadableStream> {
    const stream = new PassThrough();
    stream.end();
    return stream;
  }

  async putFiles(id: string, directory: string, files: { path: string; content: Buffer; mode: number }[]): Promise<void> {
    const container = this.mustGet(id);
    const mounts = container.sandbox?.mounts ?? container.spec?.mounts ?? [];
    const mount = mounts.find((m) => m.target === directory);
    if (!mount) throw new RuntimeError(`fake runtime: nothing mounted at ${directory} in ${container.status.name}`);
    const volume = this.ensureVolume(mount.source, {});
    for (const file of files) volume.files.set(file.path, { content: file.content.toString('utf8'), mode: file.mode });
  }

  async createVolume(name: string, labels: Record<string, string>, options?: { tmpfsSizeBytes?: number }): Promise<void> {
    const volume = this.ensureVolume(name, labels);
    if (options?.tmpfsSizeBytes !== undefined) volume.tmpfsSizeBytes = options.tmpfsSizeBytes;
  }

  async removeVolume(name: string): Promise<void> {
    this.volumes.delete(name);
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    return [...this.volumes.entries()].filter(([, v]) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).map(([name]) => name);
  }

  async stats(id: string): Promise<ContainerStats> {
    this.mustGet(id);
    return { cpuNanoCores: 1_000_000, memoryWorkingSetBytes: 4 * 1024 * 1024 };
  }

  async events(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
    this.listeners.add(onEvent);
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.listeners.delete(onEvent);
  }

  // ---- internals ----

  private finish(container: FakeContainer, exitCode: number, oomKilled: boolean): void {
    if (container.timer) clearTimeout(container.timer);
    container.timer = undefined;
    if (container.status.state !== 'running') return;
    container.status = { ...container.status, state: 'exited', exitCode, oomKilled, finishedAt: now() };
    if (oomKilled) this.emit('oom', container);
    this.emit('die', container);
  }

  private ensureVolume(name: string, labels: Record<string, string>): FakeVolume {
    let volume = this.volumes.get(name);
    if (!volume) this.volumes.set(name, (volume = { labels: { ...labels }, files: new Map() }));
    else if (Object.keys(labels).length) volume.labels = { ...volume.labels, ...labels };
    return volume;
  }

  private emit(action: string, container: FakeContainer): void {
    const labels = container.status.labels;
    this.history.push(`${action === 'destroy' ? 'remove' : action}:${labels[LABELS.podName]}/${labels[LABELS.containerName] ?? ''}`);
    const event: RuntimeEvent = { action, containerId: container.status.id, labels: { ...container.status.labels } };
    for (const listener of [...this.listeners]) listener(event);
  }

  private mustGet(id: string): FakeContainer {
    this.assertAvailable();
    const container = this.containers.get(id);
    if (!container) throw new RuntimeError(`No such container: ${id}`, 'not-found');
    return container;
  }

  private assertUniqueName(name: string): void {
    for (const c of this.containers.values()) {
      if (c.status.name === name) throw new RuntimeError(`Conflict. The container name "/${name}" is already in use`, 'conflict');
    }
  }

  private assertAvailable(): void {
    if (!this.available) throw new RuntimeError('Cannot connect to the Docker daemon', 'unavailable');
  }

  private newId(): string {
    return `${(this.nextId++).toString(16).padStart(12, '0')}${'f'.repeat(52)}`;
  }
}

function now(): string {
  return new Date().toISOString();
}

function hex(text: string): string {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(8);
}
