import { isAppUrl } from './app-origin.ts';

// Web permissions (camera, notifications, geolocation...) are denied: the GUI needs none.
// The one exception is writing to the clipboard from the app's own page, which its
// "copy the kubectl command" buttons use.

const GRANTED_TO_APP = new Set(['clipboard-sanitized-write']);

export function isPermissionGranted(permission: string, requestingUrl: string, appOrigin: string): boolean {
  return GRANTED_TO_APP.has(permission) && isAppUrl(requestingUrl, appOrigin);
}
