import { readStoredData } from '../store/stored-data.ts';

// A cluster's identity is its kube-system namespace's uid (LABELS.cluster on everything
// it runs). Read from the stored data (snapshot and change logs) without opening the
// store, for the commands that look at a data directory whose control plane may not be
// running.

/** The cluster id stored in `dataDir`, or undefined when it holds no (readable) data. */
export async function storedClusterId(dataDir: string): Promise<string | undefined> {
  try {
    return (await readStoredData(dataDir))?.resources.namespaces?.['kube-system']?.metadata?.uid;
  } catch {
    return undefined;
  }
}
