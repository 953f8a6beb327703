import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { ApiError, badRequest, unsupportedMediaType } from '../api/errors.ts';
import { applyStrategicMergePatch } from './strategic-merge-patch.ts';

// The three patch formats kubectl sends, by Content-Type. Each returns a new object
// and leaves the input alone; the caller then stores it like any update.

export type PatchType = 'json' | 'merge' | 'strategic';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

export function patchTypeOf(contentType: string): PatchType {
  const type = PATCH_TYPES[contentType];
  if (type) return type;
  if (contentType === 'application/apply-patch+yaml') {
    throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply is not supported by Kubelab yet: use client-side `kubectl apply` (without --server-side)');
  }
  throw unsupportedMediaType(contentType);
}

export function applyPatch(type: PatchType, original: object, patch: unknown, apiVersion: string, kind: string): Record<string, unknown> {
  switch (type) {
    case 'json':
      return applyJsonPatch(original, patch);
    case 'merge':
      if (!isPlainObject(patch)) throw badRequest('a merge patch must be a JSON object');
      return applyMergePatch(original, patch) as Record<string, unknown>;
    case 'strategic':
      if (!isPlainObject(patch)) throw badRequest('a strategic merge patch must be a JSON object');
      return applyStrategicMergePatch(original, patch, apiVersion, kind) as Record<string, unknown>;
  }
}

function applyJsonPatch(original: object, patch: unknown): Record<string, unknown> {
  if (!Array.isArray(patch)) throw badRequest('a JSON patch must be an array of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}]');
  try {
    return fastJsonPatch.applyPatch(structuredClone(original), patch as Operation[], true, true).newDocument as Record<string, unknown>;
  } catch (e) {
    const error = e as Error & { index?: number; name?: string };
    const where = error.index !== undefined ? ` (operation ${error.index})` : '';
    throw new ApiError(422, 'Invalid', `the JSON patch could not be applied${where}: ${error.message.split('\n')[0]}`);
  }
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
