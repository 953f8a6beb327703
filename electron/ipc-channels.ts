// IPC channel names shared by the preload (sender) and the main process (handlers).

export const IPC_CHANNELS = {
  connection: 'kubelab:connection',
  openManifestFiles: 'kubelab:open-manifest-files',
  exportKubeconfig: 'kubelab:export-kubeconfig',
  /** main -> renderer: files chosen with File > Import manifests... */
  importFiles: 'kubelab:import-files',
} as const;
