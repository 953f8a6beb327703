import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { appMenuTemplate } from './app-menu.ts';

function fileMenu(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.find((m) => m.label === 'File')!.submenu as MenuItemConstructorOptions[];
}

describe('appMenuTemplate', () => {
  const calls: string[] = [];
  const actions = {
    importManifests: () => calls.push('import'),
    importManifestFolder: () => calls.push('folder'),
    exportKubeconfig: () => calls.push('export'),
  };

  it('has File (import, export, quit) then Edit, View and Window on Linux and Windows', () => {
    const template = appMenuTemplate(actions, 'linux');
    expect(template.map((m) => m.label ?? m.role)).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu']);
    const file = fileMenu(template);
    expect(file.map((i) => i.label ?? i.type)).toEqual(['Import manifests...', 'Import manifest folder...', 'Export kubeconfig...', 'separator', 'Quit']);
    expect(file.at(-1)!.role).toBe('quit');
    calls.length = 0;
    for (const item of file) (item.click as (() => void) | undefined)?.();
    expect(calls).toEqual(['import', 'folder', 'export']);
  });

  it('on macOS puts Quit in the app menu and imports files or folders from one item', () => {
    const template = appMenuTemplate(actions, 'darwin');
    expect(template[0].role).toBe('appMenu');
    const file = fileMenu(template);
    expect(file.map((i) => i.label ?? i.role ?? i.type)).toEqual(['Import manifests...', 'Export kubeconfig...', 'separator', 'close']);
  });
});
