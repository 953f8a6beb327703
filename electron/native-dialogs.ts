import { chmod, copyFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dialog, type BrowserWindow } from 'electron';
import type { ManifestFile } from './bridge-api.ts';
import { MANIFEST_EXTENSIONS, readManifestFiles } from './manifest-files.ts';

// The native dialogs behind File > Import and Export and the bridge's calls.

export type ManifestPick = 'files' | 'folder' | 'files-or-folders';

const MANIFEST_FILTER = { name: 'Kubernetes manifests', extensions: MANIFEST_EXTENSIONS.map((e) => e.slice(1)) };

/** The manifests the user picks; [] when the dialog is cancelled. */
export async function chooseManifestFiles(window: BrowserWindow, pick: ManifestPick): Promise<ManifestFile[]> {
  const properties: ('openFile' | 'openDirectory' | 'multiSelections')[] =
    pick === 'files' ? ['openFile', 'multiSelections'] : pick === 'folder' ? ['openDirectory'] : ['openFile', 'openDirectory', 'multiSelections'];
  const chosen = await dialog.showOpenDialog(window, {
    title: pick === 'folder' ? 'Import a folder of manifests' : 'Import manifests',
    properties,
    filters: pick === 'folder' ? [] : [MANIFEST_FILTER],
  });
  if (chosen.canceled || chosen.filePaths.length === 0) return [];
  return readManifestFiles(chosen.filePaths);
}

/** Copies the kubeconfig where the user says; the path written, or null when cancelled. */
export async function exportKubeconfig(window: BrowserWindow, kubeconfigPath: string): Promise<string | null> {
  const chosen = await dialog.showSaveDialog(window, {
    title: 'Export kubeconfig',
    defaultPath: join(homedir(), 'kubelab-kubeconfig.yaml'),
    filters: [{ name: 'Kubeconfig', extensions: ['yaml', 'yml', 'conf'] }],
  });
  if (chosen.canceled || !chosen.filePath) return null;
  await copyFile(kubeconfigPath, chosen.filePath);
  // It holds the cluster's admin token: readable by the user only, like the original.
  await chmod(chosen.filePath, 0o600);
  return chosen.filePath;
}
