import { open, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { objectKey, type KubeObject } from '../api/kube-object.ts';
import { dataFileError, readJsonFile } from './durable-json-file.ts';

// What the embedded store keeps on disk, and the one reader of it. The data file
// (`kubelab-data.json`) is a snapshot: one readable JSON document of every object.
// Beside it, change logs (`kubelab-data.changes-000001.jsonl`, numbered in the order
// they were written) hold what changed since: one line per save, the changed objects,
// the removed keys and the resourceVersion after that save, with a CRC32 of the line.
// The stored state is the snapshot with every logged line newer than it applied in order.
//
// Only the very last line of the last log can be torn (a kill -9 or power cut in the
// middle of a save that was never acknowledged); it is dropped. A damaged line anywhere
// else is refused with the file and line named: lines after it were acknowledged.

export const DATA_FILE_NAME = 'kubelab-data.json';

/** The data file, as a person opening it sees it. */
export interface KubelabData {
  kind: 'KubelabData';
  version: 1;
  resourceVersion: number;
  /** resource key (`pods`, `deployments.apps`) -> object key (`namespace/name` or `name`) -> object */
  resources: Record<string, Record<string, KubeObject>>;
}

export const DOCUMENT_KIND = 'KubelabData';
export const DOCUMENT_VERSION = 1;

/** One object set or removed by a save. */
export interface LoggedChange {
  resource: string;
  key: string;
  /** The object as stored; absent when the save removed it. */
  object?: KubeObject;
}

/** One line of a change log: one save. */
export interface LoggedSave {
  resourceVersion: number;
  changes: LoggedChange[];
}

export interface ChangeLogFile {
  seq: number;
  file: string;
}

export interface ReadChangeLog extends ChangeLogFile {
  bytes: number;
  saves: LoggedSave[];
  /** Bytes of whole, checked lines; less than `bytes` when a torn last line was dropped. */
  goodBytes: number;
}

export function emptyDocument(): KubelabData {
  return { kind: DOCUMENT_KIND, version: DOCUMENT_VERSION, resourceVersion: 0, resources: {} };
}

// --- the change logs -------------------------------------------------------------

const SEQ_DIGITS = 6;
// `,"crc32":"0123abcd"}` ends every line; the checksum covers the bytes before it.
const CRC_SUFFIX_BYTES = 20;
const CRC_SUFFIX = /^,"crc32":"([0-9a-f]{8})"\}$/;

function logPrefix(dataFile: string): string {
  return `${basename(dataFile).replace(/\.json$/, '')}.changes-`;
}

/** `kubelab-data.changes-000007.jsonl` beside `kubelab-data.json`. */
export function changeLogFile(dataFile: string, seq: number): string {
  return join(dirname(dataFile), `${logPrefix(dataFile)}${String(seq).padStart(SEQ_DIGITS, '0')}.jsonl`);
}

/** The change logs beside `dataFile`, oldest first. */
export async function listChangeLogs(dataFile: string): Promise<ChangeLogFile[]> {
  try {
    return changeLogsAmong(dataFile, await readdir(dirname(dataFile)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The change logs of `dataFile` among the names in its directory, oldest first. */
export function changeLogsAmong(dataFile: string, names: readonly string[]): ChangeLogFile[] {
  const prefix = logPrefix(dataFile);
  const logs: ChangeLogFile[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.jsonl')) continue;
    const digits = name.slice(prefix.length, -'.jsonl'.length);
    if (/^\d+$/.test(digits)) logs.push({ seq: Number(digits), file: join(dirname(dataFile), name) });
  }
  return logs.sort((a, b) => a.seq - b.seq);
}

/** The log line of one save, with its newline. */
export function encodeSave(save: LoggedSave): Buffer {
  const body = Buffer.from(JSON.stringify(save).slice(0, -1));
  return Buffer.concat([body, Buffer.from(`,"crc32":"${crc32(body).toString(16).padStart(8, '0')}"}\n`)]);
}

/**
 * Parses one change log. `last` says it is the newest log: only there may the final
 * line be torn, and it is then dropped (`goodBytes` says where the whole lines end).
 */
export function parseChangeLog(log: ChangeLogFile, bytes: Buffer, last: boolean): ReadChangeLog {
  const saves: LoggedSave[] = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    line++;
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const save = decodeLine(bytes.subarray(start, end));
    const isFinalLine = newline < 0 || newline === bytes.length - 1;
    if (typeof save === 'string' || newline < 0) {
      if (last && isFinalLine) return { ...log, bytes: bytes.length, saves, goodBytes: start };
      throw dataFileError(log.file, `line ${line} is damaged (${typeof save === 'string' ? save : 'it has no line end'}) and saves were logged after it`);
    }
    saves.push(save);
    start = end + 1;
  }
  return { ...log, bytes: bytes.length, saves, goodBytes: bytes.length };
}

function decodeLine(line: Buffer): LoggedSave | string {
  if (line.length <= CRC_SUFFIX_BYTES) return 'too short';
  const body = line.subarray(0, line.length - CRC_SUFFIX_BYTES);
  const sum = CRC_SUFFIX.exec(line.subarray(line.length - CRC_SUFFIX_BYTES).toString('latin1'))?.[1];
  if (sum === undefined) return 'no checksum';
  if (parseInt(sum, 16) !== crc32(body)) return 'checksum mismatch';
  let save: Partial<LoggedSave>;
  try {
    save = JSON.parse(`${body.toString('utf8')}}`) as Partial<LoggedSave>;
  } catch (error) {
    return (error as Error).message;
  }
  if (typeof save.resourceVersion !== 'number' || !Array.isArray(save.changes)) return 'not a logged save';
  for (const change of save.changes) {
    if (typeof change?.resource !== 'string' || typeof change.key !== 'string') return 'a change without resource or key';
    if (change.object !== undefined && typeof change.object?.metadata?.name !== 'string') return `${change.resource} ${change.key} has no metadata.name`;
  }
  return save as LoggedSave;
}

/** Every change log beside `dataFile`, parsed; a log removed meanwhile is ENOENT. */
export async function readChangeLogs(dataFile: string): Promise<ReadChangeLog[]> {
  const logs = await listChangeLogs(dataFile);
  const read: ReadChangeLog[] = [];
  for (const [index, log] of logs.entries()) {
    let bytes: Buffer;
    try {
      bytes = await readFile(log.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
      throw dataFileError(log.file, (error as Error).message);
    }
    read.push(parseChangeLog(log, bytes, index === logs.length - 1));
  }
  return read;
}

/** Cuts a torn last line off the newest log, durably, so that later logs can follow it. */
export async function dropTornTail(log: ReadChangeLog): Promise<void> {
  if (log.goodBytes === log.bytes) return;
  await truncate(log.file, log.goodBytes);
  const handle = await open(log.file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// --- the document ----------------------------------------------------------------

/** Checks the snapshot's shape; the data file is refused, with its name, when it is not ours. */
export function checkDocument(file: string, data: unknown): KubelabData {
  const document = data as Partial<KubelabData> | null;
  if (typeof document !== 'object' || document === null || document.kind !== DOCUMENT_KIND) {
    throw dataFileError(file, `it is not a Kubelab data file (expected "kind": "${DOCUMENT_KIND}")`);
  }
  if (document.version !== DOCUMENT_VERSION) {
    throw dataFileError(file, `it has version ${JSON.stringify(document.version)}, this kubelab reads version ${DOCUMENT_VERSION}`);
  }
  if (typeof document.resources !== 'object' || document.resources === null) {
    throw dataFileError(file, '"resources" is missing');
  }
  return document as KubelabData;
}

/**
 * Applies the logged saves newer than the snapshot, in order, to `document` (changed in
 * place). Saves the snapshot already holds (a compaction that stopped before removing
 * its old logs) are skipped by resourceVersion. Returns how many saves were applied.
 */
export function applyChangeLogs(document: KubelabData, logs: readonly ReadChangeLog[]): number {
  const covered = Number(document.resourceVersion) || 0;
  let applied = 0;
  for (const log of logs) {
    for (const save of log.saves) {
      if (save.resourceVersion <= covered) continue;
      for (const { resource, key, object } of save.changes) {
        const objects = (document.resources[resource] ??= {});
        if (object) objects[key] = object;
        else delete objects[key];
      }
      document.resourceVersion = Math.max(document.resourceVersion, save.resourceVersion);
      applied++;
    }
  }
  return applied;
}

/** The error for change logs whose snapshot is gone: replaying them alone would invent a state. */
export function missingSnapshotError(dataFile: string, logs: readonly ChangeLogFile[]): Error {
  return dataFileError(dataFile, `it is missing, but its change logs are there (${logs.map((log) => basename(log.file)).join(', ')})`);
}

/** The key a change is logged under. */
export function changeKey(object: KubeObject): string {
  return objectKey(object.metadata.namespace ?? '', object.metadata.name ?? '');
}

/** The stored state from the parsed snapshot (null: none) and its parsed logs; undefined when there is none. */
export function storedState(dataFile: string, snapshot: unknown, logs: readonly ReadChangeLog[]): KubelabData | undefined {
  if (snapshot === null) {
    if (logs.length > 0) throw missingSnapshotError(dataFile, logs);
    return undefined;
  }
  const document = checkDocument(dataFile, snapshot);
  applyChangeLogs(document, logs);
  return document;
}

// --- for everything outside the store ----------------------------------------------

/**
 * The stored state of the data directory `dir` (snapshot plus change logs), read
 * without opening a store, so it works beside a running one; undefined when `dir`
 * holds no data. Throws, naming the file, when the data is damaged.
 */
export async function readStoredData(dir: string): Promise<KubelabData | undefined> {
  const dataFile = join(dir, DATA_FILE_NAME);
  for (let attempt = 0; ; attempt++) {
    try {
      // Logs before the snapshot: a compaction that finishes in between removes logs
      // the new snapshot holds (ENOENT below, read again), never ones it lacks.
      const logs = await readChangeLogs(dataFile);
      return storedState(dataFile, await readJsonFile(dataFile), logs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw error;
    }
  }
}

/** Removes the stored state of `dir`: the change logs first, then the snapshot, so no log outlives it. */
export async function removeStoredData(dir: string): Promise<void> {
  const dataFile = join(dir, DATA_FILE_NAME);
  for (const log of await listChangeLogs(dataFile)) await rm(log.file, { force: true });
  await rm(dataFile, { force: true });
}
