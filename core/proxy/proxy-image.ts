// The node proxy image, built offline on the host's daemon: the host's own Node.js binary
// and iproute2's `ip`, each with the shared libraries ldd lists and the dynamic loader,
// plus node-proxy-main.ts bundled to one file. No registry, no base image: the image runs
// wherever the host's binaries run (Linux, the daemon's arch); other daemons get a copy.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { delimiter, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import tarStream from 'tar-stream';
import { LABELS } from '../agent/container-runtime.ts';
import { imagePresent } from '../nodes/node-image.ts';

export const PROXY_IMAGE_REPOSITORY = 'kubelab/proxy';
/** Bump when the image's layout (files, ENV, CMD) changes: it is part of the tag. */
export const PROXY_IMAGE_RECIPE = '1';
export const PROXY_NODE_PATH = '/node';
export const PROXY_PROGRAM_PATH = '/proxy.mjs';
export const PROXY_IP_PATH = '/usr/sbin/ip';
export const PROXY_CONTAINER_ROLE = 'proxy';
/** The pod network every node proxy joins (made by the host side, pod-network.ts). */
export const PROXY_NETWORK = 'kubelab-pods';

const run = promisify(execFile);
const programSource = fileURLToPath(new URL('./node-proxy-main.ts', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A file of the image: its path inside the image and where its bytes come from. */
export interface ImageFile {
  path: string;
  mode: number;
  source: { file: string } | { content: Buffer };
}

/** node-proxy-main.ts and everything it imports as one ESM file. */
export async function bundleProxyProgram(): Promise<Buffer> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [programSource],
    absWorkingDir: repositoryRoot, // path comments in the bundle, and so the tag, don't depend on cwd
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    // Bundled CommonJS (dns-packet) calls require() for Node built-ins; ESM has none of its own.
    banner: { js: "import { createRequire as __kubelabCreateRequire } from 'node:module'; const require = __kubelabCreateRequire(import.meta.url);" },
  });
  return Buffer.from(result.outputFiles[0]!.contents);
}

/** `kubelab/proxy:<hash>`: a changed program, recipe or another Node.js makes another image. */
export function proxyImageRef(bundle: Buffer): string {
  const hash = createHash('sha256').update(bundle).update(`\0${process.version}\0${process.arch}\0${PROXY_IMAGE_RECIPE}`).digest('hex');
  return `${PROXY_IMAGE_REPOSITORY}:${hash.slice(0, 16)}`;
}

/** Shared libraries and loader that `ldd` lists for an executable (absolute paths). */
export function parseLddOutput(output: string, executable: string): string[] {
  const paths: string[] = [];
  for (const line of output.split('\n')) {
    if (/=>\s*not found/.test(line)) throw new Error(`${executable} needs ${line.trim()}: cannot build the node proxy image`);
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.push(match[1]!);
  }
  return paths;
}

async function sharedLibraries(executable: string): Promise<string[]> {
  try {
    const { stdout } = await run('ldd', [executable]);
    return parseLddOutput(stdout, executable);
  } catch (error) {
    // A static executable makes ldd fail with "not a dynamic executable": nothing to add.
    const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    if (/not a dynamic executable|statically linked/.test(output)) return [];
    throw new Error(`ldd ${executable} failed: ${output || (error as Error).message}`);
  }
}

/** The `ip` executable on this machine: PATH first, then where distributions put it. */
export async function findIpCommand(searchPath = process.env.PATH ?? ''): Promise<string> {
  const candidates = [...searchPath.split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((dir) => join(dir, 'ip'));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('the `ip` command (iproute2) was not found on this machine; install iproute2 to run service proxies');
}

/** Every file of the image except the program: node, ip, their libraries, the loader. */
export async function proxyRuntimeFiles(): Promise<ImageFile[]> {
  if (process.platform !== 'linux') {
    throw new Error(`the node proxy image is made from this machine's Node.js, which must be a Linux one (this is ${process.platform})`);
  }
  const ip = await findIpCommand();
  const files = new Map<string, ImageFile>();
  const add = async (pathInImage: string, hostPath: string) => {
    if (files.has(pathInImage)) return;
    // The bytes of the real file, stored under the name the loader looks for.
    const real = await realpath(hostPath);
    const mode = (await stat(real)).mode & 0o777;
    files.set(pathInImage, { path: pathInImage, mode, source: { file: real } });
  };
  await add(PROXY_NODE_PATH, process.execPath);
  await add(PROXY_IP_PATH, ip);
  for (const executable of [process.execPath, ip]) {
    for (const library of await sharedLibraries(executable)) await add(library, library);
  }
  return [...files.values()];
}

/** Library folders of the image, for LD_LIBRARY_PATH (there is no ld.so.cache in it). */
function libraryDirectories(files: ImageFile[]): string[] {
  const dirs = files.filter((file) => /\.so(\.|$)/.test(posix.basename(file.path))).map((file) => posix.dirname(file.path));
  return [...new Set(dirs)];
}

export function proxyImageChanges(files: ImageFile[]): string[] {
  return [
    `CMD ${JSON.stringify([PROXY_NODE_PATH, PROXY_PROGRAM_PATH])}`,
    'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    `ENV LD_LIBRARY_PATH=${libraryDirectories(files).join(':')}`,
  ];
}

async function addToTar(pack: tarStream.Pack, file: ImageFile, writtenDirs: Set<string>): Promise<void> {
  const name = file.path.replace(/^\/+/, '');
  // Parent folders first, so the import makes them with sane modes.
  const parents: string[] = [];
  for (let dir = posix.dirname(name); dir !== '.' && dir !== '/'; dir = posix.dirname(dir)) parents.unshift(dir);
  for (const dir of parents) {
    if (writtenDirs.has(dir)) continue;
    writtenDirs.add(dir);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) }, (error) => (error ? reject(error) : resolve())),
    );
  }
  const header = { name, mode: file.mode, uid: 0, gid: 0, mtime: new Date(0) };
  if ('content' in file.source) {
    const content = file.source.content;
    await new Promise<void>((resolve, reject) => pack.entry({ ...header, size: content.length }, content, (error) => (error ? reject(error) : resolve())));
    return;
  }
  const source = file.source.file;
  const { size } = await stat(source);
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ ...header, size }, (error) => (error ? reject(error) : resolve()));
    const input = createReadStream(source);
    input.on('error', reject);
    input.pipe(entry);
  });
}

/** Imports a root filesystem made of `files` as `ref`, streaming the tar to the daemon. */
async function importFiles(docker: Dockerode, ref: string, files: ImageFile[], changes: string[]): Promise<void> {
  const tagSeparator = ref.lastIndexOf(':');
  const [repo, tag] = [ref.slice(0, tagSeparator), ref.slice(tagSeparator + 1)];
  const pack = tarStream.pack();
  const filling = (async () => {
    const writtenDirs = new Set<string>(['tmp']);
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: 'tmp/', type: 'directory', mode: 0o1777, uid: 0, gid: 0, mtime: new Date(0) }, (error) => (error ? reject(error) : resolve())),
    );
    for (const file of files) await addToTar(pack, file, writtenDirs);
    pack.finalize();
  })();
  filling.catch((error: Error) => pack.destroy(error));
  const progress = await docker.importImage(pack as unknown as NodeJS.ReadableStream, { repo, tag, changes });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(progress, (error: Error | null, output: { error?: string }[]) => {
      const reported = output?.find((line) => line.error)?.error;
      if (error || reported) reject(new Error(`importing ${ref} failed: ${reported ?? error?.message}`));
      else resolve();
    });
  });
  await filling;
}


const building = new WeakMap<Dockerode, Promise<string>>();

/**
 * The node proxy image on `docker` (the host's daemon: the binaries come from this
 * machine), built when missing. Resolves with its ref, `kubelab/proxy:<hash>`.
 */
export function ensureProxyImage(docker: Dockerode): Promise<string> {
  let pending = building.get(docker);
  if (!pending) {
    pending = buildIfMissing(docker).finally(() => building.delete(docker));
    building.set(docker, pending);
  }
  return pending;
}

async function buildIfMissing(docker: Dockerode): Promise<string> {
  const program = await bundleProxyProgram();
  const ref = proxyImageRef(program);
  if (await imagePresent(docker, ref)) return ref;
  const files = [...(await proxyRuntimeFiles()), { path: PROXY_PROGRAM_PATH, mode: 0o644, source: { content: program } }];
  await importFiles(docker, ref, files, proxyImageChanges(files));
  return ref;
}

/** `kubelab-proxy-<node>-<cluster>`: two labs on one daemon (each with a node of the same name) never remove each other's proxy. */
export function proxyContainerName(node: string, clusterId = ''): string {
  return clusterId ? `kubelab-proxy-${node}-${clusterId.slice(0, 8)}` : `kubelab-proxy-${node}`;
}

/**
 * The running node proxy of another Kubelab cluster among `containers` (from Docker's
 * container list), if any. Every cluster's proxy holds the same DNS address and draws
 * ClusterIPs from the same range on the daemon's one `kubelab-pods` network, so two
 * would answer for each other's addresses: the first one keeps the daemon.
 */
export function otherClusterProxy(containers: readonly Dockerode.ContainerInfo[], clusterId: string): Dockerode.ContainerInfo | undefined {
  return containers.find(
    (c) => c.State === 'running' && c.Labels?.[LABELS.role] === PROXY_CONTAINER_ROLE && (c.Labels?.[LABELS.cluster] ?? '') !== clusterId,
  );
}

/**
 * How a node proxy container is made. The host talks to it only over stdin/stdout
 * (Docker attach, no TTY), so stdin is open until that host detaches; NET_ADMIN lets it
 * put the ClusterIPs on its eth0. Attach before starting it, and make a fresh one for
 * every new attach: the link has no resynchronisation (see mux-protocol.ts).
 */
export function proxyContainerSpec(options: { node: string; image: string; clusterId: string; network?: string }): Dockerode.ContainerCreateOptions {
  return {
    name: proxyContainerName(options.node, options.clusterId),
    Image: options.image,
    Labels: {
      [LABELS.managed]: 'true',
      [LABELS.node]: options.node,
      ...(options.clusterId ? { [LABELS.cluster]: options.clusterId } : {}),
      [LABELS.role]: PROXY_CONTAINER_ROLE,
    },
    OpenStdin: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    // Stdin closes when the attached host goes (even killed -9): the proxy exits instead
    // of holding the ClusterIPs and the DNS address for a Kubelab that no longer runs.
    StdinOnce: true,
    Tty: false,
    HostConfig: {
      NetworkMode: options.network ?? PROXY_NETWORK,
      CapAdd: ['NET_ADMIN'],
      RestartPolicy: { Name: 'no' },
    },
  };
}
