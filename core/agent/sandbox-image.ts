// The pod sandbox image, Kubelab's own "pause": one static executable (pause-binary.ts)
// imported into the daemon as a single-layer image. Built on each node from code,
// so sandboxes work offline and on any daemon the user adds, amd64 or arm64.
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import tarStream from 'tar-stream';
import { pauseExecutable, type PauseArch } from './pause-binary.ts';

/** Bump whenever pause-binary.ts changes what it generates: nodes then build the new image. */
export const SANDBOX_IMAGE_VERSION = '1';
export const SANDBOX_IMAGE_REPOSITORY = 'kubelab/pause';

export function sandboxImageRef(arch: PauseArch): string {
  return `${SANDBOX_IMAGE_REPOSITORY}:${SANDBOX_IMAGE_VERSION}-${arch}`;
}

export function isPauseArch(arch: string): arch is PauseArch {
  return arch === 'amd64' || arch === 'arm64';
}

/** The image's root filesystem: `/pause`, mode 0755, owned by root. */
export async function sandboxRootfsTar(arch: PauseArch): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => chunks.push(chunk as Buffer));
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  pack.entry({ name: 'pause', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) }, pauseExecutable(arch));
  pack.finalize();
  await finished;
  return Buffer.concat(chunks);
}

/**
 * Imports the sandbox image for `arch` into the daemon as `ref` (repo:tag) and returns
 * the ref. The arch must be the daemon's own: the image is recorded with the daemon's
 * platform. Throws with the daemon's message when the import fails.
 */
export async function buildSandboxImage(docker: Dockerode, arch: PauseArch, ref = sandboxImageRef(arch)): Promise<string> {
  const tagSeparator = ref.lastIndexOf(':');
  if (tagSeparator <= ref.lastIndexOf('/')) throw new Error(`sandbox image ref ${ref} needs a tag`);
  const [repo, tag] = [ref.slice(0, tagSeparator), ref.slice(tagSeparator + 1)];
  const rootfs = Readable.from([await sandboxRootfsTar(arch)]);
  const stream = await docker.importImage(rootfs, { repo, tag, changes: ['ENTRYPOINT ["/pause"]'] });
  // The import answers with JSON progress lines; a failure arrives as an `error` line.
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const reported = output?.find((line) => line.error)?.error;
      if (error || reported) reject(new Error(reported ?? error?.message));
      else resolve();
    });
  });
  return ref;
}
