// ContainerRuntime over a Docker daemon (dockerode): the only place that knows Docker's
// API shapes. Errors carry the daemon's own message, classified by RuntimeError.kind so
// the agent can react (not-found, conflict, image-pull...) without parsing text.
import { networkInterfaces } from 'node:os';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { posix } from 'node:path';
import type Dockerode from 'dockerode';
import tarStream from 'tar-stream';
import type { Logger } from '../log/logger.ts';
import {
  LABELS,
  RuntimeError,
  type ContainerRunState,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStats,
  type ContainerStatus,
  type ExecResult,
  type ExecSession,
  type ImageInfo,
  type LogOptions,
  type Mount,
  type RuntimeEvent,
  type RuntimeInfo,
  type SandboxSpec,
} from './container-runtime.ts';
import { bridgeAddress, ipamGateway, type BridgeNetwork } from './bridge-address.ts';
import { buildSandboxImage, isPauseArch, sandboxImageRef } from './sandbox-image.ts';
import { ensurePodNetwork } from '../proxy/pod-network.ts';

/** Output kept by execSimple (probes, hooks): enough for a message, bounded in memory. */
export const EXEC_OUTPUT_LIMIT_BYTES = 10 * 1024;

const DOCKER_ZERO_TIME = '0001-01-01T00:00:00Z';
/** Attribute keys of container events that are Docker's own, not the container's labels. */
const EVENT_ATTRIBUTES_NOT_LABELS = new Set(['image', 'name', 'exitCode', 'signal', 'execID', 'execDuration']);

const KUBERNETES_ARCH: Record<string, string> = {
  x86_64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
  armv7l: 'arm',
  i686: '386',
  i386: '386',
  s390x: 's390x',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
};

/** Docker's `uname -m` style architecture in Kubernetes' (GOARCH) names. */
export function kubernetesArch(dockerArch: string): string {
  return KUBERNETES_ARCH[dockerArch] ?? dockerArch;
}

/** A ref without a tag or digest means `:latest` (a registry port is not a tag). */
export function normalizeImageRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastComponent = ref.slice(ref.lastIndexOf('/') + 1);
  return lastComponent.includes(':') ? ref : `${ref}:latest`;
}

/** Docker's times (RFC 3339 with nanoseconds) as Kubernetes writes them: whole seconds, UTC. */
function rfc3339(dockerTime: string | undefined): string | undefined {
  if (!dockerTime || dockerTime === DOCKER_ZERO_TIME || dockerTime.startsWith('0001-01-01')) return undefined;
  const time = new Date(dockerTime);
  if (Number.isNaN(time.getTime())) return undefined;
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/** The raw connection of a hijacked exec or attach: stdin one way, the output the other. */
type HijackedConnection = NodeJS.ReadWriteStream & Readable;

interface DockerodeError extends Error {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
}

/** The daemon's message without dockerode's "(HTTP code 404) no such container - " prefix. */
function daemonMessage(error: DockerodeError): string {
  if (error.json && typeof error.json === 'object' && typeof error.json.message === 'string') return error.json.message;
  return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EACCES']);

/** Classifies a dockerode failure; RuntimeErrors pass through unchanged. */
export function toRuntimeError(error: unknown, fallbackKind: RuntimeError['kind'] = 'other'): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const failure = (error instanceof Error ? error : new Error(String(error))) as DockerodeError;
  const message = daemonMessage(failure);
  if (failure.code && UNAVAILABLE_CODES.has(failure.code)) {
    return new RuntimeError(`Docker daemon unavailable: ${message}`, 'unavailable');
  }
  if (failure.statusCode === 404) {
    return new RuntimeError(message, /no such image/i.test(message) ? 'image-not-present' : 'not-found');
  }
  if (failure.statusCode === 409) return new RuntimeError(message, 'conflict');
  return new RuntimeError(message, fallbackKind);
}

function isStatus(error: unknown, statusCode: number): boolean {
  return (error as DockerodeError | undefined)?.statusCode === statusCode;
}

function runState(status: string | undefined): ContainerRunState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    default:
      return 'unknown';
  }
}

function dockerMounts(mounts: Mount[] | undefined): Dockerode.MountSettings[] {
  return (mounts ?? []).map((mount) => {
    if (mount.type === 'tmpfs') {
      return {
        Type: 'tmpfs',
        Source: '',
        Target: mount.target,
        ReadOnly: mount.readOnly,
        // Docker's default tmpfs mode (world-writable, sticky); size 0 = the kernel's default.
        TmpfsOptions: { SizeBytes: mount.tmpfsSizeBytes ?? 0, Mode: 0o1777 },
      };
    }
    return { Type: mount.type, Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly };
  });
}

/** Passes at most `limit` bytes, then ends (and lets the caller stop the source). */
class ByteLimit extends Transform {
  private remaining: number;
  constructor(limit: number, private readonly onLimit: () => void) {
    super();
    this.remaining = limit;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.remaining <= 0) return callback();
    const part = chunk.length > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
    this.remaining -= part.length;
    this.push(part);
    if (this.remaining <= 0) {
      this.push(null);
      this.onLimit();
    }
    callback();
  }
}

/** Collects stream output up to a limit (the rest is counted, not kept). */
class CappedCollector extends PassThrough {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  constructor(private readonly limit: number) {
    super();
    this.on('data', (chunk: Buffer) => {
      if (this.kept >= this.limit) return;
      const part = chunk.subarray(0, this.limit - this.kept);
      this.chunks.push(part);
      this.kept += part.length;
    });
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DockerRuntimeOptions {
  logger?: Logger;
}

export class DockerRuntime implements ContainerRuntime {
  private readonly logger?: Logger;
  private sandboxImage?: Promise<string>;
  /** RepoDigests per image id: image ids are content hashes, so a cached answer stays true. */
  private readonly repoDigests = new Map<string, string[]>();

  constructor(
    private readonly docker: Dockerode,
    options: DockerRuntimeOptions = {},
  ) {
    this.logger = options.logger;
  }

  async info(): Promise<RuntimeInfo> {
    const [info, version] = await this.call(() => Promise.all([this.docker.info(), this.docker.version()]));
    return {
      hostname: info.Name,
      os: info.OSType ?? version.Os ?? 'linux',
      arch: kubernetesArch(info.Architecture ?? version.Arch),
      cpus: info.NCPU,
      memoryBytes: info.MemTotal,
      engineVersion: version.Version ?? info.ServerVersion,
      kernelVersion: info.KernelVersion ?? version.KernelVersion,
      osImage: info.OperatingSystem,
      hostIp: await this.bridgeGateway(),
    };
  }

  async ping(): Promise<void> {
    await this.call(() => this.docker.ping());
  }

  async listImages(): Promise<ImageInfo[]> {
    const images = await this.call(() => this.docker.listImages());
    return images.map((image) => ({
      id: image.Id,
      names: (image.RepoTags ?? []).filter((name) => name !== '<none>:<none>'),
      sizeBytes: image.Size,
    }));
  }

  async imageId(ref: string): Promise<string | undefined> {
    try {
      const image = await this.docker.getImage(normalizeImageRef(ref)).inspect();
      return image.Id;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw toRuntimeError(error);
    }
  }

  async pullImage(ref: string, onProgress?: (line: string) => void): Promise<void> {
    // Without a tag the daemon would pull every tag of the repository.
    const normalized = normalizeImageRef(ref);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(normalized);
    } catch (error) {
      throw toRuntimeError(error, 'image-pull');
    }
    await new Promise<void>((resolve, reject) => {
      let reported: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => {
          if (reported) reject(new RuntimeError(reported, 'image-pull'));
          else if (error) reject(toRuntimeError(error, 'image-pull'));
          else resolve();
        },
        (event: { status?: string; id?: string; progress?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.error || event.errorDetail?.message) reported ??= event.errorDetail?.message ?? event.error;
          const line = [event.id, event.status, event.progress, event.error].filter(Boolean).join(' ');
          if (line && onProgress) onProgress(line);
        },
      );
    });
    this.logger?.info('image pulled', { image: normalized });
  }

  ensureSandboxImage(): Promise<string> {
    // One build per runtime at a time; a failure is retried on the next call.
    this.sandboxImage ??= this.buildSandboxImageIfAbsent().catch((error: unknown) => {
      this.sandboxImage = undefined;
      throw error;
    });
    return this.sandboxImage;
  }

  private async buildSandboxImageIfAbsent(): Promise<string> {
    const { arch } = await this.info();
    if (!isPauseArch(arch)) {
      throw new RuntimeError(`Kubelab has no pod sandbox image for architecture ${arch} (supported: amd64, arm64)`);
    }
    const ref = sandboxImageRef(arch);
    if (await this.imageId(ref)) return ref;
    try {
      await buildSandboxImage(this.docker, arch);
    } catch (error) {
      throw toRuntimeError(error);
    }
    this.logger?.info('sandbox image built', { image: ref });
    return ref;
  }

  async createSandbox(spec: SandboxSpec): Promise<string> {
    const image = await this.ensureSandboxImage();
    const exposedPorts: Record<string, object> = {};
    const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const port of spec.ports) {
      const key = `${port.containerPort}/${port.protocol.toLowerCase()}`;
      exposedPorts[key] = {};
      if (port.hostPort) {
        (portBindings[key] ??= []).push({ HostIp: port.hostIp ?? '', HostPort: String(port.hostPort) });
      }
    }
    const create = () =>
      this.docker.createContainer({
        name: spec.name,
        Image: image,
        Hostname: spec.hostname,
        Labels: spec.labels,
        ExposedPorts: exposedPorts,
        HostConfig: {
          NetworkMode: spec.network ?? 'bridge',
          PortBindings: portBindings,
          Dns: spec.dnsServers,
          DnsSearch: spec.dnsSearch,
          DnsOptions: spec.dnsOptions,
          ExtraHosts: spec.extraHosts,
          Mounts: dockerMounts(spec.mounts),
          // The pod's containers join this IPC namespace, which Docker only allows when shareable.
          IpcMode: 'shareable',
          RestartPolicy: { Name: 'no' },
          Init: false,
          // pause itself needs a few KiB; this keeps a stray sandbox from costing more.
          Memory: 32 * 1024 * 1024,
          MemorySwap: 32 * 1024 * 1024,
        },
      });
    // The pod network may not exist yet on this daemon (the node proxy runner makes it too).
    if (spec.network && spec.networkSettings) await this.call(() => ensurePodNetwork(this.docker, { name: spec.network!, ...spec.networkSettings! }, this.logger));
    const container = await this.call(create);
    return container.id;
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const sandbox = `container:${spec.sandboxId}`;
    const memory = spec.memoryBytes && spec.memoryBytes > 0 ? spec.memoryBytes : undefined;
    const container = await this.call(() =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        // undefined keeps the image's; [] is sent as is (Docker: no entrypoint, no image CMD).
        Entrypoint: spec.entrypoint,
        Cmd: spec.cmd,
        WorkingDir: spec.workingDir,
        Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
        Labels: spec.labels,
        User: spec.user,
        Tty: spec.tty ?? false,
        OpenStdin: spec.stdin ?? false,
        StdinOnce: spec.stdinOnce ?? false,
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        HostConfig: {
          // The UTS namespace (hostname) comes with the network namespace.
          NetworkMode: sandbox,
          IpcMode: sandbox,
          Mounts: dockerMounts(spec.mounts),
          ReadonlyRootfs: spec.readOnlyRootFilesystem ?? false,
          Privileged: spec.privileged ?? false,
          CapAdd: spec.capAdd,
          CapDrop: spec.capDrop,
          NanoCpus: spec.nanoCpus && spec.nanoCpus > 0 ? spec.nanoCpus : undefined,
          // MemorySwap = Memory: no swap beyond the limit, so the limit is what the container gets.
          Memory: memory,
          MemorySwap: memory,
          RestartPolicy: { Name: 'no' },
        },
      }),
    );
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      if (isStatus(error, 304)) return; // already running
      throw toRuntimeError(error);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(timeoutSeconds)) });
    } catch (error) {
      if (isStatus(error, 304)) return; // already stopped
      throw toRuntimeError(error);
    }
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    await this.call(() => this.docker.getContainer(id).kill({ signal }));
  }

  /** Force-removes the container and its anonymous volumes; an absent container is not an error. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (isStatus(error, 404)) return;
      throw toRuntimeError(error);
    }
  }

  async inspectContainer(id: string): Promise<ContainerStatus> {
    const inspect = await this.call(() => this.docker.getContainer(id).inspect());
    return this.toStatus(inspect);
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerStatus[]> {
    const listed = await this.call(() => this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } }));
    const statuses = await Promise.all(
      listed.map(async (container) => {
        try {
          return await this.inspectContainer(container.Id);
        } catch (error) {
          if (error instanceof RuntimeError && error.kind === 'not-found') return undefined; // removed meanwhile
          throw error;
        }
      }),
    );
    return statuses.filter((status): status is ContainerStatus => status !== undefined);
  }

  /**
   * Runs the command and collects stdout+stderr (capped). On timeout it resolves
   * {timedOut: true, exitCode: -1}; Docker has no way to kill an exec, so the
   * process may live on in the container until it ends by itself.
   */
  async execSimple(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await this.call(() =>
      this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false }),
    );
    const deadline = Date.now() + timeoutMs;
    const output = new CappedCollector(EXEC_OUTPUT_LIMIT_BYTES);
    // Aborting closes the output stream whether or not the start has answered yet.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const run = (async () => {
      const stream = await this.call(() => exec.start({ Detach: false, Tty: false, abortSignal: abort.signal }));
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', reject);
      });
      this.docker.modem.demuxStream(stream, output, output);
      await ended;
      return this.execExitCode(exec, deadline);
    })();
    run.catch(() => undefined); // after a timeout nobody awaits it
    try {
      const result = await Promise.race([run, timedOut]);
      if (result === 'timeout' || result === undefined) return { exitCode: -1, output: output.text(), timedOut: true };
      return { exitCode: result, output: output.text(), timedOut: false };
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  /**
   * The exec's exit code. The daemon may report the exec as still running for a moment
   * after its output stream closed, so ask again until it has finished (or the deadline).
   */
  private async execExitCode(exec: Dockerode.Exec, deadline: number): Promise<number | undefined> {
    for (;;) {
      const state = await this.call(() => exec.inspect());
      if (!state.Running && state.ExitCode !== null && state.ExitCode !== undefined) return state.ExitCode;
      if (Date.now() >= deadline) return undefined;
      await delay(20);
    }
  }

  async exec(id: string, command: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecSession> {
    const exec = await this.call(() =>
      this.docker.getContainer(id).exec({
        Cmd: command,
        AttachStdin: options.stdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: options.tty,
      }),
    );
    // Hijacked: one raw connection carries stdin one way and the output the other.
    const connection = (await this.call(() =>
      exec.start({ hijack: true, stdin: options.stdin, Detach: false, Tty: options.tty }),
    )) as HijackedConnection;
    return this.sessionOver(id, connection, {
      stdin: options.stdin,
      tty: options.tty,
      resize: (w, h) => exec.resize({ w, h }),
      exitCode: async () => (await this.execExitCode(exec, Date.now() + 10_000)) ?? -1,
    });
  }

  async attach(id: string, options: { stdin: boolean }): Promise<ExecSession> {
    const container = this.docker.getContainer(id);
    const inspect = await this.call(() => container.inspect());
    if (options.stdin && !inspect.Config.OpenStdin) {
      throw new RuntimeError('this container was not created with stdin open: set "stdin: true" on the container to attach to its input', 'other');
    }
    const connection = (await this.call(() =>
      container.attach({ stream: true, stdin: options.stdin, stdout: true, stderr: true, hijack: true }),
    )) as HijackedConnection;
    return this.sessionOver(id, connection, {
      stdin: options.stdin,
      tty: inspect.Config.Tty,
      resize: (w, h) => container.resize({ w, h }),
      exitCode: async () => 0,
    });
  }

  /** Output streams, stdin and resize over one hijacked exec or attach connection. */
  private sessionOver(
    id: string,
    connection: HijackedConnection,
    how: { stdin: boolean; tty: boolean; resize: (w: number, h: number) => Promise<unknown>; exitCode: () => Promise<number> },
  ): ExecSession {
    const stdout = new PassThrough();
    const stderr = how.tty ? undefined : new PassThrough();
    if (how.tty) {
      connection.pipe(stdout);
    } else {
      this.docker.modem.demuxStream(connection, stdout, stderr!);
    }
    const ended = new Promise<void>((resolve) => {
      const finish = () => {
        stdout.end();
        stderr?.end();
        resolve();
      };
      connection.once('end', finish);
      connection.once('close', finish);
      connection.once('error', (error: Error) => {
        this.logger?.warn('interactive stream failed', { containerId: id, error: error.message });
        finish();
      });
    });
    const exitCode = ended.then(how.exitCode);
    exitCode.catch(() => undefined);
    return {
      stdin: how.stdin ? connection : undefined,
      stdout,
      stderr,
      resize: async (columns: number, rows: number) => {
        await this.call(() => how.resize(columns, rows));
      },
      exitCode,
      detach: () => connection.destroy(),
    };
  }

  async logs(id: string, options: LogOptions): Promise<NodeJS.ReadableStream> {
    const inspect = await this.call(() => this.docker.getContainer(id).inspect());
    let since: number | undefined;
    if (options.sinceSeconds !== undefined) since = Math.floor(Date.now() / 1000) - options.sinceSeconds;
    else if (options.sinceTime) since = Math.floor(Date.parse(options.sinceTime) / 1000);
    // Dialled as a stream even without follow: dockerode would otherwise buffer and JSON-parse the body.
    const source = (await this.call(
      () =>
        new Promise<NodeJS.ReadableStream>((resolve, reject) => {
          this.docker.modem.dial(
            {
              path: `/containers/${encodeURIComponent(inspect.Id)}/logs?`,
              method: 'GET',
              isStream: true,
              statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
              options: {
                follow: options.follow ?? false,
                stdout: true,
                stderr: true,
                timestamps: options.timestamps ?? false,
                tail: options.tailLines !== undefined ? String(options.tailLines) : 'all',
                ...(since !== undefined ? { since } : {}),
              },
            },
            (error: unknown, stream: unknown) => (error ? reject(error) : resolve(stream as NodeJS.ReadableStream)),
          );
        }),
    )) as Readable;
    const text = new PassThrough();
    if (inspect.Config.Tty) {
      source.pipe(text);
    } else {
      // stdout and stderr interleaved into one stream, as `kubectl logs` shows them.
      this.docker.modem.demuxStream(source, text, text);
      source.on('end', () => text.end());
    }
    source.on('error', (error: Error) => text.destroy(error));
    let output: NodeJS.ReadableStream & Readable = text;
    if (options.limitBytes && options.limitBytes > 0) {
      const limited = text.pipe(new ByteLimit(options.limitBytes, () => source.destroy()));
      text.on('error', (error) => limited.destroy(error));
      output = limited;
    }
    // A reader that goes away stops the daemon's stream too (follow would otherwise run on).
    output.on('close', () => source.destroy());
    return output;
  }

  /**
   * Writes the files under `directory` (paths relative to it, subdirectories created).
   * When `directory` does not exist yet, it is created by archiving into its nearest
   * existing ancestor, so existing directories never get their modes rewritten.
   */
  async putFiles(id: string, directory: string, files: { path: string; content: Buffer; mode: number }[]): Promise<void> {
    const container = this.docker.getContainer(id);
    const target = posix.resolve('/', directory);
    let base = target;
    while (base !== '/' && !(await this.pathExists(container, base))) base = posix.dirname(base);
    const prefix = posix.relative(base, target);
    const archive = await filesArchive(prefix, files);
    await this.call(() => container.putArchive(archive, { path: base }));
  }

  private async pathExists(container: Dockerode.Container, path: string): Promise<boolean> {
    try {
      await container.infoArchive({ path });
      return true;
    } catch (error) {
      if (isStatus(error, 404)) {
        // 404 means either "no such path" or "no such container": tell them apart.
        await this.call(() => container.inspect());
        return false;
      }
      throw toRuntimeError(error);
    }
  }

  async createVolume(name: string, labels: Record<string, string>, options: { tmpfsSizeBytes?: number } = {}): Promise<void> {
    try {
      await this.docker.getVolume(name).inspect();
      return;
    } catch (error) {
      if (!isStatus(error, 404)) throw toRuntimeError(error);
    }
    const tmpfs = options.tmpfsSizeBytes !== undefined;
    const driverOpts: Record<string, string> | undefined = tmpfs
      ? { type: 'tmpfs', device: 'tmpfs', ...(options.tmpfsSizeBytes ? { o: `size=${options.tmpfsSizeBytes}` } : {}) }
      : undefined;
    await this.call(() => this.docker.createVolume({ Name: name, Driver: 'local', Labels: labels, DriverOpts: driverOpts }));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (error) {
      if (isStatus(error, 404)) return;
      throw toRuntimeError(error);
    }
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    const answer = await this.call(() => this.docker.listVolumes({ filters: { label: labelFilters(labels) } }));
    return (answer.Volumes ?? []).map((volume) => volume.Name);
  }

  async stats(id: string): Promise<ContainerStats> {
    const stats = (await this.call(() => this.docker.getContainer(id).stats({ stream: false }))) as unknown as DockerStats;
    return { cpuNanoCores: cpuNanoCores(stats), memoryWorkingSetBytes: memoryWorkingSetBytes(stats) };
  }

  /**
   * Calls onEvent for each event of Kubelab's containers. Resolves when `signal` aborts;
   * rejects with RuntimeError('unavailable') when the daemon ends the stream.
   */
  async events(onEvent: (event: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stream = (await this.call(() =>
      this.docker.getEvents({ filters: { type: ['container'], label: [`${LABELS.managed}=true`] } }),
    )) as Readable;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      // One decoder for the whole stream: a character split between two chunks is kept
      // until its last byte arrives, rather than decoded as two replacement characters.
      const decoder = new StringDecoder('utf8');
      const onAbort = () => {
        stream.destroy();
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = (error?: Error) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return resolve();
        reject(error ? toRuntimeError(error, 'unavailable') : new RuntimeError('Docker event stream ended', 'unavailable'));
      };
      stream.on('data', (chunk: Buffer) => {
        buffered += decoder.write(chunk);
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) this.emitEvent(line, onEvent);
        }
      });
      stream.on('end', () => finish());
      stream.on('close', () => finish());
      stream.on('error', (error: Error) => finish(error));
    });
  }

  private emitEvent(line: string, onEvent: (event: RuntimeEvent) => void): void {
    let event: { Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      event = JSON.parse(line);
    } catch {
      this.logger?.warn('unparsable Docker event', { line: line.slice(0, 200) });
      return;
    }
    // "exec_start: sh -c ..." carries the command; the action is the part before the colon.
    const action = (event.Action ?? event.status ?? '').split(':')[0].trim();
    const labels = Object.fromEntries(
      Object.entries(event.Actor?.Attributes ?? {}).filter(([key]) => !EVENT_ATTRIBUTES_NOT_LABELS.has(key)),
    );
    onEvent({ action, containerId: event.Actor?.ID ?? event.id ?? '', labels });
  }

  private async toStatus(inspect: Dockerode.ContainerInspectInfo): Promise<ContainerStatus> {
    const state = runState(inspect.State.Status);
    // The default bridge's address sits at the top level (older API versions); other networks only per network.
    const settings = inspect.NetworkSettings as typeof inspect.NetworkSettings & { IPAddress?: string };
    const networks = Object.values(settings?.Networks ?? {});
    const ipAddress = settings?.IPAddress || networks.find((network) => network.IPAddress)?.IPAddress || undefined;
    const failedToStart = Boolean(inspect.State.Error);
    return {
      id: inspect.Id,
      name: inspect.Name.replace(/^\//, ''),
      labels: inspect.Config.Labels ?? {},
      image: inspect.Config.Image,
      imageId: await this.pullableImageId(inspect.Image),
      state,
      createdAt: rfc3339(inspect.Created) ?? inspect.Created,
      startedAt: rfc3339(inspect.State.StartedAt),
      finishedAt: state === 'exited' ? rfc3339(inspect.State.FinishedAt) : undefined,
      exitCode: state === 'exited' || failedToStart ? inspect.State.ExitCode : undefined,
      oomKilled: inspect.State.OOMKilled,
      error: inspect.State.Error || undefined,
      ipAddress,
    };
  }

  /** `docker-pullable://repo@sha256:...` when the image came from a registry, else its id, as the kubelet reports. */
  private async pullableImageId(imageId: string): Promise<string> {
    let digests = this.repoDigests.get(imageId);
    if (!digests) {
      try {
        digests = (await this.docker.getImage(imageId).inspect()).RepoDigests ?? [];
        this.repoDigests.set(imageId, digests);
      } catch {
        digests = []; // image removed since: the id is all there is
      }
    }
    return digests.length > 0 ? `docker-pullable://${digests[0]}` : imageId;
  }

  /**
   * The host's address on the default bridge (hostIp, the Node's InternalIP). Docker
   * does not always record it as the IPAM gateway (Debian's docker.io 20.10 does not),
   * so this looks up what bridgeAddress() falls back on, only when it is needed.
   */
  private async bridgeGateway(): Promise<string | undefined> {
    let bridge: BridgeNetwork & { Name?: string; Containers?: Record<string, unknown> | null };
    try {
      bridge = await this.docker.getNetwork('bridge').inspect();
    } catch {
      return undefined; // a daemon without the default bridge
    }
    if (ipamGateway(bridge)) return bridgeAddress(bridge);
    return bridgeAddress(bridge, {
      containerGateway: await this.attachedContainerGateway(bridge.Name ?? 'bridge', Object.keys(bridge.Containers ?? {})),
      // The daemon's bridge interface is ours to read only when it runs here (unix socket, not tcp/ssh).
      ...((this.docker.modem as { socketPath?: unknown }).socketPath ? { localInterfaces: networkInterfaces() } : {}),
    });
  }

  /** The gateway the first inspectable of `containerIds` sees on `network`; a few tries, as they may be gone. */
  private async attachedContainerGateway(network: string, containerIds: string[]): Promise<string | undefined> {
    for (const id of containerIds.slice(0, 3)) {
      try {
        // The top-level Gateway (the default bridge's, kept by older API versions) is missing from the types.
        const settings: { Networks?: Record<string, { Gateway?: string }>; Gateway?: string } = (await this.docker.getContainer(id).inspect()).NetworkSettings;
        const gateway = settings.Networks?.[network]?.Gateway || settings.Gateway;
        if (gateway) return gateway;
      } catch {
        // removed since the network was inspected; try the next
      }
    }
    return undefined;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toRuntimeError(error);
    }
  }
}

/** A tar of `files` under `prefix` (relative), with an entry for every directory on the way. */
async function filesArchive(prefix: string, files: { path: string; content: Buffer; mode: number }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => chunks.push(chunk as Buffer));
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const directories = new Set<string>();
  const addDirectories = (path: string) => {
    const parts = path.split('/').filter(Boolean);
    for (let depth = 1; depth <= parts.length; depth++) {
      const directory = parts.slice(0, depth).join('/');
      if (directories.has(directory)) continue;
      directories.add(directory);
      pack.entry({ name: `${directory}/`, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    }
  };
  if (prefix) addDirectories(prefix);
  for (const file of files) {
    const relative = posix.normalize(file.path).replace(/^\/+/, '');
    if (relative.startsWith('..')) throw new RuntimeError(`file path ${file.path} leaves the target directory`);
    const name = prefix ? `${prefix}/${relative}` : relative;
    const parent = posix.dirname(name);
    if (parent !== '.') addDirectories(parent);
    pack.entry({ name, mode: file.mode, uid: 0, gid: 0, size: file.content.length }, file.content);
  }
  pack.finalize();
  await finished;
  return Buffer.concat(chunks);
}

interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/** Docker's CPU formula (as `docker stats`), in nano-cores rather than percent. */
export function cpuNanoCores(stats: DockerStats): number {
  const previousTotal = stats.precpu_stats?.cpu_usage?.total_usage ?? 0;
  const previousSystem = stats.precpu_stats?.system_cpu_usage ?? 0;
  if (!previousTotal || !previousSystem) return 0;
  const cpuDelta = (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) - previousTotal;
  const systemDelta = (stats.cpu_stats?.system_cpu_usage ?? 0) - previousSystem;
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  const cpus = stats.cpu_stats?.online_cpus || stats.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  return Math.round((cpuDelta / systemDelta) * cpus * 1e9);
}

/** Usage minus inactive file cache, as the kubelet computes the working set (cgroup v1 and v2 keys). */
export function memoryWorkingSetBytes(stats: DockerStats): number {
  const usage = stats.memory_stats?.usage ?? 0;
  const inactiveFile = stats.memory_stats?.stats?.total_inactive_file ?? stats.memory_stats?.stats?.inactive_file ?? 0;
  return Math.max(0, usage - inactiveFile);
}
