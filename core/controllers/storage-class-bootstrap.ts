import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isAlreadyExists } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';

// Kubelab's built-in StorageClass, like the `standard` class a kind or minikube cluster
// ships: claims without a class get it, and its volumes are Docker named volumes on the
// node of the first pod that uses the claim (hence WaitForFirstConsumer).

export const STORAGE_CLASSES = findByKind('storage.k8s.io/v1', 'StorageClass') as ResourceInfo;
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
export const DOCKER_VOLUME_PROVISIONER = 'kubelab.io/docker-volume';
export const DEFAULT_STORAGE_CLASS_NAME = 'standard';

export function defaultStorageClass(): StorageClass & KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_STORAGE_CLASS_NAME, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: DOCKER_VOLUME_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** Creates the `standard` class unless it exists (a user's edits to it are kept). Returns true when created. */
export async function ensureDefaultStorageClass(client: RestClient): Promise<boolean> {
  try {
    await client.create(STORAGE_CLASSES, defaultStorageClass());
    return true;
  } catch (error) {
    if (isAlreadyExists(error)) return false;
    throw error;
  }
}

/**
 * The class a claim without storageClassName gets: the one annotated default, the newest
 * when several are (Kubernetes' rule since 1.26).
 */
export function pickDefaultClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  return defaults.sort((a, b) => (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '') || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
}
