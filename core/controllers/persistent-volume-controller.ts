import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isAlreadyExists, isInvalid, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { claimRefNames, findMatchingVolume } from './claim-volume-match.ts';
import {
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  buildProvisionedVolume,
  claimRefOf,
  HOSTNAME_LABEL,
  pinnedNodeOf,
  PROVISIONED_BY_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  VOLUME_CLEANUP_FINALIZER,
  type Claim,
  type Volume,
} from './provisioned-volume.ts';
import { DOCKER_VOLUME_PROVISIONER, ensureDefaultStorageClass, pickDefaultClass, STORAGE_CLASSES } from './storage-class-bootstrap.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' PersistentVolume controller (pkg/controller/volume/persistentvolume) and
// its dynamic provisioner in one: binds claims to volumes, provisions Docker-volume PVs
// for the `kubelab.io/docker-volume` provisioner once the claim's first consumer pod has
// a node (WaitForFirstConsumer), releases volumes whose claim is gone and reclaims them.
//
// Two things Kubernetes does elsewhere happen here:
// - a claim created without storageClassName gets the default class. Kubernetes does it
//   in admission (DefaultStorageClass) or retroactively in this controller; Kubelab has no
//   admission plugins, so the controller patches spec.storageClassName.
// - deleting a provisioned volume's data needs the Docker daemon of its node, which only
//   that node's agent reaches: the PV carries the finalizer kubelab.io/docker-volume-cleanup
//   and the agent's VolumeReclaimer removes the Docker volume and then the finalizer. When
//   the pinned Node no longer exists, this controller drops the finalizer itself.

const CLAIMS = findByKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
const VOLUMES = findByKind('v1', 'PersistentVolume') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
/** Kubernetes' pvclaimbinder sync period: every claim and volume is re-checked this often. */
const RESYNC_MS = 15_000;

export const WAIT_FOR_FIRST_CONSUMER_MESSAGE = 'waiting for first consumer to be created before binding';

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;
type StorageClassObject = StorageClass & KubeObject;

const claimKey = (namespace: string, name: string) => `pvc:${namespace}/${name}`;
const volumeKey = (name: string) => `pv:${name}`;

class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder';
  private ctx!: ControllerContext;
  private claims!: Informer<Claim>;
  private volumes!: Informer<Volume>;
  private pods!: Informer<PodObject>;
  private classes!: Informer<StorageClassObject>;
  private nodes!: Informer<NodeObject>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 200, maxDelayMs: 30_000 });
  /** The last reason each claim (by uid) was told about, so a waiting claim gets one event, not one per sync. */
  private readonly told = new Map<string, string>();

  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    // Handlers are registered before the first await: the controller-manager starts the shared informers right after run() is called.
    this.claims = ctx.informers.informerFor<Claim>(CLAIMS);
    this.volumes = ctx.informers.informerFor<Volume>(VOLUMES);
    this.pods = ctx.informers.informerFor<PodObject>(PODS);
    this.classes = ctx.informers.informerFor<StorageClassObject>(STORAGE_CLASSES);
    this.nodes = ctx.informers.informerFor<NodeObject>(NODES);
    this.registerHandlers();

    await this.ensureDefaultClass(ctx);
    await ctx.informers.waitForSync(ctx.signal);
    if (ctx.signal.aborted) return;
    const resync = setInterval(() => this.enqueueEverything(), RESYNC_MS);
    const stop = () => {
      clearInterval(resync);
      this.queue.shutDown();
    };
    ctx.signal.addEventListener('abort', stop, { once: true });
    this.enqueueEverything();
    await runWorkers(this.queue, ctx.settings.workers, (key) => this.sync(key), {
      onError: (key, error) => ctx.logger.warn('volume sync failed; retrying', { key, error: String(error) }),
    });
  }

  private registerHandlers(): void {
    const enqueueClaim = (claim: Claim) => this.queue.add(claimKey(claim.metadata.namespace ?? '', claim.metadata.name ?? ''));
    this.claims.addEventHandler({
      onAdd: enqueueClaim,
      onUpdate: (_old, claim) => enqueueClaim(claim),
      onDelete: (claim) => {
        this.told.delete(claim.metadata.uid ?? '');
        this.told.delete(`${claim.metadata.uid}/class`);
        // The claim's volume becomes Released.
        for (const volume of this.volumes.lister().list()) {
          if (volume.metadata.name === claim.spec?.volumeName || claimRefNames(volume, claim)) this.queue.add(volumeKey(volume.metadata.name!));
        }
      },
    });
    const enqueueVolume = (volume: Volume) => this.queue.add(volumeKey(volume.metadata.name ?? ''));
    this.volumes.addEventHandler({ onAdd: enqueueVolume, onUpdate: (_old, volume) => enqueueVolume(volume), onDelete: enqueueVolume });
    // A claim waiting for its first consumer moves when a pod using it gets a node.
    const enqueueClaimsOf = (pod: PodObject) => {
      if (!pod.spec?.nodeName) return;
      for (const volume of pod.spec.volumes ?? []) {
        if (volume.persistentVolumeClaim) this.queue.add(claimKey(pod.metadata.namespace ?? '', volume.persistentVolumeClaim.claimName));
      }
    };
    this.pods.addEventHandler({ onAdd: enqueueClaimsOf, onUpdate: (_old, pod) => enqueueClaimsOf(pod) });
    // A default class created later serves the claims that waited for one.
    const enqueueUnbound = () => {
      for (const claim of this.claims.lister().list()) if (!claim.spec?.volumeName) enqueueClaim(claim);
    };
    this.classes.addEventHandler({ onAdd: enqueueUnbound, onUpdate: enqueueUnbound });
    // A volume pinned to a node that is gone can no longer be cleaned up by that node's agent.
    this.nodes.addEventHandler({
      onDelete: (node) => {
        for (const volume of this.volumes.lister().list()) if (pinnedNodeOf(volume) === node.metadata.name) enqueueVolume(volume);
      },
    });
  }

  private async ensureDefaultClass(ctx: ControllerContext): Promise<void> {
    while (!ctx.signal.aborted) {
      try {
        if (await ensureDefaultStorageClass(ctx.client)) ctx.reportAction('created the default StorageClass "standard"');
        return;
      } catch (error) {
        ctx.logger.warn('cannot create the default StorageClass; retrying', { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private enqueueEverything(): void {
    for (const claim of this.claims.lister().list()) this.queue.add(claimKey(claim.metadata.namespace ?? '', claim.metadata.name ?? ''));
    for (const volume of this.volumes.lister().list()) this.queue.add(volumeKey(volume.metadata.name ?? ''));
  }

  private async sync(key: string): Promise<void> {
    if (key.startsWith('pv:')) return this.syncVolume(key.slice(3));
    const [namespace, name] = key.slice(4).split('/');
    return this.syncClaim(namespace, name);
  }

  // ---- claims ----

  private async syncClaim(namespace: string, name: string): Promise<void> {
    const claim = this.claims.lister().get(namespace, name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    if (claim.spec?.volumeName) return this.syncClaimNamingVolume(claim, claim.spec.volumeName);

    let className = claim.spec?.storageClassName;
    if (className === undefined || className === null) {
      const defaultClass = pickDefaultClass(this.classes.lister().list());
      if (defaultClass) {
        // Patched, the claim comes back through the informer with its class.
        if (await this.assignDefaultClass(claim, defaultClass.metadata!.name!)) return;
        className = defaultClass.metadata!.name!;
      } else {
        className = '';
      }
    }
    const storageClass = className ? this.classes.lister().get(undefined, className) : undefined;
    const waitsForConsumer = storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
    const consumerNode = this.consumerNodeOf(claim);
    const node = consumerNode ? this.nodes.lister().get(undefined, consumerNode) : undefined;
    if (waitsForConsumer && !consumerNode) return this.tell(claim, 'Normal', 'WaitForFirstConsumer', WAIT_FOR_FIRST_CONSUMER_MESSAGE);

    // Static volumes first; for WaitForFirstConsumer only those the consumer's node can reach.
    const placement = waitsForConsumer ? (node ?? { metadata: { name: consumerNode, labels: { [HOSTNAME_LABEL]: consumerNode! } } }) : undefined;
    const match = findMatchingVolume(claim, this.volumes.lister().list(), className, placement);
    if (match) return this.bind(claim, match);

    if (!storageClass) {
      if (className) return this.tell(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      return this.tell(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    }
    if (storageClass.provisioner !== DOCKER_VOLUME_PROVISIONER) {
      return this.tell(
        claim,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${storageClass.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
    }
    // A Docker volume lives on one daemon, so even an Immediate class waits for the node of its first consumer.
    if (!consumerNode) return this.tell(claim, 'Normal', 'WaitForFirstConsumer', WAIT_FOR_FIRST_CONSUMER_MESSAGE);
    await this.provision(claim, storageClass, consumerNode);
  }

  /** True when the patch went through; false when the API refuses to change the class (then the default is used as is). */
  private async assignDefaultClass(claim: Claim, className: string): Promise<boolean> {
    try {
      await this.ctx.client.patch(CLAIMS, claim.metadata.namespace, claim.metadata.name!, { spec: { storageClassName: className } }, 'merge');
      return true;
    } catch (error) {
      if (isNotFound(error)) return true;
      if (!isInvalid(error)) throw error;
      if (this.told.get(`${claim.metadata.uid}/class`)) return false;
      this.told.set(`${claim.metadata.uid}/class`, 'refused');
      this.ctx.logger.warn('the API refused to set the default storageClassName on the claim; using the default class without recording it', {
        claim: `${claim.metadata.namespace}/${claim.metadata.name}`,
        error: String(error),
      });
      return false;
    }
  }

  /** The node of a live pod that uses the claim and is placed already. */
  private consumerNodeOf(claim: Claim): string | undefined {
    const name = claim.metadata.name;
    for (const pod of this.pods.lister().listNamespace(claim.metadata.namespace ?? '')) {
      if (!pod.spec?.nodeName || pod.metadata.deletionTimestamp) continue;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      if ((pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name)) return pod.spec.nodeName;
    }
    return undefined;
  }

  private async provision(claim: Claim, storageClass: StorageClass, nodeName: string): Promise<void> {
    const wanted = buildProvisionedVolume(claim, storageClass, nodeName);
    let volume: Volume;
    try {
      volume = await this.ctx.client.create<Volume>(VOLUMES, wanted);
      this.ctx.reportAction(`provisioned PersistentVolume ${volume.metadata.name} on node ${nodeName} for claim ${claim.metadata.namespace}/${claim.metadata.name}`);
      await this.ctx.recorder.record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volume.metadata.name} using ${storageClass.provisioner}`);
    } catch (error) {
      // Made by an earlier sync that failed before binding.
      if (!isAlreadyExists(error)) throw error;
      volume = await this.ctx.client.get<Volume>(VOLUMES, undefined, wanted.metadata.name!);
    }
    await this.bind(claim, volume, nodeName);
  }

  /** Both halves of the binding, volume first (as Kubernetes): claimRef, volume phase, claim's volumeName, claim phase. */
  private async bind(claim: Claim, volume: Volume, selectedNode?: string): Promise<void> {
    const { client } = this.ctx;
    const name = volume.metadata.name!;
    let current = volume;
    if (!claimRefNames(volume, claim) || !volume.spec?.claimRef?.uid) {
      current = await client.patch<Volume>(VOLUMES, undefined, name, {
        metadata: { annotations: { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' }, resourceVersion: volume.metadata.resourceVersion },
        spec: { claimRef: claimRefOf(claim) },
      }, 'merge');
    }
    if (current.status?.phase !== 'Bound') await client.patch(VOLUMES, undefined, name, { status: { phase: 'Bound' } }, 'merge', { subresource: 'status' });
    const annotations: Record<string, string> = { [BIND_COMPLETED_ANNOTATION]: 'yes', [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' };
    if (selectedNode) annotations[SELECTED_NODE_ANNOTATION] = selectedNode;
    const bound = await client.patch<Claim>(CLAIMS, claim.metadata.namespace, claim.metadata.name!, {
      metadata: { annotations, resourceVersion: claim.metadata.resourceVersion },
      spec: { volumeName: name },
    }, 'merge');
    await this.markClaimBound(bound, current);
    this.told.delete(claim.metadata.uid ?? '');
    this.ctx.reportAction(`bound PersistentVolumeClaim ${claim.metadata.namespace}/${claim.metadata.name} to PersistentVolume ${name}`);
  }

  private async markClaimBound(claim: Claim, volume: Volume): Promise<void> {
    const status = claim.status ?? {};
    const capacity = volume.spec?.capacity ?? {};
    const accessModes = volume.spec?.accessModes ?? [];
    const same =
      status.phase === 'Bound' &&
      jsonEqual(status.capacity ?? {}, capacity) &&
      jsonEqual(status.accessModes ?? [], accessModes);
    if (same) return;
    await this.ctx.client.patch(CLAIMS, claim.metadata.namespace, claim.metadata.name!, { status: { phase: 'Bound', capacity, accessModes } }, 'merge', {
      subresource: 'status',
    });
  }

  /** A claim with spec.volumeName: bound by us earlier, or pre-bound by its author to a volume of their choice. */
  private async syncClaimNamingVolume(claim: Claim, volumeName: string): Promise<void> {
    let volume = this.volumes.lister().get(undefined, volumeName);
    if (!volume) {
      // The volume informer may simply be behind the claim informer: ask the API before declaring the volume lost.
      try {
        volume = await this.ctx.client.get<Volume>(VOLUMES, undefined, volumeName);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    if (!volume) {
      if (claim.metadata.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') return; // pre-bound to a volume not made yet: wait
      if (claim.status?.phase === 'Lost') return;
      await this.ctx.client.patch(CLAIMS, claim.metadata.namespace, claim.metadata.name!, { status: { phase: 'Lost' } }, 'merge', { subresource: 'status' });
      await this.ctx.recorder.record(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return;
    }
    const ref = volume.spec?.claimRef;
    if (ref && !claimRefNames(volume, claim)) {
      return this.tell(claim, 'Warning', 'FailedBinding', `volume "${volumeName}" already bound to a different claim.`);
    }
    if (!ref?.uid || volume.status?.phase !== 'Bound' || claim.metadata.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') return this.bind(claim, volume);
    await this.markClaimBound(claim, volume);
  }

  private async tell(claim: Claim, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const uid = claim.metadata.uid ?? '';
    if (this.told.get(uid) === reason) return;
    this.told.set(uid, reason);
    await this.ctx.recorder.record(claim, type, reason, message);
  }

  // ---- volumes ----

  private async syncVolume(name: string): Promise<void> {
    const volume = this.volumes.lister().get(undefined, name);
    if (!volume) return;
    if (volume.metadata.deletionTimestamp) return this.releaseFinalizerOfGoneNode(volume);
    const ref = volume.spec?.claimRef;
    if (!ref) {
      if (volume.status?.phase !== 'Available') await this.setVolumePhase(volume, 'Available');
      return;
    }
    if (await this.claimStillHolds(volume)) {
      const claim = this.claims.lister().get(ref.namespace, ref.name ?? '');
      if (claim && claim.spec?.volumeName !== name) this.queue.add(claimKey(ref.namespace ?? '', ref.name ?? ''));
      return;
    }
    if (!ref.uid) return; // pre-bound by its author to a claim not created yet
    if (volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') {
      await this.setVolumePhase(volume, 'Released');
      this.ctx.reportAction(`released PersistentVolume ${name}: claim ${ref.namespace}/${ref.name} is gone`);
    }
    if (volume.status?.phase === 'Failed') return;
    await this.reclaim(volume);
  }

  /** Whether the claim the volume names still exists (same uid): checked with the API before a volume is released. */
  private async claimStillHolds(volume: Volume): Promise<boolean> {
    const ref = volume.spec!.claimRef!;
    const cached = this.claims.lister().get(ref.namespace, ref.name ?? '');
    if (cached && (!ref.uid || cached.metadata.uid === ref.uid)) return true;
    try {
      const live = await this.ctx.client.get<Claim>(CLAIMS, ref.namespace, ref.name ?? '');
      return !ref.uid || live.metadata.uid === ref.uid;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async reclaim(volume: Volume): Promise<void> {
    const name = volume.metadata.name!;
    const policy = volume.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') return; // The data stays; an administrator deletes or reuses the volume.
    if (policy === 'Delete' && volume.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] === DOCKER_VOLUME_PROVISIONER) {
      try {
        await this.ctx.client.delete(VOLUMES, undefined, name);
        this.ctx.reportAction(`deleted PersistentVolume ${name} (reclaim policy Delete)`);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      return;
    }
    const message =
      policy === 'Delete'
        ? `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched (only volumes provisioned by ${DOCKER_VOLUME_PROVISIONER} can be deleted)`
        : `the reclaim policy "${policy}" is not supported by Kubelab: use Delete or Retain`;
    await this.ctx.client.patch(VOLUMES, undefined, name, { status: { phase: 'Failed', message } }, 'merge', { subresource: 'status' });
    await this.ctx.recorder.record(volume, 'Warning', policy === 'Delete' ? 'VolumeFailedDelete' : 'VolumeFailedRecycle', message);
  }

  /** The node agent removes the Docker volume; when the volume's node was deleted there is no agent left to do it. */
  private async releaseFinalizerOfGoneNode(volume: Volume): Promise<void> {
    const finalizers = volume.metadata.finalizers ?? [];
    if (!finalizers.includes(VOLUME_CLEANUP_FINALIZER)) return;
    const node = pinnedNodeOf(volume);
    if (node && this.nodes.lister().get(undefined, node)) return;
    await this.ctx.client.patch(VOLUMES, undefined, volume.metadata.name!, {
      metadata: { finalizers: finalizers.filter((f) => f !== VOLUME_CLEANUP_FINALIZER), resourceVersion: volume.metadata.resourceVersion },
    }, 'merge');
    this.ctx.reportAction(`released PersistentVolume ${volume.metadata.name}: its node ${node ?? '(none)'} is gone, its Docker volume cannot be removed`);
  }

  private async setVolumePhase(volume: Volume, phase: 'Available' | 'Released'): Promise<void> {
    await this.ctx.client.patch(VOLUMES, undefined, volume.metadata.name!, { status: { phase } }, 'merge', { subresource: 'status' });
  }
}

export const persistentVolumeController: ControllerFactory = () => new PersistentVolumeController();
