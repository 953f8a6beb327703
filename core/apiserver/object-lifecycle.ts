import { randomUUID } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import type { ResourceInfo } from '../api/resource-catalog.ts';
import { jsonEqual } from '../store/json-clone.ts';

// What the API server itself decides about an object, before defaulting and
// validation: identity, timestamps, generation, and which parts a given write may
// change (the main resource never changes status, the status subresource changes
// nothing else). These follow the Kubernetes registry strategies.

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Fields outside metadata and status: a change here is a new generation. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateNameSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return suffix;
}

export function prepareForCreate(info: ResourceInfo, obj: KubeObject, now: Date): void {
  const meta = obj.metadata;
  meta.uid = randomUUID();
  meta.creationTimestamp = rfc3339(now);
  meta.generation = 1;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  delete meta.selfLink;
  if (info.subresources.includes('status')) resetStatusOnCreate(info, obj);
}

function resetStatusOnCreate(info: ResourceInfo, obj: KubeObject): void {
  switch (info.kind) {
    case 'Node': // node agents register their node with its status
      return;
    case 'Namespace':
      obj.status = { phase: 'Active' };
      return;
    case 'Pod':
      obj.status = { phase: 'Pending', qosClass: qosClassOf(obj as Pod) };
      return;
    case 'Service':
      obj.status = { loadBalancer: {} };
      return;
    case 'PersistentVolume':
    case 'PersistentVolumeClaim':
      obj.status = { phase: 'Pending' };
      return;
    default:
      obj.status = {};
  }
}

/**
 * Builds the object an update stores: identity and timestamps come from the stored
 * object; the main resource keeps the stored status, the status subresource keeps
 * everything but status.
 */
export function prepareForUpdate(info: ResourceInfo, incoming: KubeObject, old: KubeObject, subresource: '' | 'status'): KubeObject {
  let next: KubeObject;
  if (subresource === 'status') {
    next = { ...structuredClone(old), status: incoming.status };
    next.metadata.resourceVersion = incoming.metadata.resourceVersion;
  } else {
    next = incoming;
    if (info.subresources.includes('status') && info.kind !== 'Namespace') next.status = structuredClone(old.status);
  }
  const meta = next.metadata;
  meta.uid = old.metadata.uid;
  meta.creationTimestamp = old.metadata.creationTimestamp;
  meta.generation = old.metadata.generation;
  meta.deletionTimestamp = old.metadata.deletionTimestamp;
  meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
  if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
  if (meta.generation === undefined) delete meta.generation;
  delete meta.managedFields;
  delete meta.selfLink;
  if (subresource === '' && info.kind === 'Service') keepClusterIp(next, old);
  if (subresource === '' && !jsonEqual(specPart(next), specPart(old))) {
    meta.generation = (old.metadata.generation ?? 0) + 1;
  }
  return next;
}

/** An update that leaves clusterIP out keeps the allocated one, as Kubernetes does. */
function keepClusterIp(next: KubeObject, old: KubeObject): void {
  const oldSpec = old.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
  const spec = next.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
  if (!spec || !oldSpec?.clusterIP) return;
  spec.clusterIP ??= oldSpec.clusterIP;
  if (oldSpec.clusterIPs) spec.clusterIPs ??= oldSpec.clusterIPs;
}

/** True when storing `next` would change nothing a client can see (resourceVersion aside). */
export function isNoOpUpdate(next: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return jsonEqual(strip(next), strip(old));
}

/** Kubernetes' QoS class: Guaranteed when every container's requests equal its limits for cpu and memory. */
export function qosClassOf(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let anySet = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) anySet = true;
    for (const resource of ['cpu', 'memory']) {
      const limit = limits[resource];
      const request = requests[resource] ?? limit;
      if (limit === undefined || String(request) !== String(limit)) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
