// A stand-in for the 'electron' module, enough for electron/main.ts to run under Node
// where the Electron binary cannot: it records what main does (lines starting with
// "FAKE ") and, once the window loads its page, calls the bridge's IPC handlers as the
// page would, and as a foreign page would; then it tries the guards main installed (a
// navigation away, a new window, a permission, the response headers) and reports what
// they decided.
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const report = (what, data) => process.stdout.write(`FAKE ${what} ${JSON.stringify(data)}\n`);
const paths = { appData: mkdtempSync(join(tmpdir(), 'fake-electron-appdata-')), home: tmpdir() };

class FakeApp extends EventEmitter {
  setName(name) {
    report('setName', name);
  }
  getPath(name) {
    return paths[name] ?? join(paths.appData, name);
  }
  setPath(name, value) {
    paths[name] = value;
    report('setPath', { name, value });
  }
  requestSingleInstanceLock() {
    return true;
  }
  whenReady() {
    return Promise.resolve();
  }
  quit() {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.exit(0);
  }
  exit(code) {
    report('exit', code);
    process.exit(code);
  }
}
export const app = new FakeApp();

const handlers = new Map();
export const ipcMain = {
  handle: (channel, handler) => handlers.set(channel, handler),
  removeHandler: (channel) => handlers.delete(channel),
};

const windows = [];
export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return windows;
  }
  constructor(options) {
    super();
    report('BrowserWindow', options);
    this.url = '';
    const frame = { processId: 7, routingId: 1, parent: null, get url() { return window.url; } };
    const window = this;
    this.webContents = Object.assign(new EventEmitter(), {
      mainFrame: frame,
      getURL: () => this.url,
      send: (channel, data) => report('send', { channel, data }),
      setWindowOpenHandler: (handler) => (this.openHandler = handler),
    });
    windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadURL(url) {
    this.url = url;
    report('loadURL', url);
    await new Promise((resolve) => setImmediate(resolve)); // the page loads after loadURL returns
    const own = { sender: this.webContents, senderFrame: this.webContents.mainFrame };
    report('connection', await handlers.get('kubelab:connection')(own));
    const foreignFrame = { processId: 7, routingId: 1, parent: null, url: 'http://127.0.0.1:1/' };
    report('foreign', await handlers.get('kubelab:connection')({ sender: this.webContents, senderFrame: foreignFrame }));
    const subFrame = { processId: 7, routingId: 2, parent: this.webContents.mainFrame, url };
    report('subframe', await handlers.get('kubelab:connection')({ sender: this.webContents, senderFrame: subFrame }));
    report('guards', this.tryGuards(new URL(url).origin));
  }
  tryGuards(origin) {
    const navigation = (to) => {
      let prevented = false;
      this.webContents.emit('will-navigate', { url: to, preventDefault: () => (prevented = true) });
      return prevented;
    };
    const webview = { preventDefault: () => (webview.prevented = true), prevented: false };
    this.webContents.emit('will-attach-webview', webview);
    const permission = (name, requestingUrl) => {
      let granted;
      sessionHandlers.permissionRequest(this.webContents, name, (answer) => (granted = answer), { requestingUrl });
      return granted;
    };
    const headers = (forUrl) => {
      let answer;
      sessionHandlers.headersReceived({ url: forUrl, responseHeaders: { 'Content-Type': ['text/html'] } }, (result) => (answer = result));
      return answer.responseHeaders?.['Content-Security-Policy'] ?? null;
    };
    return {
      navigateAwayPrevented: navigation('https://example.com/'),
      navigateWithinPrevented: navigation(`${origin}/map`),
      webviewPrevented: webview.prevented,
      foreignWindow: this.openHandler?.({ url: 'https://example.com/' })?.action,
      geolocationForApp: permission('geolocation', `${origin}/`),
      clipboardForeign: permission('clipboard-sanitized-write', 'https://example.com/'),
      cspOnAppPages: headers(`${origin}/`),
      cspElsewhere: headers('https://example.com/'),
    };
  }
  isDestroyed() {
    return false;
  }
  isMinimized() {
    return false;
  }
  show() {}
  focus() {}
  restore() {}
}

export const dialog = {
  showErrorBox: (title, content) => report('showErrorBox', { title, content }),
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: async () => ({ canceled: true }),
  showMessageBox: async () => ({ response: 0 }),
};
export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => report('menu', menu.template.map((m) => m.label ?? m.role)),
};
const sessionHandlers = {};
const webRequest = { onHeadersReceived: (handler) => (sessionHandlers.headersReceived = handler) };
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler) => (sessionHandlers.permissionRequest = handler),
    setPermissionCheckHandler: (handler) => (sessionHandlers.permissionCheck = handler),
    webRequest,
  },
};
export class Tray extends EventEmitter {
  constructor() {
    super();
    report('tray', true);
  }
  setToolTip(text) {
    report('tooltip', text);
  }
  setContextMenu() {}
  setImage() {}
  destroy() {}
}
export const nativeImage = { createFromBitmap: (buffer, options) => ({ buffer, options }) };
export const shell = { openExternal: async () => {} };
export default { app, ipcMain, BrowserWindow, dialog, Menu, session, Tray, nativeImage, shell };
