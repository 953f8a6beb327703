// The app's own origin is the control plane's plain-HTTP address on loopback. Only pages
// from it may navigate, open windows, or talk to the bridge.

/** The origin of `url`, or null when it does not parse or has no network origin (file:, data:, about:). */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.origin;
}

export function isAppUrl(url: string, appOrigin: string): boolean {
  return originOf(url) === appOrigin;
}

/**
 * Links the system browser may open: https anywhere (documentation), and http on this
 * machine's loopback (a Service's 127.0.0.1 port from the Services view).
 */
export function opensInSystemBrowser(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') return true;
  return parsed.protocol === 'http:' && (parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost');
}
