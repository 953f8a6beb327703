// First validation layer: types and required fields, checked against the OpenAPI schemas
// that kubernetes-models generates, and reported as Kubernetes field errors. Kubernetes
// itself finds these at decode time; we find them before the semantic checks run.

import { createRequire } from 'node:module';
import { fieldError, type FieldError } from './errors.ts';
import type { ResourceInfo } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

// Loaded on first use per kind: all twenty schemas together take most of a second to load,
// and validateObject must stay synchronous. The CommonJS build is the one require() reaches.
const require = createRequire(import.meta.url);
const models = new Map<string, ModelClass | null>();

function modelModulePath(info: ResourceInfo): string {
  const groupVersion = info.group ? `${info.group}/${info.version}` : info.version;
  return `kubernetes-models/${groupVersion}/${info.kind}`;
}

function modelFor(info: ResourceInfo): ModelClass | null {
  const cacheKey = `${info.group}/${info.version}/${info.kind}`;
  if (!models.has(cacheKey)) {
    let model: ModelClass | null = null;
    try {
      const loaded = require(modelModulePath(info)) as Record<string, ModelClass>;
      model = loaded[info.kind] ?? null;
    } catch {
      model = null; // a kind the package lacks is only checked by the semantic layer
    }
    models.set(cacheKey, model);
  }
  return models.get(cacheKey) ?? null;
}

// Fields whose values are string maps: their members print as `labels[key]`, not `labels.key`.
const mapFields = new Set([
  'labels',
  'annotations',
  'matchLabels',
  'nodeSelector',
  'data',
  'binaryData',
  'stringData',
  'limits',
  'requests',
  'capacity',
  'allocatable',
  'parameters',
  'hard',
  'used',
  'volumeAttributes',
]);

/** `/spec/template/spec/containers/0/image` -> `spec.template.spec.containers[0].image`. */
export function fieldPathOf(instancePath: string, obj: unknown, kind: string): string {
  const segments = instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = '';
  let current: unknown = obj;
  let parentName = '';
  for (const segment of segments) {
    const isMapMember =
      mapFields.has(parentName) || (parentName === 'selector' && (kind === 'Service' || kind === 'ReplicationController'));
    if (Array.isArray(current)) path += `[${segment}]`;
    else if (isMapMember && path) path += `[${segment}]`;
    else path = path ? `${path}.${segment}` : segment;
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[segment] : undefined;
    if (!Array.isArray(current)) parentName = segment;
  }
  return path;
}

function valueAt(obj: unknown, instancePath: string): unknown {
  let current = obj;
  for (const segment of instancePath.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

const typeNames: Record<string, string> = { integer: 'integer', number: 'number', string: 'string', boolean: 'boolean', object: 'object', array: 'array' };

/** Turn ajv errors into one field error per path, preferring a type error over what follows from it. */
export function fieldErrorsFromAjv(errors: AjvError[], obj: unknown, kind: string): FieldError[] {
  const byPath = new Map<string, AjvError[]>();
  for (const error of errors) {
    const group = byPath.get(error.instancePath) ?? [];
    group.push(error);
    byPath.set(error.instancePath, group);
  }
  const result: FieldError[] = [];
  for (const [instancePath, group] of byPath) {
    const path = fieldPathOf(instancePath, obj, kind);
    const value = valueAt(obj, instancePath);
    const typeErrors = group.filter((error) => error.keyword === 'type');
    if (typeErrors.length > 0) {
      // IntOrString and Quantity fail two `type` branches of a oneOf: name both.
      const expected = [...new Set(typeErrors.map((error) => typeNames[String(error.params.type)] ?? String(error.params.type)))];
      result.push(fieldError.typeInvalid(path, value, `must be of type ${expected.join(' or ')}`));
      continue;
    }
    for (const error of group) {
      switch (error.keyword) {
        case 'required': {
          // Status is written by controllers and agents, and Kubernetes does not hold it
          // to the OpenAPI `required` lists (a Node may report a partial nodeInfo).
          if (path === 'status' || path.startsWith('status.')) break;
          const missing = String(error.params.missingProperty);
          result.push(fieldError.required(path ? `${path}.${missing}` : missing));
          break;
        }
        case 'enum':
          result.push(fieldError.notSupported(path, value, (error.params.allowedValues as unknown[]).map(String)));
          break;
        case 'format':
          // Base64 payloads are checked by the semantic layer, which never echoes secret data.
          if (error.params.format === 'byte') break;
          result.push(fieldError.typeInvalid(path, value, `must be of type ${String(error.params.format)}`));
          break;
        case 'oneOf':
        case 'anyOf':
          break; // reported through the branch errors above
        default:
          result.push(fieldError.invalid(path, value, error.message ?? error.keyword));
      }
    }
  }
  return result;
}

/** Types, formats, enums and required fields of `obj` for its kind's schema. */
export function validateAgainstSchema(info: ResourceInfo, obj: KubeObject): FieldError[] {
  const Model = modelFor(info);
  if (!Model) return [];
  try {
    new Model(obj).validate();
    return [];
  } catch (error) {
    const ajvErrors = (error as { errors?: AjvError[] }).errors;
    if (!Array.isArray(ajvErrors)) throw error;
    return fieldErrorsFromAjv(ajvErrors, obj, info.kind);
  }
}
