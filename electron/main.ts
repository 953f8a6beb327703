import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { app, BrowserWindow, dialog, Menu, session } from 'electron';
import { register } from 'tsx/esm/api';
import type { ControlPlane, startControlPlane as StartControlPlane } from '../core/cluster/control-plane.ts';
import { appMenuTemplate } from './app-menu.ts';
import { isAppUrl, originOf } from './app-origin.ts';
import type { ManifestFile } from './bridge-api.ts';
import { IPC_CHANNELS } from './ipc-channels.ts';
import { registerBridgeHandlers } from './ipc.ts';
import { chooseManifestFiles, exportKubeconfig, type ManifestPick } from './native-dialogs.ts';
import { leaveOnNodes, readQuitChoice, rememberQuitChoice, type QuitChoice } from './quit-choice.ts';
import { startStatusTray } from './tray.ts';
import { guardAllWebContents, guardSession, secureWebPreferences } from './window-security.ts';

// The Electron main process: a thin host. It starts the control plane with the same
// composition code as `kubelab serve`, opens one window on the API server's own page,
// and adds what a browser can't: native dialogs, the app menu, the tray.
//
// This file is bundled to dist/electron/main.js (electron/build.mjs); paths below are
// relative to that file. The control plane is not bundled: it runs from core/ through
// tsx, like `kubelab serve`, because its worker threads load their modules from there.

const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));
const MAC = process.platform === 'darwin';

// Flags for tests and power users: --data-dir DIR (a separate profile and cluster), --no-local-node.
const { values: flags } = parseArgs({
  args: process.argv.slice(1),
  options: { 'data-dir': { type: 'string' }, 'no-local-node': { type: 'boolean' } },
  strict: false,
  allowPositionals: true,
});
const dataDirFlag = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : undefined;

app.setName('Kubelab');
// Set before anything reads it (the single-instance lock lives there): the cluster's
// data sits in the app's userData directory, or in --data-dir with its own profile.
app.setPath('userData', dataDirFlag ? join(dataDirFlag, 'electron-profile') : join(app.getPath('appData'), 'Kubelab'));

let controlPlane: ControlPlane | undefined;
let controlPlaneStarting: Promise<ControlPlane> | undefined;
let mainWindow: BrowserWindow | undefined;
let stopTray: (() => void) | undefined;
let stopping = false;
let stopped = false;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  void run();
}

async function run(): Promise<void> {
  await app.whenReady();
  try {
    register();
    const { startControlPlane } = (await import(pathToFileURL(join(APP_ROOT, 'core/cluster/control-plane.ts')).href)) as {
      startControlPlane: typeof StartControlPlane;
    };
    // With no Docker daemon the control plane still starts, without a local node; the
    // renderer then shows its first-run screen.
    controlPlaneStarting = startControlPlane({
      dataDir: dataDirFlag ?? app.getPath('userData'),
      localNode: !flags['no-local-node'],
    });
    controlPlane = await controlPlaneStarting;
  } catch (error) {
    dialog.showErrorBox('Kubelab could not start', (error as Error).message);
    app.exit(1);
    return;
  }
  if (stopping) return; // asked to quit while starting
  const cp = controlPlane;
  const appOrigin = originOf(cp.httpUrl)!;
  guardAllWebContents(appOrigin);
  guardSession(session.defaultSession, appOrigin);
  registerBridgeHandlers(appOrigin, () => mainWindow, {
    connection: () => ({ apiUrl: cp.httpUrl, token: cp.token, kubeconfigPath: cp.kubeconfigPath }),
    openManifestFiles: (window) => chooseManifestFiles(window, MAC ? 'files-or-folders' : 'files'),
    exportKubeconfig: (window) => exportKubeconfig(window, cp.kubeconfigPath),
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate(
        {
          importManifests: () => void importFromMenu(MAC ? 'files-or-folders' : 'files'),
          importManifestFolder: () => void importFromMenu('folder'),
          exportKubeconfig: () => void exportFromMenu(),
        },
        process.platform,
      ),
    ),
  );
  try {
    stopTray = startStatusTray(cp.httpUrl, cp.token, { show: showWindow, quit: () => app.quit() });
  } catch (error) {
    // Some Linux desktops have no tray; the app works without it.
    console.warn(`kubelab: no tray icon: ${(error as Error).message}`);
  }
  createWindow();
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Kubelab',
    width: 1320,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    webPreferences: secureWebPreferences(PRELOAD),
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  mainWindow = window;
  // No token in the address: the page asks the bridge for it (connection()).
  void window.loadURL(`${controlPlane!.httpUrl}/`);
  return window;
}

function showWindow(): void {
  if (!controlPlane) return; // still starting; the window opens when it is ready
  const window = mainWindow ?? createWindow();
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

async function importFromMenu(pick: ManifestPick): Promise<void> {
  const window = mainWindow;
  if (!window) return;
  try {
    const files: ManifestFile[] = await chooseManifestFiles(window, pick);
    // Only the app's own page receives files.
    if (files.length > 0 && !window.isDestroyed() && isAppUrl(window.webContents.getURL(), originOf(controlPlane!.httpUrl)!)) {
      window.webContents.send(IPC_CHANNELS.importFiles, files);
    }
  } catch (error) {
    dialog.showErrorBox('Import failed', (error as Error).message);
  }
}

async function exportFromMenu(): Promise<void> {
  const window = mainWindow;
  if (!window || !controlPlane) return;
  try {
    const written = await exportKubeconfig(window, controlPlane.kubeconfigPath);
    if (written) {
      await dialog.showMessageBox(window, {
        type: 'info',
        message: 'Kubeconfig exported',
        detail: `Saved to ${written}\n\nTry: kubectl --kubeconfig ${written} get nodes`,
      });
    }
  } catch (error) {
    dialog.showErrorBox('Export failed', (error as Error).message);
  }
}

app.on('window-all-closed', () => {
  if (!MAC) app.quit();
});
app.on('activate', () => showWindow());

/** Keep the lab running or stop its pods: asked on the first quit, remembered when the box is ticked. */
async function quitChoice(): Promise<QuitChoice> {
  const file = join(app.getPath('userData'), 'quit-choice.json');
  const remembered = await readQuitChoice(file);
  if (remembered) return remembered;
  if (quitBySignal) return 'keep';
  const answer = await dialog.showMessageBox({
    type: 'question',
    message: 'Keep the lab running after Kubelab quits?',
    detail:
      'Keep running: the pods stay up on their nodes and the next start picks them up. ' +
      'Stop the pods: their containers are removed and lab nodes stopped; volumes and objects stay, and the next start runs them again. ' +
      '`kubelab reset` removes everything.',
    buttons: ['Keep the lab running', 'Stop the pods'],
    defaultId: 0,
    cancelId: 0,
    checkboxLabel: 'Remember my choice',
    checkboxChecked: true,
  });
  const choice: QuitChoice = answer.response === 1 ? 'stop-pods' : 'keep';
  if (answer.checkboxChecked) await rememberQuitChoice(file, choice);
  return choice;
}

// The control plane stops before the app exits, the store flushed, as when `kubelab
// serve` gets SIGTERM; what stays on the nodes is the person's choice (quitChoice).
// A quit while it is still starting waits for the start, then stops it.
app.on('before-quit', (event) => {
  if (stopped || !controlPlaneStarting) return;
  event.preventDefault();
  if (stopping) return;
  stopping = true;
  stopTray?.();
  void Promise.all([controlPlaneStarting, quitChoice().catch((): QuitChoice => 'keep')])
    .then(([cp, choice]) => cp.stop({ leave: leaveOnNodes(choice) }))
    .catch((error: Error) => console.error(`kubelab: stop failed: ${error.message}`))
    .finally(() => {
      stopped = true;
      controlPlane = undefined;
      app.quit();
    });
});
// A signal is no moment for a question: the lab keeps running, as with `kubelab serve`.
let quitBySignal = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    quitBySignal = true;
    app.quit();
  });
}
