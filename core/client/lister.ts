import { objectKey, type KubeObject } from '../api/kube-object.ts';

// Read-only view of an informer's cache, like client-go's listers.
// The objects returned ARE the cached objects, shared with every other reader:
// callers must not mutate them (copy with structuredClone before changing one).

/** Anything that matches labels: a compiled label selector, or `everything`. */
export interface LabelMatcher {
  matches(labels: Record<string, string>): boolean;
}

export class Lister<T extends KubeObject = KubeObject> {
  /** @param cache the informer's map keyed `namespace/name` (`name` for cluster-scoped objects) */
  constructor(private readonly cache: ReadonlyMap<string, T>) {}

  /** The cached object, or undefined when the informer has not seen it (treat as NotFound). Pass undefined namespace for cluster-scoped kinds. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(objectKey(namespace, name));
  }

  /** Every cached object matching the selector (all when none is given). */
  list(selector?: LabelMatcher): T[] {
    const result: T[] = [];
    for (const obj of this.cache.values()) {
      if (matchesLabels(obj, selector)) result.push(obj);
    }
    return result;
  }

  listNamespace(namespace: string, selector?: LabelMatcher): T[] {
    const result: T[] = [];
    for (const obj of this.cache.values()) {
      if ((obj.metadata.namespace ?? '') === namespace && matchesLabels(obj, selector)) result.push(obj);
    }
    return result;
  }
}

function matchesLabels(obj: KubeObject, selector: LabelMatcher | undefined): boolean {
  return !selector || selector.matches(obj.metadata.labels ?? {});
}
