import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/**
 * Any object the API serves: apiVersion/kind/metadata plus whatever the kind holds.
 * Typed views (Pod, Deployment...) come from kubernetes-types where code needs them.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  // kubernetes-types marks server-set fields readonly; the API server is what sets them.
  metadata: { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };
  // Kinds keep their own top-level fields (spec, status, data, subsets...).
  [field: string]: unknown;
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones: the informer and store key. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
}
