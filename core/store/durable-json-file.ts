import { open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { isProcessAlive } from './data-dir-lock.ts';

// A lowdb adapter that never leaves a half-written file: each save goes to
// `<file>.tmp-<pid>`, is fsync'd, renamed over the file (atomic on POSIX and NTFS),
// and the directory is fsync'd so the rename itself survives a power cut. A kill -9
// at any moment leaves either the old or the new complete file. A file it cannot
// read is refused, never overwritten: it may be the only copy of someone's lab.

/** What a serializer returns: text, bytes, bytes in pieces, or pieces produced as they are written. */
export type SerializedContent = string | Uint8Array | readonly Uint8Array[] | AsyncIterable<Uint8Array>;

export interface DurableJsonFileOptions<T> {
  file: string;
  /**
   * Defaults to pretty-printed JSON (2 spaces) with a final newline. May return the
   * UTF-8 bytes in pieces, which are written in order with one writev, or an async
   * iterable of pieces, written as they come (then `data` must not change meanwhile).
   */
  serialize?: (data: T) => SerializedContent;
  /** File mode for new files; the data holds Secrets, so only the owner may read it. */
  mode?: number;
}

/** The one error for a data file we will not touch; `reason` says what is wrong with it. */
export function dataFileError(file: string, reason: string): Error {
  return new Error(
    `kubelab: cannot read data file ${file}: ${reason}. ` +
      'The file was left untouched; move it aside or restore a backup, then start again.',
  );
}

export class DurableJsonFile<T> implements Adapter<T> {
  readonly file: string;
  private readonly serialize: (data: T) => SerializedContent;
  private readonly mode: number;
  private readonly tempFile: string;
  // Saves never overlap: they share one temp file name.
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(options: DurableJsonFileOptions<T>) {
    this.file = options.file;
    this.serialize = options.serialize ?? ((data) => `${JSON.stringify(data, null, 2)}\n`);
    this.mode = options.mode ?? 0o600;
    this.tempFile = `${this.file}.tmp-${process.pid}`;
  }

  /** The parsed file, or null when there is none yet (a fresh store). */
  async read(): Promise<T | null> {
    await this.removeStaleTempFiles();
    return (await readJsonFile(this.file)) as T | null;
  }

  write(data: T): Promise<void> {
    // Serialize now, synchronously: the caller may change `data` once we return.
    const content = this.serialize(data);
    const save = this.lastWrite.then(() => this.replaceFile(content));
    this.lastWrite = save.catch(() => undefined);
    return save;
  }

  private async replaceFile(content: SerializedContent): Promise<void> {
    try {
      const handle = await open(this.tempFile, 'w', this.mode);
      try {
        await writeAll(handle, content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await renameWithRetry(this.tempFile, this.file);
    } catch (error) {
      await unlink(this.tempFile).catch(() => undefined);
      throw error;
    }
    await syncDirectory(dirname(this.file));
  }

  /** Temp files of writers that died mid-save; a live writer's temp file is left alone. */
  private async removeStaleTempFiles(): Promise<void> {
    const prefix = `${basename(this.file)}.tmp-`;
    let names: string[];
    try {
      names = await readdir(dirname(this.file));
    } catch {
      return; // no directory yet: nothing to clean
    }
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      const pid = Number(name.slice(prefix.length));
      if (pid === process.pid || isProcessAlive(pid)) continue;
      await unlink(join(dirname(this.file), name)).catch(() => undefined);
    }
  }
}

/** The parsed JSON file, or null when there is none; anything unreadable is a dataFileError. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return null;
    throw dataFileError(file, err.message);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw dataFileError(file, (error as Error).message);
  }
}

async function writeAll(handle: FileHandle, content: SerializedContent): Promise<void> {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    await handle.writeFile(content);
    return;
  }
  if (Symbol.asyncIterator in content) {
    for await (const piece of content) await handle.writeFile(piece);
    return;
  }
  const expected = content.reduce((total, piece) => total + piece.byteLength, 0);
  // libuv splits at IOV_MAX and resumes short writes; check anyway, a short file is never acceptable.
  const { bytesWritten } = await handle.writev(content as Uint8Array[]);
  if (bytesWritten !== expected) throw new Error(`short write: ${bytesWritten} of ${expected} bytes`);
}

// Windows refuses to replace a file another program (antivirus, indexer) has open
// for a moment; POSIX renames never fail that way.
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const transient = process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES' || code === 'EBUSY');
      if (!transient || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
  }
}

/** fsync of a directory, so that a file created or renamed in it survives a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    // Windows cannot open a directory; NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Some file systems (and Windows) do not support fsync on a directory.
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}
