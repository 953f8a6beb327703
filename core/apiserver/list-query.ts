import { badRequest } from '../api/errors.ts';
import { parseFieldSelector, supportedFieldsFor } from '../api/field-selector.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { parseLabelSelector } from '../api/label-selector.ts';
import type { ResourceInfo } from '../api/resource-catalog.ts';

// The query parameters of list and watch requests, parsed once and checked.

export interface ListQuery {
  filter?: (obj: KubeObject) => boolean;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
}

export function parseListQuery(info: ResourceInfo, params: URLSearchParams): ListQuery {
  const labelText = params.get('labelSelector') ?? '';
  const fieldText = params.get('fieldSelector') ?? '';
  let labelSelector;
  let fieldSelector;
  try {
    labelSelector = labelText ? parseLabelSelector(labelText) : undefined;
  } catch (e) {
    throw badRequest(`unable to parse labelSelector "${labelText}": ${(e as Error).message}`);
  }
  try {
    fieldSelector = fieldText ? parseFieldSelector(fieldText, supportedFieldsFor(info.kind)) : undefined;
  } catch (e) {
    throw badRequest(`unable to parse fieldSelector "${fieldText}": ${(e as Error).message}`);
  }
  const filter =
    labelSelector || fieldSelector
      ? (obj: KubeObject) =>
          (!labelSelector || labelSelector.matches(obj.metadata.labels)) && (!fieldSelector || fieldSelector.matches(obj))
      : undefined;
  return {
    filter,
    limit: optionalInteger(params, 'limit'),
    continue: params.get('continue') || undefined,
    resourceVersion: params.get('resourceVersion') || undefined,
    timeoutSeconds: optionalInteger(params, 'timeoutSeconds'),
    allowWatchBookmarks: params.get('allowWatchBookmarks') === 'true',
  };
}

function optionalInteger(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw badRequest(`${name} must be a non-negative integer, got "${text}"`);
  return value === 0 && name === 'limit' ? undefined : value;
}

export function isWatchRequest(params: URLSearchParams): boolean {
  const watch = params.get('watch');
  return watch === 'true' || watch === '1';
}
