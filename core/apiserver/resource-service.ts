import { ApiError, badRequest, conflict, fieldError, invalid, isConflict, notFound, type FieldError } from '../api/errors.ts';
import { applyDefaults } from '../api/defaulting.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findUnknownFields, strictDecodingError, unknownFieldWarning } from '../api/known-fields.ts';
import { RESOURCES, apiVersionOf, refOf, resourceKey, type ResourceInfo } from '../api/resource-catalog.ts';
import { validateObject } from '../api/validation.ts';
import type { ListResult, Preconditions, Store, WatchEvent, WatchOptions, Watch } from '../store/store.ts';
import { applyPatch, type PatchType } from './apply-patch.ts';
import { generateNameSuffix, isNoOpUpdate, prepareForCreate, prepareForUpdate } from './object-lifecycle.ts';
import type { ResourceRequest } from './request-info.ts';

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

export interface DeleteRequestOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
  propagationPolicy?: string;
}

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
      this.validate(info, candidate);
      if (options.dryRun) return candidate;
      try {
        return await this.store.create(resourceKey(info), candidate);
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
    if (subresource === '') applyDefaults(info, next);
    this.validate(info, next, old);
    if (isNoOpUpdate(next, old)) {
      if (next.metadata.resourceVersion && next.metadata.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(refOf(info), r.name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      return old;
    }
    if (options.dryRun) return next;
    return this.store.update(resourceKey(info), next);
  }

  async patch(r: ResourceRequest, type: PatchType, patch: unknown, options: WriteOptions = {}): Promise<KubeObject> {
    const { info } = r;
    for (let attempt = 0; ; attempt++) {
      const old = await this.get(r);
      const patched = applyPatch(type, old, patch, apiVersionOf(info), info.kind) as unknown as KubeObject;
      if (!patched.metadata || typeof patched.metadata !== 'object') throw badRequest('the patch removed metadata; an object must keep its metadata');
      if (attempt === 0) dropUnknownFields(info, patched, options);
      else findUnknownFields(apiVersionOf(info), info.kind, patched, { prune: true });
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
    const obj = await this.get(r);
    if (info.kind === 'Namespace' && PROTECTED_NAMESPACES.has(r.name)) {
      throw new ApiError(403, 'Forbidden', `namespaces "${r.name}" is forbidden: this namespace may not be deleted`);
    }
    if (options.preconditions?.uid && options.preconditions.uid !== obj.metadata.uid) {
      throw conflict(refOf(info), r.name, `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (options.preconditions?.resourceVersion && options.preconditions.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(refOf(info), r.name, `Precondition failed: ResourceVersion in precondition: ${options.preconditions.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
    }
    if (options.dryRun) return { object: obj, removed: true };
    if (info.kind === 'Namespace') await this.deleteNamespaceContents(r.name);
    return this.store.delete(resourceKey(info), r.namespace, r.name, {
      preconditions: options.preconditions,
      gracePeriodSeconds: this.gracePeriodFor(info, obj, options.gracePeriodSeconds),
    });
  }

  /** Pods that run on a node are deleted gracefully: their node agent stops them, then removes the object. */
  private gracePeriodFor(info: ResourceInfo, obj: KubeObject, requested: number | undefined): number | undefined {
    if (info.kind !== 'Pod') return undefined;
    const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    return requested ?? spec.terminationGracePeriodSeconds ?? 30;
  }

  /**
   * Deleting a namespace removes everything in it. Until a namespace controller runs in
   * the controller-manager this happens right here, before the namespace goes.
   */
  private async deleteNamespaceContents(namespace: string): Promise<void> {
    for (const info of RESOURCES.filter((i) => i.namespaced)) {
      const { items } = await this.store.list(resourceKey(info), { namespace });
      for (const item of items) {
        try {
          await this.store.delete(resourceKey(info), namespace, item.metadata.name!, {});
        } catch (e) {
          if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
        }
      }
    }
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
