import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { claimVolumeName } from '../agent/volume-manager.ts';
import { DOCKER_VOLUME_PROVISIONER } from './storage-class-bootstrap.ts';
import { nodeMatchesSelectorTerm } from '../api/node-selector.ts';

// The PersistentVolume Kubelab's provisioner makes for a claim, and the facts about a PV
// that the controller, the node agent's reclaimer and the scheduler share: which Docker
// volume holds its data and which node that volume lives on.

export type Volume = PersistentVolume & KubeObject;
export type Claim = PersistentVolumeClaim & KubeObject;

export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** Names the Docker named volume that holds the PV's data on its node. */
export const DOCKER_VOLUME_ANNOTATION = 'kubelab.io/docker-volume';
/** Held until the agent of the PV's node removed the Docker volume (or the node is gone). */
export const VOLUME_CLEANUP_FINALIZER = 'kubelab.io/docker-volume-cleanup';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/** `pvc-<claim uid>`, as Kubernetes' provisioners name dynamically provisioned volumes. */
export function provisionedVolumeName(claim: Claim): string {
  return `pvc-${claim.metadata.uid}`;
}

/** The Docker volume of a PV: the node agent mounts a bound claim as `kubelab-pv-<pv name>` (volume-manager.ts). */
export function dockerVolumeNameOf(pv: Volume): string {
  return pv.metadata.annotations?.[DOCKER_VOLUME_ANNOTATION] ?? claimVolumeName('', '', pv.metadata.name);
}

export function requestedStorage(claim: Claim): string | undefined {
  const storage = claim.spec?.resources?.requests?.storage;
  return storage === undefined ? undefined : String(storage);
}

export function buildProvisionedVolume(claim: Claim, storageClass: StorageClass, nodeName: string): Volume {
  const name = provisionedVolumeName(claim);
  const dockerVolume = claimVolumeName(claim.metadata.namespace ?? '', claim.metadata.name ?? '', name);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: {
        [PROVISIONED_BY_ANNOTATION]: storageClass.provisioner,
        [DOCKER_VOLUME_ANNOTATION]: dockerVolume,
        [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes',
      },
      finalizers: [VOLUME_CLEANUP_FINALIZER],
    },
    spec: {
      capacity: { storage: requestedStorage(claim) ?? '1Gi' },
      accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
      claimRef: claimRefOf(claim),
      persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
      storageClassName: storageClass.metadata?.name,
      volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
      nodeAffinity: {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [nodeName] }] }] },
      },
      // A PV needs a source; CSI's shape says it exactly: which driver, which volume.
      csi: { driver: DOCKER_VOLUME_PROVISIONER, volumeHandle: dockerVolume },
    },
  };
}

export function claimRefOf(claim: Claim): NonNullable<PersistentVolume['spec']>['claimRef'] {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: claim.metadata.namespace,
    name: claim.metadata.name,
    uid: claim.metadata.uid,
    resourceVersion: claim.metadata.resourceVersion,
  };
}

/** The node a provisioned volume is pinned to (its `kubernetes.io/hostname In [one node]` affinity). */
export function pinnedNodeOf(pv: Volume): string | undefined {
  for (const term of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const expression of term.matchExpressions ?? []) {
      if (expression.key === HOSTNAME_LABEL && expression.operator === 'In' && expression.values?.length === 1) return expression.values[0];
    }
  }
  return undefined;
}

/**
 * Whether a pod on `node` can use the volume: its required node affinity (terms ORed,
 * expressions ANDed) matches the node's labels. The scheduler's VolumeBinding filter.
 */
export function volumeFitsNode(pv: Volume, node: Pick<Node, 'metadata'>): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((term) => nodeMatchesSelectorTerm(term, node));
}

