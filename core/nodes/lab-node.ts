import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { LABELS } from '../agent/container-runtime.ts';
import type { Logger } from '../log/logger.ts';
import { DATA_DIR_LABEL } from './cluster-leftovers.ts';
import type { NodeImage } from './node-image.ts';

// Lab nodes: Docker-in-Docker containers on the host's daemon, one per node. The
// inner dockerd listens on a unix socket in a host directory bind-mounted at
// /run/kubelab, so the host reaches it as a file without opening any TCP port; its
// images and containers live in a named volume at /var/lib/docker (overlay2 does not
// work on top of the container's own overlay root).

export const LAB_NODE_LABEL = 'io.kubelab.lab-node';
/** Where the node's socket directory is mounted inside the lab node container. */
const SOCKET_MOUNT = '/run/kubelab';
/** sockaddr_un.sun_path is 108 bytes including the terminating NUL. */
export const MAX_UNIX_SOCKET_PATH = 107;

export interface LabNodePaths {
  containerName: string;
  volumeName: string;
  /** Host directory mounted at /run/kubelab. */
  socketDir: string;
  socketPath: string;
  /** unix://<socketPath>, the value of the node's endpoint annotation. */
  endpointUrl: string;
}

export function labNodePaths(dataDir: string, name: string): LabNodePaths {
  const socketDir = join(dataDir, 'nodes', name);
  const socketPath = join(socketDir, 'docker.sock');
  return {
    containerName: `kubelab-node-${name}`,
    volumeName: `kubelab-node-${name}-data`,
    socketDir,
    socketPath,
    endpointUrl: `unix://${socketPath}`,
  };
}

export class LabNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabNodeError';
  }
}

export interface CreateLabNodeOptions {
  name: string;
  dataDir: string;
  image: NodeImage;
  /** The cluster it belongs to (LABELS.cluster), so `kubelab reset` and `kubelab gc` find it. */
  clusterId?: string;
  /** Group allowed to use the node's socket (the user running Kubelab). */
  socketGid?: number;
  /** How long to wait for the inner daemon to answer. Default 90 s. */
  readyTimeoutMs?: number;
  logger?: Logger;
}

export interface LabNode extends LabNodePaths {
  name: string;
  containerId: string;
  /** False when the host refused --privileged and the capability-based fallback runs it. */
  privileged: boolean;
}

export type LabNodeState = 'running' | 'stopped' | 'missing';

/**
 * Creates (or, when its container exists, starts) a lab node and waits until its inner
 * daemon answers on the socket. Idempotent.
 */
export async function createLabNode(hostDocker: Dockerode, options: CreateLabNodeOptions): Promise<LabNode> {
  const paths = labNodePaths(options.dataDir, options.name);
  if (Buffer.byteLength(paths.socketPath) > MAX_UNIX_SOCKET_PATH) {
    throw new LabNodeError(
      `lab node ${options.name}: its socket path ${paths.socketPath} is ${Buffer.byteLength(paths.socketPath)} bytes, ` +
        `but unix sockets allow ${MAX_UNIX_SOCKET_PATH}: use a shorter --data-dir or node name`,
    );
  }
  await mkdir(paths.socketDir, { recursive: true, mode: 0o750 });
  const timeoutMs = options.readyTimeoutMs ?? 90_000;

  const existing = await inspectOrUndefined(hostDocker.getContainer(paths.containerName));
  if (existing) {
    if (!existing.State.Running) await hostDocker.getContainer(existing.Id).start();
    await waitForLabNodeDaemon(hostDocker, paths, timeoutMs);
    return { ...paths, name: options.name, containerId: existing.Id, privileged: existing.HostConfig.Privileged === true };
  }

  const labels = {
    [LAB_NODE_LABEL]: options.name,
    ...(options.clusterId ? { [LABELS.cluster]: options.clusterId } : {}),
    [DATA_DIR_LABEL]: options.dataDir,
  };
  await hostDocker.createVolume({ Name: paths.volumeName, Labels: labels });
  if (options.image.flavor === 'dind') {
    // docker:dind's own entrypoint expects --privileged; ours copes without it.
    const script = join(paths.socketDir, 'entrypoint.sh');
    await copyFile(options.image.entrypointScript, script);
    await chmod(script, 0o755);
  }

  let privileged = true;
  let container = await createContainer(hostDocker, options, paths, labels, true);
  try {
    await container.start();
  } catch (error) {
    // Hosts without CAP_SYS_RESOURCE & co (VMs, rootless setups) refuse --privileged
    // at start ("unable to apply caps"). Every capability but SYS_RESOURCE, without
    // seccomp and AppArmor, is enough for dockerd inside.
    options.logger?.info('the host refused a privileged container; using capabilities instead', {
      node: options.name,
      error: (error as Error).message,
    });
    await container.remove({ force: true });
    privileged = false;
    container = await createContainer(hostDocker, options, paths, labels, false);
    try {
      await container.start();
    } catch (fallbackError) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new LabNodeError(
        `lab node ${options.name}: the host daemon cannot run a Docker-in-Docker container: ` +
          `with --privileged: ${(error as Error).message}; with capabilities: ${(fallbackError as Error).message}`,
      );
    }
  }
  await waitForLabNodeDaemon(hostDocker, paths, timeoutMs);
  return { ...paths, name: options.name, containerId: container.id, privileged };
}

function createContainer(
  hostDocker: Dockerode,
  options: CreateLabNodeOptions,
  paths: LabNodePaths,
  labels: Record<string, string>,
  privileged: boolean,
): Promise<Dockerode.Container> {
  const security = privileged
    ? { Privileged: true }
    : { CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'], SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'] };
  const dind = options.image.flavor === 'dind';
  // @types/dockerode lacks CgroupnsMode (API 1.41+); a private cgroup namespace gives
  // the inner dockerd a cgroup root of its own.
  const hostConfig: Dockerode.HostConfig & { CgroupnsMode: 'private' } = {
    ...security,
    // docker-init reaps the inner daemon's orphans where the image has no init of its own.
    ...(dind ? { Init: true } : {}),
    CgroupnsMode: 'private',
    Binds: [`${paths.socketDir}:${SOCKET_MOUNT}`],
    Mounts: [{ Type: 'volume', Source: paths.volumeName, Target: '/var/lib/docker' }],
    // Back after a host reboot, but a node stopped on purpose stays stopped.
    RestartPolicy: { Name: 'unless-stopped' },
  };
  return hostDocker.createContainer({
    name: paths.containerName,
    Image: options.image.ref,
    Hostname: options.name,
    Labels: labels,
    Env: [
      ...(options.socketGid !== undefined ? [`KUBELAB_SOCKET_GID=${options.socketGid}`] : []),
      // docker:dind would otherwise generate TLS certificates and listen on tcp too.
      ...(dind ? ['DOCKER_TLS_CERTDIR='] : []),
    ],
    ...(dind ? { Entrypoint: ['sh', `${SOCKET_MOUNT}/entrypoint.sh`], Cmd: [] } : {}),
    HostConfig: hostConfig,
  });
}

/** Waits until the inner daemon answers ping; fails early, with its last log lines, when the container exits. */
export async function waitForLabNodeDaemon(hostDocker: Dockerode, paths: LabNodePaths, timeoutMs: number): Promise<void> {
  const inner = new Dockerode({ socketPath: paths.socketPath, timeout: 5_000 });
  const container = hostDocker.getContainer(paths.containerName);
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      await inner.ping();
      return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    const state = (await inspectOrUndefined(container))?.State;
    if (!state?.Running) {
      const why = state ? `exited with code ${state.ExitCode}` : 'is gone';
      throw new LabNodeError(`lab node container ${paths.containerName} ${why} before its Docker daemon answered.${await lastLogLines(container)}`);
    }
    if (Date.now() >= deadline) {
      throw new LabNodeError(
        `lab node ${paths.containerName}: its Docker daemon did not answer on ${paths.socketPath} within ${Math.round(timeoutMs / 1000)}s (${lastError}).${await lastLogLines(container)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function labNodeState(hostDocker: Dockerode, name: string): Promise<LabNodeState> {
  const info = await inspectOrUndefined(hostDocker.getContainer(labNodePaths('/', name).containerName));
  if (!info) return 'missing';
  return info.State.Running ? 'running' : 'stopped';
}

/** Stops the node's container (its daemon and every pod container with it), as a machine going down. */
export async function stopLabNode(hostDocker: Dockerode, name: string, timeoutSeconds = 10): Promise<void> {
  const container = hostDocker.getContainer(labNodePaths('/', name).containerName);
  const info = await inspectOrUndefined(container);
  if (!info) throw new LabNodeError(`lab node ${name} has no container`);
  if (info.State.Running) await container.stop({ t: timeoutSeconds });
}

/** Starts a stopped lab node and waits for its daemon. */
export async function startLabNode(hostDocker: Dockerode, dataDir: string, name: string, timeoutMs = 90_000): Promise<void> {
  const paths = labNodePaths(dataDir, name);
  const container = hostDocker.getContainer(paths.containerName);
  const info = await inspectOrUndefined(container);
  if (!info) throw new LabNodeError(`lab node ${name} has no container`);
  if (!info.State.Running) await container.start();
  await waitForLabNodeDaemon(hostDocker, paths, timeoutMs);
}

/** Removes the node's container, its data volume and its socket directory. Missing parts are fine. */
export async function deleteLabNode(hostDocker: Dockerode, dataDir: string, name: string): Promise<void> {
  const paths = labNodePaths(dataDir, name);
  await ignoreNotFound(hostDocker.getContainer(paths.containerName).remove({ force: true }));
  await ignoreNotFound(hostDocker.getVolume(paths.volumeName).remove());
  await rm(paths.socketDir, { recursive: true, force: true });
}

async function inspectOrUndefined(container: Dockerode.Container): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await container.inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

async function ignoreNotFound(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

async function lastLogLines(container: Dockerode.Container, lines = 20): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    const text = demultiplex(raw).trim();
    return text ? `\nLast log lines:\n${text}` : '';
  } catch {
    return '';
  }
}

/** Docker's non-TTY log format: 8-byte frame headers (stream, 0, 0, 0, size32be) before each chunk. */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length && raw[offset] <= 2 && raw.readUInt16BE(offset + 1) === 0 && raw[offset + 3] === 0) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  // Anything not framed (a TTY container) is plain text.
  if (offset < raw.length) parts.push(raw.subarray(offset));
  return Buffer.concat(parts).toString('utf8');
}
