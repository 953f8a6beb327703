// The one object the preload script exposes to the renderer as `window.kubelab`
// (contextBridge). Types only: the renderer and the Electron main process both compile
// against it. Every call answers `{ result }` or `{ error }`, never throws across IPC.

export type BridgeResult<T> = { result: T } | { error: string };

export interface ManifestFile {
  name: string;
  text: string;
}

export interface BridgeConnection {
  /** Plain-HTTP API address on loopback, e.g. http://127.0.0.1:40123 */
  apiUrl: string;
  token: string;
  kubeconfigPath: string;
}

export interface KubelabBridge {
  connection(): Promise<BridgeResult<BridgeConnection>>;
  /** Native open dialog for .yaml/.yml/.json files or folders; [] when cancelled. */
  openManifestFiles(): Promise<BridgeResult<ManifestFile[]>>;
  /** Native save dialog; the path written, or null when cancelled. */
  exportKubeconfig(): Promise<BridgeResult<string | null>>;
  /** File > Import manifests... in the app menu; returns an unsubscribe function. */
  onImportFiles(listener: (files: ManifestFile[]) => void): () => void;
}
