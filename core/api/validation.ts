// validateObject: every problem with an object, as Kubernetes reports it in a 422 Invalid.
// Two layers: the kind's OpenAPI schema (types, enums, required fields), then the semantic
// rules of Kubernetes' validation packages, then the update rules when an old object is given.

import { fieldError, type FieldError } from './errors.ts';
import type { ResourceInfo } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';
import { asArray, asObject, asString, nonNegative, oneOf, positive } from './field-checks.ts';
import { isQualifiedName } from './name-validation.ts';
import { validateAgainstSchema } from './schema-validation.ts';
import { validateFinalizers, validateObjectMeta } from './validate-metadata.ts';
import { validatePodSpec, validatePodSpecUpdate } from './validate-pod-spec.ts';
import {
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateSelectorUpdate,
} from './validate-workloads.ts';
import { validateCronJob, validateJob, validateJobUpdate } from './validate-batch.ts';
import { validateEndpoints, validateService, validateServiceUpdate } from './validate-service.ts';
import { validateConfigDataUpdate, validateConfigMap, validateSecret } from './validate-config-data.ts';
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
} from './validate-storage.ts';
import { validateHorizontalPodAutoscaler } from './validate-autoscaling.ts';

function validateNamespace(obj: KubeObject): FieldError[] {
  return validateFinalizers(asObject(obj.spec)?.finalizers, 'spec.finalizers');
}

function validateNode(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  asArray(asObject(obj.spec)?.taints).forEach((raw, i) => {
    const taint = asObject(raw);
    if (!taint) return;
    const path = `spec.taints[${i}]`;
    const key = asString(taint.key) ?? '';
    for (const message of isQualifiedName(key)) errors.push(fieldError.invalid(`${path}.key`, key, message));
    if (!taint.effect) errors.push(fieldError.required(`${path}.effect`));
    else errors.push(...oneOf(taint.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], `${path}.effect`));
    const identity = `${key}/${String(taint.effect)}`;
    if (seen.has(identity)) errors.push(fieldError.duplicate(path, { key, effect: taint.effect }));
    seen.add(identity);
  });
  return errors;
}

function validateEvent(obj: KubeObject): FieldError[] {
  const involvedNamespace = asString(asObject(obj.involvedObject)?.namespace);
  if (involvedNamespace && obj.metadata?.namespace && involvedNamespace !== obj.metadata.namespace) {
    return [fieldError.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace')];
  }
  return [];
}

function validateLease(obj: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  return [...positive(spec.leaseDurationSeconds, 'spec.leaseDurationSeconds'), ...nonNegative(spec.leaseTransitions, 'spec.leaseTransitions')];
}

function validateKind(kind: string, obj: KubeObject, old?: KubeObject): FieldError[] {
  switch (kind) {
    case 'Namespace':
      return validateNamespace(obj);
    case 'Node':
      return validateNode(obj);
    case 'Pod':
      return validatePodSpec(obj.spec, 'spec');
    case 'Service':
      return validateService(obj);
    case 'Endpoints':
      return validateEndpoints(obj);
    case 'ConfigMap':
      return validateConfigMap(obj);
    case 'Secret':
      return validateSecret(obj);
    case 'PersistentVolume':
      return validatePersistentVolume(obj);
    case 'PersistentVolumeClaim':
      return validatePersistentVolumeClaim(obj);
    case 'Event':
      return validateEvent(obj);
    case 'Deployment':
      return validateDeployment(obj);
    case 'ReplicaSet':
      return validateReplicaSet(obj);
    case 'DaemonSet':
      return validateDaemonSet(obj);
    case 'ControllerRevision':
      return validateControllerRevision(obj);
    case 'Job':
      return validateJob(obj);
    case 'CronJob':
      return validateCronJob(obj, old);
    case 'Lease':
      return validateLease(obj);
    case 'HorizontalPodAutoscaler':
      return validateHorizontalPodAutoscaler(obj);
    case 'StorageClass':
      return validateStorageClass(obj);
    default:
      return []; // ServiceAccount: metadata only
  }
}

/** What may not change between `old` and `obj`. Name and namespace are the API server's concern. */
function validateUpdate(kind: string, obj: KubeObject, old: KubeObject): FieldError[] {
  switch (kind) {
    case 'Pod':
      return validatePodSpecUpdate(obj.spec, old.spec);
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return validateSelectorUpdate(obj, old);
    case 'Job':
      return validateJobUpdate(obj, old);
    case 'Service':
      return validateServiceUpdate(obj, old);
    case 'ConfigMap':
    case 'Secret':
      return validateConfigDataUpdate(kind, obj, old);
    case 'PersistentVolumeClaim':
      return validatePersistentVolumeClaimUpdate(obj, old);
    case 'PersistentVolume':
      return validatePersistentVolumeUpdate(obj, old);
    case 'StorageClass':
      return validateStorageClassUpdate(obj, old);
    case 'ControllerRevision':
      return validateControllerRevisionUpdate(obj, old);
    default:
      return [];
  }
}

/**
 * Every problem with `obj` (and with the change from `old`, on update), with Kubernetes
 * field paths and wording. An empty array means valid. Run after applyDefaults, as the
 * API server does; fields defaulting fills are only checked when present.
 */
export function validateObject(info: ResourceInfo, obj: KubeObject, old?: KubeObject): FieldError[] {
  const schemaErrors = validateAgainstSchema(info, obj);
  // A field with the wrong type or an unknown enum value is reported once, by the schema layer.
  const reported = new Set(schemaErrors.map((error) => error.field));
  const semanticErrors = [
    ...validateObjectMeta(info, obj),
    ...validateKind(info.kind, obj, old),
    ...(old ? validateUpdate(info.kind, obj, old) : []),
  ].filter((error) => !reported.has(error.field));
  const seen = new Set<string>();
  return [...schemaErrors, ...semanticErrors].filter((error) => {
    if (seen.has(error.message)) return false;
    seen.add(error.message);
    return true;
  });
}
