import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ApiError, badRequest, methodNotAllowed } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { apiVersionOf } from '../api/resource-catalog.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { Store } from '../store/store.ts';
import { patchTypeOf } from './apply-patch.ts';
import { COMPONENTS_PREFIX, RESET_PATH, serveComponents, serveReset, type ComponentsPort } from './components-api.ts';
import { apiGroup, apiGroupList, apiResourceList, coreApiVersions, hasGroup, hasGroupVersion, versionInfo } from './discovery.ts';
import { mediaType, parseJson, readBody, readObjectBody, writeError, writeJson, writeText } from './http-io.ts';
import { isWatchRequest, parseListQuery } from './list-query.ts';
import { isMetricsApiPath, MetricsApi } from './metrics-api.ts';
import { openApiV3Document, openApiV3Index, parseOpenApiV3Path } from './openapi.ts';
import { isSelfSubjectReviewPath, serveSelfSubjectReview } from './self-subject-reviews.ts';
import { bindPod } from './pod-binding.ts';
import { isPodStreamSubresource, PodStreams } from './pod-streams.ts';
import { isRendererPath, serveRendererAsset } from './renderer-assets.ts';
import { guardRequest, loopbackHosts } from './request-guard.ts';
import { parseResourcePath, type ResourceRequest } from './request-info.ts';
import { ResourceService, type DeleteRequestOptions, type FieldValidation } from './resource-service.ts';
import { negotiateFormat, partialMetadata, type ResponseFormat } from './response-format.ts';
import { getScale, patchScale, updateScale } from './scale-subresource.ts';
import { toTable } from './table.ts';
import { DEFAULT_WATCH_SETTINGS, httpWatchSink, serveWatch, type WatchSettings } from './watch-stream.ts';
import { isWatchUpgrade, WatchWebSockets } from './watch-websocket.ts';

// The HTTP face of the control plane: Kubernetes' REST paths, discovery and OpenAPI,
// behind the request guard. Everything a request may change goes through
// ResourceService; this file only routes and encodes.

export interface ApiServerOptions {
  store: Store;
  token: string;
  /** Address to bind; 127.0.0.1 unless the user chooses otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  watch?: Partial<WatchSettings>;
  logger?: Logger;
  /**
   * Serving certificate. With it, one port speaks both HTTPS (kubectl, which sends its
   * bearer token only over TLS) and plain HTTP (the browser GUI on loopback).
   */
  tls?: { cert: string; key: string };
  /** The supervised control-plane components (schedulers, controller-managers), when the host has them. */
  components?: ComponentsPort;
  /** The built GUI (dist/renderer) to serve at `/`; without it `/` is a 404 like any unknown path. */
  rendererDir?: string;
}

export interface RunningApiServer {
  server: Server;
  port: number;
  /** https://… when serving TLS, else http://… */
  url: string;
  /** The same port over plain HTTP. */
  httpUrl: string;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger('apiserver');
  const service = new ResourceService(options.store);
  const watchSettings = { ...DEFAULT_WATCH_SETTINGS, ...options.watch };
  let port = 0;
  const rendererDir = options.rendererDir;
  const guard = {
    token: options.token,
    allowedHosts: () => loopbackHosts(port, host),
    isPublicPath: (path: string) => rendererDir !== undefined && isRendererPath(path),
  };
  const podStreams = new PodStreams({ service, token: options.token, guard, logger });
  const metricsApi = new MetricsApi({ service, token: options.token, logger });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error) => {
      if (!(error instanceof ApiError)) logger.error('request failed', { method: req.method, path: req.url?.split('?')[0], error: String((error as Error)?.stack ?? error) });
      writeError(res, error);
    });
  };
  const httpServer = createServer(onRequest);
  const httpsServer = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : undefined;
  // exec, attach, port-forward and browser watches arrive as connection upgrades; both apply the same guard.
  const watchSockets = new WatchWebSockets({ service, guard, settings: watchSettings, logger });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    isWatchUpgrade(req) ? watchSockets.handleUpgrade(req, socket, head) : podStreams.handleUpgrade(req, socket, head);
  httpServer.on('upgrade', onUpgrade);
  httpsServer?.on('upgrade', onUpgrade);
  // One listener, two protocols: a TLS ClientHello starts with byte 0x16.
  const server = createNetServer((socket: Socket) => {
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (httpsServer && first[0] === 0x16 ? httpsServer : httpServer).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
    socket.on('error', () => socket.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelab.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    guardRequest(req, path, guard);
    const method = req.method ?? 'GET';
    if (rendererDir && (method === 'GET' || method === 'HEAD') && isRendererPath(path) && (await serveRendererAsset(res, method, path, rendererDir))) return;

    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      const healthy = (options.store as { healthy?: () => boolean }).healthy?.() ?? true;
      return writeText(res, healthy ? 200 : 500, healthy ? 'ok' : 'store failed: writes are refused');
    }
    if (path === '/version') return writeJson(res, 200, versionInfo());
    if (path === COMPONENTS_PREFIX || path.startsWith(`${COMPONENTS_PREFIX}/`)) return serveComponents(req, res, path, options.components);
    if (path === RESET_PATH) return serveReset(req, res, options.components);
    if (path === '/api') return writeJson(res, 200, coreApiVersions());
    if (path === '/apis') return writeJson(res, 200, apiGroupList());
    if (path === '/openapi/v3') return writeJson(res, 200, openApiV3Index());
    if (path === '/openapi/v2') return writeEmptyOpenApiV2(res);
    if (path.startsWith('/openapi/v3/')) {
      const gv = parseOpenApiV3Path(path);
      if (!gv) throw new ApiError(404, 'NotFound', `no OpenAPI document at ${path}`);
      return writeJson(res, 200, openApiV3Document(gv.group, gv.version));
    }
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (groupMatch && hasGroup(groupMatch[1])) return writeJson(res, 200, apiGroup(groupMatch[1]));
    const gvMatch = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (gvMatch) {
      const [group, version] = gvMatch[1] ? ['', gvMatch[1]] : [gvMatch[2], gvMatch[3]];
      if (hasGroupVersion(group, version)) return writeJson(res, 200, apiResourceList(group, version));
    }

    if (isMetricsApiPath(path)) return metricsApi.serve(res, method, path, url.searchParams);
    if (isSelfSubjectReviewPath(path)) return serveSelfSubjectReview(req, res, method, path);
    const parsed = parseResourcePath(path);
    if (parsed.kind === 'resource') return handleResource(req, res, method, parsed.request, url.searchParams);
    if (parsed.kind === 'unknown-resource') {
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource: no "${parsed.plural}" in ${apiVersionOf(parsed)}; \`kubectl api-resources\` lists what Kubelab serves`);
    }
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  async function handleResource(req: IncomingMessage, res: ServerResponse, method: string, r: ResourceRequest, params: URLSearchParams): Promise<void> {
    const dryRun = parseDryRun(params);
    const warnings: string[] = [];
    const write = { dryRun, fieldValidation: parseFieldValidation(params), warnings };
    // Headers set now go out with whatever the handler writes once it is done.
    const sendWarnings = () => warnings.length && res.setHeader('Warning', warnings);
    const { info, name, subresource } = r;
    const namespaceFinalize = info.kind === 'Namespace' && subresource === 'finalize';
    if (subresource && !namespaceFinalize && !info.subresources.includes(subresource as never)) {
      throw new ApiError(404, 'NotFound', `${info.plural} have no "${subresource}" subresource`);
    }
    if (namespaceFinalize && method !== 'PUT') throw methodNotAllowed('namespaces/finalize only accepts PUT');
    if (subresource && !['status', 'scale', 'binding', 'finalize'].includes(subresource) && !isPodStreamSubresource(subresource)) {
      throw new ApiError(404, 'NotFound', `${info.plural}/${subresource} is not served yet: it arrives with Kubelab's node agents`);
    }
    if (isPodStreamSubresource(subresource)) return podStreams.serve(req, res, method, r, params);

    switch (method) {
      case 'GET': {
        const format = negotiateFormat(req.headers.accept, params);
        if (!name) {
          const query = parseListQuery(info, params);
          if (isWatchRequest(params)) return serveWatch(httpWatchSink(req, res), service, r, query, format, watchSettings);
          const list = await service.list(r, { filter: query.filter, limit: query.limit, continue: query.continue });
          const listMeta = { resourceVersion: list.resourceVersion, continue: list.continue, remainingItemCount: list.remainingItemCount };
          return writeJson(res, 200, encodeList(r, list.items, listMeta, format));
        }
        if (subresource === 'scale') return writeJson(res, 200, await getScale(service, r));
        if (subresource === 'binding') throw methodNotAllowed('pods/binding only accepts POST');
        return writeJson(res, 200, encodeOne(r, await service.get(r), format));
      }
      case 'POST': {
        if (subresource === 'binding') {
          await bindPod(service, r, await readObjectBody(req), dryRun);
          return writeJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
        }
        if (name) throw methodNotAllowed(`POST creates objects in a collection: send it to the ${info.plural} collection, not to one object`);
        const created = await service.create(r, await readObjectBody(req), write);
        sendWarnings();
        return writeJson(res, 201, created);
      }
      case 'PUT': {
        if (!name) throw methodNotAllowed(`PUT replaces one object: add its name to the path`);
        const body = await readObjectBody(req);
        if (subresource === 'scale') return writeJson(res, 200, await updateScale(service, r, body, dryRun));
        if (namespaceFinalize) return writeJson(res, 200, await service.finalizeNamespace(r, body, write));
        const updated = await service.update(r, body, write);
        sendWarnings();
        return writeJson(res, 200, updated);
      }
      case 'PATCH': {
        if (!name) throw methodNotAllowed('PATCH changes one object: add its name to the path');
        const type = patchTypeOf(mediaType(req));
        const patch = parseJson((await readBody(req)).toString('utf8'));
        if (subresource === 'scale') return writeJson(res, 200, await patchScale(service, r, type, patch, dryRun));
        const patched = await service.patch(r, type, patch, write);
        sendWarnings();
        return writeJson(res, 200, patched);
      }
      case 'DELETE': {
        const options = await readDeleteOptions(req, params, dryRun);
        if (!name) return writeJson(res, 200, await deleteCollection(r, params, options));
        const { object, removed } = await service.delete(r, options);
        return writeJson(res, 200, removed ? deletedStatus(r, object) : object);
      }
      default:
        throw methodNotAllowed(`method ${method} is not supported on ${info.plural}`);
    }
  }

  async function deleteCollection(r: ResourceRequest, params: URLSearchParams, options: DeleteRequestOptions) {
    const query = parseListQuery(r.info, params);
    const { items, resourceVersion } = await service.list(r, { filter: query.filter });
    const deleted: KubeObject[] = [];
    for (const item of items) {
      try {
        deleted.push((await service.delete({ ...r, namespace: item.metadata.namespace ?? '', name: item.metadata.name! }, options)).object);
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      }
    }
    return { kind: r.info.listKind, apiVersion: apiVersionOf(r.info), metadata: { resourceVersion }, items: deleted };
  }

  function encodeList(r: ResourceRequest, items: KubeObject[], listMeta: { resourceVersion: string; continue?: string; remainingItemCount?: number }, format: ResponseFormat) {
    const metadata = Object.fromEntries(Object.entries(listMeta).filter(([, v]) => v !== undefined));
    if (format.kind === 'table') return toTable(r.info, items, { includeObject: format.includeObject, listMeta: metadata });
    if (format.kind === 'metadata') return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map(partialMetadata) };
    return { kind: r.info.listKind, apiVersion: apiVersionOf(r.info), metadata, items };
  }

  function encodeOne(r: ResourceRequest, obj: KubeObject, format: ResponseFormat) {
    if (format.kind === 'table') return toTable(r.info, [obj], { includeObject: format.includeObject, listMeta: { resourceVersion: obj.metadata.resourceVersion } });
    if (format.kind === 'metadata') return partialMetadata(obj);
    return obj;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `${httpsServer ? 'https' : 'http'}://${authority}`;
  logger.info('API server listening', { url });
  return {
    server,
    port,
    url,
    httpUrl: `http://${authority}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        podStreams.close();
        watchSockets.close();
        httpServer.closeAllConnections();
        httpsServer?.closeAllConnections();
      }),
  };
}

/**
 * kubectl asks for OpenAPI v2 only as protobuf, and only for kinds missing from the v3
 * documents (an unknown kind in a manifest). An empty document is valid protobuf and
 * lets kubectl go on to report the real problem, "no matches for kind".
 */
function writeEmptyOpenApiV2(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': 0 });
  res.end();
}

function parseFieldValidation(params: URLSearchParams): FieldValidation {
  const value = params.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Ignore' || value === 'Warn' || value === 'Strict') return value;
  throw badRequest(`fieldValidation must be one of Ignore, Warn or Strict (got "${value}")`);
}

function parseDryRun(params: URLSearchParams): boolean {
  const values = params.getAll('dryRun');
  if (values.length === 0) return false;
  if (values.every((v) => v === 'All')) return true;
  throw badRequest(`dryRun must be "All" (got ${values.map((v) => JSON.stringify(v)).join(', ')})`);
}

async function readDeleteOptions(req: IncomingMessage, params: URLSearchParams, dryRun: boolean): Promise<DeleteRequestOptions> {
  const raw = (await readBody(req)).toString('utf8').trim();
  const body = (raw ? parseJson(raw) : {}) as {
    gracePeriodSeconds?: number;
    propagationPolicy?: string;
    orphanDependents?: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
    dryRun?: string[];
  };
  const grace = params.get('gracePeriodSeconds');
  const policy = params.get('propagationPolicy') ?? body.propagationPolicy;
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(`propagationPolicy must be Background, Foreground or Orphan (got "${policy}")`);
  }
  const orphanParam = params.get('orphanDependents');
  const orphanDependents = orphanParam !== null ? orphanParam === 'true' : body.orphanDependents;
  if (orphanDependents !== undefined && policy !== undefined) {
    throw badRequest('orphanDependents and propagationPolicy cannot both be set: use propagationPolicy alone');
  }
  return {
    dryRun: dryRun || (body.dryRun ?? []).includes('All'),
    gracePeriodSeconds: grace !== null ? Number(grace) : body.gracePeriodSeconds,
    preconditions: body.preconditions,
    propagationPolicy: policy as DeleteRequestOptions['propagationPolicy'],
    orphanDependents,
  };
}

function deletedStatus(r: ResourceRequest, obj: KubeObject) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, group: r.info.group, kind: r.info.plural, uid: obj.metadata.uid },
  };
}
