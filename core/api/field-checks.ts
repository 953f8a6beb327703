// Small checks shared by the per-kind validators, worded like Kubernetes'
// pkg/apis/core/validation helpers (ValidateNonnegativeField, ValidateImmutableField...).

import { jsonEqual } from '../store/json-clone.ts';
import { fieldError, type FieldError } from './errors.ts';
import { isValidPortName } from './name-validation.ts';

export type Json = Record<string, unknown>;

/** A value as a plain object, or undefined when absent or not an object (the schema layer reports types). */
export function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function nonNegative(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value < 0
    ? [fieldError.invalid(path, value, 'must be greater than or equal to 0')]
    : [];
}

export function positive(value: unknown, path: string): FieldError[] {
  return typeof value === 'number' && value <= 0 ? [fieldError.invalid(path, value, 'must be greater than 0')] : [];
}

/** validatePortNumInt. */
export function portNumber(value: unknown, path: string): FieldError[] {
  if (typeof value !== 'number') return [];
  return value < 1 || value > 65535 ? [fieldError.invalid(path, value, 'must be between 1 and 65535, inclusive')] : [];
}

/** ValidatePortNumOrName: targetPort, probe and lifecycle ports. */
export function portNumberOrName(value: unknown, path: string): FieldError[] {
  if (typeof value === 'number') return portNumber(value, path);
  if (typeof value === 'string') {
    // A numeric string is how YAML users often write a number; Kubernetes parses IntOrString the same way.
    if (/^[0-9]+$/.test(value)) return portNumber(Number(value), path);
    return isValidPortName(value).map((message) => fieldError.invalid(path, value, message));
  }
  return [];
}

/** `field.NotFound`, which the shared builders lack. */
export function notFound(path: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field: path, message: `${path}: Not found: ${JSON.stringify(value ?? null)}` };
}

/** A field.Invalid whose value is already printed (Go `%#v` forms such as `map[string]string{...}`). */
export function invalidPrinted(path: string, printedValue: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: path, message: `${path}: Invalid value: ${printedValue}: ${detail}` };
}

/** Go's `%#v` of a map[string]string: keys sorted, `map[string]string{"a":"b", "c":"d"}`. */
export function goStringMap(map: unknown): string {
  const object = asObject(map);
  if (!object) return 'map[string]string(nil)';
  const entries = Object.keys(object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${JSON.stringify(object[key])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** Go's `%#v` of a metav1.LabelSelector, as Kubernetes prints it in `field is immutable` errors. */
export function goLabelSelector(selector: unknown): string {
  const object = asObject(selector);
  if (!object) return 'nil';
  const expressions = asArray(object.matchExpressions).map((item) => {
    const expression = asObject(item) ?? {};
    const values = Array.isArray(expression.values)
      ? `[]string{${expression.values.map((value) => JSON.stringify(value)).join(', ')}}`
      : '[]string(nil)';
    return `v1.LabelSelectorRequirement{Key:${JSON.stringify(expression.key ?? '')}, Operator:${JSON.stringify(expression.operator ?? '')}, Values:${values}}`;
  });
  const matchExpressions = Array.isArray(object.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${expressions.join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(object.matchLabels)}, MatchExpressions:${matchExpressions}}`;
}

/** ValidateImmutableField. Absent and null count as the same value. */
export function immutable(newValue: unknown, oldValue: unknown, path: string, printed?: string): FieldError[] {
  if (sameValue(newValue, oldValue)) return [];
  return [
    printed === undefined
      ? fieldError.invalid(path, newValue, 'field is immutable')
      : invalidPrinted(path, printed, 'field is immutable'),
  ];
}

export function sameValue(a: unknown, b: unknown): boolean {
  return jsonEqual(a ?? null, b ?? null);
}

/** `field.NotSupported` when the value is set and not one of `supported`. */
export function oneOf(value: unknown, supported: string[], path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  return typeof value === 'string' && supported.includes(value) ? [] : [fieldError.notSupported(path, value, supported)];
}

/** How many of `keys` are set on `object`: handler, volume source and env source checks. */
export function setKeys(object: Json, keys: readonly string[]): string[] {
  return keys.filter((key) => object[key] !== undefined && object[key] !== null);
}

/** Append `[index]` or `.child` to a field path. */
export const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;
