import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { apiVersionOf } from '../api/resource-catalog.ts';
import type { WatchEventType } from '../store/store.ts';
import type { ListQuery } from './list-query.ts';
import type { ResourceRequest } from './request-info.ts';
import type { ResourceService } from './resource-service.ts';
import { partialMetadata, type ResponseFormat } from './response-format.ts';
import { toTable } from './table.ts';

// A watch=true request: JSON events, one per line of a chunked response as Kubernetes
// streams them, or one per message over a WebSocket (what browsers use: they open at
// most six HTTP/1.1 connections to a host, and a GUI watches more kinds than that).
// With a selector, an object that starts or stops matching is reported as ADDED or
// DELETED, so a filtered cache stays exact.

export interface WatchSettings {
  bookmarkIntervalMs: number;
  /** Server-side cap for watches without timeoutSeconds, randomised like Kubernetes' min-request-timeout. */
  defaultTimeoutSeconds: () => number;
}

export const DEFAULT_WATCH_SETTINGS: WatchSettings = {
  bookmarkIntervalMs: 10_000,
  defaultTimeoutSeconds: () => 1800 + Math.floor(Math.random() * 1800),
};

/** Where watch events go: a streamed HTTP response or a WebSocket. */
export interface WatchSink {
  send(event: string): void;
  end(): void;
  onClose(listener: () => void): void;
}

export function httpWatchSink(req: IncomingMessage, res: ServerResponse): WatchSink {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  return {
    send: (event) => res.write(`${event}\n`),
    end: () => {
      if (!res.writableEnded) res.end();
    },
    onClose: (listener) => {
      req.on('close', listener);
      res.on('close', listener);
    },
  };
}

export async function serveWatch(
  sink: WatchSink,
  service: ResourceService,
  r: ResourceRequest,
  query: ListQuery,
  format: ResponseFormat,
  settings: WatchSettings = DEFAULT_WATCH_SETTINGS,
): Promise<void> {
  const { info } = r;
  const filter = query.filter;
  const matching = new Set<string>();
  let firstTableEvent = true;

  const render = (obj: KubeObject): unknown => {
    if (format.kind === 'table') {
      const table = toTable(info, [obj], { includeObject: format.includeObject, includeColumnDefinitions: firstTableEvent });
      firstTableEvent = false;
      return table;
    }
    return format.kind === 'metadata' ? partialMetadata(obj) : obj;
  };
  const send = (type: WatchEventType | 'BOOKMARK' | 'ERROR', object: unknown) => sink.send(JSON.stringify({ type, object }));

  let startVersion = query.resourceVersion;
  if (!startVersion || startVersion === '0') {
    // Like Kubernetes: a watch without a resourceVersion begins with the current state.
    const current = await service.list(r, {});
    for (const obj of current.items) {
      if (filter && !filter(obj)) continue;
      matching.add(keyOf(obj));
      send('ADDED', render(obj));
    }
    startVersion = current.resourceVersion;
  } else if (filter) {
    for (const obj of (await service.list(r, { filter })).items) matching.add(keyOf(obj));
  }

  let watch;
  try {
    watch = service.watch(r, { resourceVersion: startVersion }, (event) => {
      const key = keyOf(event.object);
      if (!filter) {
        send(event.type, render(event.object));
        return;
      }
      const was = matching.has(key);
      const is = event.type !== 'DELETED' && filter(event.object);
      if (is) matching.add(key);
      else matching.delete(key);
      if (event.type === 'DELETED') {
        if (was || filter(event.object)) send('DELETED', render(event.object));
      } else if (is) {
        send(was ? 'MODIFIED' : 'ADDED', render(event.object));
      } else if (was) {
        send('DELETED', render(event.object));
      }
    });
  } catch (e) {
    if (e instanceof ApiError) {
      send('ERROR', e.toStatus());
      sink.end();
      return;
    }
    throw e;
  }

  const bookmarks = query.allowWatchBookmarks
    ? setInterval(() => {
        send('BOOKMARK', { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: service.store.currentResourceVersion() } });
      }, settings.bookmarkIntervalMs)
    : undefined;
  const timeoutSeconds = query.timeoutSeconds ?? settings.defaultTimeoutSeconds();
  const finish = () => {
    watch.stop();
    if (bookmarks) clearInterval(bookmarks);
    clearTimeout(timer);
    sink.end();
  };
  const timer = setTimeout(finish, timeoutSeconds * 1000);
  sink.onClose(finish);
}
