import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isNotFound } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { EventRecorder } from '../client/event-recorder.ts';
import type { RestClient } from '../client/rest-client.ts';

// Kubernetes' PodControl and ControllerExpectations (pkg/controller/controller_utils.go).
// A controller that has just asked for N creates or deletes must not act on its cache
// until the cache has seen them: otherwise the next sync, still seeing the old pod
// count, would create (or delete) them again. Expectations record the pending writes
// per controller key; informer handlers lower them as the pods appear or go; a sync
// acts only when they are met, or after EXPECTATIONS_TIMEOUT_MS in case an event was lost.

export const PODS = findByKind('v1', 'Pod') as ResourceInfo;

/** Kubernetes' ExpectationsTimeout. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

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

export function controllerRefOf(obj: KubeObject | { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
}

/** GetPodFromTemplate: the template's labels, annotations, finalizers and spec, named `<owner>-xxxxx`. */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject): Pod {
  const metadata: Pod['metadata'] = {
    namespace: owner.metadata.namespace,
    generateName: `${owner.metadata.name}-`,
    labels: { ...(template.metadata?.labels ?? {}) },
    ownerReferences: [controllerReferenceTo(owner)],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers?.length) metadata.finalizers = [...template.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec ?? { containers: [] }) };
}

interface Expectation {
  adds: number;
  /** Keys of pods whose deletion is awaited (UIDTrackingControllerExpectations). */
  deletes: Set<string>;
  setAt: number;
}

export class ControllerExpectations {
  private readonly byKey = new Map<string, Expectation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when nothing is pending for the key, or what is pending has timed out. */
  satisfied(controllerKey: string): boolean {
    const expectation = this.byKey.get(controllerKey);
    if (!expectation) return true;
    if (expectation.adds <= 0 && expectation.deletes.size === 0) return true;
    return this.now() - expectation.setAt > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(controllerKey: string, count: number): void {
    this.byKey.set(controllerKey, { adds: count, deletes: new Set(), setAt: this.now() });
  }

  expectDeletions(controllerKey: string, podKeys: string[]): void {
    this.byKey.set(controllerKey, { adds: 0, deletes: new Set(podKeys), setAt: this.now() });
  }

  /** A pod of this controller was seen created, or a create failed and will never be seen. */
  creationObserved(controllerKey: string): void {
    const expectation = this.byKey.get(controllerKey);
    if (expectation) expectation.adds--;
  }

  /** A pod was seen deleted (or terminating), or its delete failed and will never be seen. */
  deletionObserved(controllerKey: string, podKey: string): void {
    this.byKey.get(controllerKey)?.deletes.delete(podKey);
  }

  /** The controller is gone: forget what it waited for. */
  delete(controllerKey: string): void {
    this.byKey.delete(controllerKey);
  }

  pending(controllerKey: string): { adds: number; deletes: number } | undefined {
    const expectation = this.byKey.get(controllerKey);
    return expectation && { adds: expectation.adds, deletes: expectation.deletes.size };
  }
}

/**
 * slowStartBatch: calls `fn` count times in batches of 1, 2, 4, 8... run in parallel,
 * stopping after the first batch with a failure, so a quota or admission error costs
 * one request rather than hundreds. Resolves to the successes and the first error.
 */
export async function slowStartBatch(
  count: number,
  initialBatchSize: number,
  fn: () => Promise<void>,
  signal?: AbortSignal,
): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let batchSize = Math.min(remaining, initialBatchSize);
  while (batchSize > 0) {
    if (signal?.aborted) return { successes, error: signal.reason ?? new Error('aborted') };
    const results = await Promise.allSettled(Array.from({ length: batchSize }, () => fn()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += results.filter((r) => r.status === 'fulfilled').length;
    if (failure) return { successes, error: failure.reason };
    remaining -= batchSize;
    batchSize = Math.min(2 * batchSize, remaining);
  }
  return { successes };
}

/** Creates and deletes pods on behalf of a controller, with the Events Kubernetes records. */
export class PodControl {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
  ) {}

  async createPod(template: PodTemplateSpec, owner: KubeObject): Promise<Pod> {
    const pod = podFromTemplate(template, owner);
    if (Object.keys(pod.metadata?.labels ?? {}).length === 0) {
      throw new Error(`unable to create pods for ${owner.kind} ${keyOf(owner)}: the pod template has no labels`);
    }
    try {
      const created = (await this.client.create(PODS, pod as KubeObject)) as Pod;
      void this.recorder.record(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name}`);
      return created;
    } catch (error) {
      void this.recorder.record(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(error)}`);
      throw error;
    }
  }

  /** Deletes the pod; false when it was already gone (no watch event will follow for this call). */
  async deletePod(namespace: string, name: string, owner: KubeObject): Promise<boolean> {
    try {
      await this.client.delete(PODS, namespace, name);
      void this.recorder.record(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      void this.recorder.record(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(error)}`);
      throw error;
    }
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
