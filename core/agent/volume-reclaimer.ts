import { isConflict, isNotFound } from '../api/errors.ts';
import { keyOf } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { Informer } from '../client/informer.ts';
import type { RestClient } from '../client/rest-client.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import { dockerVolumeNameOf, pinnedNodeOf, VOLUME_CLEANUP_FINALIZER, type Volume } from '../controllers/provisioned-volume.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { ContainerRuntime } from './container-runtime.ts';

// The node half of reclaiming a provisioned PersistentVolume. The PV controller deletes a
// released volume whose policy is Delete; the PV stays, marked for deletion, while it
// holds the finalizer kubelab.io/docker-volume-cleanup. The agent of the node the volume
// is pinned to removes the Docker volume from its daemon, then the finalizer, and the API
// server lets the PV go. A volume whose policy was changed to Retain keeps its data.

const VOLUMES = findByKind('v1', 'PersistentVolume') as ResourceInfo;

export interface VolumeReclaimerOptions {
  client: RestClient;
  runtime: ContainerRuntime;
  nodeName: string;
  /** A Docker volume still mounted by a container is retried after this long. Default 2 s. */
  retryMs?: number;
  logger?: Logger;
}

export class VolumeReclaimer {
  private readonly informer: Informer<Volume>;
  private readonly logger: Logger;
  private queue = new WorkQueue<string>();
  private workers: Promise<void> | undefined;

  constructor(private readonly options: VolumeReclaimerOptions) {
    this.logger = options.logger ?? createLogger(`volume-reclaimer/${options.nodeName}`);
    this.informer = new Informer<Volume>(options.client, VOLUMES, { onError: (error) => this.logger.warn('volume watch failed', { error: String(error) }) });
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (this.workers) return;
    const retryMs = this.options.retryMs ?? 2000;
    this.queue = new WorkQueue<string>({ baseDelayMs: retryMs, maxDelayMs: retryMs * 8 });
    const enqueue = (volume: Volume) => {
      if (this.isMine(volume)) this.queue.add(keyOf(volume));
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, volume) => enqueue(volume) });
    this.informer.start();
    this.workers = runWorkers(this.queue, 1, (name) => this.reclaim(name), {
      onError: (name, error) => this.logger.warn('cannot remove the Docker volume of a deleted PersistentVolume; retrying', { volume: name, error: String(error) }),
    });
    await this.informer.waitForSync(signal);
  }

  async stop(): Promise<void> {
    this.informer.stop();
    this.queue.shutDown();
    await this.workers;
    this.workers = undefined;
  }

  private isMine(volume: Volume): boolean {
    return !!volume.metadata.deletionTimestamp && !!volume.metadata.finalizers?.includes(VOLUME_CLEANUP_FINALIZER) && pinnedNodeOf(volume) === this.options.nodeName;
  }

  private async reclaim(name: string): Promise<void> {
    const volume = this.informer.lister().get(undefined, name);
    if (!volume || !this.isMine(volume)) return;
    if (volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      const dockerVolume = dockerVolumeNameOf(volume);
      // Throws while a container still mounts it (a pod being torn down): the queue retries.
      await this.options.runtime.removeVolume(dockerVolume);
      this.logger.info('removed the Docker volume of a deleted PersistentVolume', { volume: name, dockerVolume });
    }
    try {
      await this.options.client.patch(VOLUMES, undefined, name, {
        metadata: { finalizers: (volume.metadata.finalizers ?? []).filter((f) => f !== VOLUME_CLEANUP_FINALIZER), resourceVersion: volume.metadata.resourceVersion },
      }, 'merge');
    } catch (error) {
      if (isNotFound(error)) return;
      // Changed meanwhile: the informer brings the new version back to this queue.
      if (isConflict(error)) return;
      throw error;
    }
  }
}
