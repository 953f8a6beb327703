// ConfigMaps and Secrets: key names, base64 payloads, size, type-specific keys, and the
// `immutable: true` update rule (pkg/apis/core/validation ValidateConfigMap/ValidateSecret).

import { fieldError, type FieldError } from './errors.ts';
import type { KubeObject } from './kube-object.ts';
import { asObject, sameValue } from './field-checks.ts';
import { isConfigMapKey } from './name-validation.ts';

/** Kubernetes' MaxSecretSize, also the ConfigMap limit. */
export const MAX_DATA_SIZE = 1024 * 1024;

// Secret values are never echoed back in messages.
const REDACTED = '<secret contents redacted>';

/**
 * Go's base64.StdEncoding rules (padding required, CR/LF ignored). Returns the decoded
 * length, or a message in Go's wording naming the first bad byte.
 */
export function checkBase64(text: string): { bytes: number } | { error: string } {
  const compact = text.replace(/[\r\n]/g, '');
  const firstBad = compact.search(/[^A-Za-z0-9+/=]/);
  if (firstBad >= 0) return { error: `illegal base64 data at input byte ${firstBad}` };
  const padding = compact.search(/=/);
  if (padding >= 0 && !/^={1,2}$/.test(compact.slice(padding))) return { error: `illegal base64 data at input byte ${padding}` };
  if (compact.length % 4 !== 0) {
    return { error: `illegal base64 data at input byte ${compact.length - (compact.length % 4)}` };
  }
  if (padding >= 0 && compact.length - padding > 2) return { error: `illegal base64 data at input byte ${padding}` };
  return { bytes: Buffer.from(compact, 'base64').length };
}

function validateKeys(map: Record<string, unknown>, field: string, other: Record<string, unknown>, otherField: string, errors: FieldError[]): void {
  for (const key of Object.keys(map)) {
    for (const message of isConfigMapKey(key)) errors.push(fieldError.invalid(`${field}[${key}]`, key, message));
    if (Object.hasOwn(other, key)) errors.push(fieldError.invalid(`${field}[${key}]`, key, `duplicate of key present in ${otherField}`));
  }
}

export function validateConfigMap(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const data = asObject(obj.data) ?? {};
  const binaryData = asObject(obj.binaryData) ?? {};
  validateKeys(data, 'data', binaryData, 'binaryData', errors);
  validateKeys(binaryData, 'binaryData', data, 'data', errors);
  let totalSize = 0;
  for (const value of Object.values(data)) if (typeof value === 'string') totalSize += Buffer.byteLength(value);
  for (const [key, value] of Object.entries(binaryData)) {
    if (typeof value !== 'string') continue;
    const decoded = checkBase64(value);
    if ('error' in decoded) errors.push(fieldError.invalid(`binaryData[${key}]`, '<binary data>', `a valid base64 value is required: ${decoded.error}`));
    else totalSize += decoded.bytes;
  }
  if (totalSize > MAX_DATA_SIZE) errors.push(fieldError.tooLong('data', MAX_DATA_SIZE));
  return errors;
}

// Keys each built-in Secret type must carry.
const REQUIRED_SECRET_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

export function validateSecret(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const data = asObject(obj.data) ?? {};
  const stringData = asObject(obj.stringData) ?? {};
  validateKeys(data, 'data', {}, '', errors);
  validateKeys(stringData, 'stringData', {}, '', errors);

  let totalSize = 0;
  const decodedValues = new Map<string, string>();
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') continue;
    const decoded = checkBase64(value);
    if ('error' in decoded) {
      errors.push(fieldError.invalid(`data[${key}]`, REDACTED, `a valid base64 value is required: ${decoded.error}`));
    } else {
      totalSize += decoded.bytes;
      decodedValues.set(key, Buffer.from(value, 'base64').toString('utf8'));
    }
  }
  for (const [key, value] of Object.entries(stringData)) {
    if (typeof value !== 'string') continue;
    totalSize += Buffer.byteLength(value);
    decodedValues.set(key, value);
  }
  if (totalSize > MAX_DATA_SIZE) errors.push(fieldError.tooLong('data', MAX_DATA_SIZE));

  const type = typeof obj.type === 'string' ? obj.type : 'Opaque';
  for (const required of REQUIRED_SECRET_KEYS[type] ?? []) {
    if (!decodedValues.has(required) && !Object.hasOwn(data, required)) errors.push(fieldError.required(`data[${required}]`));
  }
  if (type === 'kubernetes.io/dockerconfigjson' || type === 'kubernetes.io/dockercfg') {
    const configKey = type === 'kubernetes.io/dockerconfigjson' ? '.dockerconfigjson' : '.dockercfg';
    const config = decodedValues.get(configKey);
    if (config !== undefined) {
      try {
        JSON.parse(config);
      } catch (error) {
        errors.push(fieldError.invalid(`data[${configKey}]`, REDACTED, (error as Error).message));
      }
    }
  }
  if (type === 'kubernetes.io/basic-auth' && !decodedValues.has('username') && !decodedValues.has('password')) {
    errors.push(fieldError.required('data[username]'));
    errors.push(fieldError.required('data[password]'));
  }
  if (type === 'kubernetes.io/service-account-token' && !obj.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    errors.push(fieldError.required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  return errors;
}

/** Once `immutable: true`, data and the flag itself are frozen (and a Secret's type always is). */
export function validateConfigDataUpdate(kind: 'ConfigMap' | 'Secret', obj: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (kind === 'Secret') {
    const newType = obj.type ?? 'Opaque';
    const oldType = old.type ?? 'Opaque';
    if (newType !== oldType) errors.push(fieldError.invalid('type', newType, 'field is immutable'));
  }
  if (old.immutable !== true) return errors;
  if (obj.immutable !== true) errors.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
  if (!sameValue(obj.data, old.data)) errors.push(fieldError.forbidden('data', 'field is immutable when `immutable` is set'));
  if (!sameValue(obj.binaryData, old.binaryData)) errors.push(fieldError.forbidden('binaryData', 'field is immutable when `immutable` is set'));
  return errors;
}
