// meta.k8s.io/v1 Table responses: what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json`, so it
// prints the same columns here as against a real cluster.

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { ResourceInfo } from '../api/resource-catalog.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { printerFor } from './table-columns.ts';
import type { TableColumnDefinition, TableRowCondition } from './table-columns-common.ts';

export type { TableColumnDefinition, TableRowCondition } from './table-columns-common.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRow {
  cells: unknown[];
  /** Absent with includeObject=None. */
  object?: unknown;
  conditions?: TableRowCondition[];
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: TableListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface ToTableOptions {
  /** What each row carries besides its cells; Kubernetes' default is Metadata. */
  includeObject?: IncludeObject;
  /** false for watch events after the first, like TableOptions.noHeaders. */
  includeColumnDefinitions?: boolean;
  now?: Date;
  /** The list's metadata; for a single GET pass the object's resourceVersion. */
  listMeta?: TableListMeta;
}

function rowObject(obj: KubeObject, includeObject: IncludeObject): unknown {
  switch (includeObject) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    case 'Metadata': {
      // kubectl reads names, labels (--show-labels, -L) and namespaces from here.
      const partial: PartialObjectMetadata = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
      return partial;
    }
  }
}

export function toTable(info: ResourceInfo, objects: KubeObject[], options: ToTableOptions = {}): Table {
  const printer = printerFor(info);
  const now = options.now ?? new Date();
  const includeObject = options.includeObject ?? 'Metadata';

  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const object = rowObject(obj, includeObject);
    if (object !== undefined) row.object = object;
    return row;
  });

  const metadata: TableListMeta = {};
  const listMeta = options.listMeta ?? {};
  if (listMeta.resourceVersion !== undefined) metadata.resourceVersion = listMeta.resourceVersion;
  if (listMeta.continue) metadata.continue = listMeta.continue;
  if (listMeta.remainingItemCount !== undefined) metadata.remainingItemCount = listMeta.remainingItemCount;

  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: options.includeColumnDefinitions === false ? [] : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}

/**
 * Whether an Accept header asks for a meta.k8s.io/v1 Table before any plain
 * representation, e.g. kubectl's `application/json;as=Table;v=v1;g=meta.k8s.io,application/json`.
 */
export function acceptsTable(accept: string | undefined | null): boolean {
  if (!accept) return false;
  for (const range of accept.split(',')) {
    const [mediaType, ...parameterTexts] = range.split(';').map((part) => part.trim());
    const parameters = new Map<string, string>();
    for (const text of parameterTexts) {
      const [key, value = ''] = text.split('=').map((part) => part.trim());
      parameters.set(key.toLowerCase(), value.replace(/^"|"$/g, ''));
    }
    if (parameters.get('as') === 'Table') {
      if (
        (mediaType === 'application/json' || mediaType === '*/*') &&
        parameters.get('g') === 'meta.k8s.io' &&
        parameters.get('v') === 'v1'
      ) {
        return true;
      }
      continue; // a Table we cannot serve (v1beta1, protobuf): try the next range
    }
    // A plain representation is preferred first: no table.
    if (mediaType) return false;
  }
  return false;
}

/** Reads `?includeObject=` (TableOptions) with Kubernetes' default. */
export function includeObjectFromQuery(value: string | null | undefined): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}
