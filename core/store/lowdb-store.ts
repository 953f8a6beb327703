import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  internalError,
  notFound,
  staleResourceVersion,
  type ResourceRef,
} from '../api/errors.ts';
import { objectKey, type KubeObject } from '../api/kube-object.ts';
import { createLogger } from '../log/logger.ts';
import { ChangeLogWriter } from './change-log.ts';
import { DurableJsonFile, dataFileError } from './durable-json-file.ts';
import { cloneJson, toJsonData } from './json-clone.ts';
import {
  applyChangeLogs,
  DOCUMENT_KIND,
  DOCUMENT_VERSION,
  changeKey,
  checkDocument,
  dropTornTail,
  emptyDocument,
  missingSnapshotError,
  readChangeLogs,
  type KubelabData,
  type LoggedSave,
} from './stored-data.ts';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  Store,
  Watch,
  WatchEvent,
  WatchOptions,
} from './store.ts';
import { WatchHub } from './watch-hub.ts';

// The embedded default Store: every object lives in memory (per-resource Maps plus a
// sorted index for lists). On disk (stored-data.ts) it is a snapshot, one readable JSON
// document written through lowdb and an atomic-replace adapter, plus change logs.
//
// Group commit: a write is applied to memory at once, then waits for the next save.
// One flusher saves whenever writes are pending; writes arriving during a save go into
// the next one. A save appends one line to the change log, the objects it changed and
// the keys it removed, and fsyncs it: its cost follows the writes, not the store's size.
// A write resolves, and its watch event goes out, only once the save holding it is on disk.
//
// Reads never show an unacknowledged write. Each object is kept twice: as the latest
// write left it (what writes check: AlreadyExists, resourceVersion preconditions,
// NotFound) and as the last save on disk left it (the durable view). After a save's
// append, the flusher promotes that save's writes to the durable view one by one, each
// together with its watch event and its acknowledgement. get() and list() answer from
// the durable view, so a crash can never take back what a reader saw, and a list's
// resourceVersion is that of the last durable write: a watch from it sees every later
// write exactly once. A get() of an object with a write still in flight waits for that
// write's save (at most two saves) and then answers from the durable view, as etcd's
// linearizable reads wait for the read index: a read-modify-write (PATCH) then builds
// on the version it will have to match instead of failing on a Conflict until the save
// lands. If a save fails, its writes are rejected (500), the store refuses all further
// writes (503) until restarted, and the durable view, which never held them, is what
// readers keep seeing: exactly what the files hold (or, if only the final fsync failed,
// less than the files: the rejected batch's outcome is unknown, never reported as applied).
//
// Compaction: once the logs reach half the snapshot's size (or compactAfterBytes), the
// flusher ends the current log at a save's boundary and, in the background, writes the
// durable view right after that save (the state of that boundary) as a new snapshot
// (temp file, fsync, rename, fsync of the directory); only then are the logs it holds
// removed. Saves go on, into the next log.

export interface LowdbStoreOptions {
  file: string;
  /** Events kept for watches that resume from a resourceVersion. Default 10,000. */
  historySize?: number;
  now?: () => Date;
  /**
   * Compact once the change logs hold this many bytes. Default: half the size of the
   * last snapshot, at least 8 MiB: compaction then costs about two bytes written per
   * byte logged, and a restart reads at most one and a half snapshots.
   */
  compactAfterBytes?: number;
}

export type { KubelabData } from './stored-data.ts';

export interface StoreStats {
  /** Saves (change log lines) that completed. */
  flushes: number;
  /** Writes acknowledged (durable). */
  writes: number;
  objects: number;
  /** Snapshots written by compaction since open. */
  compactions: number;
  /** Logged saves applied over the snapshot at open (saves the snapshot already held are skipped). */
  replayedSaves: number;
}

interface Entry {
  /** `namespace/name` or `name`: the map key and the key in the data file. */
  key: string;
  namespace: string;
  name: string;
  /** As the latest write left it; undefined once a delete is applied. Deep-frozen: never changed in place, only replaced. */
  object: KubeObject | undefined;
  /** As the last durable save left it (what reads see); undefined until its create is durable, and once its delete is. */
  durable: KubeObject | undefined;
  /** resourceVersion of the latest write applied to this key: durable once the store's durable resourceVersion reaches it. */
  written: number;
}

interface PendingWrite {
  event: WatchEvent;
  resolve: (obj: KubeObject) => void;
  reject: (error: unknown) => void;
}

const MIN_COMPACTION_BYTES = 8 * 2 ** 20;
// Snapshot pieces handed to the file at a time, and objects serialized between yields
// to the event loop, so a compaction never holds up requests for long.
const SNAPSHOT_CHUNK_BYTES = 2 ** 20;
const SNAPSHOT_OBJECTS_PER_TURN = 500;
const logger = createLogger('store');

/**
 * One resource's objects: a Map for lookups (every key with an object in either view,
 * or with a write in flight) and an array sorted by namespace/name of the entries in the
 * durable view, for lists. Writes change `object` only; `promote` changes the durable view.
 */
class ResourceTable {
  readonly entries = new Map<string, Entry>();
  readonly sorted: Entry[] = [];

  /** The entry a write applies to: existing, or new with nothing in either view. */
  entryFor(namespace: string, name: string): Entry {
    const key = objectKey(namespace, name);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { key, namespace, name, object: undefined, durable: undefined, written: 0 };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** A durable save left `object` (undefined: removed) at this key; `durableVersion` is the store's after it. */
  promote(namespace: string, name: string, object: KubeObject | undefined, durableVersion: number): void {
    const entry = this.entryFor(namespace, name);
    if (object && !entry.durable) this.sorted.splice(this.firstAfter(namespace, name, true), 0, entry);
    if (!object && entry.durable) {
      const index = this.firstAfter(namespace, name, true);
      if (this.sorted[index] === entry) this.sorted.splice(index, 1);
    }
    entry.durable = object;
    // Gone from both views with no write in flight: forget the key.
    if (!entry.object && !object && entry.written <= durableVersion) this.entries.delete(entry.key);
  }

  /** Index of the first entry at or after (inclusive) / strictly after (namespace, name). */
  firstAfter(namespace: string, name: string, inclusive = false): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const c = compareKeys(this.sorted[mid], namespace, name);
      if (c < 0 || (c === 0 && !inclusive)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function compareKeys(entry: { namespace: string; name: string }, namespace: string, name: string): number {
  if (entry.namespace !== namespace) return entry.namespace < namespace ? -1 : 1;
  if (entry.name !== name) return entry.name < name ? -1 : 1;
  return 0;
}

export class LowdbStore implements Store {
  private readonly file: string;
  private readonly now: () => Date;
  private readonly historySize: number;
  private readonly db: Low<KubelabData>;
  private readonly tables = new Map<string, ResourceTable>();
  private hub: WatchHub;
  private resourceVersion = 0; // last handed out (in memory, maybe not yet durable)
  private durableVersion = 0; // of the last write promoted to the durable view
  /** Resolves after the next save is promoted (or fails); get() waits on it for a write in flight. */
  private nextSave: { promise: Promise<void>; resolve: () => void } | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';
  private failureMessage: string | undefined;
  private queue: PendingWrite[] = [];
  private flusher: Promise<void> | undefined;
  private counters = { flushes: 0, writes: 0, compactions: 0, replayedSaves: 0 };
  private log: ChangeLogWriter | undefined;
  private readonly compactAfterBytes: number | undefined;
  private snapshotBytes = 0;
  /** Log size at which the next compaction starts (pushed out after a failed one). */
  private compactAt = MIN_COMPACTION_BYTES;
  private compaction: Promise<void> | undefined;

  constructor(options: LowdbStoreOptions) {
    this.file = options.file;
    this.now = options.now ?? (() => new Date());
    this.historySize = options.historySize ?? 10_000;
    this.compactAfterBytes = options.compactAfterBytes;
    const adapter = new DurableJsonFile<KubelabData>({
      file: this.file,
      serialize: (data) => serializeDocument(data, (bytes) => (this.snapshotBytes = bytes)),
    });
    this.db = new Low<KubelabData>(adapter, emptyDocument());
    this.hub = new WatchHub({ historySize: this.historySize, resourceVersion: 0 });
  }

  async open(): Promise<void> {
    if (this.state !== 'new') throw new Error(`kubelab: the store for ${this.file} was already opened`);
    await mkdir(dirname(this.file), { recursive: true });
    const fresh = this.db.data;
    await this.db.read();
    const isNew = this.db.data === fresh;
    let logs = await readChangeLogs(this.file);
    if (isNew && logs.length > 0) throw missingSnapshotError(this.file, logs);
    if (!isNew) {
      const document = checkDocument(this.file, this.db.data);
      const snapshotVersion = Number(document.resourceVersion) || 0;
      this.counters.replayedSaves = applyChangeLogs(document, logs);
      this.load(document);
      this.db.data = emptyDocument(); // the tables hold the state now
      this.snapshotBytes = (await stat(this.file)).size;
      const newest = logs.at(-1);
      if (newest) await dropTornTail(newest);
      // Logs the snapshot already holds (a compaction stopped before removing them) go now.
      while (logs.length > 0 && logs[0].saves.every((save) => save.resourceVersion <= snapshotVersion)) {
        await rm(logs[0].file, { force: true });
        logs = logs.slice(1);
      }
    }
    this.log = new ChangeLogWriter(this.file, logs.map((log) => ({ seq: log.seq, bytes: log.goodBytes })));
    this.hub = new WatchHub({ historySize: this.historySize, resourceVersion: this.resourceVersion });
    // Write the empty document right away: a data directory we cannot write should
    // fail at start, not on the first create.
    if (isNew) {
      this.db.data = this.snapshot();
      await this.db.write();
      this.db.data = emptyDocument();
    }
    this.compactAt = this.compactionThreshold();
    this.state = 'open';
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.flusher;
    await this.compaction;
    await this.log?.close();
    this.hub.stopAll();
  }

  /** Resolves once the saves pending now, and a compaction they started (if any), are done. */
  async compacted(): Promise<void> {
    await this.flusher;
    await this.compaction;
  }

  /** False once a save failed: the store then refuses writes until restarted. */
  healthy(): boolean {
    return this.failureMessage === undefined;
  }

  /** Why the store stopped accepting writes, if it did. */
  failure(): string | undefined {
    return this.failureMessage;
  }

  stats(): StoreStats {
    let objects = 0;
    for (const table of this.tables.values()) objects += table.sorted.length;
    return { ...this.counters, objects };
  }

  currentResourceVersion(): string {
    return String(this.durableVersion);
  }

  /** From the durable view; when a write to this object is in flight, once its save is done. */
  async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const key = objectKey(namespace, name);
    const written = this.tables.get(resource)?.entries.get(key)?.written ?? 0;
    await this.durable(written);
    const durable = this.tables.get(resource)?.entries.get(key)?.durable;
    return durable ? cloneJson(durable) : undefined;
  }

  /** From the durable view: only acknowledged writes, as of the last durable resourceVersion. */
  async list(resource: string, options: ListOptions = {}): Promise<ListResult> {
    const table = this.tables.get(resource);
    let listResourceVersion = this.durableVersion;
    let begin = 0;
    let end = table?.sorted.length ?? 0;

    if (options.continue) {
      const token = decodeContinue(options.continue);
      listResourceVersion = token.resourceVersion;
      if (table) begin = table.firstAfter(token.namespace, token.name);
    }
    if (table && options.namespace !== undefined && options.namespace !== '') {
      begin = Math.max(begin, table.firstAfter(options.namespace, '', true));
      end = table.firstAfter(`${options.namespace}\u0000`, '', true);
    }

    const limit = options.limit && options.limit > 0 ? Math.floor(options.limit) : Infinity;
    const items: KubeObject[] = [];
    const result: ListResult = { items, resourceVersion: String(listResourceVersion) };
    if (!table) return result;

    const { filter } = options;
    for (let index = begin; index < end; index++) {
      const object = table.sorted[index].durable!;
      if (filter && !filter(object)) continue;
      if (items.length === limit) {
        // One more match exists: hand out a token to continue after the last item.
        const last = items[items.length - 1].metadata;
        result.continue = encodeContinue({
          resourceVersion: listResourceVersion,
          namespace: last.namespace ?? '',
          name: last.name ?? '',
        });
        // Like Kubernetes, only counted when exact (no selector to evaluate).
        if (!filter) result.remainingItemCount = end - index;
        break;
      }
      items.push(cloneJson(object));
    }
    return result;
  }

  async create(resource: string, obj: KubeObject): Promise<KubeObject> {
    this.assertWritable();
    const { namespace, name } = identify(obj);
    const table = this.tableFor(resource);
    if (table.entries.get(objectKey(namespace, name))?.object) throw alreadyExists(resourceRef(resource), name);
    const object = this.freezeWithNextVersion(obj);
    return this.commit(table.entryFor(namespace, name), { type: 'ADDED', resource, object });
  }

  async update(resource: string, obj: KubeObject): Promise<KubeObject> {
    this.assertWritable();
    const { namespace, name } = identify(obj);
    const entry = this.tables.get(resource)?.entries.get(objectKey(namespace, name));
    if (!entry?.object) throw notFound(resourceRef(resource), name);
    const expected = obj.metadata.resourceVersion;
    if (expected && expected !== entry.object.metadata.resourceVersion) {
      throw staleResourceVersion(resourceRef(resource), name);
    }

    const object = this.freezeWithNextVersion(obj);
    const type = shouldRemoveOnUpdate(entry.object, object) ? 'DELETED' : 'MODIFIED';
    return this.commit(entry, { type, resource, object });
  }

  async delete(
    resource: string,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<{ object: KubeObject; removed: boolean }> {
    this.assertWritable();
    const ref = resourceRef(resource);
    const entry = this.tables.get(resource)?.entries.get(objectKey(namespace, name));
    const current = entry?.object;
    if (!entry || !current) throw notFound(ref, name);
    checkPreconditions(ref, name, current, options);

    const marking = deletionMarking(current, options.gracePeriodSeconds ?? 0, this.now());
    if (marking === 'remove') {
      const object = this.freezeWithNextVersion(current);
      return { object: await this.commit(entry, { type: 'DELETED', resource, object }), removed: true };
    }
    if (marking === 'unchanged') {
      // Nothing is written; the answer must still not show a write that is not durable yet.
      await this.durable(entry.written);
      this.assertWritable(); // saving `current` may have failed meanwhile
      return { object: cloneJson(current), removed: false };
    }

    const marked = cloneJson(current);
    marked.metadata.deletionTimestamp = marking.deletionTimestamp;
    marked.metadata.deletionGracePeriodSeconds = marking.deletionGracePeriodSeconds;
    const object = this.freezeWithNextVersion(marked);
    return { object: await this.commit(entry, { type: 'MODIFIED', resource, object }), removed: false };
  }

  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Watch {
    return this.hub.watch(resource, options, onEvent);
  }

  // --- writing -------------------------------------------------------------------

  private assertWritable(): void {
    if (this.failureMessage !== undefined) {
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `kubelab: the store stopped accepting writes after saving ${this.file} failed (${this.failureMessage}). ` +
          'Free disk space or fix the disk, then restart kubelab.',
      );
    }
    if (this.state !== 'open') {
      throw new ApiError(503, 'ServiceUnavailable', `kubelab: the store for ${this.file} is ${this.state === 'new' ? 'not open yet' : 'closed'}`);
    }
  }

  private tableFor(resource: string): ResourceTable {
    let table = this.tables.get(resource);
    if (!table) {
      table = new ResourceTable();
      this.tables.set(resource, table);
    }
    return table;
  }

  /** A private, frozen copy carrying the next resourceVersion. */
  private freezeWithNextVersion(obj: KubeObject): KubeObject {
    const copy = toJsonData(obj);
    copy.metadata.resourceVersion = String(++this.resourceVersion);
    return deepFreeze(copy);
  }

  /** Applies the write to `entry` (latest view) and resolves with a caller-owned copy once it is durable. */
  private commit(entry: Entry, event: WatchEvent): Promise<KubeObject> {
    entry.object = event.type === 'DELETED' ? undefined : event.object;
    entry.written = Number(event.object.metadata.resourceVersion);
    return new Promise<KubeObject>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.flusher ??= this.runFlusher();
    });
  }

  private async runFlusher(): Promise<void> {
    // Let writes issued in the same turn of the event loop join the first save.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0 && this.failureMessage === undefined) {
      const batch = this.queue;
      this.queue = [];
      const log = this.log!;
      try {
        await log.append(loggedSave(batch, this.resourceVersion));
      } catch (error) {
        this.fail(batch, error);
        break;
      }
      this.counters.flushes++;
      this.counters.writes += batch.length;
      // Write by write: a watcher (or a reader it calls) sees the durable view and the
      // durable resourceVersion of the event it is handed, never a later one.
      for (const write of batch) {
        const { type, resource, object } = write.event;
        this.durableVersion = Number(object.metadata.resourceVersion);
        const { namespace, name } = identify(object);
        this.tables.get(resource)!.promote(namespace, name, type === 'DELETED' ? undefined : object, this.durableVersion);
        this.hub.publish(write.event);
        write.resolve(cloneJson(object));
      }
      this.wakeReaders();
      // The durable view now is the state at the end of this save, whatever was applied since.
      if (this.compaction === undefined && log.bytes() >= this.compactAt) {
        const document = this.snapshot();
        this.compaction = this.compact(document, await log.seal());
      }
    }
    this.flusher = undefined;
  }

  /** Resolves once the write with this resourceVersion is durable, or saving failed (it never will be). */
  private async durable(resourceVersion: number): Promise<void> {
    while (resourceVersion > this.durableVersion && this.failureMessage === undefined) {
      if (!this.nextSave) {
        let resolve!: () => void;
        const promise = new Promise<void>((done) => (resolve = done));
        this.nextSave = { promise, resolve };
      }
      await this.nextSave.promise;
    }
  }

  private wakeReaders(): void {
    const waiting = this.nextSave;
    this.nextSave = undefined;
    waiting?.resolve();
  }

  /** Writes `document` as the snapshot, then removes the logs up to `sealed`, which it holds. */
  private async compact(document: KubelabData, sealed: number): Promise<void> {
    try {
      this.db.data = document;
      await this.db.write();
      await this.log!.removeUpTo(sealed);
      this.counters.compactions++;
      this.compactAt = this.compactionThreshold();
    } catch (error) {
      // The logs still hold everything: saves go on; try again once they have grown as much again.
      this.compactAt = this.log!.bytes() + this.compactionThreshold();
      logger.error('compacting the data file failed; the change logs keep every write', { file: this.file, error: (error as Error).message });
    } finally {
      this.db.data = emptyDocument(); // let go of the objects of that moment
      this.compaction = undefined;
    }
  }

  private compactionThreshold(): number {
    return this.compactAfterBytes ?? Math.max(MIN_COMPACTION_BYTES, Math.floor(this.snapshotBytes / 2));
  }

  private fail(batch: PendingWrite[], error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.failureMessage = reason;
    const rejected = internalError(`saving the data file ${this.file} failed, so this write was not acknowledged: ${reason}`);
    for (const write of [...batch, ...this.queue]) write.reject(rejected);
    this.queue = [];
    this.wakeReaders();
  }

  // --- the document ----------------------------------------------------------------

  /** The durable view as a document. */
  private snapshot(): KubelabData {
    const resources: KubelabData['resources'] = {};
    for (const resource of [...this.tables.keys()].sort()) {
      const table = this.tables.get(resource)!;
      if (table.sorted.length === 0) continue;
      const objects: Record<string, KubeObject> = {};
      for (const entry of table.sorted) objects[entry.key] = entry.durable!;
      resources[resource] = objects;
    }
    return { kind: DOCUMENT_KIND, version: DOCUMENT_VERSION, resourceVersion: this.durableVersion, resources };
  }

  private load(document: KubelabData): void {
    let highest = Number(document.resourceVersion) || 0;
    for (const [resource, objects] of Object.entries(document.resources)) {
      const entries: Entry[] = [];
      for (const [key, object] of Object.entries(objects ?? {})) {
        if (typeof object?.metadata?.name !== 'string') {
          throw dataFileError(this.file, `resources.${resource}["${key}"] has no metadata.name`);
        }
        const namespace = object.metadata.namespace ?? '';
        highest = Math.max(highest, Number(object.metadata.resourceVersion) || 0);
        deepFreeze(object);
        entries.push({ key: objectKey(namespace, object.metadata.name), namespace, name: object.metadata.name, object, durable: object, written: 0 });
      }
      const table = this.tableFor(resource);
      entries.sort((a, b) => compareKeys(a, b.namespace, b.name));
      table.sorted.push(...entries);
      for (const entry of entries) table.entries.set(entry.key, entry);
    }
    this.resourceVersion = highest;
    this.durableVersion = highest;
  }
}

// --- helpers -------------------------------------------------------------------------

/** The change log line of one save: what each write left (object or removal), in order. */
function loggedSave(batch: readonly PendingWrite[], resourceVersion: number): LoggedSave {
  const changes = batch.map(({ event: { type, resource, object } }) =>
    type === 'DELETED' ? { resource, key: changeKey(object) } : { resource, key: changeKey(object), object },
  );
  return { resourceVersion, changes };
}

/**
 * Same bytes as JSON.stringify(data, null, 2) + newline, produced a piece at a time
 * and yielding to the event loop between objects, for a snapshot written in the
 * background. `done` learns the total size.
 */
async function* serializeDocument(data: KubelabData, done: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let pending =
    '{\n' +
    `  "kind": ${JSON.stringify(data.kind)},\n` +
    `  "version": ${JSON.stringify(data.version)},\n` +
    `  "resourceVersion": ${JSON.stringify(data.resourceVersion)},\n` +
    '  "resources": {';
  let total = 0;
  let objects = 0;
  const resourceKeys = Object.keys(data.resources);
  for (const [resourceIndex, resource] of resourceKeys.entries()) {
    pending += `${resourceIndex > 0 ? ',' : ''}\n    ${JSON.stringify(resource)}: {`;
    const members = data.resources[resource];
    let first = true;
    for (const key in members) {
      // Raw newlines only occur between tokens (strings escape theirs), so re-indenting is safe.
      pending += `${first ? '' : ','}\n      ${JSON.stringify(key)}: ${JSON.stringify(members[key], null, 2).replaceAll('\n', '\n      ')}`;
      first = false;
      if (pending.length >= SNAPSHOT_CHUNK_BYTES) {
        const piece = Buffer.from(pending);
        total += piece.byteLength;
        pending = '';
        yield piece;
      }
      if (++objects % SNAPSHOT_OBJECTS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    pending += first ? '}' : '\n    }';
  }
  pending += resourceKeys.length > 0 ? '\n  }\n}\n' : '}\n}\n';
  const piece = Buffer.from(pending);
  yield piece;
  done(total + piece.byteLength);
}

/** `deployments.apps` -> { resource: 'deployments', group: 'apps' }; `pods` -> core group. */
function resourceRef(resource: string): ResourceRef {
  const dot = resource.indexOf('.');
  return dot < 0 ? { group: '', resource } : { group: resource.slice(dot + 1), resource: resource.slice(0, dot) };
}

function identify(obj: KubeObject): { namespace: string; name: string } {
  const name = obj?.metadata?.name;
  if (!name) throw badRequest('the object has no metadata.name');
  return { namespace: obj.metadata.namespace ?? '', name };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function checkPreconditions(ref: ResourceRef, name: string, current: KubeObject, options: DeleteOptions): void {
  const wanted = options.preconditions;
  if (!wanted) return;
  const meta = current.metadata;
  if (wanted.uid !== undefined && wanted.uid !== meta.uid) {
    throw conflict(ref, name, `Precondition failed: UID in precondition: ${wanted.uid}, UID in object meta: ${meta.uid ?? ''}`);
  }
  if (wanted.resourceVersion !== undefined && wanted.resourceVersion !== meta.resourceVersion) {
    throw conflict(
      ref,
      name,
      `Precondition failed: ResourceVersion in precondition: ${wanted.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`,
    );
  }
}

/**
 * Kubernetes' rule (ShouldDeleteDuringUpdate): an update removes the object once it is
 * marked for deletion with no grace period left and its last finalizer is gone. A pod
 * still in its grace period is not removed by a status update; its node deletes it with 0.
 */
function shouldRemoveOnUpdate(stored: KubeObject, updated: KubeObject): boolean {
  if ((updated.metadata.finalizers?.length ?? 0) > 0) return false;
  const marker = stored.metadata.deletionTimestamp ? stored.metadata : updated.metadata;
  if (!marker.deletionTimestamp) return false;
  return (marker.deletionGracePeriodSeconds ?? 0) === 0;
}

type DeletionMarking = 'remove' | 'unchanged' | { deletionTimestamp: string; deletionGracePeriodSeconds: number };

/** What a delete does to this object, as Kubernetes' BeforeDelete and finalizer handling decide. */
function deletionMarking(current: KubeObject, gracePeriodSeconds: number, now: Date): DeletionMarking {
  const meta = current.metadata;
  const hasFinalizers = (meta.finalizers?.length ?? 0) > 0;
  const grace = Math.max(0, Math.floor(gracePeriodSeconds));
  const requested = rfc3339Seconds(new Date(Math.floor(now.getTime() / 1000) * 1000 + grace * 1000));

  if (meta.deletionTimestamp) {
    const currentGrace = meta.deletionGracePeriodSeconds ?? 0;
    // Already being deleted: a delete may only shorten the wait, never extend it.
    const shorter = grace < currentGrace;
    const deletionGracePeriodSeconds = shorter ? grace : currentGrace;
    if (deletionGracePeriodSeconds === 0 && !hasFinalizers) return 'remove';
    if (!shorter) return 'unchanged';
    const deletionTimestamp = requested < meta.deletionTimestamp ? requested : meta.deletionTimestamp;
    return { deletionTimestamp, deletionGracePeriodSeconds };
  }
  if (grace > 0) return { deletionTimestamp: requested, deletionGracePeriodSeconds: grace };
  if (hasFinalizers) return { deletionTimestamp: requested, deletionGracePeriodSeconds: 0 };
  return 'remove';
}

/** `2024-05-01T12:00:00Z`: Kubernetes' metav1.Time format, whole seconds. */
function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

// The continue token: base64url JSON of where the listing stopped and the
// resourceVersion it started at, so every page reports the same resourceVersion.
interface ContinueToken {
  resourceVersion: number;
  namespace: string;
  name: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ rv: token.resourceVersion, ns: token.namespace, name: token.name })).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badRequest(`continue key is not valid: ${JSON.stringify(text)}; start the list again without "continue"`);
  }
  const token = parsed as { rv?: unknown; ns?: unknown; name?: unknown };
  if (
    typeof token !== 'object' ||
    token === null ||
    typeof token.rv !== 'number' ||
    typeof token.ns !== 'string' ||
    typeof token.name !== 'string'
  ) {
    throw badRequest(`continue key is not valid: ${JSON.stringify(text)}; start the list again without "continue"`);
  }
  return { resourceVersion: token.rv, namespace: token.ns, name: token.name };
}
