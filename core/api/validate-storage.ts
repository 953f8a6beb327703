// PersistentVolumes, PersistentVolumeClaims and StorageClasses, as Kubernetes'
// pkg/apis/core/validation and pkg/apis/storage/validation check them.

import { fieldError, type FieldError } from './errors.ts';
import type { KubeObject } from './kube-object.ts';
import { asArray, asObject, asString, immutable, oneOf, sameValue, type Json } from './field-checks.ts';
import { isDns1123Subdomain, isQualifiedName } from './name-validation.ts';
import { validateLabelSelector } from './validate-label-selector.ts';
import { quantityAt } from './validate-resources.ts';
import { firstSource, HOST_PATH_TYPES, sourceCountErrors } from './validate-volumes.ts';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'quobyte', 'cephfs', 'iscsi',
  'cinder', 'fc', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk',
  'scaleIO', 'local', 'storageos', 'csi', 'flocker',
];

function validateAccessModes(modesValue: unknown, path: string, requiredDetail: string): FieldError[] {
  const modes = asArray(modesValue);
  if (modes.length === 0) return [fieldError.required(path, requiredDetail)];
  const errors: FieldError[] = [];
  for (const mode of modes) {
    if (typeof mode === 'string' && !ACCESS_MODES.includes(mode)) errors.push(fieldError.notSupported(path, mode, ACCESS_MODES));
  }
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errors.push(fieldError.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  }
  return errors;
}

function storageClassNameErrors(value: unknown, path: string): FieldError[] {
  const name = asString(value);
  return name ? isDns1123Subdomain(name).map((message) => fieldError.invalid(path, name, message)) : [];
}

function positiveStorage(value: unknown, path: string, errors: FieldError[]): void {
  const quantity = quantityAt(value, path, errors);
  if (quantity && quantity.nano <= 0n) errors.push(fieldError.invalid(path, value, 'must be greater than zero'));
}

export function validatePersistentVolumeClaim(obj: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const errors = validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required');
  errors.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const requests = asObject(asObject(spec.resources)?.requests) ?? {};
  // Kubernetes names this `spec.resources[storage]`.
  if (requests.storage === undefined || requests.storage === null) errors.push(fieldError.required('spec.resources[storage]'));
  else positiveStorage(requests.storage, 'spec.resources[storage]', errors);
  errors.push(...storageClassNameErrors(spec.storageClassName, 'spec.storageClassName'));
  errors.push(...oneOf(spec.volumeMode, ['Block', 'Filesystem'], 'spec.volumeMode'));
  return errors;
}

export function validatePersistentVolumeClaimUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const oldSpec = asObject(old.spec) ?? {};
  const errors: FieldError[] = [];
  // Everything but requests (expansion) and a first volumeName (binding) is fixed.
  const comparable = (value: Json, base: Json): Json => {
    const copy = structuredClone(value);
    const resources = asObject(copy.resources);
    if (resources) delete resources.requests;
    if (!base.volumeName) delete copy.volumeName;
    // Kubernetes (1.28+) lets a claim without a class be given one later (the default class).
    if (base.storageClassName === undefined || base.storageClassName === null) delete copy.storageClassName;
    delete copy.volumeAttributesClassName;
    return JSON.parse(JSON.stringify(copy)) as Json;
  };
  if (!sameValue(comparable(spec, oldSpec), comparable(oldSpec, oldSpec))) {
    errors.push(fieldError.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const newStorage = asObject(asObject(spec.resources)?.requests)?.storage;
  const oldStorage = asObject(asObject(oldSpec.resources)?.requests)?.storage;
  const ignored: FieldError[] = [];
  const newQuantity = quantityAt(newStorage, '', ignored);
  const oldQuantity = quantityAt(oldStorage, '', ignored);
  if (newQuantity && oldQuantity && newQuantity.nano < oldQuantity.nano) {
    errors.push(fieldError.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return errors;
}

export function validatePersistentVolume(obj: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const errors = validateAccessModes(spec.accessModes, 'spec.accessModes', '');
  const capacity = asObject(spec.capacity) ?? {};
  if (Object.keys(capacity).length === 0) errors.push(fieldError.required('spec.capacity'));
  else if (!Object.hasOwn(capacity, 'storage') || Object.keys(capacity).length > 1) {
    errors.push(fieldError.notSupported('spec.capacity', capacity, ['storage']));
  }
  if (capacity.storage != null) positiveStorage(capacity.storage, 'spec.capacity[storage]', errors);
  errors.push(...oneOf(spec.persistentVolumeReclaimPolicy, ['Delete', 'Recycle', 'Retain'], 'spec.persistentVolumeReclaimPolicy'));
  errors.push(...storageClassNameErrors(spec.storageClassName, 'spec.storageClassName'));
  errors.push(...oneOf(spec.volumeMode, ['Block', 'Filesystem'], 'spec.volumeMode'));

  errors.push(...sourceCountErrors(spec, PV_SOURCES, 'spec'));
  const sourceName = firstSource(spec, PV_SOURCES);
  const source = sourceName ? asObject(spec[sourceName]) : undefined;
  if (sourceName === 'hostPath' && source) {
    if (!asString(source.path)) errors.push(fieldError.required('spec.hostPath.path'));
    errors.push(...oneOf(source.type, HOST_PATH_TYPES, 'spec.hostPath.type'));
  }
  if (sourceName === 'local' && source) {
    if (!asString(source.path)) errors.push(fieldError.required('spec.local.path'));
    if (!asObject(spec.nodeAffinity)) errors.push(fieldError.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (sourceName === 'nfs' && source) {
    if (!asString(source.server)) errors.push(fieldError.required('spec.nfs.server'));
    if (!asString(source.path)) errors.push(fieldError.required('spec.nfs.path'));
  }
  if (sourceName === 'csi' && source) {
    if (!asString(source.driver)) errors.push(fieldError.required('spec.csi.driver'));
    if (!asString(source.volumeHandle)) errors.push(fieldError.required('spec.csi.volumeHandle'));
  }
  return errors;
}

export function validatePersistentVolumeUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const oldSpec = asObject(old.spec) ?? {};
  const errors = immutable(spec.volumeMode, oldSpec.volumeMode, 'spec.volumeMode');
  const sourceName = firstSource(oldSpec, PV_SOURCES);
  if (sourceName && !sameValue(spec[sourceName], oldSpec[sourceName])) {
    errors.push(fieldError.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  return errors;
}

export function validateStorageClass(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const provisioner = asString(obj.provisioner);
  if (!provisioner) errors.push(fieldError.required('provisioner'));
  else for (const message of isQualifiedName(provisioner.toLowerCase())) errors.push(fieldError.invalid('provisioner', provisioner, message));
  errors.push(...oneOf(obj.reclaimPolicy, ['Delete', 'Retain'], 'reclaimPolicy'));
  errors.push(...oneOf(obj.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer'], 'volumeBindingMode'));
  return errors;
}

export function validateStorageClassUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (!sameValue(obj.parameters, old.parameters)) errors.push(fieldError.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (obj.provisioner !== old.provisioner) errors.push(fieldError.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if ((obj.reclaimPolicy ?? 'Delete') !== (old.reclaimPolicy ?? 'Delete')) {
    errors.push(fieldError.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  }
  errors.push(...immutable(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
  return errors;
}
