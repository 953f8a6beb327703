import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { changeLogsAmong, parseChangeLog, storedState, type KubelabData } from './stored-data.ts';

// Tests that look at the disk from inside a watch callback need it read in the same
// turn of the event loop: readStoredData's logic, with synchronous reads.

/** The stored state of `dataFile` (snapshot and change logs) as it is on disk at this instant. */
export function storedDataSync(dataFile: string): KubelabData | undefined {
  const logs = changeLogsAmong(dataFile, readdirSync(dirname(dataFile)));
  const parsed = logs.map((log, index) => parseChangeLog(log, readFileSync(log.file), index === logs.length - 1));
  const snapshot = existsSync(dataFile) ? (JSON.parse(readFileSync(dataFile, 'utf8')) as unknown) : null;
  return storedState(dataFile, snapshot, parsed);
}
