import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../api/errors.ts';

// Who may talk to the API: only callers holding the bearer token, and only through an
// address of this machine. Checking Host stops DNS rebinding (a web page whose name
// resolves to 127.0.0.1); checking Origin stops a foreign page from sending writes
// with the user's browser. Health endpoints stay open for probes, as in Kubernetes.

const OPEN_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export interface GuardOptions {
  token: string;
  /** host:port pairs this server answers to, e.g. `127.0.0.1:6443`, `localhost:6443`. */
  allowedHosts: () => Set<string>;
  /** Paths served without the token (the GUI's static files); Host and Origin are still checked. */
  isPublicPath?: (pathname: string) => boolean;
}

export function loopbackHosts(port: number, bindHost: string): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  hosts.add(bindHost.includes(':') ? `[${bindHost}]:${port}` : `${bindHost}:${port}`);
  return hosts;
}

export function guardRequest(req: IncomingMessage, pathname: string, options: GuardOptions): void {
  const allowed = options.allowedHosts();
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) {
    throw new ApiError(403, 'Forbidden', `requests for host "${host}" are refused: Kubelab answers only to ${[...allowed].join(', ')}`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost = '';
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      // unparseable origin: refused below
    }
    if (!allowed.has(originHost)) {
      throw new ApiError(403, 'Forbidden', `requests from origin "${origin}" are refused: only pages served by this Kubelab may call its API`);
    }
  } else if (origin === 'null') {
    throw new ApiError(403, 'Forbidden', 'requests from an opaque origin ("null") are refused');
  }
  if (OPEN_PATHS.has(pathname) || options.isPublicPath?.(pathname)) return;
  const given = bearerFromHeader(req) ?? bearerFromWebSocketProtocol(req);
  if (given === undefined || !tokensEqual(given, options.token)) {
    throw new ApiError(401, 'Unauthorized', 'Unauthorized: send the bearer token from the kubeconfig Kubelab wrote (Authorization: Bearer <token>)');
  }
}

function bearerFromHeader(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

// Browsers cannot put headers on a WebSocket; Kubernetes accepts the token as a subprotocol.
const WEBSOCKET_BEARER_PREFIX = 'base64url.bearer.authorization.k8s.io.';

function bearerFromWebSocketProtocol(req: IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const encoded = offered.find((p) => p.startsWith(WEBSOCKET_BEARER_PREFIX))?.slice(WEBSOCKET_BEARER_PREFIX.length);
  return encoded ? Buffer.from(encoded, 'base64url').toString('utf8') : undefined;
}

function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
