import type { Node } from 'kubernetes-types/core/v1.js';
import { compareQuantities } from '../api/quantity.ts';
import { selectorFromLabelSelector } from '../api/label-selector.ts';
import { requestedStorage, volumeFitsNode, type Claim, type Volume } from './provisioned-volume.ts';

// Static binding, as Kubernetes' findMatchingVolume: an existing PV a claim may take.
// A PV pre-bound to the claim (claimRef names it) wins; otherwise the smallest free PV of
// the claim's class with every requested access mode, enough capacity, labels the claim's
// selector accepts and, once the claim's consumer is placed, node affinity that fits.

export function claimRefNames(volume: Volume, claim: Claim): boolean {
  const ref = volume.spec?.claimRef;
  if (!ref) return false;
  return ref.namespace === claim.metadata.namespace && ref.name === claim.metadata.name && (!ref.uid || ref.uid === claim.metadata.uid);
}

export function volumeSatisfiesClaim(volume: Volume, claim: Claim, className: string, node?: Pick<Node, 'metadata'>): boolean {
  if (volume.metadata.deletionTimestamp) return false;
  if (volume.spec?.claimRef && !claimRefNames(volume, claim)) return false;
  if (!volume.spec?.claimRef && volume.status?.phase && volume.status.phase !== 'Available' && volume.status.phase !== 'Pending') return false;
  if ((volume.spec?.storageClassName ?? '') !== className) return false;
  if ((volume.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return false;
  const modes = volume.spec?.accessModes ?? [];
  if (!(claim.spec?.accessModes ?? []).every((mode) => modes.includes(mode))) return false;
  const wanted = requestedStorage(claim);
  const capacity = volume.spec?.capacity?.storage;
  if (wanted && (capacity === undefined || compareQuantities(String(capacity), wanted) < 0)) return false;
  if (claim.spec?.selector && !selectorFromLabelSelector(claim.spec.selector).matches(volume.metadata.labels ?? {})) return false;
  if (node && !volumeFitsNode(volume, node)) return false;
  return true;
}

export function findMatchingVolume(claim: Claim, volumes: readonly Volume[], className: string, node?: Pick<Node, 'metadata'>): Volume | undefined {
  const fitting = volumes.filter((volume) => volumeSatisfiesClaim(volume, claim, className, node));
  const preBound = fitting.find((volume) => claimRefNames(volume, claim));
  if (preBound) return preBound;
  return fitting.sort((a, b) => compareQuantities(String(a.spec?.capacity?.storage ?? '0'), String(b.spec?.capacity?.storage ?? '0')))[0];
}
