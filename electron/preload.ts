import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { KubelabBridge, ManifestFile } from './bridge-api.ts';
import { IPC_CHANNELS } from './ipc-channels.ts';

// The whole of what the page gets from Electron: `window.kubelab`, a KubelabBridge.
// It runs sandboxed and context-isolated; ipcRenderer itself never reaches the page.

const bridge: KubelabBridge = {
  connection: () => ipcRenderer.invoke(IPC_CHANNELS.connection),
  openManifestFiles: () => ipcRenderer.invoke(IPC_CHANNELS.openManifestFiles),
  exportKubeconfig: () => ipcRenderer.invoke(IPC_CHANNELS.exportKubeconfig),
  onImportFiles: (listener) => {
    // Only the files cross into the page, never the IPC event (it carries the sender).
    const forward = (_event: IpcRendererEvent, files: ManifestFile[]) => listener(files);
    ipcRenderer.on(IPC_CHANNELS.importFiles, forward);
    return () => void ipcRenderer.removeListener(IPC_CHANNELS.importFiles, forward);
  },
};

contextBridge.exposeInMainWorld('kubelab', bridge);
