import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import type { BridgeConnection, ManifestFile } from './bridge-api.ts';
import { IPC_CHANNELS } from './ipc-channels.ts';
import { answerBridgeCall, senderRejection, type SenderFrameFacts } from './ipc-sender.ts';

// The main-process side of the bridge: one ipcMain.handle per KubelabBridge call, each
// checking its sender (ipc-sender.ts) before doing anything.

export interface BridgeHandlers {
  connection(): BridgeConnection;
  openManifestFiles(window: BrowserWindow): Promise<ManifestFile[]>;
  exportKubeconfig(window: BrowserWindow): Promise<string | null>;
}

/** Registers the handlers; returns a function that removes them. */
export function registerBridgeHandlers(appOrigin: string, mainWindow: () => BrowserWindow | undefined, handlers: BridgeHandlers): () => void {
  const handle = <T>(channel: string, work: (window: BrowserWindow) => T | Promise<T>) => {
    ipcMain.handle(channel, (event) => {
      const window = mainWindow();
      const rejection = senderRejection(senderFacts(event, window), appOrigin);
      return answerBridgeCall(rejection, () => work(window!));
    });
  };
  handle(IPC_CHANNELS.connection, () => handlers.connection());
  handle(IPC_CHANNELS.openManifestFiles, (window) => handlers.openManifestFiles(window));
  handle(IPC_CHANNELS.exportKubeconfig, (window) => handlers.exportKubeconfig(window));
  return () => {
    for (const channel of [IPC_CHANNELS.connection, IPC_CHANNELS.openManifestFiles, IPC_CHANNELS.exportKubeconfig]) ipcMain.removeHandler(channel);
  };
}

function senderFacts(event: IpcMainInvokeEvent, window: BrowserWindow | undefined): SenderFrameFacts | null {
  let frame: WebFrameMain | null;
  try {
    frame = event.senderFrame;
  } catch {
    return null; // the frame navigated away or was destroyed before the call was read
  }
  if (!frame) return null;
  const main = window && !window.isDestroyed() ? window.webContents.mainFrame : undefined;
  return {
    url: frame.url,
    isTopFrame: frame.parent === null,
    isMainWindowFrame:
      main !== undefined && event.sender === window!.webContents && frame.processId === main.processId && frame.routingId === main.routingId,
  };
}
