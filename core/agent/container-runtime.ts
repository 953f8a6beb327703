// The container runtime a node agent drives: everything it needs from a Docker daemon,
// and nothing Docker-specific in its shape, so the agent's logic is unit-tested
// against a fake runtime (fake-runtime.ts) and run for real against docker-runtime.ts.

/** Labels every Kubelab container carries; adoption after a restart relies on them. */
export const LABELS = {
  managed: 'io.kubelab.managed', // 'true'
  node: 'io.kubelab.node', // node name
  /** The Kubelab cluster (its kube-system namespace uid): two labs sharing a daemon never touch each other's containers. */
  cluster: 'io.kubelab.cluster',
  podUid: 'io.kubelab.pod.uid',
  podName: 'io.kubelab.pod.name',
  podNamespace: 'io.kubelab.pod.namespace',
  /** 'sandbox' | 'init' | 'app' */
  role: 'io.kubelab.container.role',
  containerName: 'io.kubelab.container.name',
  /** How many times this container name was started in this pod before: 0, 1, 2... */
  attempt: 'io.kubelab.container.attempt',
  /** Hash of the container's spec, so a changed spec (new image) replaces the container. */
  specHash: 'io.kubelab.container.hash',
} as const;

export interface RuntimeInfo {
  /** Daemon's own name for the machine. */
  hostname: string;
  os: string; // 'linux'
  /** Kubernetes arch names: amd64, arm64 */
  arch: string;
  cpus: number;
  memoryBytes: number;
  engineVersion: string; // '20.10.24'
  kernelVersion: string;
  osImage: string; // 'Debian GNU/Linux 12 (bookworm)'
  /** Address pods on this daemon get their IPs from, if known (bridge gateway). */
  hostIp?: string;
}

export interface ImageInfo {
  id: string;
  /** repo:tag names */
  names: string[];
  sizeBytes: number;
}

export interface PortBinding {
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  hostPort?: number;
  hostIp?: string;
}

export interface Mount {
  /** Docker named volume, or an absolute host path for hostPath. */
  source: string;
  type: 'volume' | 'bind' | 'tmpfs';
  target: string;
  readOnly: boolean;
  /** For tmpfs: size in bytes (0 = default). */
  tmpfsSizeBytes?: number;
}

export interface SandboxSpec {
  name: string; // Docker container name
  labels: Record<string, string>;
  hostname: string;
  /** Ports of all the pod's containers; published on the sandbox because it owns the network namespace. */
  ports: PortBinding[];
  dnsServers?: string[];
  dnsSearch?: string[];
  /** resolv.conf options, e.g. 'ndots:5'. */
  dnsOptions?: string[];
  extraHosts?: string[]; // 'name:ip'
  /** Docker network to attach to; undefined = the daemon's default bridge. */
  network?: string;
  /** How to make `network` when the daemon does not have it yet (the pod network); the runtime creates it on demand. */
  networkSettings?: { subnet: string; gateway: string; ipRange: string };
  /**
   * Volumes the agent writes files into through the sandbox (configMap, secret,
   * downwardAPI): putFiles on the sandbox reaches them on any daemon, local or remote.
   */
  mounts?: Mount[];
}

export interface ContainerSpec {
  name: string; // Docker container name
  labels: Record<string, string>;
  image: string;
  /** Entrypoint override (Kubernetes `command`), undefined keeps the image's. */
  entrypoint?: string[];
  /** Kubernetes `args` (or the image's CMD when undefined). */
  cmd?: string[];
  workingDir?: string;
  env: Record<string, string>;
  mounts: Mount[];
  /** The sandbox whose network, IPC and UTS namespaces this container joins. */
  sandboxId: string;
  user?: string; // '1000' or '1000:1000'
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** CPU limit in nano-CPUs (Docker NanoCpus); 0 = unlimited. */
  nanoCpus?: number;
  /** Memory limit in bytes; 0 = unlimited. */
  memoryBytes?: number;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
}

export type ContainerRunState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  name: string; // Docker container name
  labels: Record<string, string>;
  image: string; // as requested
  imageId: string; // docker-pullable://... or sha256:...
  state: ContainerRunState;
  createdAt: string; // RFC 3339
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** Docker's error text when the start failed. */
  error?: string;
  /** For sandboxes: the pod IP on the daemon's network. */
  ipAddress?: string;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved, capped in size. */
  output: string;
  timedOut: boolean;
}

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface ExecSession {
  /** Write to the process's stdin (when stdin was requested). */
  stdin?: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  /** Absent with a TTY: stderr is merged into stdout. */
  stderr?: NodeJS.ReadableStream;
  resize(columns: number, rows: number): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  exitCode: Promise<number>;
  /** Lets go of the process without ending it (the client went away). */
  detach(): void;
}

export interface ContainerStats {
  /** CPU used, in nano-cores averaged since the previous sample. */
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
}

export interface RuntimeEvent {
  /** 'die' | 'start' | 'oom' | 'destroy' ... */
  action: string;
  containerId: string;
  labels: Record<string, string>;
}

/** Thrown by runtime calls; `message` is the daemon's own text (shown to users as is). */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'image-pull' | 'image-not-present' | 'conflict' | 'unavailable' | 'other' = 'other',
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface ContainerRuntime {
  info(): Promise<RuntimeInfo>;
  ping(): Promise<void>;

  listImages(): Promise<ImageInfo[]>;
  /** The image's id when present locally, else undefined. */
  imageId(ref: string): Promise<string | undefined>;
  /** Pulls; progress lines go to onProgress; RuntimeError('image-pull') carries the daemon's message. */
  pullImage(ref: string, onProgress?: (line: string) => void): Promise<void>;
  /** Makes the pod sandbox image present on this daemon (built offline by Kubelab) and returns its ref. */
  ensureSandboxImage(): Promise<string>;

  createSandbox(spec: SandboxSpec): Promise<string>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutSeconds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerStatus>;
  /** Every container (running or not) whose labels include all of `labels`. */
  listContainers(labels: Record<string, string>): Promise<ContainerStatus[]>;

  /** Runs a command to completion (probes, preStop hooks); never throws for a non-zero exit. */
  execSimple(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** An interactive exec (kubectl exec). */
  exec(id: string, command: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecSession>;
  /**
   * Attaches to the container's main process (kubectl attach, kubectl run -i): its output
   * from now on, and its stdin when the container was created with one. Whether output is
   * a terminal is the container's own setting. `exitCode` resolves 0 when the stream ends,
   * as the kubelet reports a finished attach; the pod's status tells how the process ended.
   */
  attach(id: string, options: { stdin: boolean }): Promise<ExecSession>;
  /** Log stream, demultiplexed into text lines (stdout and stderr interleaved). */
  logs(id: string, options: LogOptions): Promise<NodeJS.ReadableStream>;
  /** Writes files into a directory of a container's filesystem (configMap/secret volumes). */
  putFiles(id: string, directory: string, files: { path: string; content: Buffer; mode: number }[]): Promise<void>;

  /** Idempotent. With tmpfs, the volume lives in memory (emptyDir medium: Memory) and is still shared by the pod's containers. */
  createVolume(name: string, labels: Record<string, string>, options?: { tmpfsSizeBytes?: number }): Promise<void>;
  removeVolume(name: string): Promise<void>;
  listVolumes(labels: Record<string, string>): Promise<string[]>;

  stats(id: string): Promise<ContainerStats>;
  /** Container events (die, oom, start...) until the signal aborts; reconnects are the caller's job. */
  events(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void>;
}
