import fastJsonPatch from 'fast-json-patch';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { collectionPath, objectPath, type RestClient } from '../client/rest-client.ts';
import { fieldOfError } from './field-path.ts';
import { runLimited } from './run-limited.ts';
import type { ManifestDocument } from './split-documents.ts';

// The dry run before an import: every document goes to the API server with dryRun=All and
// strict field validation, so what the table shows (create / update / unchanged / error)
// is the server's own verdict, the same `kubectl apply --dry-run=server` would give.
// Runs in the browser as well as in Node.

export type PlanAction = 'create' | 'update' | 'unchanged' | 'error';

export interface PlanError {
  message: string;
  /** 1-based line in the file: the field the API named, else the document's first line. */
  line: number;
  field?: string;
}

export interface PlanRow {
  /** Position in the import (files in order, documents in order): stable for keys and sorting. */
  index: number;
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  apiVersion: string;
  kind: string;
  /** Target namespace; undefined for cluster-scoped kinds. */
  namespace?: string;
  name: string;
  action: PlanAction;
  error?: PlanError;
  /** JSON pointers of the fields an update changes (`/spec/replicas`). */
  changes?: string[];
  /** Why a row is what it is when that is not obvious (its namespace is created by this import). */
  note?: string;
  /** The object as it will be sent (namespace filled in, server-set metadata removed); absent for errors before the API. */
  object?: KubeObject;
}

export interface PlanOptions {
  /** Namespace for namespaced documents that name none; "default" when not given. */
  namespace?: string;
  /** Called after each document is classified. */
  onProgress?: (done: number, total: number) => void;
  /** Requests in flight at once. */
  concurrency?: number;
}

export const DRY_RUN_QUERY = 'dryRun=All&fieldValidation=Strict';
export const APPLY_QUERY = 'fieldValidation=Strict';
export const MERGE_PATCH = { 'Content-Type': 'application/merge-patch+json' };

// Fields the server owns: they never make a document differ from the live object, and
// sending them back (an exported `kubectl get -o yaml`) would only cause conflicts.
const SERVER_METADATA = ['resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'uid', 'selfLink', 'deletionTimestamp'];

export async function planImport(client: RestClient, documents: readonly ManifestDocument[], options: PlanOptions = {}): Promise<PlanRow[]> {
  const defaultNamespace = options.namespace?.trim() || 'default';
  const createdNamespaces = new Set(
    documents.filter((doc) => doc.object?.kind === 'Namespace' && doc.object.apiVersion === 'v1').map((doc) => doc.object!.metadata.name ?? ''),
  );
  const rows: PlanRow[] = new Array(documents.length);
  let done = 0;
  await runLimited(documents, options.concurrency ?? 8, async (doc, index) => {
    rows[index] = await planDocument(client, doc, index, defaultNamespace, createdNamespaces);
    options.onProgress?.(++done, documents.length);
  });
  return holdBackBrokenFiles(rows);
}

/**
 * A file is applied whole or not at all: when one of its documents fails, the others
 * of that file are held back too, so a half-applied manifest never reaches the cluster.
 */
export function holdBackBrokenFiles(rows: PlanRow[]): PlanRow[] {
  const firstError = new Map<string, PlanRow>();
  for (const row of rows) if (row.action === 'error' && !firstError.has(row.file)) firstError.set(row.file, row);
  return rows.map((row) => {
    const failed = firstError.get(row.file);
    if (!failed || row.action === 'error') return row;
    const message = `not applied: the document at line ${failed.error?.line ?? failed.line} of ${row.file} is invalid, and a file is applied whole or not at all`;
    return { ...row, action: 'error', error: { message, line: row.line } };
  });
}

/** The object to send: namespace resolved, server-owned metadata and status removed. */
export function objectToSend(object: KubeObject, info: ResourceInfo, defaultNamespace: string): KubeObject {
  const metadata: KubeObject['metadata'] = { ...object.metadata };
  for (const field of SERVER_METADATA) delete (metadata as Record<string, unknown>)[field];
  if (info.namespaced) metadata.namespace = metadata.namespace || defaultNamespace;
  else delete metadata.namespace;
  const { status: _status, ...rest } = object;
  return { ...rest, metadata };
}

async function planDocument(
  client: RestClient,
  doc: ManifestDocument,
  index: number,
  defaultNamespace: string,
  createdNamespaces: ReadonlySet<string>,
): Promise<PlanRow> {
  const base = { index, file: doc.file, line: doc.line };
  if (!doc.object) {
    return { ...base, apiVersion: '', kind: '', name: '', action: 'error', error: { message: doc.parseError?.message ?? 'unparseable document', line: doc.parseError?.line ?? doc.line } };
  }
  const { apiVersion = '', kind = '' } = doc.object;
  const name = doc.object.metadata.name ?? '';
  const fail = (message: string, field?: string, namespace?: string): PlanRow => ({
    ...base,
    apiVersion,
    kind,
    name,
    namespace,
    action: 'error',
    error: { message, line: field ? doc.lineOf(field) : doc.line, ...(field ? { field } : {}) },
  });

  const info = findByKind(apiVersion, kind);
  if (!info) return fail(`unknown kind "${kind}" in apiVersion "${apiVersion}": Kubelab does not serve ${apiVersion}/${kind}`, 'kind');
  if (!name) return fail('metadata.name: Required value (an import needs a name to know whether the object exists)', 'metadata');

  const object = objectToSend(doc.object, info, defaultNamespace);
  const namespace = object.metadata.namespace;
  const row = { ...base, apiVersion, kind, name, namespace, object };
  const failWith = (error: unknown): PlanRow => {
    if (!(error instanceof ApiError)) return fail(error instanceof Error ? error.message : String(error), undefined, namespace);
    return fail(error.message, fieldOfError(error.message, error.details?.causes), namespace);
  };

  let live: KubeObject | undefined;
  try {
    live = (await client.raw('GET', objectPath(info, namespace, name))) as KubeObject;
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 404)) return failWith(error);
  }

  if (!live) {
    try {
      await client.raw('POST', `${collectionPath(info, namespace)}?${DRY_RUN_QUERY}`, object);
      return { ...row, action: 'create' };
    } catch (error) {
      if (namespace && isMissingNamespace(error, namespace) && createdNamespaces.has(namespace)) {
        return planInNamespaceToBeCreated(client, info, object, row, failWith);
      }
      return failWith(error);
    }
  }

  try {
    const result = (await client.raw('PATCH', `${objectPath(info, namespace, name)}?${DRY_RUN_QUERY}`, object, MERGE_PATCH)) as KubeObject;
    const changes = changedFields(live, result);
    return changes.length ? { ...row, action: 'update', changes } : { ...row, action: 'unchanged' };
  } catch (error) {
    return failWith(error);
  }
}

/**
 * Its namespace comes earlier in this import, so the server cannot dry-run it where it will
 * live; validating it in "default" still catches every mistake in the document itself.
 */
async function planInNamespaceToBeCreated(
  client: RestClient,
  info: ResourceInfo,
  object: KubeObject,
  row: Omit<PlanRow, 'action'>,
  failWith: (error: unknown) => PlanRow,
): Promise<PlanRow> {
  const standIn = { ...object, metadata: { ...object.metadata, namespace: 'default' } };
  const note = `namespace ${object.metadata.namespace} is created by this import first`;
  try {
    await client.raw('POST', `${collectionPath(info, 'default')}?${DRY_RUN_QUERY}`, standIn);
  } catch (error) {
    // A same-named object in "default" says nothing about this document.
    if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) return failWith(error);
  }
  return { ...row, action: 'create', note };
}

function isMissingNamespace(error: unknown, namespace: string): boolean {
  return error instanceof ApiError && error.code === 404 && error.details?.kind === 'namespaces' && error.details.name === namespace;
}

/** What an update would change, ignoring what the server alone moves (versions, timestamps, status). */
export function changedFields(live: KubeObject, result: KubeObject): string[] {
  return fastJsonPatch.compare(comparable(live), comparable(result)).map((op) => op.path);
}

function comparable(object: KubeObject): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...object.metadata };
  for (const field of SERVER_METADATA) delete metadata[field];
  const { status: _status, ...rest } = object;
  return { ...rest, metadata };
}
