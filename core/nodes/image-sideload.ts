import type Dockerode from 'dockerode';
import type { ContainerRuntime } from '../agent/container-runtime.ts';
import type { Logger } from '../log/logger.ts';

// Lab nodes usually cannot reach a registry (labs are often offline), but the host's
// daemon may already hold the image: a pull on such a node first copies the image
// from the host (docker save | docker load over the two daemons' APIs) and only asks
// the node's own daemon to pull when the host does not have it.

/** `busybox` means `busybox:latest`: saving an untagged name would export every tag. */
export function normalizeImageRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? ref : `${ref}:latest`;
}

export function withImageSideload(runtime: ContainerRuntime, hostDocker: Dockerode, nodeDocker: Dockerode, logger?: Logger): ContainerRuntime {
  // Two pods asking for one image at once share one copy.
  const copies = new Map<string, Promise<boolean>>();

  const copyFromHost = async (ref: string): Promise<boolean> => {
    const image = hostDocker.getImage(ref);
    try {
      await image.inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
    const archive = await image.get();
    const loading = (await nodeDocker.loadImage(archive, { quiet: true })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      nodeDocker.modem.followProgress(loading, (error: Error | null, events: { error?: string }[]) => {
        const failed = error?.message ?? events?.find((event) => event.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      });
    });
    return (await runtime.imageId(ref)) !== undefined;
  };

  const pullImage = async (ref: string, onProgress?: (line: string) => void): Promise<void> => {
    const normalized = normalizeImageRef(ref);
    let copy = copies.get(normalized);
    if (!copy) {
      copy = copyFromHost(normalized).finally(() => copies.delete(normalized));
      copies.set(normalized, copy);
    }
    try {
      if (await copy) {
        onProgress?.(`copied ${normalized} from the host's Docker daemon`);
        return;
      }
    } catch (error) {
      // A failed copy is not the user's problem yet: the node may still pull it.
      logger?.warn('copying an image from the host failed; pulling on the node instead', { image: normalized, error: (error as Error).message });
    }
    await runtime.pullImage(ref, onProgress);
  };

  return new Proxy(runtime, {
    get(target, property, receiver) {
      if (property === 'pullImage') return pullImage;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
