import { join } from 'node:path';
import envPaths from 'env-paths';

// Where Kubelab keeps its state when the user does not say: the platform's config
// directory (~/.config/kubelab on Linux), the same place the desktop app uses.

export const DATA_FILE_NAME = 'kubelab-data.json';

export function defaultDataDir(): string {
  return envPaths('kubelab', { suffix: '' }).config;
}

export function dataPaths(dataDir: string) {
  return {
    dataDir,
    dataFile: join(dataDir, DATA_FILE_NAME),
    tokenFile: join(dataDir, 'token'),
    kubeconfig: join(dataDir, 'kubeconfig'),
    stateFile: join(dataDir, 'serve-state.json'),
  };
}
