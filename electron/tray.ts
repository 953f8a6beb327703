import { Menu, nativeImage, Tray } from 'electron';
import { clusterStatusText, watchClusterStatus, type ClusterStatus } from './cluster-status.ts';
import { discBitmap, statusColor, type Rgb } from './tray-icon.ts';

// The tray icon: its colour and tooltip say how many nodes are Ready; its menu shows
// the window or quits.

export interface TrayActions {
  show(): void;
  quit(): void;
}

const ICON_PIXELS = 32;

function icon(color: Rgb) {
  // 32 pixels at scale factor 2: a 16-point icon that stays sharp on high-DPI screens.
  return nativeImage.createFromBitmap(discBitmap(ICON_PIXELS, color), { width: ICON_PIXELS, height: ICON_PIXELS, scaleFactor: 2 });
}

/** Creates the tray icon and keeps it current; returns a function that removes it. */
export function startStatusTray(apiUrl: string, token: string, actions: TrayActions): () => void {
  let color = statusColor(undefined);
  const tray = new Tray(icon(color));
  const render = (status: ClusterStatus | undefined) => {
    const text = status ? clusterStatusText(status) : 'Kubelab: starting';
    tray.setToolTip(text);
    // Linux reads the menu only when it is set, so it is rebuilt with each status.
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: text, enabled: false },
        { type: 'separator' },
        { label: 'Show Kubelab', click: () => actions.show() },
        { label: 'Quit', click: () => actions.quit() },
      ]),
    );
    const next = statusColor(status);
    if (next !== color) tray.setImage(icon((color = next)));
  };
  render(undefined);
  tray.on('click', () => actions.show());
  const stopWatching = watchClusterStatus(apiUrl, token, render);
  return () => {
    stopWatching();
    tray.destroy();
  };
}
