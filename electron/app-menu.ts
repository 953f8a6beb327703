import type { MenuItemConstructorOptions } from 'electron';

// The application menu as a template (Menu.buildFromTemplate builds it in main.ts).
// Windows and Linux dialogs pick either files or a folder, never both, so there the
// folder import is its own item; macOS's dialog does both.

export interface AppMenuActions {
  importManifests(): void;
  importManifestFolder(): void;
  exportKubeconfig(): void;
}

export function appMenuTemplate(actions: AppMenuActions, platform: NodeJS.Platform): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const file: MenuItemConstructorOptions[] = [
    { label: 'Import manifests...', accelerator: 'CmdOrCtrl+O', click: () => actions.importManifests() },
    ...(mac ? [] : [{ label: 'Import manifest folder...', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.importManifestFolder() }]),
    { label: 'Export kubeconfig...', accelerator: 'CmdOrCtrl+E', click: () => actions.exportKubeconfig() },
    { type: 'separator' },
    mac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
  ];
  return [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    { label: 'File', submenu: file },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
}
