// Server side of Kubernetes' strategic merge patch (apimachinery
// pkg/util/strategicpatch, StrategicMergeMapPatch), so that `kubectl apply` and
// `kubectl patch --type strategic` land exactly as on a real API server: same list
// merging by key, same directives, same element order, same error wording.
//
// Where Go's result only becomes final once the API server decodes the map into a
// typed object (stray directives and nulls inside values taken from the patch), we
// drop them here, since Kubelab stores the map as it is.

import { badRequest } from '../api/errors.ts';
import { fieldPatchMeta, rootPatchType, type FieldPatchMeta } from './patch-strategies.ts';

type JsonMap = Record<string, unknown>;

const DIRECTIVE_MARKER = '$patch';
const DELETE_DIRECTIVE = 'delete';
const REPLACE_DIRECTIVE = 'replace';
const MERGE_DIRECTIVE = 'merge';
const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

/**
 * Apply a strategic merge patch to `original`, an object of `apiVersion`/`kind`.
 * Returns a new object; neither input is touched. Malformed patches throw a 400 ApiError.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown, apiVersion: string, kind: string): unknown {
  if (patch === null || patch === undefined) return copyJson(original);
  if (!isMap(patch)) {
    throw badRequest(`json: cannot unmarshal ${jsonKindName(patch)} into Go value of type map[string]interface {}`);
  }
  const base = isMap(original) ? (copyJson(original) as JsonMap) : {};
  return mergeMap(base, copyJson(patch) as JsonMap, rootPatchType(apiVersion, kind));
}

// --- maps ---------------------------------------------------------------------

/** Merge `patch` into `original` (both owned by us, mutated freely) for struct `type`. */
function mergeMap(original: JsonMap, patch: JsonMap, type: string | undefined): JsonMap {
  if (Object.hasOwn(patch, DIRECTIVE_MARKER)) return handleDirectiveInMap(patch[DIRECTIVE_MARKER], patch);

  applyRetainKeysDirective(original, patch);
  mergeListsWithElementOrder(original, patch, type);

  // Deletion lists run after the additions so that both may name the same list.
  const keys = Object.keys(patch);
  const ordered = [
    ...keys.filter((k) => !k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)),
    ...keys.filter((k) => k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)),
  ];
  for (const patchKey of ordered) {
    const patchValue = patch[patchKey];
    const isDeleteList = patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX);
    const key = isDeleteList ? extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST_PREFIX) : patchKey;
    if (patchValue === undefined) continue;

    if (patchValue === null) {
      delete original[key];
      continue;
    }
    if (!Object.hasOwn(original, key) || goKind(original[key]) !== goKind(patchValue)) {
      // A deletion list for a list that isn't there deletes nothing.
      if (!isDeleteList) adoptInto(original, key, patchValue);
      continue;
    }
    const meta = fieldPatchMeta(type, key);
    const current = original[key];
    if (isMap(current) && isMap(patchValue)) {
      if (mergeStrategyOf(meta) === REPLACE_DIRECTIVE) adoptInto(original, key, patchValue);
      else original[key] = mergeMap(current, patchValue, meta.type);
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      original[key] = mergeSliceHandler(current, patchValue, meta, isDeleteList);
    } else {
      adoptInto(original, key, patchValue);
    }
  }
  return original;
}

function handleDirectiveInMap(directive: unknown, patch: JsonMap): JsonMap {
  if (directive === REPLACE_DIRECTIVE) {
    delete patch[DIRECTIVE_MARKER];
    return adopt(patch) as JsonMap;
  }
  // Go answers `$patch: delete` on a map with an empty map, not with a missing key.
  if (directive === DELETE_DIRECTIVE) return {};
  throw errBadPatchType(directive, patch);
}

/** `$retainKeys`: keep only the listed keys of the original; the patch may set no others. */
function applyRetainKeysDirective(original: JsonMap, patch: JsonMap): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS_DIRECTIVE)) return;
  const retainKeys = patch[RETAIN_KEYS_DIRECTIVE];
  delete patch[RETAIN_KEYS_DIRECTIVE];
  if (!Array.isArray(retainKeys)) throw badRequest('invalid patch format of retainKeys');
  const retained = new Set(retainKeys);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || isParallelListKey(key)) continue;
    if (!retained.has(key)) throw badRequest('invalid patch format of retainKeys');
  }
  for (const key of Object.keys(original)) {
    if (!retained.has(key)) delete original[key];
  }
}

/**
 * `$setElementOrder/<list>`: merge that list now and order the result. The precedence is
 * $setElementOrder, then the patch list, then the live list. Both directive and list
 * leave `patch` so the main loop doesn't merge them twice.
 */
function mergeListsWithElementOrder(original: JsonMap, patch: JsonMap, type: string | undefined): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const key = extractKey(directiveKey, SET_ELEMENT_ORDER_PREFIX);

    const foundOriginal = Object.hasOwn(original, key);
    const foundPatch = Object.hasOwn(patch, key) && patch[key] !== undefined;
    const originalList = foundOriginal ? original[key] : [];
    const patchList = foundPatch ? patch[key] : [];
    if (!Array.isArray(originalList)) throw errBadArgType('[]interface {}', originalList);
    if (!Array.isArray(patchList)) throw errBadArgType('[]interface {}', patchList);

    const meta = fieldPatchMeta(type, key);
    const mergeKey = meta.patchMergeKey ?? '';
    validatePatchWithSetOrderList(patchList, order, mergeKey);

    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = adopt(patchList) as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, meta, false);
    else continue;

    const [patchItems, serverOnlyItems] = mergeKey
      ? partitionMapsByPresence(merged, order, mergeKey)
      : partitionScalarsByPresence(merged, order);
    const kind = sliceElementKind(originalList, patchList);
    original[key] = normalizeElementOrder(patchItems, serverOnlyItems, order, originalList, mergeKey, kind);
    delete patch[key];
  }
}

/** Every non-directive patch item must appear in `$setElementOrder`, in the same relative order. */
function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? splitDeleteItems(patchList)[0] : patchList;
  let patchIndex = 0;
  let orderIndex = 0;
  while (patchIndex < nonDelete.length && orderIndex < order.length) {
    const item = nonDelete[patchIndex];
    if (isMap(item) && Object.hasOwn(item, DIRECTIVE_MARKER)) {
      patchIndex++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[orderIndex], mergeKey)) patchIndex++;
    orderIndex++;
  }
  if (patchIndex < nonDelete.length && orderIndex >= order.length) {
    throw badRequest(
      `the order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goFormat(order)}`,
    );
  }
}

// --- lists --------------------------------------------------------------------

function mergeSliceHandler(original: unknown[], patch: unknown[], meta: FieldPatchMeta, isDeleteList: boolean): unknown[] {
  // Deletion lists apply whatever the field's strategy.
  if (mergeStrategyOf(meta) === MERGE_DIRECTIVE || isDeleteList) {
    return mergeSlice(original, patch, meta.type, meta.patchMergeKey ?? '', isDeleteList);
  }
  return adoptWhole(patch) as unknown[];
}

function mergeSlice(
  original: unknown[],
  patch: unknown[],
  elementType: string | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);

  let merged: unknown[];
  let serverOrder = original;
  let patchOrder = patch;
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((item) => !patch.includes(item));
    merged = dedupeScalars([...original, ...patch]);
  } else {
    if (!mergeKey) throw badRequest(`cannot merge lists without merge key for ${elementType ?? 'map'}`);
    [serverOrder, patchOrder] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements(serverOrder, patchOrder, mergeKey, elementType);
  }

  const [patchItems, serverOnlyItems] = mergeKey
    ? partitionMapsByPresence(merged, patchOrder, mergeKey)
    : partitionScalarsByPresence(merged, patchOrder);
  return normalizeElementOrder(patchItems, serverOnlyItems, patchOrder, serverOrder, mergeKey, kind);
}

/**
 * Handle elements carrying `$patch`: `delete` removes the matching originals,
 * `replace` makes the rest of the patch list the whole new list.
 * Returns the original to merge into and the patch without special elements.
 */
function mergeSliceWithSpecialElements(original: unknown[], patch: unknown[], mergeKey: string): [unknown[], unknown[]] {
  let remaining = [...original];
  const plain: unknown[] = [];
  let replace = false;
  for (const element of patch) {
    const item = element as JsonMap;
    if (!Object.hasOwn(item, DIRECTIVE_MARKER)) {
      plain.push(item);
      continue;
    }
    const directive = item[DIRECTIVE_MARKER];
    if (directive === DELETE_DIRECTIVE) {
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      remaining = deleteMatchingEntries(remaining, mergeKey, item[mergeKey]);
    } else if (directive === REPLACE_DIRECTIVE) {
      replace = true;
    } else if (directive === MERGE_DIRECTIVE) {
      throw badRequest('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, item);
    }
  }
  if (replace) return [plain.map((item) => adopt(item)), []];
  return [remaining, plain];
}

function deleteMatchingEntries(original: unknown[], mergeKey: string, value: unknown): unknown[] {
  return original.filter((element, index) => {
    if (!isMap(element)) throw badRequest(`value for key ${index} is not a map`);
    return !(Object.hasOwn(element, mergeKey) && element[mergeKey] === value);
  });
}

/** Patch elements merge into the original element with the same key, or are appended. */
function mergeSliceWithoutSpecialElements(
  original: unknown[],
  patch: unknown[],
  mergeKey: string,
  elementType: string | undefined,
): unknown[] {
  const merged = [...original];
  for (const element of patch) {
    const item = element as JsonMap;
    if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const index = findIndexByMergeKey(merged, mergeKey, item[mergeKey]);
    if (index >= 0) merged[index] = mergeMap(merged[index] as JsonMap, item, elementType);
    else merged.push(adopt(item));
  }
  return merged;
}

function findIndexByMergeKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let index = 0; index < list.length; index++) {
    const element = list[index];
    if (!isMap(element)) throw badRequest(`value for key ${index} is not a map`);
    if (Object.hasOwn(element, mergeKey) && element[mergeKey] === value) return index;
  }
  return -1;
}

function partitionScalarsByPresence(list: unknown[], partitionBy: unknown[]): [unknown[], unknown[]] {
  const present = new Set(partitionBy);
  return [list.filter((v) => present.has(v)), list.filter((v) => !present.has(v))];
}

function partitionMapsByPresence(list: unknown[], partitionBy: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const element of list) {
    if (!isMap(element)) throw errBadArgType('map[string]interface {}', element);
    if (!Object.hasOwn(element, mergeKey)) throw errNoMergeKey(element, mergeKey);
    const found = findIndexByMergeKey(partitionBy, mergeKey, element[mergeKey]) >= 0;
    (found ? inPatch : serverOnly).push(element);
  }
  return [inPatch, serverOnly];
}

// --- element order ------------------------------------------------------------

/**
 * Sort the patch items by `patchOrder` and the server-only items by `serverOrder`,
 * then interleave them: a server-only item goes before a patch item only when the
 * live list had it first; items new to the list come as soon as they are reached.
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnlyItems: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  mergeKey: string,
  kind: ElementKind,
): unknown[] {
  const sortedPatch = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const sortedServer = normalizeSliceOrder(serverOnlyItems, serverOrder, mergeKey, kind);
  return mergeSortedSlices(sortedServer, sortedPatch, serverOrder, mergeKey, kind);
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  let items = toSort;
  let deletions: unknown[] = [];
  if (kind === 'map') {
    for (const item of [...toSort, ...order]) {
      if (!isMap(item)) throw errBadArgType('map[string]interface {}', item);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
    [items, deletions] = splitDeleteItems(toSort);
  }
  const position = (item: unknown): number => {
    const found = indexOf(order, item, mergeKey, kind);
    return found >= 0 ? found : Number.MAX_SAFE_INTEGER;
  };
  const sorted = items
    .map((item, index) => ({ item, index, at: position(item) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map((entry) => entry.item);
  return [...sorted, ...deletions];
}

function mergeSortedSlices(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string, kind: ElementKind): unknown[] {
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = indexOf(serverOrder, left[i], mergeKey, kind);
    const ri = indexOf(serverOrder, right[j], mergeKey, kind);
    if (li >= 0 && ri >= 0 && li < ri) result.push(left[i++]);
    else result.push(right[j++]);
  }
  return [...result, ...left.slice(i), ...right.slice(j)];
}

function indexOf(list: unknown[], item: unknown, mergeKey: string, kind: ElementKind): number {
  const valueOf = (v: unknown): unknown => (kind === 'map' ? (isMap(v) ? v[mergeKey] : undefined) : v);
  const wanted = valueOf(item);
  return list.findIndex((v) => valueOf(v) === wanted);
}

function splitDeleteItems(list: unknown[]): [unknown[], unknown[]] {
  const keep: unknown[] = [];
  const remove: unknown[] = [];
  for (const item of list) {
    if (!isMap(item)) throw errBadArgType('map[string]interface {}', item);
    (item[DIRECTIVE_MARKER] === DELETE_DIRECTIVE ? remove : keep).push(item);
  }
  return [keep, remove];
}

// --- values taken from the patch ----------------------------------------------

function adoptInto(target: JsonMap, key: string, value: unknown): void {
  const adopted = adopt(value);
  if (adopted === DROPPED) delete target[key];
  else target[key] = adopted;
}

const DROPPED = Symbol('dropped');

/**
 * A patch value with no counterpart in the original is taken as it is, minus what
 * Go discards: null map values, maps carrying `$patch`, and directive keys.
 */
function adopt(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(adopt).filter((v) => v !== DROPPED);
  }
  if (isMap(value)) {
    if (Object.hasOwn(value, DIRECTIVE_MARKER)) return DROPPED;
    const result: JsonMap = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === null || v === undefined || isDirectiveKey(key)) continue;
      const adopted = adopt(v);
      if (adopted !== DROPPED) result[key] = adopted;
    }
    return result;
  }
  return value;
}

/** A list replaced whole keeps every element; only directives and nulls inside go. */
function adoptWhole(list: unknown[]): unknown[] {
  return list.map((element) => {
    if (!isMap(element)) return adopt(element);
    const { [DIRECTIVE_MARKER]: _directive, ...rest } = element;
    return adopt(rest);
  });
}

function isDirectiveKey(key: string): boolean {
  return key === DIRECTIVE_MARKER || key === RETAIN_KEYS_DIRECTIVE || isParallelListKey(key);
}

function isParallelListKey(key: string): boolean {
  return key.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || key.startsWith(SET_ELEMENT_ORDER_PREFIX);
}

// --- helpers ------------------------------------------------------------------

type ElementKind = 'map' | 'slice' | 'string' | 'number' | 'bool' | 'null';

function goKind(value: unknown): ElementKind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'slice';
  if (typeof value === 'object') return 'map';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'bool';
}

/** All elements of all lists must share one kind, and lists of lists are refused. */
function sliceElementKind(...lists: unknown[][]): ElementKind {
  let kind: ElementKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      const current = goKind(item);
      if (kind === undefined) {
        if (current === 'slice') throw badRequest('lists of lists are not supported');
        kind = current;
      } else if (kind !== current) {
        throw badRequest(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (kind === undefined) throw badRequest('no elements in any of the given slices');
  return kind;
}

function dedupeScalars(list: unknown[]): unknown[] {
  return [...new Set(list)];
}

function mergeKeyValueEqual(left: unknown, right: unknown, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isMap(left)) throw errBadArgType('map[string]interface {}', left);
  if (!isMap(right)) throw errBadArgType('map[string]interface {}', right);
  if (!Object.hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!Object.hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/**
 * The field's strategy besides `retainKeys`. The server needs no more: it honours a
 * `$retainKeys` directive wherever one appears, as Go does.
 */
function mergeStrategyOf(meta: FieldPatchMeta): string {
  const strategies = meta.patchStrategy ? meta.patchStrategy.split(',') : [];
  return strategies.find((s) => s !== 'retainKeys') ?? '';
}

/** `$deleteFromPrimitiveList/finalizers` -> `finalizers`. */
function extractKey(directiveKey: string, prefix: string): string {
  const slash = directiveKey.indexOf('/');
  if (slash < 0 || directiveKey.slice(0, slash) !== prefix) {
    throw badRequest(
      prefix === DELETE_FROM_PRIMITIVE_LIST_PREFIX
        ? 'invalid patch format of primitive list'
        : 'invalid patch format of setElementOrder list',
    );
  }
  return directiveKey.slice(slash + 1);
}

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function copyJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function jsonKindName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

// --- errors worded as apimachinery's mergepatch package words them -------------

function errNoMergeKey(map: JsonMap, mergeKey: string) {
  return badRequest(`map: ${goFormat(map)} does not contain declared merge key: ${mergeKey}`);
}

function errBadPatchType(directive: unknown, map: JsonMap) {
  const shown = typeof directive === 'string' ? directive : `%!s(${goTypeName(directive)}=${goFormat(directive)})`;
  return badRequest(`unknown patch type: ${shown} in map: ${goFormat(map)}`);
}

function errBadArgType(expected: string, actual: unknown) {
  return badRequest(`expected a ${expected}, but received a ${goTypeName(actual)}`);
}

function goTypeName(value: unknown): string {
  switch (goKind(value)) {
    case 'null':
      return '<nil>';
    case 'map':
      return 'map[string]interface {}';
    case 'slice':
      return '[]interface {}';
    case 'number':
      return Number.isInteger(value) ? 'int64' : 'float64';
    case 'bool':
      return 'bool';
    default:
      return 'string';
  }
}

/** Go's `%v` of a decoded JSON value: `map[image:nginx name:app]`, `[a b]`, `<nil>`. */
function goFormat(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormat).join(' ')}]`;
  if (isMap(value)) {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${keys.map((k) => `${k}:${goFormat(value[k])}`).join(' ')}]`;
  }
  return String(value);
}
