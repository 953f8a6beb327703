// Pod volumes, as Kubernetes' validateVolumes / validateVolumeSource check them.

import { fieldError, type FieldError } from './errors.ts';
import { asArray, asObject, asString, oneOf, setKeys, type Json } from './field-checks.ts';
import { isConfigMapKey, isDns1123Label } from './name-validation.ts';
import { quantityAt } from './validate-resources.ts';

export const POD_VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
] as const;

export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];

/** The source a volume uses (the first one set, when several are). */
export function firstSource(source: Json, sources: readonly string[]): string | undefined {
  return setKeys(source, sources)[0];
}

/** Exactly one source set: `Required: must specify a volume type` or `Forbidden: may not specify more than 1 volume type`. */
export function sourceCountErrors(source: Json, sources: readonly string[], path: string): FieldError[] {
  const present = setKeys(source, sources);
  if (present.length === 0) return [fieldError.required(path, 'must specify a volume type')];
  return present.slice(1).map((extra) => fieldError.forbidden(`${path}.${extra}`, 'may not specify more than 1 volume type'));
}

/** validateLocalDescendingPath: item paths inside a volume. */
export function relativePathErrors(value: unknown, path: string): FieldError[] {
  if (typeof value !== 'string') return [];
  const errors: FieldError[] = [];
  if (value.startsWith('/')) errors.push(fieldError.invalid(path, value, 'must be a relative path'));
  if (value.split('/').includes('..')) errors.push(fieldError.invalid(path, value, "must not contain '..'"));
  return errors;
}

function fileModeErrors(mode: unknown, path: string): FieldError[] {
  if (typeof mode !== 'number') return [];
  return mode < 0 || mode > 0o777
    ? [fieldError.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')]
    : [];
}

function keyToPathItems(items: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  asArray(items).forEach((raw, i) => {
    const item = asObject(raw);
    if (!item) return;
    const itemPath = `${path}[${i}]`;
    const keyValue = asString(item.key);
    if (!keyValue) errors.push(fieldError.required(`${itemPath}.key`));
    else for (const message of isConfigMapKey(keyValue)) errors.push(fieldError.invalid(`${itemPath}.key`, keyValue, message));
    if (!asString(item.path)) errors.push(fieldError.required(`${itemPath}.path`));
    errors.push(...relativePathErrors(item.path, `${itemPath}.path`));
    errors.push(...fileModeErrors(item.mode, `${itemPath}.mode`));
  });
  return errors;
}

function validateSourceDetails(name: string, source: Json, path: string): FieldError[] {
  const errors: FieldError[] = [];
  switch (name) {
    case 'configMap':
      if (!asString(source.name)) errors.push(fieldError.required(`${path}.name`));
      errors.push(...fileModeErrors(source.defaultMode, `${path}.defaultMode`));
      errors.push(...keyToPathItems(source.items, `${path}.items`));
      break;
    case 'secret':
      if (!asString(source.secretName)) errors.push(fieldError.required(`${path}.secretName`));
      errors.push(...fileModeErrors(source.defaultMode, `${path}.defaultMode`));
      errors.push(...keyToPathItems(source.items, `${path}.items`));
      break;
    case 'hostPath':
      if (!asString(source.path)) errors.push(fieldError.required(`${path}.path`));
      errors.push(...oneOf(source.type, HOST_PATH_TYPES, `${path}.type`));
      break;
    case 'emptyDir': {
      errors.push(...oneOf(source.medium, ['', 'Memory', 'HugePages'], `${path}.medium`));
      const size = quantityAt(source.sizeLimit, `${path}.sizeLimit`, errors);
      if (size && size.nano < 0n) errors.push(fieldError.invalid(`${path}.sizeLimit`, source.sizeLimit, 'must be greater than or equal to 0'));
      break;
    }
    case 'persistentVolumeClaim':
      if (!asString(source.claimName)) errors.push(fieldError.required(`${path}.claimName`));
      break;
    case 'nfs':
      if (!asString(source.server)) errors.push(fieldError.required(`${path}.server`));
      if (!asString(source.path)) errors.push(fieldError.required(`${path}.path`));
      else if (!String(source.path).startsWith('/')) errors.push(fieldError.invalid(`${path}.path`, source.path, 'must be an absolute path'));
      break;
    case 'downwardAPI':
      errors.push(...fileModeErrors(source.defaultMode, `${path}.defaultMode`));
      asArray(source.items).forEach((raw, i) => {
        const item = asObject(raw);
        if (!item) return;
        if (!asString(item.path)) errors.push(fieldError.required(`${path}.items[${i}].path`));
        errors.push(...relativePathErrors(item.path, `${path}.items[${i}].path`));
        errors.push(...fileModeErrors(item.mode, `${path}.items[${i}].mode`));
      });
      break;
    case 'projected':
      errors.push(...fileModeErrors(source.defaultMode, `${path}.defaultMode`));
      asArray(source.sources).forEach((raw, i) => {
        const projection = asObject(raw);
        if (!projection) return;
        const projectionPath = `${path}.sources[${i}]`;
        const kinds = setKeys(projection, ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle']);
        if (kinds.length === 0) errors.push(fieldError.required(projectionPath, 'must specify exactly 1 of: secret, configMap, downwardAPI, serviceAccountToken, clusterTrustBundle'));
        for (const extra of kinds.slice(1)) errors.push(fieldError.forbidden(`${projectionPath}.${extra}`, 'may not specify more than 1 volume type per source'));
        for (const kind of ['secret', 'configMap']) {
          const projected = asObject(projection[kind]);
          if (projected) errors.push(...keyToPathItems(projected.items, `${projectionPath}.${kind}.items`));
        }
      });
      break;
    case 'csi':
      if (!asString(source.driver)) errors.push(fieldError.required(`${path}.driver`));
      break;
    case 'image':
      if (!asString(source.reference)) errors.push(fieldError.required(`${path}.reference`));
      break;
  }
  return errors;
}

/** Validates `volumes` and returns the names they declare, for volumeMount checks. */
export function validateVolumes(volumes: unknown, path: string): { errors: FieldError[]; names: Set<string> } {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  asArray(volumes).forEach((raw, i) => {
    const volume = asObject(raw);
    if (!volume) return;
    const volumePath = `${path}[${i}]`;
    errors.push(...sourceCountErrors(volume, POD_VOLUME_SOURCES, volumePath));
    const sourceName = firstSource(volume, POD_VOLUME_SOURCES);
    const source = sourceName ? asObject(volume[sourceName]) : undefined;
    if (sourceName && source) errors.push(...validateSourceDetails(sourceName, source, `${volumePath}.${sourceName}`));
    const name = asString(volume.name);
    if (!name) errors.push(fieldError.required(`${volumePath}.name`));
    else {
      for (const message of isDns1123Label(name)) errors.push(fieldError.invalid(`${volumePath}.name`, name, message));
      if (names.has(name)) errors.push(fieldError.duplicate(`${volumePath}.name`, name));
      names.add(name);
    }
  });
  return { errors, names };
}
