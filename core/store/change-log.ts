import { open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './durable-json-file.ts';
import { changeLogFile, encodeSave, type LoggedSave } from './stored-data.ts';

// Appends the store's saves to its change logs (format in stored-data.ts). One line per
// save, fsync'd before append() resolves; a new log file's directory entry is fsync'd
// too before its first line counts. seal() ends the current log: the next save starts
// the next one, and the sealed ones can go once a snapshot holds them.

export class ChangeLogWriter {
  private handle: FileHandle | undefined;
  private seq: number;
  /** Logs on disk, oldest first, with their sizes: the current one last while open. */
  private readonly logs: { seq: number; bytes: number }[] = [];

  constructor(
    private readonly dataFile: string,
    existing: readonly { seq: number; bytes: number }[],
    private readonly mode = 0o600,
  ) {
    this.logs.push(...existing.map(({ seq, bytes }) => ({ seq, bytes })));
    // Never append to a log of an earlier run: start the next one.
    this.seq = (existing.at(-1)?.seq ?? 0) + 1;
  }

  /** Bytes in all the logs kept. */
  bytes(): number {
    return this.logs.reduce((total, log) => total + log.bytes, 0);
  }

  /** The file the next save goes to. */
  currentFile(): string {
    return changeLogFile(this.dataFile, this.seq);
  }

  async append(save: LoggedSave): Promise<void> {
    const line = encodeSave(save);
    if (!this.handle) {
      const handle = await open(this.currentFile(), 'a', this.mode);
      try {
        await syncDirectory(dirname(this.dataFile));
      } catch (error) {
        await handle.close();
        throw error;
      }
      this.handle = handle;
      this.logs.push({ seq: this.seq, bytes: 0 });
    }
    await this.handle.writeFile(line);
    await this.handle.datasync();
    this.logs[this.logs.length - 1].bytes += line.byteLength;
  }

  /** Ends the current log; returns the last sequence number a snapshot taken now covers. */
  async seal(): Promise<number> {
    const sealed = this.seq;
    await this.handle?.close();
    this.handle = undefined;
    this.seq++;
    return sealed;
  }

  /** Removes the logs up to `seq` (a durable snapshot holds them), oldest first. */
  async removeUpTo(seq: number): Promise<void> {
    while (this.logs.length > 0 && this.logs[0].seq <= seq) {
      await rm(changeLogFile(this.dataFile, this.logs[0].seq), { force: true });
      this.logs.shift();
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
