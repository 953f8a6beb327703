import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

// The built GUI (dist/renderer), served by the API server itself so the browser talks
// to the API same-origin. The files hold no secrets and are served without the token;
// the token reaches the page in the URL fragment, which browsers never send, so it
// never lands in a log. A strict Content Security Policy keeps the page to its own code;
// the Electron window enforces the same one (electron/content-security-policy.ts).

export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Vue binds style attributes; stylesheets themselves come from 'self'.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // REST and watches (also over WebSocket) go to the same origin.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Paths of the GUI: the page itself and its hashed assets. Everything else is the API. */
export function isRendererPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/index.html' || pathname.startsWith('/assets/') || pathname === '/favicon.svg';
}

/** Answers a GET/HEAD for a GUI path from `dir`; false when the file is not there. */
export async function serveRendererAsset(res: ServerResponse, method: string, pathname: string, dir: string): Promise<boolean> {
  const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = normalize(join(dir, relative));
  if (!file.startsWith(normalize(dir) + sep)) return false;
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return false;
  }
  const isPage = relative === 'index.html';
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Content-Security-Policy': RENDERER_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // Assets are content-hashed by Vite; the page must be re-read to pick up a new build.
    'Cache-Control': isPage ? 'no-cache' : 'public, max-age=31536000, immutable',
  });
  res.end(method === 'HEAD' ? undefined : body);
  return true;
}
