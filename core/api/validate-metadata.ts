// ObjectMeta checks, as apimachinery's ValidateObjectMeta makes them.

import { fieldError, type FieldError } from './errors.ts';
import type { ResourceInfo } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';
import { asArray, asObject, asString, nonNegative } from './field-checks.ts';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
} from './name-validation.ts';

type NameCheck = (name: string) => string[];

/** The name rule each kind uses (ValidateNameFunc in Kubernetes' validation packages). */
export function nameCheckFor(kind: string): NameCheck {
  switch (kind) {
    case 'Namespace':
      return isDns1123Label;
    case 'Service':
      return isDns1035Label;
    default:
      return isDns1123Subdomain;
  }
}

// Finalizer names without a domain that Kubernetes itself understands.
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateObjectMeta(info: ResourceInfo, obj: KubeObject): FieldError[] {
  const meta = asObject(obj.metadata);
  if (!meta) return [fieldError.required('metadata')];
  const errors: FieldError[] = [];
  const check = nameCheckFor(info.kind);

  const generateName = asString(meta.generateName);
  if (generateName) {
    // A generated suffix follows, so a trailing dash is fine (maskTrailingDash).
    const masked = generateName.endsWith('-') ? `${generateName.slice(0, -1)}a` : generateName;
    for (const message of check(masked)) errors.push(fieldError.invalid('metadata.generateName', generateName, message));
  }
  const name = asString(meta.name);
  if (!name) {
    if (!generateName) errors.push(fieldError.required('metadata.name', 'name or generateName is required'));
  } else {
    for (const message of check(name)) errors.push(fieldError.invalid('metadata.name', name, message));
  }

  const namespace = asString(meta.namespace);
  if (info.namespaced) {
    if (!namespace) errors.push(fieldError.required('metadata.namespace'));
    else for (const message of isDns1123Label(namespace)) errors.push(fieldError.invalid('metadata.namespace', namespace, message));
  } else if (namespace) {
    errors.push(fieldError.forbidden('metadata.namespace', 'not allowed on this type'));
  }

  errors.push(...nonNegative(meta.generation, 'metadata.generation'));
  errors.push(...validateLabels(meta.labels, 'metadata.labels'));
  errors.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errors.push(...validateFinalizers(meta.finalizers, 'metadata.finalizers'));
  errors.push(...validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences'));
  return errors;
}

export function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  asArray(finalizers).forEach((finalizer, i) => {
    if (typeof finalizer !== 'string') return;
    const messages = isQualifiedName(finalizer);
    for (const message of messages) errors.push(fieldError.invalid(`${path}[${i}]`, finalizer, message));
    if (messages.length === 0 && !finalizer.includes('/') && !standardFinalizers.has(finalizer)) {
      errors.push(
        fieldError.invalid(`${path}[${i}]`, finalizer, 'name is neither a standard finalizer name nor is it fully qualified'),
      );
    }
  });
  return errors;
}

function validateOwnerReferences(references: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  let controllers = 0;
  asArray(references).forEach((item, i) => {
    const reference = asObject(item);
    if (!reference) return;
    for (const required of ['apiVersion', 'kind', 'name', 'uid']) {
      if (!asString(reference[required])) errors.push(fieldError.invalid(`${path}[${i}].${required}`, reference[required] ?? '', `${required} must not be empty`));
    }
    if (reference.controller === true) controllers++;
  });
  if (controllers > 1) errors.push(fieldError.invalid(path, references, 'Only one reference can have Controller set to true'));
  return errors;
}
