import { ApiError } from '../api/errors.ts';
import { findByKind } from '../api/resource-catalog.ts';
import { collectionPath, objectPath, type RestClient } from '../client/rest-client.ts';
import { APPLY_QUERY, MERGE_PATCH, type PlanRow } from './plan-import.ts';
import { runLimited } from './run-limited.ts';

// Applies a planned import for real: what the dry run accepted is created or merge-patched
// (as `kubectl apply` does), in an order where what others depend on comes first; a document
// the dry run rejected is never sent. Failures do not stop the others: each document reports
// its own outcome. Runs in the browser as well as in Node.

export type ApplyOutcome = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';

export interface ApplyResult {
  /** PlanRow.index of the document. */
  index: number;
  outcome: ApplyOutcome;
  message?: string;
}

export interface ApplyOptions {
  /** Called once per document, in the order they finish. */
  onProgress?: (result: ApplyResult, done: number, total: number) => void;
  /** Requests in flight at once within one stage. */
  concurrency?: number;
}

// Namespaces hold everything; config, identities and claims are read by workloads;
// Services exist before their pods so the pods get their environment variables.
const STAGES: readonly (readonly string[])[] = [
  ['Namespace'],
  ['StorageClass', 'PersistentVolume', 'ConfigMap', 'Secret', 'ServiceAccount', 'PersistentVolumeClaim'],
  ['Service', 'Endpoints'],
  ['Deployment', 'ReplicaSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'],
];

/** The stage a kind is applied in (0 first); kinds not listed go last. */
export function applyStage(kind: string): number {
  const stage = STAGES.findIndex((kinds) => kinds.includes(kind));
  return stage < 0 ? STAGES.length : stage;
}

/** The rows in apply order: by stage, then as they came. */
export function applyOrder(rows: readonly PlanRow[]): PlanRow[] {
  return [...rows].sort((a, b) => applyStage(a.kind) - applyStage(b.kind) || a.index - b.index);
}

export async function applyImport(client: RestClient, rows: readonly PlanRow[], options: ApplyOptions = {}): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  const total = rows.length;
  const report = (result: ApplyResult): void => {
    results.push(result);
    options.onProgress?.(result, results.length, total);
  };

  for (const row of rows) {
    if (row.action === 'error') report({ index: row.index, outcome: 'skipped', message: row.error?.message });
    else if (row.action === 'unchanged') report({ index: row.index, outcome: 'unchanged' });
  }
  const toApply = applyOrder(rows.filter((row) => row.action === 'create' || row.action === 'update'));
  for (let stage = 0; stage <= STAGES.length; stage++) {
    const inStage = toApply.filter((row) => applyStage(row.kind) === stage);
    await runLimited(inStage, options.concurrency ?? 4, async (row) => report(await applyRow(client, row)));
  }
  return results.sort((a, b) => a.index - b.index);
}

async function applyRow(client: RestClient, row: PlanRow): Promise<ApplyResult> {
  const info = findByKind(row.apiVersion, row.kind);
  if (!info || !row.object) return { index: row.index, outcome: 'skipped', message: `${row.apiVersion}/${row.kind} was not planned` };
  const create = async (): Promise<ApplyResult> => {
    await client.raw('POST', `${collectionPath(info, row.namespace)}?${APPLY_QUERY}`, row.object);
    return { index: row.index, outcome: 'created' };
  };
  const update = async (): Promise<ApplyResult> => {
    await client.raw('PATCH', `${objectPath(info, row.namespace, row.name)}?${APPLY_QUERY}`, row.object, MERGE_PATCH);
    return { index: row.index, outcome: 'updated' };
  };
  try {
    // Someone may have created or deleted the object since the dry run: do what apply would do now.
    if (row.action === 'create') return await create().catch((error) => (isReason(error, 'AlreadyExists') ? update() : Promise.reject(error)));
    return await update().catch((error) => (isReason(error, 'NotFound') ? create() : Promise.reject(error)));
  } catch (error) {
    return { index: row.index, outcome: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

function isReason(error: unknown, reason: string): boolean {
  return error instanceof ApiError && error.reason === reason;
}
