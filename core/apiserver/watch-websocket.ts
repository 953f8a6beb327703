import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError } from '../api/errors.ts';
import type { Logger } from '../log/logger.ts';
import { isWatchRequest, parseListQuery } from './list-query.ts';
import { writeRefusal } from './pod-streams.ts';
import { guardRequest, type GuardOptions } from './request-guard.ts';
import { parseResourcePath } from './request-info.ts';
import type { ResourceService } from './resource-service.ts';
import { negotiateFormat } from './response-format.ts';
import { serveWatch, type WatchSettings, type WatchSink } from './watch-stream.ts';

// Watches over a WebSocket, as the Kubernetes API server offers them: the same
// `GET <collection>?watch=true` upgraded, one JSON event per text message. Browsers
// send the bearer token in the `base64url.bearer.authorization.k8s.io.<token>`
// subprotocol because a WebSocket cannot carry an Authorization header. Browsers fail a
// handshake that offers subprotocols when the server picks none, so clients offer
// WATCH_SUBPROTOCOL too and the server picks it, never echoing the token.

export const WATCH_SUBPROTOCOL = 'watch.kubelab.io';

export function isWatchUpgrade(req: IncomingMessage): boolean {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return false;
  return isWatchRequest(new URL(req.url ?? '/', 'http://kubelab.invalid').searchParams);
}

export class WatchWebSockets {
  private readonly server = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered: Set<string>) => (offered.has(WATCH_SUBPROTOCOL) ? WATCH_SUBPROTOCOL : false) });
  private readonly open = new Set<WebSocket>();

  constructor(
    private readonly options: { service: ResourceService; guard: GuardOptions; settings: WatchSettings; logger: Logger },
  ) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://kubelab.invalid');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      guardRequest(req, path, this.options.guard);
      const parsed = parseResourcePath(path);
      if (parsed.kind !== 'resource' || parsed.request.name || parsed.request.subresource) {
        throw new ApiError(400, 'BadRequest', `watch over a WebSocket needs a collection path such as /api/v1/pods, not ${path}`);
      }
      const r = parsed.request;
      const query = parseListQuery(r.info, url.searchParams);
      const format = negotiateFormat(undefined, url.searchParams);
      this.server.handleUpgrade(req, socket, head, (ws) => {
        this.open.add(ws);
        ws.on('close', () => this.open.delete(ws));
        serveWatch(webSocketSink(ws), this.options.service, r, query, format, this.options.settings).catch((error) => {
          this.options.logger.warn('watch over WebSocket failed', { path, error: String(error) });
          ws.close(1011);
        });
      });
    } catch (error) {
      writeRefusal(socket, error);
    }
  }

  close(): void {
    for (const ws of this.open) ws.terminate();
    this.open.clear();
  }
}

function webSocketSink(ws: WebSocket): WatchSink {
  return {
    send: (event) => ws.send(event),
    end: () => ws.close(1000),
    onClose: (listener) => ws.on('close', listener),
  };
}
