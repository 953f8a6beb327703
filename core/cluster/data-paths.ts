import { join } from 'node:path';
import envPaths from 'env-paths';
import { DATA_FILE_NAME } from '../store/stored-data.ts';

// Where Kubelab keeps its state when the user does not say: the platform's config
// directory (~/.config/kubelab on Linux), the same place the desktop app uses.

export { DATA_FILE_NAME };

export function defaultDataDir(): string {
  return envPaths('kubelab', { suffix: '' }).config;
}

export function dataPaths(dataDir: string) {
  return {
    dataDir,
    /** The snapshot; the store's change logs sit beside it (read both with readStoredData). */
    dataFile: join(dataDir, DATA_FILE_NAME),
    tokenFile: join(dataDir, 'token'),
    kubeconfig: join(dataDir, 'kubeconfig'),
    stateFile: join(dataDir, 'serve-state.json'),
  };
}
