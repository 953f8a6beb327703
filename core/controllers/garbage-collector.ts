import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, RESOURCES, resourceKey, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { OwnerGraph, type ObjectIdentity } from './owner-graph.ts';
import { processQueue } from './run-controller.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' garbage collector (pkg/controller/garbagecollector): watches every kind
// that can carry ownerReferences and keeps a uid graph of owners and dependents.
// - A dependent whose owners are all gone (verified with a live GET, the cache may be
//   stale) is deleted in the background.
// - An owner deleted with propagationPolicy Foreground carries `foregroundDeletion`: its
//   dependents are deleted first, and the finalizer goes once no dependent with
//   blockOwnerDeletion is left.
// - An owner deleted with Orphan carries `orphan`: its dependents lose their
//   ownerReference to it, then the finalizer goes.
// The work queue holds uids; sync(uid) re-reads the object from the cache.

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
/** Events are never owned in practice and are the busiest kind: like Kubernetes' ignoredResources. */
const COLLECTED_RESOURCES = RESOURCES.filter((info) => info.kind !== 'Event');
const UPDATE_RETRIES = 5;

type OwnerLookup =
  | { state: 'present'; owner: KubeObject }
  | { state: 'absent' }
  /** The kind is not served: the owner can't be checked, so the reference is kept. */
  | { state: 'unresolvable' }
  /** A cluster-scoped dependent naming a namespaced owner: invalid, never acted on. */
  | { state: 'invalid' };

const hasFinalizer = (obj: KubeObject, finalizer: string): boolean => (obj.metadata.finalizers ?? []).includes(finalizer);
const isDeletingDependents = (obj: KubeObject): boolean => !!obj.metadata.deletionTimestamp && hasFinalizer(obj, FOREGROUND_FINALIZER);

function sameOwners(a: readonly OwnerReference[] | undefined, b: readonly OwnerReference[] | undefined): boolean {
  return jsonEqual(a ?? [], b ?? []);
}

function describe(id: Pick<ObjectIdentity, 'info' | 'namespace' | 'name'>): string {
  return `${id.info.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private ctx!: ControllerContext;
  private readonly queue = new WorkQueue<string>();
  private readonly graph = new OwnerGraph();
  private readonly informers = new Map<string, Informer<KubeObject>>();

  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    for (const info of COLLECTED_RESOURCES) {
      const informer = ctx.informers.informerFor(info);
      this.informers.set(resourceKey(info), informer);
      informer.addEventHandler({
        onAdd: (obj) => this.observe(info, obj),
        onUpdate: (old, obj) => this.observe(info, obj, old),
        onDelete: (obj) => this.forget(obj),
      });
    }
    await processQueue(ctx, this.queue, (uid) => this.sync(uid), (uid) => ({ uid, object: this.describeUid(uid) }));
  }

  private observe(info: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const previousOwners = this.graph.upsert(info, obj);
    const owners = obj.metadata.ownerReferences ?? [];
    const deletionChanged = !!old?.metadata.deletionTimestamp !== !!obj.metadata.deletionTimestamp;
    const finalizersChanged = !jsonEqual(old?.metadata.finalizers ?? [], obj.metadata.finalizers ?? []);
    if (obj.metadata.deletionTimestamp && (hasFinalizer(obj, ORPHAN_FINALIZER) || hasFinalizer(obj, FOREGROUND_FINALIZER))) {
      this.queue.add(uid);
    } else if (owners.length && (!old || old === obj || !sameOwners(old.metadata.ownerReferences, owners) || deletionChanged || finalizersChanged)) {
      this.queue.add(uid);
    }
    // An owner waiting for its dependents re-checks whenever one of them changes.
    for (const ownerUid of new Set([...previousOwners, ...owners.map((o) => o.uid)])) {
      const owner = this.cached(ownerUid);
      if (owner && isDeletingDependents(owner)) this.queue.add(ownerUid);
    }
  }

  private forget(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    this.graph.remove(uid);
    // Dependents may now be orphans; owners waiting in foreground deletion may be done.
    for (const dependent of this.graph.dependentsOf(uid)) this.queue.add(dependent.uid);
    for (const owner of obj.metadata.ownerReferences ?? []) this.queue.add(owner.uid);
  }

  private cached(uid: string): KubeObject | undefined {
    const id = this.graph.get(uid);
    if (!id) return undefined;
    const obj = this.informers.get(resourceKey(id.info))?.lister().get(id.namespace || undefined, id.name);
    return obj?.metadata.uid === uid ? obj : undefined;
  }

  private describeUid(uid: string): string {
    const id = this.graph.get(uid);
    return id ? describe(id) : uid;
  }

  private async sync(uid: string): Promise<void> {
    const id = this.graph.get(uid);
    const obj = this.cached(uid);
    if (!id || !obj) return;
    if (obj.metadata.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN_FINALIZER)) return this.orphanDependents(id);
      if (hasFinalizer(obj, FOREGROUND_FINALIZER)) return this.deleteDependentsFirst(id);
      // Being deleted in the background: nothing to decide until it is gone.
      return;
    }
    if ((obj.metadata.ownerReferences ?? []).length) await this.attemptToDelete(id, obj);
  }

  /** Kubernetes' attemptToDeleteItem: classify owners as solid, dangling or waiting, then act. */
  private async attemptToDelete(id: ObjectIdentity, obj: KubeObject): Promise<void> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const lookup = await this.lookupOwner(id, obj, ref);
      if (lookup.state === 'invalid') return;
      if (lookup.state === 'absent') dangling.push(ref);
      else if (lookup.state === 'unresolvable') solid.push(ref);
      else if (isDeletingDependents(lookup.owner)) waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length) {
      const drop = new Set([...dangling, ...waiting].map((ref) => ref.uid));
      if (drop.size) await this.removeOwnerReferences(id, drop);
      return;
    }
    let policy: 'Orphan' | 'Foreground' | 'Background' = 'Background';
    if (waiting.length && this.graph.dependentsOf(id.uid).length) policy = 'Foreground';
    else if (hasFinalizer(obj, ORPHAN_FINALIZER)) policy = 'Orphan';
    else if (hasFinalizer(obj, FOREGROUND_FINALIZER)) policy = 'Foreground';
    await this.deleteObject(id, policy);
  }

  private async lookupOwner(id: ObjectIdentity, dependent: KubeObject, ref: OwnerReference): Promise<OwnerLookup> {
    const info = findByKind(ref.apiVersion, ref.kind);
    if (!info) {
      this.ctx.logger.warn('owner kind is not served; keeping the reference', { object: describe(id), owner: `${ref.apiVersion}/${ref.kind} ${ref.name}` });
      return { state: 'unresolvable' };
    }
    if (!id.namespace && info.namespaced) {
      void this.ctx.recorder.record(dependent, 'Warning', 'OwnerRefInvalidNamespace',
        `ownerRef [${ref.apiVersion}/${ref.kind}, name: ${ref.name}, uid: ${ref.uid}] refers to a namespaced owner, but ${describe(id)} is cluster-scoped`);
      return { state: 'invalid' };
    }
    const namespace = info.namespaced ? id.namespace : undefined;
    const cached = this.informers.get(resourceKey(info))?.lister().get(namespace, ref.name);
    if (cached?.metadata.uid === ref.uid) return { state: 'present', owner: cached };
    try {
      const live = await this.ctx.client.get(info, namespace, ref.name);
      if (live.metadata.uid === ref.uid) return { state: 'present', owner: live };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    const elsewhere = this.graph.get(ref.uid);
    if (info.namespaced && elsewhere && elsewhere.namespace !== id.namespace) {
      void this.ctx.recorder.record(dependent, 'Warning', 'OwnerRefInvalidNamespace',
        `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: ${id.namespace}, name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace "${id.namespace}"`);
    }
    return { state: 'absent' };
  }

  /** Orphan finalizer: every dependent forgets this owner, then the finalizer goes. */
  private async orphanDependents(owner: ObjectIdentity): Promise<void> {
    for (const dependent of this.graph.dependentsOf(owner.uid)) {
      await this.removeOwnerReferences(dependent, new Set([owner.uid]));
    }
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
    this.ctx.reportAction(`orphaned the dependents of ${describe(owner)}`);
  }

  /** foregroundDeletion finalizer: delete dependents, and finish once none blocks the owner. */
  private async deleteDependentsFirst(owner: ObjectIdentity): Promise<void> {
    let blocking = 0;
    for (const dependent of this.graph.dependentsOf(owner.uid)) {
      const obj = this.cached(dependent.uid);
      if (!obj) continue;
      const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.uid === owner.uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (!obj.metadata.deletionTimestamp) this.queue.add(dependent.uid);
    }
    if (blocking === 0) await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
  }

  private async deleteObject(id: ObjectIdentity, propagationPolicy: 'Orphan' | 'Foreground' | 'Background'): Promise<void> {
    try {
      await this.ctx.client.delete(id.info, id.namespace || undefined, id.name, { propagationPolicy, preconditions: { uid: id.uid } });
      this.ctx.reportAction(`garbage collected ${describe(id)}`);
      this.ctx.logger.info('deleted object whose owners are gone', { object: describe(id), propagationPolicy });
    } catch (error) {
      // Gone already, or replaced by a new object of the same name: nothing to collect.
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  private removeOwnerReferences(id: ObjectIdentity, ownerUids: Set<string>): Promise<void> {
    return this.updateLive(id, (obj) => {
      const refs = obj.metadata.ownerReferences ?? [];
      const kept = refs.filter((ref) => !ownerUids.has(ref.uid));
      if (kept.length === refs.length) return false;
      if (kept.length) obj.metadata.ownerReferences = kept;
      else delete obj.metadata.ownerReferences;
      return true;
    });
  }

  private removeFinalizer(id: ObjectIdentity, finalizer: string): Promise<void> {
    return this.updateLive(id, (obj) => {
      const finalizers = obj.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return false;
      obj.metadata.finalizers = finalizers.filter((f) => f !== finalizer);
      return true;
    });
  }

  /** GET, change, PUT with the read resourceVersion; retried on conflict, stops when the object is gone or replaced. */
  private async updateLive(id: ObjectIdentity, change: (obj: KubeObject) => boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let obj: KubeObject;
      try {
        obj = await this.ctx.client.get(id.info, id.namespace || undefined, id.name);
      } catch (error) {
        if (isNotFound(error)) return;
        throw error;
      }
      if (obj.metadata.uid !== id.uid || !change(obj)) return;
      try {
        await this.ctx.client.update(id.info, obj);
        return;
      } catch (error) {
        if (isNotFound(error)) return;
        if (!isConflict(error) || attempt >= UPDATE_RETRIES) throw error;
      }
    }
  }
}

export const garbageCollector: ControllerFactory = () => new GarbageCollector();
