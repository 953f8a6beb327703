import { createHash } from 'node:crypto';
import type { Container, KeyToPath, Pod, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { toBytes } from '../api/quantity.ts';
import { ContainerConfigError, fieldRefValue, nodeScope, podLabels, podUid8, resourceFieldValue, type ConfigSource } from './container-config.ts';
import { LABELS, type ContainerRuntime, type Mount } from './container-runtime.ts';

// Pod volumes on Docker. emptyDir is a named volume per pod (tmpfs for medium Memory);
// hostPath a bind mount; a PVC a named volume shared by every pod that claims it.
// configMap, secret, downwardAPI and projected volumes are named volumes too, filled
// through the sandbox with putFiles: that works on any daemon, local or remote, because
// it goes through the Docker API instead of the agent's own filesystem. Kubernetes
// swaps a symlink to update them atomically; rewriting the files in place is enough here.

/** Where config volumes are mounted inside the sandbox, so putFiles can reach them. */
export const CONFIG_VOLUME_ROOT = '/kubelab/volumes';
const DEFAULT_MODE = 0o644;

/** A volume that cannot be set up yet (missing ConfigMap, unbound claim): event FailedMount. */
export class VolumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeError';
  }
}

export interface VolumeSources {
  configMap(namespace: string, name: string): ConfigSource | undefined;
  secret(namespace: string, name: string): ConfigSource | undefined;
  /** The claim, or undefined when it does not exist. */
  persistentVolumeClaim(namespace: string, name: string): Promise<{ volumeName?: string; phase?: string } | undefined>;
  podIp: string;
  hostIp: string;
  nodeName: string;
  nodeCpuMillicores: number;
  nodeMemoryBytes: number;
}

interface PreparedVolume {
  source: string;
  type: Mount['type'];
  /** configMap/secret/downwardAPI/projected are always read-only in containers. */
  forceReadOnly: boolean;
}

export interface PreparedVolumes {
  volumes: Map<string, PreparedVolume>;
  /** Config volumes mounted into the sandbox for putFiles. */
  sandboxMounts: Mount[];
}

export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

export function podVolumeName(pod: Pod, volumeName: string): string {
  return `kubelab-${podUid8(pod)}-${volumeName}`;
}

export function claimVolumeName(namespace: string, claimName: string, boundVolume?: string): string {
  return boundVolume ? `kubelab-pv-${boundVolume}` : `kubelab-pvc-${namespace}-${claimName}`;
}

export function isConfigVolume(volume: Volume): boolean {
  return !!(volume.configMap || volume.secret || volume.downwardAPI || volume.projected);
}

export class VolumeManager {
  /** Content hash of each config volume last written, keyed `podUid/volume`. */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly nodeName: string,
    private readonly clusterId = '',
  ) {}

  /** Creates the pod's named volumes and says how each is mounted; throws VolumeError when one cannot be. */
  async prepare(pod: Pod, sources: VolumeSources): Promise<PreparedVolumes> {
    const volumes = new Map<string, PreparedVolume>();
    const sandboxMounts: Mount[] = [];
    const labels = podLabels(pod, this.nodeName, this.clusterId);
    const namespace = pod.metadata?.namespace ?? 'default';
    for (const volume of pod.spec?.volumes ?? []) {
      if (volume.emptyDir) {
        const name = podVolumeName(pod, volume.name);
        const memory = volume.emptyDir.medium === 'Memory';
        const sizeLimit = volume.emptyDir.sizeLimit !== undefined ? toBytes(String(volume.emptyDir.sizeLimit)) : 0;
        await this.runtime.createVolume(name, labels, memory ? { tmpfsSizeBytes: sizeLimit } : undefined);
        volumes.set(volume.name, { source: name, type: 'volume', forceReadOnly: false });
      } else if (volume.hostPath) {
        // The daemon creates a missing bind source as a directory, which is DirectoryOrCreate;
        // other `type` checks need the daemon's filesystem, which a remote daemon does not share.
        volumes.set(volume.name, { source: volume.hostPath.path, type: 'bind', forceReadOnly: false });
      } else if (volume.persistentVolumeClaim) {
        const claimName = volume.persistentVolumeClaim.claimName;
        const claim = await sources.persistentVolumeClaim(namespace, claimName);
        if (!claim) throw new VolumeError(`persistentvolumeclaim "${claimName}" not found`);
        // A claim is provisioned once its first pod has a node (WaitForFirstConsumer): mount
        // nothing until it is bound, or the data would land outside its volume.
        if (claim.phase !== 'Bound' || !claim.volumeName) throw new VolumeError(`persistentvolumeclaim "${claimName}" is not bound`);
        const bound = claim.volumeName;
        const name = claimVolumeName(namespace, claimName, bound);
        await this.runtime.createVolume(name, { [LABELS.managed]: 'true', ...(this.clusterId ? { [LABELS.cluster]: this.clusterId } : {}), 'io.kubelab.pvc': `${namespace}.${claimName}` });
        volumes.set(volume.name, { source: name, type: 'volume', forceReadOnly: !!volume.persistentVolumeClaim.readOnly });
      } else if (isConfigVolume(volume)) {
        // Resolve now so a missing ConfigMap stops the pod before anything is created.
        configVolumeFiles(pod, volume, sources);
        const name = podVolumeName(pod, volume.name);
        await this.runtime.createVolume(name, labels);
        volumes.set(volume.name, { source: name, type: 'volume', forceReadOnly: true });
        sandboxMounts.push({ source: name, type: 'volume', target: `${CONFIG_VOLUME_ROOT}/${volume.name}`, readOnly: false });
      } else {
        throw new VolumeError(`volume "${volume.name}": this volume type is not supported by Kubelab (use emptyDir, hostPath, configMap, secret, downwardAPI, projected or persistentVolumeClaim)`);
      }
    }
    return { volumes, sandboxMounts };
  }

  /** The container's mounts; subPath cannot be expressed with Docker named volumes. */
  containerMounts(container: Container, prepared: PreparedVolumes): Mount[] {
    return (container.volumeMounts ?? []).map((mount: VolumeMount) => {
      if (mount.subPath || mount.subPathExpr) {
        throw new ContainerConfigError(`volumeMount "${mount.name}" of container "${container.name}" uses subPath, which Kubelab does not support; mount the whole volume instead`);
      }
      const volume = prepared.volumes.get(mount.name);
      if (!volume) throw new ContainerConfigError(`volumeMount "${mount.name}" of container "${container.name}" names no volume of the pod`);
      return { source: volume.source, type: volume.type, target: mount.mountPath, readOnly: volume.forceReadOnly || !!mount.readOnly };
    });
  }

  /**
   * Writes every config volume whose content changed since the last write (or was never
   * written to this sandbox). Returns the names of the volumes written.
   */
  async syncConfigFiles(pod: Pod, sandboxId: string, sources: VolumeSources): Promise<string[]> {
    const uid = pod.metadata?.uid ?? '';
    const written: string[] = [];
    for (const volume of pod.spec?.volumes ?? []) {
      if (!isConfigVolume(volume)) continue;
      const files = configVolumeFiles(pod, volume, sources);
      const hash = hashFiles(sandboxId, files);
      const key = `${uid}/${volume.name}`;
      if (this.written.get(key) === hash) continue;
      await this.runtime.putFiles(sandboxId, `${CONFIG_VOLUME_ROOT}/${volume.name}`, files);
      this.written.set(key, hash);
      written.push(volume.name);
    }
    return written;
  }

  /** Removes the pod's own volumes (emptyDir and config volumes; claims stay). */
  async removePodVolumes(podUid: string): Promise<void> {
    for (const name of await this.runtime.listVolumes({ ...nodeScope(this.nodeName, this.clusterId), [LABELS.podUid]: podUid })) {
      await this.runtime.removeVolume(name);
    }
    this.forget(podUid);
  }

  forget(podUid: string): void {
    for (const key of [...this.written.keys()]) if (key.startsWith(`${podUid}/`)) this.written.delete(key);
  }
}

/** The files a configMap, secret, downwardAPI or projected volume holds right now. */
export function configVolumeFiles(pod: Pod, volume: Volume, sources: VolumeSources): VolumeFile[] {
  const namespace = pod.metadata?.namespace ?? 'default';
  if (volume.configMap) {
    const { name = '', items, optional, defaultMode } = volume.configMap;
    return keyFiles('configmap', sources.configMap(namespace, name), name, items, !!optional, defaultMode ?? DEFAULT_MODE, false);
  }
  if (volume.secret) {
    const { secretName = '', items, optional, defaultMode } = volume.secret;
    return keyFiles('secret', sources.secret(namespace, secretName), secretName, items, !!optional, defaultMode ?? DEFAULT_MODE, true);
  }
  if (volume.downwardAPI) {
    return downwardFiles(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_MODE, sources);
  }
  if (volume.projected) {
    const defaultMode = volume.projected.defaultMode ?? DEFAULT_MODE;
    const files: VolumeFile[] = [];
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) {
        const { name = '', items, optional } = source.configMap;
        files.push(...keyFiles('configmap', sources.configMap(namespace, name), name, items, !!optional, defaultMode, false));
      } else if (source.secret) {
        const { name = '', items, optional } = source.secret;
        files.push(...keyFiles('secret', sources.secret(namespace, name), name, items, !!optional, defaultMode, true));
      } else if (source.downwardAPI) {
        files.push(...downwardFiles(pod, source.downwardAPI.items ?? [], defaultMode, sources));
      }
      // serviceAccountToken and clusterTrustBundle sources: Kubelab issues no tokens yet.
    }
    return files;
  }
  return [];
}

function keyFiles(
  kind: 'configmap' | 'secret',
  source: ConfigSource | undefined,
  name: string,
  items: KeyToPath[] | undefined,
  optional: boolean,
  defaultMode: number,
  base64Data: boolean,
): VolumeFile[] {
  if (!source) {
    if (optional) return [];
    throw new VolumeError(`${kind} "${name}" not found`);
  }
  const contents = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(source.data ?? {})) contents.set(key, base64Data ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8'));
  for (const [key, value] of Object.entries(source.binaryData ?? {})) contents.set(key, Buffer.from(value, 'base64'));
  if (!items?.length) {
    return [...contents.entries()].map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  }
  const files: VolumeFile[] = [];
  for (const item of items) {
    const content = contents.get(item.key);
    if (!content) {
      if (optional) continue;
      throw new VolumeError(`configuration of volume from ${kind} "${name}": key "${item.key}" not found`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return files;
}

function downwardFiles(pod: Pod, items: NonNullable<Volume['downwardAPI']>['items'] & object, defaultMode: number, sources: VolumeSources): VolumeFile[] {
  return items.map((item) => {
    let value = '';
    if (item.fieldRef) {
      try {
        value = fieldRefValue(item.fieldRef.fieldPath, { pod, nodeName: sources.nodeName, podIp: sources.podIp, hostIp: sources.hostIp });
      } catch (error) {
        throw new VolumeError((error as Error).message);
      }
    } else if (item.resourceFieldRef) {
      const container = pod.spec?.containers.find((c) => c.name === item.resourceFieldRef!.containerName);
      value = resourceFieldValue(item.resourceFieldRef, container, sources);
    }
    return { path: item.path, content: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode };
  });
}

function hashFiles(sandboxId: string, files: VolumeFile[]): string {
  const hash = createHash('sha256').update(sandboxId);
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    hash.update(`\u0000${file.path}\u0000${file.mode}\u0000`).update(file.content);
  }
  return hash.digest('hex');
}
