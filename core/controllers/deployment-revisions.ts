import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { stableStringify } from './controller-utils.ts';

// Which ReplicaSet is which revision of a Deployment (Kubernetes' deployment/util):
// the pod-template-hash names a template, the newest revision is the RS whose template
// equals the Deployment's (hash label aside), and revisions are annotations. A rollback
// (kubectl rollout undo patches the Deployment's template back to an old RS's) makes an
// old RS the new one again; it then gets the next revision number.

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** Kubernetes caps revision-history at this many characters. */
const MAX_REVISION_HISTORY_CHARS = 2000;

/** Annotations the Deployment never passes on to its ReplicaSets (skipCopyAnnotation). */
const NOT_COPIED = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, DEPRECATED_ROLLBACK_TO]);

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits: Kubernetes' hash for pod templates. */
function fnv1a32(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** rand.SafeEncodeString: no vowels or look-alikes, so a hash never spells a word. */
function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * ComputeHash: FNV-1a over the template (canonical JSON here; Kubernetes hashes its Go
 * printout) and, after a hash collision, the collision count.
 */
export function computeTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let hash = fnv1a32(new TextEncoder().encode(stableStringify(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv1a32(bytes, hash);
  }
  return safeEncode(String(hash));
}

function withoutHashLabel(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

/** EqualIgnoreHash: the same template once the pod-template-hash label is removed from both. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return stableStringify(withoutHashLabel(a)) === stableStringify(withoutHashLabel(b));
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number {
  const value = Number(obj.metadata?.annotations?.[REVISION] ?? '0');
  return Number.isInteger(value) && value > 0 ? value : 0;
}

export function maxRevision(replicaSets: ReplicaSet[]): number {
  return Math.max(0, ...replicaSets.map(revisionOf));
}

function creationTime(rs: ReplicaSet): number {
  const t = Date.parse(rs.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const diff = creationTime(a) - creationTime(b);
  return diff !== 0 ? diff : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** ReplicaSetsByRevision: lowest revision first, then oldest. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const diff = revisionOf(a) - revisionOf(b);
  return diff !== 0 ? diff : byCreation(a, b);
}

/** FindNewReplicaSet: the oldest RS whose template equals the Deployment's, if any. */
export function findNewReplicaSet<R extends ReplicaSet>(deployment: Deployment, replicaSets: R[]): R | undefined {
  return [...replicaSets].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, deployment.spec?.template));
}

/** Every RS that is not the new one. */
export function findOldReplicaSets<R extends ReplicaSet>(replicaSets: R[], newRs: R | undefined): R[] {
  return replicaSets.filter((rs) => rs.metadata?.uid !== newRs?.metadata?.uid);
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's annotations (change-cause among
 * them), raises the revision (remembering the old one in revision-history) and, for a
 * new RS, sets desired/max replicas. Mutates `rs`; true when something changed.
 */
export function setNewReplicaSetAnnotations(deployment: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, maxSurge: number): boolean {
  rs.metadata ??= {};
  const annotations = (rs.metadata.annotations ??= {});
  let changed = copyDeploymentAnnotations(deployment, rs);
  const oldRevision = annotations[REVISION];
  const oldRevisionNumber = oldRevision ? Number(oldRevision) : 0;
  if (!oldRevision || oldRevisionNumber < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision) {
      const history = annotations[REVISION_HISTORY] ? annotations[REVISION_HISTORY].split(',') : [];
      history.push(oldRevision);
      while (history.join(',').length > MAX_REVISION_HISTORY_CHARS && history.length > 1) history.shift();
      annotations[REVISION_HISTORY] = history.join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, deployment.spec?.replicas ?? 1, (deployment.spec?.replicas ?? 1) + maxSurge)) changed = true;
  return changed;
}

function copyDeploymentAnnotations(deployment: Deployment, rs: ReplicaSet): boolean {
  const annotations = (rs.metadata!.annotations ??= {});
  let changed = false;
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (NOT_COPIED.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const annotations = rs.metadata?.annotations ?? {};
  return annotations[DESIRED_REPLICAS] !== String(desired) || annotations[MAX_REPLICAS] !== String(max);
}

/** Mutates `rs`; true when the desired/max replicas annotations changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata ??= {};
  const annotations = (rs.metadata.annotations ??= {});
  annotations[DESIRED_REPLICAS] = String(desired);
  annotations[MAX_REPLICAS] = String(max);
  return true;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const raw = rs.metadata?.annotations?.[key];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isInteger(value) ? value : undefined;
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS);
}

export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, MAX_REPLICAS);
}

/** The template of the new RS: the Deployment's plus the pod-template-hash label. */
export function templateWithHash(template: PodTemplateSpec | undefined, hash: string): PodTemplateSpec {
  const copy = structuredClone(template ?? {});
  copy.metadata ??= {};
  copy.metadata.labels = { ...(copy.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  return copy;
}

/**
 * cleanupDeployment's choice: old RSs beyond revisionHistoryLimit, lowest revision first,
 * skipping any that still has pods or whose status is behind its spec.
 */
export function replicaSetsToCleanUp<R extends ReplicaSet>(oldReplicaSets: R[], revisionHistoryLimit: number | undefined): R[] {
  if (revisionHistoryLimit === undefined || revisionHistoryLimit === null) return [];
  const alive = oldReplicaSets.filter((rs) => !rs.metadata?.deletionTimestamp);
  const excess = alive.length - revisionHistoryLimit;
  if (excess <= 0) return [];
  return [...alive]
    .sort(byRevision)
    .slice(0, excess)
    .filter(
      (rs) =>
        (rs.status?.replicas ?? 0) === 0 &&
        (rs.spec?.replicas ?? 0) === 0 &&
        (rs.metadata?.generation ?? 0) <= (rs.status?.observedGeneration ?? 0),
    );
}
