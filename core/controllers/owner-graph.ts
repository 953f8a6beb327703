import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import type { ResourceInfo } from '../api/resource-catalog.ts';

// The garbage collector's view of ownership (Kubernetes' GraphBuilder uidToNode): every
// watched object by uid, and for each owner uid the uids of the objects that name it.
// Owners are keyed by the uid in the ownerReference, so an owner that is not (or no
// longer) in any cache still has its dependents listed.

export interface ObjectIdentity {
  info: ResourceInfo;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  uid: string;
  owners: readonly OwnerReference[];
}

export class OwnerGraph {
  private readonly byUid = new Map<string, ObjectIdentity>();
  private readonly dependentsByOwner = new Map<string, Set<string>>();

  /** Records the object's current owners; returns the owner uids it had before (for re-checks). */
  upsert(info: ResourceInfo, obj: KubeObject): string[] {
    const uid = obj.metadata.uid;
    if (!uid) return [];
    const previous = this.byUid.get(uid);
    const owners = obj.metadata.ownerReferences ?? [];
    this.unlink(previous);
    const identity: ObjectIdentity = { info, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '', uid, owners };
    this.byUid.set(uid, identity);
    for (const owner of owners) {
      let set = this.dependentsByOwner.get(owner.uid);
      if (!set) this.dependentsByOwner.set(owner.uid, (set = new Set()));
      set.add(uid);
    }
    return (previous?.owners ?? []).map((o) => o.uid);
  }

  remove(uid: string): ObjectIdentity | undefined {
    const identity = this.byUid.get(uid);
    this.unlink(identity);
    this.byUid.delete(uid);
    return identity;
  }

  get(uid: string): ObjectIdentity | undefined {
    return this.byUid.get(uid);
  }

  dependentsOf(ownerUid: string): ObjectIdentity[] {
    return [...(this.dependentsByOwner.get(ownerUid) ?? [])].flatMap((uid) => this.byUid.get(uid) ?? []);
  }

  private unlink(identity: ObjectIdentity | undefined): void {
    if (!identity) return;
    for (const owner of identity.owners) {
      const set = this.dependentsByOwner.get(owner.uid);
      set?.delete(identity.uid);
      if (set?.size === 0) this.dependentsByOwner.delete(owner.uid);
    }
  }
}
