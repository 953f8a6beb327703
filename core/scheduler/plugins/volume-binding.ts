import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { volumeFitsNode } from '../../controllers/provisioned-volume.ts';
import { SUCCESS, unresolvable, unschedulable, type FilterPlugin, type Status } from '../framework.ts';
import type { NodeInfo } from '../node-info.ts';

// Kubernetes' VolumeBinding filter, for the claims a pod mounts: a bound claim's volume
// lives on one node (a Docker volume), so the pod may only go there; an unbound claim
// of a WaitForFirstConsumer class fits anywhere (it is provisioned where the pod lands).

export const REASON_VOLUME_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** What the filter reads about storage; the scheduler fills it from its informers. */
export interface StorageLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  defaultStorageClass(): StorageClass | undefined;
}

export function claimFits(pod: Pod, nodeInfo: NodeInfo, storage: StorageLookup): Status {
  const namespace = pod.metadata?.namespace ?? 'default';
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (!claimName) continue;
    const claim = storage.claim(namespace, claimName);
    if (!claim || claim.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${claimName}" not found`);
    if (claim.spec?.volumeName) {
      const pv = storage.volume(claim.spec.volumeName);
      if (!pv || !volumeFitsNode(pv as Parameters<typeof volumeFitsNode>[0], nodeInfo.node)) return unschedulable(REASON_VOLUME_NODE_CONFLICT);
      continue;
    }
    const storageClass = claim.spec?.storageClassName ? storage.storageClass(claim.spec.storageClassName) : storage.defaultStorageClass();
    if (storageClass?.volumeBindingMode !== 'WaitForFirstConsumer') return unschedulable(REASON_UNBOUND_IMMEDIATE);
  }
  return SUCCESS;
}

export const volumeBinding = {
  name: 'VolumeBinding',
  filter(state, pod, nodeInfo): Status {
    return state.storage ? claimFits(pod, nodeInfo, state.storage) : SUCCESS;
  },
} satisfies FilterPlugin;
