import { readFile } from 'node:fs/promises';
import { dataPaths } from './data-paths.ts';

// A cluster's identity is its kube-system namespace's uid (LABELS.cluster on everything
// it runs). Read from the data file without opening the store, for the commands that
// look at a data directory whose control plane may not be running.

/** The cluster id stored in `dataDir`, or undefined when it has no (readable) data file. */
export async function storedClusterId(dataDir: string): Promise<string | undefined> {
  try {
    const data = JSON.parse(await readFile(dataPaths(dataDir).dataFile, 'utf8')) as {
      resources?: { namespaces?: Record<string, { metadata?: { uid?: string } }> };
    };
    return data.resources?.namespaces?.['kube-system']?.metadata?.uid;
  } catch {
    return undefined;
  }
}
