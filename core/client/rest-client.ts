import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { Preconditions } from 'kubernetes-types/meta/v1.js';
import { ApiError, type Status, type StatusReason } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { apiVersionOf, type ResourceInfo } from '../api/resource-catalog.ts';

// A typed client for the Kubernetes REST API, shaped like client-go's dynamic client.
// It runs unchanged in Node 20 and in the browser (the renderer): global fetch,
// web streams and AbortController only, no Node imports.

export interface ClientConfig {
  /** Base URL such as `http://127.0.0.1:6443`; '' makes paths relative (same-origin renderer). */
  server: string;
  token?: string;
  userAgent?: string;
  /** Injected fetch (tests, proxies); defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * Watch over WebSockets instead of streamed responses. Browsers open at most six
   * HTTP/1.1 connections to a host and a GUI watches more kinds than that; WebSockets
   * don't count against the limit. Uses the global WebSocket.
   */
  watchOverWebSocket?: boolean;
}

export interface ListOptions {
  /** Undefined lists across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'json' | 'strategic';

export interface PatchOptions extends WriteOptions {
  subresource?: string;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

/** ERROR events never reach the handler: they reject the watch with an ApiError instead. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

export type WatchEventHandler<T extends KubeObject = KubeObject> = (event: WatchEvent<T>) => void | Promise<void>;

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

// Used when an error response has no Status body (a proxy, a crashed handler).
const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

interface RequestOptions {
  query?: URLSearchParams;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** `/api/v1` for the core group, `/apis/GROUP/VERSION` otherwise. */
export function groupVersionPath(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `/apis/${apiVersionOf(info)}` : `/api/${info.version}`;
}

/** Collection path; a namespaced resource without a namespace gives the all-namespaces path. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const scope = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(info)}${scope}/${info.plural}`;
}

export function objectPath(info: ResourceInfo, namespace: string | undefined, name: string, subresource?: string): string {
  if (info.namespaced && !namespace) {
    throw new ApiError(400, 'BadRequest', `${info.plural} "${name}": a namespace is required for namespaced resources`);
  }
  const sub = subresource ? `/${subresource}` : '';
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}${sub}`;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's fetch hides the socket error (ECONNREFUSED...) in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

function base64Url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export class RestClient {
  private readonly server: string;
  private readonly fetchImpl: typeof fetch;

  constructor(readonly config: ClientConfig) {
    this.server = config.server.replace(/\/+$/, '');
    // Calling the browser's fetch detached from window throws "Illegal invocation".
    this.fetchImpl = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string): Promise<T> {
    return (await this.request('GET', objectPath(info, namespace, name))) as T;
  }

  async list<T extends KubeObject = KubeObject>(info: ResourceInfo, options: ListOptions = {}, signal?: AbortSignal): Promise<ListResult<T>> {
    const query = new URLSearchParams();
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.continue) query.set('continue', options.continue);
    if (options.resourceVersion !== undefined) query.set('resourceVersion', options.resourceVersion);
    const body = (await this.request('GET', collectionPath(info, options.namespace), { query, signal })) as {
      metadata?: { resourceVersion?: string; continue?: string };
      items?: T[];
    };
    // List items usually omit kind/apiVersion; callers (informers, caches) want whole objects.
    const items = (body.items ?? []).map((item) => ({ ...item, apiVersion: item.apiVersion ?? apiVersionOf(info), kind: item.kind ?? info.kind }));
    const result: ListResult<T> = { items, resourceVersion: body.metadata?.resourceVersion ?? '' };
    if (body.metadata?.continue) result.continue = body.metadata.continue;
    return result;
  }

  /** Follows `continue` tokens to the end; the resourceVersion is the last page's. */
  async listAll<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    options: Omit<ListOptions, 'continue'> = {},
    signal?: AbortSignal,
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let page = await this.list<T>(info, options, signal);
    items.push(...page.items);
    while (page.continue) {
      page = await this.list<T>(info, { ...options, resourceVersion: undefined, continue: page.continue }, signal);
      items.push(...page.items);
    }
    return { items, resourceVersion: page.resourceVersion };
  }

  async create<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, options: WriteOptions = {}): Promise<T> {
    // Like kubectl, an object without a namespace goes to "default".
    const namespace = obj.metadata.namespace ?? 'default';
    return (await this.request('POST', collectionPath(info, namespace), { body: obj, query: dryRunQuery(options) })) as T;
  }

  /** PUT; a metadata.resourceVersion in obj is the optimistic-concurrency precondition (409 Conflict when stale). */
  async update<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, options: WriteOptions = {}): Promise<T> {
    const path = objectPath(info, obj.metadata.namespace, obj.metadata.name ?? '');
    return (await this.request('PUT', path, { body: obj, query: dryRunQuery(options) })) as T;
  }

  async updateStatus<T extends KubeObject = KubeObject>(info: ResourceInfo, obj: T, options: WriteOptions = {}): Promise<T> {
    const path = objectPath(info, obj.metadata.namespace, obj.metadata.name ?? '', 'status');
    return (await this.request('PUT', path, { body: obj, query: dryRunQuery(options) })) as T;
  }

  async patch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType,
    options: PatchOptions = {},
  ): Promise<T> {
    const path = objectPath(info, namespace, name, options.subresource);
    return (await this.request('PATCH', path, { body: patch, contentType: PATCH_CONTENT_TYPES[type], query: dryRunQuery(options) })) as T;
  }

  /** Resolves to the object (still present while finalizers or a grace period hold it) or a Success Status. */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.preconditions) body.preconditions = options.preconditions;
    return (await this.request('DELETE', objectPath(info, namespace, name), { body, query: dryRunQuery(options) })) as KubeObject | Status;
  }

  async getScale(info: ResourceInfo, namespace: string, name: string): Promise<Scale> {
    return (await this.request('GET', objectPath(info, namespace, name, 'scale'))) as Scale;
  }

  async updateScale(info: ResourceInfo, namespace: string, name: string, scale: Scale): Promise<Scale> {
    return (await this.request('PUT', objectPath(info, namespace, name, 'scale'), { body: scale })) as Scale;
  }

  /** POST to a subresource, e.g. `pods/NAME/binding` with a Binding body. */
  async createSubresource(info: ResourceInfo, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<unknown> {
    return this.request('POST', objectPath(info, namespace, name, subresource), { body });
  }

  /**
   * Streams watch events to onEvent (awaited one at a time, so a slow handler slows the stream
   * instead of piling events up). Resolves when the server ends the stream or `signal` aborts;
   * rejects with ApiError on an ERROR event (410 Expired when resourceVersion is too old),
   * an HTTP error, or a broken connection (503).
   */
  async watch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    options: WatchOptions,
    onEvent: WatchEventHandler<T>,
    signal?: AbortSignal,
  ): Promise<void> {
    const query = new URLSearchParams({ watch: 'true', resourceVersion: options.resourceVersion });
    if (options.allowWatchBookmarks) query.set('allowWatchBookmarks', 'true');
    if (options.timeoutSeconds !== undefined) query.set('timeoutSeconds', String(options.timeoutSeconds));
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (signal?.aborted) return;
    const path = collectionPath(info, options.namespace);

    const dispatch = async (line: string): Promise<void> => {
      if (!line.trim()) return;
      let event: { type: string; object: unknown };
      try {
        event = JSON.parse(line);
      } catch {
        throw new ApiError(500, 'InternalError', `watch ${info.plural}: unparseable event from server: ${line.slice(0, 200)}`);
      }
      if (event.type === 'ERROR') throw ApiError.fromStatus(event.object as Partial<Status>);
      await onEvent(event as WatchEvent<T>);
    };
    if (this.config.watchOverWebSocket) return this.watchWebSocket(`${path}?${query}`, info.plural, dispatch, signal);

    let response: Response;
    try {
      response = await this.send('GET', path, { query, signal });
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
    if (!response.body) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';

    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (signal?.aborted || isAbort(error)) return;
          throw new ApiError(503, 'ServiceUnavailable', `watch ${info.plural} interrupted: ${errorText(error)}`);
        }
        if (chunk.done) break;
        buffered += decoder.decode(chunk.value, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          await dispatch(line);
          if (signal?.aborted) return;
        }
      }
      await dispatch(buffered + decoder.decode());
    } finally {
      // Releases the connection when we stop early (ERROR event, abort, handler failure).
      reader.cancel().catch(() => {});
    }
  }

  /** One watch over a WebSocket: one JSON event per message, the token in Kubernetes' bearer subprotocol. */
  private watchWebSocket(pathAndQuery: string, plural: string, dispatch: (line: string) => Promise<void>, signal?: AbortSignal): Promise<void> {
    const base = this.server || `${globalThis.location.protocol}//${globalThis.location.host}`;
    // The second protocol is the one the server picks (watch-websocket.ts), so the token is never echoed.
    const protocols = [...(this.config.token ? [`base64url.bearer.authorization.k8s.io.${base64Url(this.config.token)}`] : []), 'watch.kubelab.io'];
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${base.replace(/^http/, 'ws')}${pathAndQuery}`, protocols);
      let opened = false;
      let settled = false;
      // Events are handled one after another, in order, even when a handler is async.
      let chain = Promise.resolve();
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => settle();
      signal?.addEventListener('abort', onAbort);
      socket.onopen = () => (opened = true);
      socket.onmessage = (message) => {
        chain = chain.then(() => (settled ? undefined : dispatch(String(message.data)))).catch((error) => settle(error));
      };
      socket.onclose = () => {
        void chain.then(() =>
          settle(opened || signal?.aborted ? undefined : new ApiError(503, 'ServiceUnavailable', `watch ${plural}: the WebSocket was refused or failed to open`)),
        );
      };
    });
  }

  /** Any other request; resolves to the parsed JSON body (or text when the body is not JSON). */
  async raw(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<unknown> {
    return this.request(method, path, { body, headers });
  }

  private async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    if (!text) return undefined;
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    if (!isJson) return text;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(500, 'InternalError', `${method} ${path}: server sent invalid JSON: ${text.slice(0, 200)}`);
    }
  }

  /** Sends the request and turns every failure into an ApiError; the caller reads the body. */
  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    if (this.config.userAgent) headers['User-Agent'] = this.config.userAgent;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] ??= options.contentType ?? 'application/json';
    }
    const query = options.query?.toString();
    const url = `${this.server}${path}${query ? `?${query}` : ''}`;

    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal: options.signal });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(503, 'ServiceUnavailable', `${method} ${url}: cannot reach the API server: ${errorText(error)}`);
    }
    if (!response.ok) throw await errorFromResponse(response, method, path);
    return response;
  }
}

function dryRunQuery(options: WriteOptions): URLSearchParams | undefined {
  return options.dryRun ? new URLSearchParams({ dryRun: 'All' }) : undefined;
}

async function errorFromResponse(response: Response, method: string, path: string): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as Partial<Status>;
    if (parsed && parsed.kind === 'Status') return ApiError.fromStatus(parsed, response.status);
  } catch {
    // Not a Status body; described below from the HTTP status.
  }
  const reason = REASON_BY_CODE[response.status] ?? (response.status >= 500 ? 'InternalError' : 'BadRequest');
  const detail = text.trim().slice(0, 300) || response.statusText;
  return new ApiError(response.status, reason, `${method} ${path}: ${response.status} ${detail}`);
}
