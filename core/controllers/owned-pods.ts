import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { objectKey } from '../api/kube-object.ts';

// What the DaemonSet, Job and CronJob controllers share about the objects they own:
// controller references, pods made from a template, pod states, template hashes, and
// Kubernetes' ControllerExpectations (don't act on a cache that hasn't yet seen our own
// writes). Kept free of other controllers' files; pod-control.ts may absorb it later.

/** `{apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}` pointing at `owner`. */
export function controllerReferenceTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** True when `obj` is controlled by `owner` (same kind and uid). */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerRefOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid && ref.kind === owner.kind;
}

/** The `namespace/name` key of the object's controller when it is of `kind`. */
export function controllerKeyOf(obj: KubeObject, kind: string): string | undefined {
  const ref = controllerRefOf(obj);
  return ref?.kind === kind ? objectKey(obj.metadata.namespace, ref.name) : undefined;
}

export interface PodFromTemplateOptions {
  /** A fixed name; otherwise `generateName` (default `<owner>-`). */
  name?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  nodeName?: string;
}

/** A pod built like Kubernetes' GetPodFromTemplate: the template's labels, annotations and spec, owned by `owner`. */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, options: PodFromTemplateOptions = {}): Pod {
  const spec = structuredClone(template.spec ?? { containers: [] });
  if (options.nodeName) spec.nodeName = options.nodeName;
  const metadata: Pod['metadata'] = {
    namespace: owner.metadata.namespace,
    labels: { ...(template.metadata?.labels ?? {}), ...(options.labels ?? {}) },
    annotations: { ...(template.metadata?.annotations ?? {}), ...(options.annotations ?? {}) },
    ownerReferences: [controllerReferenceTo(owner)],
  };
  if (options.name) metadata.name = options.name;
  else metadata.generateName = options.generateName ?? `${owner.metadata.name}-`;
  if (options.finalizers?.length) metadata.finalizers = [...options.finalizers];
  if (Object.keys(metadata.annotations ?? {}).length === 0) delete metadata.annotations;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Neither finished nor being deleted: what controllers count as "running" (controller.IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now.getTime();
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A short, stable hash of a pod template for the `controller-revision-hash` label:
 * FNV-1a 32 over JSON with sorted keys, spelled in Kubernetes' vowel-free alphabet.
 */
export function templateHash(template: unknown): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(canonicalJson(template))) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // rand.SafeEncodeString(fmt.Sprint(hash)), as Kubernetes spells pod-template-hash.
  return [...String(hash)].map((ch) => SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

interface Expectation {
  creations: number;
  deletions: Set<string>;
  setAt: number;
}

/**
 * Kubernetes' ControllerExpectations: after creating or deleting pods, a controller waits
 * until its informer has seen those writes before it counts pods again, or a lagging
 * cache would make it create twice. Expectations older than `ttlMs` are given up on
 * (a watch event lost for good must not freeze the owner).
 */
export class PodExpectations {
  private readonly byOwner = new Map<string, Expectation>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Call before issuing `count` creations. */
  expectCreations(ownerKey: string, count: number): void {
    const entry = this.entry(ownerKey);
    entry.creations += count;
    entry.setAt = this.clock();
  }

  /** Call before deleting the pods with these uids. */
  expectDeletions(ownerKey: string, podUids: string[]): void {
    const entry = this.entry(ownerKey);
    for (const uid of podUids) entry.deletions.add(uid);
    entry.setAt = this.clock();
  }

  /** The informer saw a pod of this owner appear, or a creation failed (it will never appear). */
  creationObserved(ownerKey: string): void {
    const entry = this.byOwner.get(ownerKey);
    if (entry && entry.creations > 0) entry.creations--;
  }

  /** The informer saw the pod go or start terminating, or the deletion failed. */
  deletionObserved(ownerKey: string, podUid: string): void {
    this.byOwner.get(ownerKey)?.deletions.delete(podUid);
  }

  satisfied(ownerKey: string): boolean {
    const entry = this.byOwner.get(ownerKey);
    if (!entry) return true;
    if ((entry.creations <= 0 && entry.deletions.size === 0) || this.clock() - entry.setAt > this.ttlMs) {
      this.byOwner.delete(ownerKey);
      return true;
    }
    return false;
  }

  forget(ownerKey: string): void {
    this.byOwner.delete(ownerKey);
  }

  private entry(ownerKey: string): Expectation {
    let entry = this.byOwner.get(ownerKey);
    if (!entry) {
      entry = { creations: 0, deletions: new Set(), setAt: this.clock() };
      this.byOwner.set(ownerKey, entry);
    }
    return entry;
  }
}

/** Runs `tasks` at most `limit` at a time (Kubernetes creates pods in slow-start batches; this is the simple bound). */
export async function runLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await task(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}
