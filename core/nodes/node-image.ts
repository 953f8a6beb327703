import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import type { Logger } from '../log/logger.ts';

// The image lab nodes run. Docker's own docker:dind when the host has it or can pull
// it; otherwise Kubelab's node image (Debian's docker.io plus entrypoint.sh), built
// from resources/node-image/ with `docker build` where debian:bookworm-slim can be
// had, or with build-offline.sh (debootstrap from Debian's mirror, no registry).

export const NODE_IMAGE_DIR = fileURLToPath(new URL('../../resources/node-image/', import.meta.url));
export const NODE_IMAGE_VERSION = readFileSync(`${NODE_IMAGE_DIR}VERSION`, 'utf8').trim();
export const KUBELAB_NODE_IMAGE = `kubelab/node:${NODE_IMAGE_VERSION}`;
export const DIND_IMAGE = 'docker:dind';
const DOCKERFILE_BASE_IMAGE = 'debian:bookworm-slim';
const ENTRYPOINT_SCRIPT = `${NODE_IMAGE_DIR}entrypoint.sh`;
/** VERSION plus the entrypoint's hash (as build-offline.sh computes it): an edited entrypoint means a rebuild. */
export const NODE_IMAGE_RECIPE = `${NODE_IMAGE_VERSION}-${createHash('sha256').update(readFileSync(ENTRYPOINT_SCRIPT)).digest('hex').slice(0, 12)}`;
export const NODE_IMAGE_RECIPE_LABEL = 'io.kubelab.node-image.recipe';

export interface NodeImage {
  ref: string;
  /** 'dind' runs Kubelab's entrypoint script (mounted into the container) instead of the image's own. */
  flavor: 'kubelab' | 'dind';
  /** The entrypoint lab nodes of the 'dind' flavour run. */
  entrypointScript: string;
}

export interface EnsureNodeImageOptions {
  /** Bound on each registry pull attempt. Default 60 s. */
  pullTimeoutMs?: number;
  logger?: Logger;
  /** Injected for tests; defaults check the process and /etc/debian_version. */
  isRoot?: boolean;
  isDebian?: boolean;
  /** Runs build-offline.sh; injected for tests. */
  buildOffline?: (image: string) => Promise<void>;
}

/** Returns a node image present on `docker`, pulling or building one when needed. */
export async function ensureNodeImage(docker: Dockerode, options: EnsureNodeImageOptions = {}): Promise<NodeImage> {
  const dind: NodeImage = { ref: DIND_IMAGE, flavor: 'dind', entrypointScript: ENTRYPOINT_SCRIPT };
  const kubelab: NodeImage = { ref: KUBELAB_NODE_IMAGE, flavor: 'kubelab', entrypointScript: ENTRYPOINT_SCRIPT };
  if (await imagePresent(docker, DIND_IMAGE)) return dind;
  if (await currentKubelabImagePresent(docker)) return kubelab;

  const failures: string[] = [];
  const pullTimeoutMs = options.pullTimeoutMs ?? 60_000;
  const log = options.logger;
  try {
    log?.info('pulling the Docker-in-Docker image', { image: DIND_IMAGE });
    await pullImage(docker, DIND_IMAGE, pullTimeoutMs);
    return dind;
  } catch (error) {
    failures.push(`pull ${DIND_IMAGE}: ${(error as Error).message}`);
  }

  let baseImage = await imagePresent(docker, DOCKERFILE_BASE_IMAGE);
  if (!baseImage) {
    try {
      await pullImage(docker, DOCKERFILE_BASE_IMAGE, pullTimeoutMs);
      baseImage = true;
    } catch (error) {
      failures.push(`pull ${DOCKERFILE_BASE_IMAGE}: ${(error as Error).message}`);
    }
  }
  if (baseImage) {
    try {
      log?.info('building the node image from its Dockerfile', { image: KUBELAB_NODE_IMAGE });
      await buildFromDockerfile(docker, KUBELAB_NODE_IMAGE);
      return kubelab;
    } catch (error) {
      failures.push(`docker build: ${(error as Error).message}`);
    }
  }

  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const isDebian = options.isDebian ?? existsSync('/etc/debian_version');
  if (isRoot && isDebian) {
    try {
      log?.info('building the node image offline with debootstrap (takes minutes)', { image: KUBELAB_NODE_IMAGE });
      await (options.buildOffline ?? runBuildOffline)(KUBELAB_NODE_IMAGE);
      if (await currentKubelabImagePresent(docker)) return kubelab;
      failures.push(`build-offline.sh finished but ${KUBELAB_NODE_IMAGE} (recipe ${NODE_IMAGE_RECIPE}) is not on the daemon`);
    } catch (error) {
      failures.push(`build-offline.sh: ${(error as Error).message}`);
    }
  } else {
    failures.push(`build-offline.sh: needs root on a Debian-family system (root: ${isRoot}, Debian: ${isDebian})`);
  }
  throw new Error(
    `no image for lab nodes: ${failures.join('; ')}. ` +
      `Fix: make ${DIND_IMAGE} or ${DOCKERFILE_BASE_IMAGE} pullable, or run ` +
      `"sudo bash ${NODE_IMAGE_DIR}build-offline.sh" once (needs debootstrap and Debian's mirror).`,
  );
}

export async function imagePresent(docker: Dockerode, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

async function currentKubelabImagePresent(docker: Dockerode): Promise<boolean> {
  try {
    const info = await docker.getImage(KUBELAB_NODE_IMAGE).inspect();
    return info.Config?.Labels?.[NODE_IMAGE_RECIPE_LABEL] === NODE_IMAGE_RECIPE;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** Pulls with a deadline; rejects with the daemon's message (or the time-out). */
async function pullImage(docker: Dockerode, ref: string, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const stream = (await docker.pull(ref, { abortSignal: abort.signal })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      abort.signal.addEventListener('abort', () => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`)), { once: true });
      docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
        const failed = error?.message ?? events?.find((event) => event.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      });
    });
  } catch (error) {
    if (abort.signal.aborted) throw new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function buildFromDockerfile(docker: Dockerode, tag: string): Promise<void> {
  const stream = await docker.buildImage(
    { context: NODE_IMAGE_DIR, src: ['Dockerfile', 'entrypoint.sh', 'VERSION'] },
    { t: tag, buildargs: { RECIPE: NODE_IMAGE_RECIPE } },
  );
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failed = error?.message ?? events?.find((event) => event.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    });
  });
}

function runBuildOffline(image: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${NODE_IMAGE_DIR}build-offline.sh`, image], { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exited with code ${code}: ${tail.trim()}`))));
  });
}
