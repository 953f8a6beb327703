import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { ApiError, alreadyExists, badRequest, conflict, gone, notFound, unsupportedMediaType } from '../api/errors.ts';
import { keyOf, objectKey, type KubeObject } from '../api/kube-object.ts';
import { apiVersionOf, findByPlural, resourceKey, type ResourceInfo } from '../api/resource-catalog.ts';

// A tiny Kubernetes-style API server on 127.0.0.1 for the client's unit tests only
// (the real one lives in core/apiserver). Objects live in memory under one global
// resourceVersion counter; watches replay history after their resourceVersion, and
// the test can compact history (410 Gone), end or refuse watches, send bookmarks and
// script failures.

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

interface HistoryEntry {
  revision: number;
  resource: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface Watcher {
  info: ResourceInfo;
  namespace: string;
  bookmarks: boolean;
  response: ServerResponse;
}

interface ScriptedFailure {
  status: number;
  body: string;
  contentType: string;
}

interface ParsedRequest {
  info: ResourceInfo;
  namespace: string;
  name: string;
  subresource: string;
}

export class TestApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly watcherListeners = new Set<() => void>();
  private readonly failures: ScriptedFailure[] = [];
  private revision = 0;
  /** Watches from a resourceVersion below this answer 410 Expired. */
  private oldestWatchable = 0;
  private watchesRefused = false;
  private uidCounter = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  static async start(options: { token?: string } = {}): Promise<TestApiServer> {
    let instance: TestApiServer | undefined;
    const server = createServer((req, res) => void instance!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    instance = new TestApiServer(server, `http://127.0.0.1:${port}`, options.token);
    return instance;
  }

  async close(): Promise<void> {
    this.endWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The current global resourceVersion as a string. */
  resourceVersion(): string {
    return String(this.revision);
  }

  /** Creates or replaces an object (bumping its resourceVersion) and tells watchers. */
  put<T extends KubeObject>(info: ResourceInfo, obj: T): T {
    const store = this.storeOf(info);
    const key = keyOf(obj);
    const existing = store.get(key);
    const stored = this.stamp(info, obj, existing);
    store.set(key, stored);
    this.record(info, existing ? 'MODIFIED' : 'ADDED', stored);
    return stored as T;
  }

  remove(info: ResourceInfo, namespace: string | undefined, name: string): void {
    const store = this.storeOf(info);
    const key = objectKey(info.namespaced ? namespace : undefined, name);
    const existing = store.get(key);
    if (!existing) return;
    store.delete(key);
    this.revision++;
    const final = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.revision) } };
    this.record(info, 'DELETED', final);
  }

  get(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.storeOf(info).get(objectKey(info.namespaced ? namespace : undefined, name));
  }

  /** Forgets watch history: a watch from any resourceVersion older than now gets 410 Expired. */
  compact(): void {
    this.history = [];
    this.oldestWatchable = this.revision;
  }

  openWatchCount(): number {
    return this.watchers.size;
  }

  /** Resolves once at least `count` watch streams are open (so bookmarks and endWatches reach them). */
  waitForWatchers(count = 1): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.watchers.size < count) return;
        this.watcherListeners.delete(check);
        resolve();
      };
      this.watcherListeners.add(check);
      check();
    });
  }

  /** Ends every open watch stream normally, as a server-side timeout would. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.response.end();
    this.watchers.clear();
  }

  /** While refused, watch requests answer 503 (the server is "unreachable" for watches). */
  refuseWatches(refused: boolean): void {
    this.watchesRefused = refused;
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watcher that asked for bookmarks. */
  sendBookmark(): void {
    for (const watcher of this.watchers) {
      if (!watcher.bookmarks) continue;
      const { info } = watcher;
      writeEvent(watcher.response, 'BOOKMARK', {
        apiVersion: apiVersionOf(info),
        kind: info.kind,
        metadata: { resourceVersion: this.resourceVersion() },
      });
    }
  }

  /** The next request (whatever it is) gets this answer instead: scripted failures or odd pages. */
  respondNext(status: number, body: unknown, contentType = 'application/json'): void {
    this.failures.push({ status, body: typeof body === 'string' ? body : JSON.stringify(body), contentType });
  }

  /** Recorded requests that were watches (`?watch=true`). */
  watchRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.query.get('watch') === 'true');
  }

  /** Recorded GETs of a collection that were not watches. */
  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && r.query.get('watch') !== 'true' && parsePath(r.path)?.name === '');
  }

  private storeOf(info: ResourceInfo): Map<string, KubeObject> {
    const key = resourceKey(info);
    let store = this.objects.get(key);
    if (!store) this.objects.set(key, (store = new Map()));
    return store;
  }

  private stamp(info: ResourceInfo, obj: KubeObject, existing: KubeObject | undefined): KubeObject {
    this.revision++;
    return {
      ...obj,
      apiVersion: apiVersionOf(info),
      kind: info.kind,
      metadata: {
        ...obj.metadata,
        uid: existing?.metadata.uid ?? `uid-${++this.uidCounter}`,
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date(0).toISOString(),
        resourceVersion: String(this.revision),
      },
    };
  }

  private record(info: ResourceInfo, type: HistoryEntry['type'], object: KubeObject): void {
    const entry: HistoryEntry = { revision: this.revision, resource: resourceKey(info), type, object };
    this.history.push(entry);
    for (const watcher of this.watchers) {
      if (matchesWatcher(watcher, entry)) writeEvent(watcher.response, type, object);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body });

    const failure = this.failures.shift();
    if (failure) {
      res.writeHead(failure.status, { 'Content-Type': failure.contentType });
      res.end(failure.body);
      return;
    }
    try {
      if (this.token && req.headers.authorization !== `Bearer ${this.token}`) {
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      const parsed = parsePath(url.pathname);
      if (!parsed) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
      const result = this.route(req.method ?? 'GET', parsed, url.searchParams, body, req.headers['content-type'] ?? '', res);
      if (result === WATCHING) return;
      sendJson(res, result.status, result.body);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
      sendJson(res, apiError.code, apiError.toStatus());
    }
  }

  private route(
    method: string,
    request: ParsedRequest,
    query: URLSearchParams,
    body: string,
    contentType: string,
    res: ServerResponse,
  ): { status: number; body: unknown } | typeof WATCHING {
    const { info, namespace, name, subresource } = request;
    const ref = { group: info.group, resource: info.plural };
    const store = this.storeOf(info);
    const key = objectKey(namespace || undefined, name);
    const dryRun = query.get('dryRun') === 'All';

    if (!name) {
      if (method === 'GET' && query.get('watch') === 'true') {
        this.startWatch(request, query, res);
        return WATCHING;
      }
      if (method === 'GET') return { status: 200, body: this.list(request, query) };
      if (method === 'POST') {
        const obj = JSON.parse(body) as KubeObject;
        const objName = obj.metadata?.name;
        if (!objName) throw badRequest('metadata.name: Required value');
        const newObj = { ...obj, metadata: { ...obj.metadata, ...(info.namespaced ? { namespace } : {}) } };
        if (store.has(keyOf(newObj))) throw alreadyExists(ref, objName);
        return { status: 201, body: dryRun ? newObj : this.put(info, newObj) };
      }
      throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
    }

    const existing = store.get(key);
    if (!existing) throw notFound(ref, name);

    if (subresource === 'scale') {
      if (method === 'GET') return { status: 200, body: scaleOf(existing) };
      if (method === 'PUT') {
        const scale = JSON.parse(body) as { spec?: { replicas?: number } };
        const updated = this.put(info, { ...existing, spec: { ...(existing.spec as object), replicas: scale.spec?.replicas } });
        return { status: 200, body: scaleOf(updated) };
      }
    }
    if (subresource === 'binding' && method === 'POST') {
      const binding = JSON.parse(body) as { target?: { name?: string } };
      this.put(info, { ...existing, spec: { ...(existing.spec as object), nodeName: binding.target?.name } });
      return { status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
    }
    if (subresource && subresource !== 'status') throw notFound(ref, `${name}/${subresource}`);

    switch (method) {
      case 'GET':
        return { status: 200, body: existing };
      case 'PUT': {
        const obj = JSON.parse(body) as KubeObject;
        const precondition = obj.metadata?.resourceVersion;
        if (precondition && precondition !== existing.metadata.resourceVersion) {
          throw conflict(ref, name, 'the object has been modified; please apply your changes to the latest version and try again');
        }
        const next = subresource === 'status' ? { ...existing, status: obj.status } : { ...obj, metadata: { ...obj.metadata, namespace: existing.metadata.namespace } };
        return { status: 200, body: dryRun ? next : this.put(info, next) };
      }
      case 'PATCH': {
        const patch = JSON.parse(body) as unknown;
        let next: KubeObject;
        if (contentType === 'application/json-patch+json') {
          next = fastJsonPatch.applyPatch(structuredClone(existing), patch as Operation[], true, false).newDocument;
        } else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
          next = mergePatch(existing, patch) as KubeObject;
        } else {
          throw unsupportedMediaType(contentType);
        }
        return { status: 200, body: dryRun ? next : this.put(info, next) };
      }
      case 'DELETE': {
        const options = body ? (JSON.parse(body) as { preconditions?: { resourceVersion?: string } }) : {};
        const wanted = options.preconditions?.resourceVersion;
        if (wanted && wanted !== existing.metadata.resourceVersion) {
          throw conflict(ref, name, `Precondition failed: ResourceVersion in precondition: ${wanted}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`);
        }
        if (!dryRun) this.remove(info, namespace || undefined, name);
        return { status: 200, body: existing };
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
    }
  }

  private list(request: ParsedRequest, query: URLSearchParams): unknown {
    const selector = parseEqualitySelector(query.get('labelSelector'));
    const all = [...this.storeOf(request.info).values()]
      .filter((obj) => !request.namespace || obj.metadata.namespace === request.namespace)
      .filter((obj) => selector.every(([k, v]) => obj.metadata.labels?.[k] === v))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const offset = Number(query.get('continue') ?? 0);
    const limit = Number(query.get('limit') ?? 0) || all.length;
    const page = all.slice(offset, offset + limit);
    const metadata: Record<string, string> = { resourceVersion: this.resourceVersion() };
    if (offset + limit < all.length) metadata.continue = String(offset + limit);
    return {
      kind: request.info.listKind,
      apiVersion: apiVersionOf(request.info),
      metadata,
      // Real servers leave kind/apiVersion off list items; the client must cope.
      items: page.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
    };
  }

  private startWatch(request: ParsedRequest, query: URLSearchParams, res: ServerResponse): void {
    if (this.watchesRefused) {
      sendJson(res, 503, new ApiError(503, 'ServiceUnavailable', 'watches are refused for this test').toStatus());
      return;
    }
    const from = query.get('resourceVersion') ?? '';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (from !== '' && from !== '0' && Number(from) < this.oldestWatchable) {
      writeEvent(res, 'ERROR', gone(`too old resource version: ${from} (${this.oldestWatchable})`).toStatus());
      res.end();
      return;
    }
    const watcher: Watcher = {
      info: request.info,
      namespace: request.namespace,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      response: res,
    };
    if (from === '' || from === '0') {
      for (const obj of this.storeOf(request.info).values()) {
        if (!watcher.namespace || obj.metadata.namespace === watcher.namespace) writeEvent(res, 'ADDED', obj);
      }
    } else {
      for (const entry of this.history) {
        if (entry.revision > Number(from) && matchesWatcher(watcher, entry)) writeEvent(res, entry.type, entry.object);
      }
    }
    this.watchers.add(watcher);
    for (const listener of [...this.watcherListeners]) listener();
    res.on('close', () => this.watchers.delete(watcher));
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
    if (timeoutSeconds > 0) {
      const timer = setTimeout(() => res.end(), timeoutSeconds * 1000);
      res.on('close', () => clearTimeout(timer));
    }
  }
}

const WATCHING = Symbol('watching');

function parsePath(pathname: string): ParsedRequest | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '';
  let rest: string[];
  let version: string;
  if (parts[0] === 'api') {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace = '';
  // `/api/v1/namespaces/NAME` is the Namespace object; `/namespaces/NS/PLURAL...` scopes a namespaced resource.
  if (rest[0] === 'namespaces' && rest.length >= 3 && findByPlural(group, version, rest[2])?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const info = findByPlural(group, version, rest[0] ?? '');
  if (!info || rest.length > 3) return undefined;
  return { info, namespace, name: rest[1] ?? '', subresource: rest[2] ?? '' };
}

function matchesWatcher(watcher: Watcher, entry: HistoryEntry): boolean {
  return entry.resource === resourceKey(watcher.info) && (!watcher.namespace || entry.object.metadata.namespace === watcher.namespace);
}

function writeEvent(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function scaleOf(obj: KubeObject): unknown {
  const spec = obj.spec as { replicas?: number } | undefined;
  const status = obj.status as { replicas?: number } | undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, resourceVersion: obj.metadata.resourceVersion },
    spec: { replicas: spec?.replicas ?? 0 },
    status: { replicas: status?.replicas ?? 0 },
  };
}

/** `a=b,c=d` only: enough for the client's tests. */
function parseEqualitySelector(selector: string | null): [string, string][] {
  if (!selector) return [];
  return selector.split(',').map((term) => {
    const [key, value = ''] = term.split('=');
    return [key.trim(), value.trim()];
  });
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
