import { ApiError, badRequest, conflict, fieldError, invalid, isConflict, isNotFound, notFound, type FieldError } from '../api/errors.ts';
import { applyDefaults } from '../api/defaulting.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findUnknownFields, strictDecodingError, unknownFieldWarning } from '../api/known-fields.ts';
import { apiVersionOf, refOf, resourceKey, type ResourceInfo } from '../api/resource-catalog.ts';
import { validateAgainstSchema } from '../api/schema-validation.ts';
import { validateObject } from '../api/validation.ts';
import type { ListResult, Preconditions, Store, WatchEvent, WatchOptions, Watch } from '../store/store.ts';
import { applyPatch, type PatchType } from './apply-patch.ts';
import { generateNameSuffix, isNoOpUpdate, prepareForCreate, prepareForUpdate, rfc3339 } from './object-lifecycle.ts';
import type { ResourceRequest } from './request-info.ts';
import { normalizeClusterIPs, patchServiceUpdate, serviceAddressAllocatorFor } from './service-ip-allocator.ts';

// The write and read paths of every resource, independent of HTTP: what Kubernetes'
// generic registry does between a decoded request and the store.

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface WriteOptions {
  dryRun?: boolean;
  /** How unknown fields are treated; Kubernetes' server default is Warn. */
  fieldValidation?: FieldValidation;
  /** Collects Warning header values (`299 - "unknown field \"spec.x\""`) for the HTTP layer to send. */
  warnings?: string[];
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteRequestOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
  propagationPolicy?: PropagationPolicy;
  /** Legacy DeleteOptions field: true means Orphan, false means Background. */
  orphanDependents?: boolean;
}

/** The garbage collector's finalizers (metav1.FinalizerOrphanDependents / FinalizerDeleteDependents). */
const ORPHAN_FINALIZER = 'orphan';
const FOREGROUND_FINALIZER = 'foregroundDeletion';
/**
 * A terminating namespace is marked with a grace period so that the store, whose rule
 * only looks at metadata.finalizers, keeps it through updates while spec.finalizers is
 * non-empty (Kubernetes' ShouldDeleteNamespaceDuringUpdate); finalize removes it.
 */
const TERMINATING_NAMESPACE_GRACE_SECONDS = 1;

/** Namespaces Kubernetes refuses to delete. */
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
/** How often a write without a resourceVersion precondition is retried after losing a race. */
const UNCONDITIONAL_RETRIES = 5;

export class ResourceService {
  constructor(
    readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(r: ResourceRequest): Promise<KubeObject> {
    const obj = await this.store.get(resourceKey(r.info), r.namespace, r.name);
    if (!obj) throw notFound(refOf(r.info), r.name);
    return obj;
  }

  list(r: ResourceRequest, options: { filter?: (o: KubeObject) => boolean; limit?: number; continue?: string }): Promise<ListResult> {
    return this.store.list(resourceKey(r.info), { namespace: r.namespace || undefined, ...options });
  }

  watch(r: ResourceRequest, options: WatchOptions, onEvent: (e: WatchEvent) => void): Watch {
    return this.store.watch(resourceKey(r.info), { ...options, namespace: r.namespace || undefined }, onEvent);
  }

  async create(r: ResourceRequest, body: Record<string, unknown>, options: WriteOptions = {}): Promise<KubeObject> {
    const { info } = r;
    const obj = checkTypeMeta(info, body);
    dropUnknownFields(info, obj, options);
    refuseWrongTypes(info, obj);
    const meta = obj.metadata;
    if (info.namespaced) {
      if (!r.namespace) throw badRequest(`${info.plural} are namespaced: create them under /namespaces/NAMESPACE/${info.plural}`);
      if (meta.namespace && meta.namespace !== r.namespace) {
        throw badRequest(`the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${r.namespace})`);
      }
      meta.namespace = r.namespace;
      await this.requireActiveNamespace(r.namespace);
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) throw badRequest('metadata.resourceVersion: resourceVersion should not be set on objects to be created; remove it from the manifest');
    const generated = !meta.name && !!meta.generateName;
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = `${meta.generateName}${generateNameSuffix()}`;
      const candidate = structuredClone(obj);
      prepareForCreate(info, candidate, this.now());
      applyDefaults(info, candidate);
      if (info.kind === 'Service') normalizeClusterIPs(candidate);
      this.validate(info, candidate);
      const write = (obj: KubeObject) => this.store.create(resourceKey(info), obj);
      if (options.dryRun && info.kind !== 'Service') return candidate;
      try {
        // Services get their addresses in the allocator's serialized write.
        if (info.kind === 'Service') return await serviceAddressAllocatorFor(this.store).write(candidate, undefined, !!options.dryRun, write);
        return await write(candidate);
      } catch (e) {
        // A generated name that collides is retried, as Kubernetes does.
        if (!(generated && e instanceof ApiError && e.reason === 'AlreadyExists' && attempt < 3)) throw e;
      }
    }
  }

  /** PUT of the object (subresource '') or of its status. */
  async update(r: ResourceRequest, body: Record<string, unknown>, options: WriteOptions = {}): Promise<KubeObject> {
    const { info } = r;
    const incoming = checkTypeMeta(info, body);
    dropUnknownFields(info, incoming, options);
    refuseWrongTypes(info, incoming);
    const meta = incoming.metadata;
    if (meta.name && meta.name !== r.name) {
      throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${r.name})`);
    }
    if (info.namespaced && meta.namespace && meta.namespace !== r.namespace) {
      throw badRequest(`the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${r.namespace})`);
    }
    meta.name = r.name;
    if (info.namespaced) meta.namespace = r.namespace;
    const unconditional = !meta.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const old = await this.get(r);
      const candidate = structuredClone(incoming);
      if (unconditional) candidate.metadata.resourceVersion = old.metadata.resourceVersion;
      try {
        return await this.storeUpdate(r, candidate, old, options);
      } catch (e) {
        if (!(unconditional && isConflict(e) && attempt < UNCONDITIONAL_RETRIES)) throw e;
      }
    }
  }

  private async storeUpdate(r: ResourceRequest, incoming: KubeObject, old: KubeObject, options: WriteOptions): Promise<KubeObject> {
    const { info } = r;
    if (incoming.metadata.uid && incoming.metadata.uid !== old.metadata.uid) {
      throw conflict(refOf(info), r.name, `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    const subresource = r.subresource === 'status' ? 'status' : '';
    const next = prepareForUpdate(info, incoming, old, subresource);
    if (old.metadata.deletionTimestamp) {
      const added = (next.metadata.finalizers ?? [])
        .filter((f: string) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length) {
        throw invalid(info.kind, info.group, r.name, [fieldError.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`)]);
      }
    }
    if (subresource === '' && info.kind === 'Service') {
      normalizeClusterIPs(next, old);
      patchServiceUpdate(next, old);
    }
    if (subresource === '') applyDefaults(info, next);
    this.validate(info, next, old);
    if (isNoOpUpdate(next, old)) {
      if (next.metadata.resourceVersion && next.metadata.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(refOf(info), r.name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      return old;
    }
    const write = (obj: KubeObject) => this.store.update(resourceKey(info), obj);
    if (info.kind === 'Service' && subresource === '') return serviceAddressAllocatorFor(this.store).write(next, old, !!options.dryRun, write);
    if (options.dryRun) return next;
    return write(next);
  }

  async patch(r: ResourceRequest, type: PatchType, patch: unknown, options: WriteOptions = {}): Promise<KubeObject> {
    const { info } = r;
    for (let attempt = 0; ; attempt++) {
      const old = await this.get(r);
      const patched = applyPatch(type, old, patch, apiVersionOf(info), info.kind) as unknown as KubeObject;
      if (!patched.metadata || typeof patched.metadata !== 'object') throw badRequest('the patch removed metadata; an object must keep its metadata');
      if (attempt === 0) dropUnknownFields(info, patched, options);
      else findUnknownFields(apiVersionOf(info), info.kind, patched, { prune: true });
      refuseWrongTypes(info, patched);
      // A resourceVersion in the patch is a precondition; without one the patch applies to whatever is current.
      const conditional = patched.metadata.resourceVersion !== old.metadata.resourceVersion;
      for (const field of ['name', 'namespace'] as const) {
        if ((patched.metadata[field] ?? '') !== (old.metadata[field] ?? '')) {
          throw invalid(info.kind, info.group, r.name, [fieldError.invalid(`metadata.${field}`, patched.metadata[field], 'field is immutable')]);
        }
      }
      try {
        return await this.storeUpdate(r, patched, old, options);
      } catch (e) {
        if (conditional || !isConflict(e) || attempt >= UNCONDITIONAL_RETRIES) throw e;
      }
    }
  }

  async delete(r: ResourceRequest, options: DeleteRequestOptions = {}): Promise<{ object: KubeObject; removed: boolean }> {
    const { info } = r;
    if (info.kind === 'Namespace' && PROTECTED_NAMESPACES.has(r.name)) {
      await this.get(r);
      throw new ApiError(403, 'Forbidden', `namespaces "${r.name}" is forbidden: this namespace may not be deleted`);
    }
    for (let attempt = 0; ; attempt++) {
      const obj = await this.get(r);
      this.checkDeletePreconditions(info, obj, options.preconditions);
      if (options.dryRun) return { object: obj, removed: true };
      try {
        if (info.kind === 'Namespace' && (namespaceFinalizers(obj).length > 0 || obj.metadata.deletionTimestamp)) {
          return await this.deleteNamespace(r, obj, options);
        }
        return await this.deleteWithPropagation(r, obj, options);
      } catch (e) {
        // Adding a finalizer lost a race with another writer: start over from the current object.
        if (options.preconditions?.resourceVersion || !isConflict(e) || attempt >= UNCONDITIONAL_RETRIES) throw e;
      }
    }
  }

  private checkDeletePreconditions(info: ResourceInfo, obj: KubeObject, preconditions: Preconditions | undefined): void {
    if (preconditions?.uid && preconditions.uid !== obj.metadata.uid) {
      throw conflict(refOf(info), obj.metadata.name!, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(refOf(info), obj.metadata.name!, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
    }
  }

  /**
   * The generic registry's delete: the propagation policy becomes the garbage collector's
   * finalizer (orphan, foregroundDeletion) written together with the deletion; Background
   * deletes now and leaves dependents to the garbage collector.
   */
  private async deleteWithPropagation(r: ResourceRequest, obj: KubeObject, options: DeleteRequestOptions): Promise<{ object: KubeObject; removed: boolean }> {
    const { info } = r;
    const key = resourceKey(info);
    const finalizers = finalizersForDeletion(obj.metadata.finalizers ?? [], options);
    if (sameList(finalizers, obj.metadata.finalizers ?? [])) {
      return this.store.delete(key, r.namespace, r.name, {
        preconditions: options.preconditions,
        gracePeriodSeconds: this.gracePeriodFor(info, obj, options.gracePeriodSeconds),
      });
    }
    const next = structuredClone(obj);
    next.metadata.finalizers = finalizers;
    if (!finalizers.length) delete next.metadata.finalizers;
    // The store refuses this write if the object changed since it was read (a Conflict the caller retries).
    const updated = await this.store.update(key, next);
    try {
      return await this.store.delete(key, r.namespace, r.name, {
        preconditions: { uid: obj.metadata.uid },
        gracePeriodSeconds: this.gracePeriodFor(info, obj, options.gracePeriodSeconds),
      });
    } catch (e) {
      // Dropping the last finalizer of an object already being deleted removed it.
      if (isNotFound(e) && updated.metadata.deletionTimestamp) return { object: updated, removed: true };
      throw e;
    }
  }

  /**
   * Kubernetes' namespace registry: the first DELETE marks the namespace Terminating and
   * the namespace controller empties it, then drops 'kubernetes' from spec.finalizers
   * through the finalize subresource, which removes the namespace.
   */
  private async deleteNamespace(r: ResourceRequest, ns: KubeObject, options: DeleteRequestOptions): Promise<{ object: KubeObject; removed: boolean }> {
    const key = resourceKey(r.info);
    if (ns.metadata.deletionTimestamp) {
      if (namespaceFinalizers(ns).length > 0) {
        throw conflict(refOf(r.info), r.name, 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
      }
      return this.deleteWithPropagation(r, ns, { ...options, gracePeriodSeconds: 0 });
    }
    const next = structuredClone(ns);
    next.metadata.deletionTimestamp = rfc3339(this.now());
    next.metadata.deletionGracePeriodSeconds = TERMINATING_NAMESPACE_GRACE_SECONDS;
    const finalizers = finalizersForDeletion(ns.metadata.finalizers ?? [], options);
    if (finalizers.length) next.metadata.finalizers = finalizers;
    else delete next.metadata.finalizers;
    next.status = { ...(ns.status as object | undefined), phase: 'Terminating' };
    return { object: await this.store.update(key, next), removed: false };
  }

  /**
   * PUT namespaces/NAME/finalize: replaces spec.finalizers and nothing else. A terminating
   * namespace whose list becomes empty is removed (once its metadata.finalizers are gone too).
   */
  async finalizeNamespace(r: ResourceRequest, body: Record<string, unknown>, options: WriteOptions = {}): Promise<KubeObject> {
    const { info } = r;
    const incoming = checkTypeMeta(info, body);
    if (incoming.metadata.name && incoming.metadata.name !== r.name) {
      throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${r.name})`);
    }
    const finalizers = (incoming.spec as { finalizers?: unknown } | undefined)?.finalizers ?? [];
    if (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string' || f === '')) {
      throw invalid(info.kind, info.group, r.name, [fieldError.invalid('spec.finalizers', finalizers, 'must be a list of finalizer names')]);
    }
    const unconditional = !incoming.metadata.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const old = await this.get(r);
      const next = structuredClone(old);
      next.spec = { ...(old.spec as object | undefined), finalizers };
      if (!unconditional) next.metadata.resourceVersion = incoming.metadata.resourceVersion;
      if (isNoOpUpdate(next, old) && unconditional) return old;
      if (options.dryRun) return next;
      try {
        const updated = await this.store.update(resourceKey(info), next);
        if (!updated.metadata.deletionTimestamp || finalizers.length > 0) return updated;
        const { object } = await this.store.delete(resourceKey(info), '', r.name, { preconditions: { uid: old.metadata.uid }, gracePeriodSeconds: 0 });
        return object;
      } catch (e) {
        if (!(unconditional && isConflict(e) && attempt < UNCONDITIONAL_RETRIES)) throw e;
      }
    }
  }

  /** Pods that run on a node are deleted gracefully: their node agent stops them, then removes the object. */
  private gracePeriodFor(info: ResourceInfo, obj: KubeObject, requested: number | undefined): number | undefined {
    if (info.kind !== 'Pod') return undefined;
    const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    return requested ?? spec.terminationGracePeriodSeconds ?? 30;
  }

  private async requireActiveNamespace(namespace: string): Promise<void> {
    const ns = await this.store.get('namespaces', '', namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private validate(info: ResourceInfo, obj: KubeObject, old?: KubeObject): void {
    const errors: FieldError[] = validateObject(info, obj, old);
    if (errors.length) throw invalid(info.kind, info.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errors);
  }
}

/**
 * A field of the wrong JSON type is refused before anything reads the object, as
 * Kubernetes' decoder refuses it before defaulting: defaulting and the lifecycle steps
 * may then trust that `containers` is an array. Other schema rules (required fields)
 * wait for validation, after defaulting has filled what it fills.
 */
function refuseWrongTypes(info: ResourceInfo, obj: KubeObject): void {
  const errors = validateAgainstSchema(info, obj).filter((error) => error.type === 'FieldValueTypeInvalid');
  if (errors.length) throw invalid(info.kind, info.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errors);
}

/**
 * Unknown fields never reach the store, as in Kubernetes (its decoder drops them):
 * Strict refuses the write, Warn reports each one, Ignore drops them quietly.
 */
function dropUnknownFields(info: ResourceInfo, obj: KubeObject, options: WriteOptions): void {
  const mode = options.fieldValidation ?? 'Warn';
  const unknown = findUnknownFields(apiVersionOf(info), info.kind, obj, { prune: mode !== 'Strict' });
  if (unknown.length === 0) return;
  if (mode === 'Strict') throw badRequest(strictDecodingError(info.kind, info.version, unknown));
  if (mode === 'Warn') options.warnings?.push(...unknown.map(unknownFieldWarning));
}

/**
 * The metadata.finalizers a delete leaves on the object (Kubernetes'
 * deletionFinalizersForGarbageCollection): an explicit policy replaces the garbage
 * collector's finalizer; no policy keeps whatever an earlier delete asked for.
 */
export function finalizersForDeletion(current: readonly string[], options: Pick<DeleteRequestOptions, 'propagationPolicy' | 'orphanDependents'>): string[] {
  const policy = options.propagationPolicy ?? (options.orphanDependents === undefined ? undefined : options.orphanDependents ? 'Orphan' : 'Background');
  if (policy === undefined) return [...current];
  const kept = current.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (policy === 'Orphan') kept.push(ORPHAN_FINALIZER);
  if (policy === 'Foreground') kept.push(FOREGROUND_FINALIZER);
  return kept;
}

function namespaceFinalizers(ns: KubeObject): string[] {
  return ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter((f) => f !== '');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** apiVersion and kind in a body must name the endpoint's kind; absent ones are filled in. */
export function checkTypeMeta(info: ResourceInfo, body: Record<string, unknown>): KubeObject {
  const expected = apiVersionOf(info);
  if (body.apiVersion !== undefined && body.apiVersion !== expected) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expected})`);
  }
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${info.kind}) for ${info.plural}`);
  }
  if (body.metadata !== undefined && (typeof body.metadata !== 'object' || body.metadata === null || Array.isArray(body.metadata))) {
    throw invalid(info.kind, info.group, '', [fieldError.typeInvalid('metadata', body.metadata, 'must be an object')]);
  }
  return { ...body, apiVersion: expected, kind: info.kind, metadata: (body.metadata as KubeObject['metadata']) ?? {} };
}
