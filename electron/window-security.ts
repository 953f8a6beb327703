import { app, shell, type Session, type WebPreferences } from 'electron';
import { isAppUrl, opensInSystemBrowser } from './app-origin.ts';
import { withContentSecurityPolicy } from './content-security-policy.ts';
import { isPermissionGranted } from './permission-policy.ts';

// Electron's security checklist, applied once for the whole app: every window is
// isolated and sandboxed, may navigate only within the app's origin, opens no windows
// elsewhere, embeds no <webview>, gets no web permissions, and carries the CSP header.

export function secureWebPreferences(preload?: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Call before any window exists: guards every web contents the app will ever create. */
export function guardAllWebContents(appOrigin: string): void {
  app.on('web-contents-created', (_event, contents) => {
    const blockOutside = (event: { preventDefault(): void }, url: string) => {
      if (!isAppUrl(url, appOrigin)) event.preventDefault();
    };
    contents.on('will-navigate', (event) => blockOutside(event, event.url));
    contents.on('will-frame-navigate', (event) => blockOutside(event, event.url));
    contents.on('will-redirect', (event) => blockOutside(event, event.url));
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isAppUrl(url, appOrigin)) {
        return { action: 'allow', overrideBrowserWindowOptions: { webPreferences: secureWebPreferences() } };
      }
      // Documentation and a Service's 127.0.0.1 port open in the user's browser, never in the app.
      if (opensInSystemBrowser(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}

export function guardSession(session: Session, appOrigin: string): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isPermissionGranted(permission, details.requestingUrl ?? contents.getURL(), appOrigin));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isPermissionGranted(permission, requestingOrigin, appOrigin));
  // Filtered here rather than by a URL pattern: match patterns are loose about ports.
  session.webRequest.onHeadersReceived((details, callback) => {
    callback(isAppUrl(details.url, appOrigin) ? { responseHeaders: withContentSecurityPolicy(details.responseHeaders) } : {});
  });
}
