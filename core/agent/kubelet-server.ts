import { timingSafeEqual } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer } from 'ws';
import { ApiError, badRequest } from '../api/errors.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { ContainerRuntime, LogOptions } from './container-runtime.ts';
import { RuntimeError } from './container-runtime.ts';
import { chooseRemoteCommandProtocol, parseOfferedProtocols, REMOTE_COMMAND_PROTOCOLS, serveRemoteCommand, type RemoteCommandOptions } from './exec-websocket.ts';
import { nodeOfResourceMetricsPath, nodeResourceMetrics } from './metrics-endpoint.ts';
import type { PodMetrics } from './node-agent.ts';
import { findPodContainer, type PodContainerRef } from './pod-container-lookup.ts';
import { acceptPortForward, dialPodDirectly, parsePortForwardPath, type PodDialer } from './port-forward-server.ts';

// The kubelet's streaming endpoints for every node of this Kubelab, on loopback:
//   GET /nodes/<node>/containerLogs/<ns>/<pod>/<container>?follow&tailLines&...
//   WebSocket /nodes/<node>/exec/<ns>/<pod>/<container>?command=..&stdin&stdout&stderr&tty
//   GET /nodes/<node>/metrics/resource   (metrics-endpoint.ts; read by metrics.k8s.io)
//   SPDY /nodes/<node>/portforward/<ns>/<pod>?podIP=..&podUID=..   (port-forward-server.ts)
// The API server proxies pods/log and pods/exec here, as Kubernetes' API server
// proxies to each node's kubelet; the bearer token keeps other local users out.

export interface KubeletServerOptions {
  token: string;
  runtimeFor: (nodeName: string) => ContainerRuntime | undefined;
  /** The node agent's last stats samples (NodeAgent.podMetrics()); undefined when the node has no agent here. */
  podMetricsFor?: (nodeName: string) => PodMetrics[] | undefined;
  /** Kubelab cluster id: only this lab's containers are served (see LABELS.cluster). */
  clusterId?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  logger?: Logger;
  /** How port-forward reaches a pod port; default: a direct TCP connection to the pod IP. */
  dialPod?: PodDialer;
}

export interface RunningKubeletServer {
  port: number;
  close(): Promise<void>;
}

type StreamKind = 'containerLogs' | 'exec' | 'attach';

interface StreamTarget extends PodContainerRef {
  kind: StreamKind;
  runtime: ContainerRuntime;
}

export async function startKubeletServer(options: KubeletServerOptions): Promise<RunningKubeletServer> {
  const logger = options.logger ?? createLogger('kubelet-server');
  const host = options.host ?? '127.0.0.1';
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const portForwards = new Set<Duplex>();

  const server = createServer((req, res) => {
    serveRequest(req, res).catch((error) => {
      if (!(error instanceof ApiError)) logger.error('request failed', { path: req.url?.split('?')[0], error: String((error as Error)?.stack ?? error) });
      writeStatusResponse(res, error);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      upgrade(req, socket, head);
    } catch (error) {
      writeUpgradeRefusal(socket, error);
    }
  });

  function resolveTarget(req: IncomingMessage, url: URL): StreamTarget {
    checkToken(req, options.token);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [root, nodeName, kind, namespace, podName, containerName, ...extra] = parts;
    if (root !== 'nodes' || !['containerLogs', 'exec', 'attach'].includes(kind) || !containerName || extra.length > 0) {
      throw new ApiError(404, 'NotFound', `the kubelet server has no endpoint ${url.pathname}`);
    }
    const runtime = options.runtimeFor(nodeName);
    if (!runtime) throw new ApiError(404, 'NotFound', `node "${nodeName}" has no running node agent in this Kubelab`);
    return { kind: kind as StreamKind, runtime, nodeName, namespace, podName, containerName, clusterId: options.clusterId };
  }

  async function serveRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet.invalid');
    const metricsNode = nodeOfResourceMetricsPath(url.pathname);
    if (metricsNode !== undefined) return serveResourceMetrics(req, res, metricsNode);
    const target = resolveTarget(req, url);
    if (target.kind !== 'containerLogs') throw badRequest('Upgrade request required');
    if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'container logs are read with GET');
    await serveLogs(target, logOptionsFrom(url.searchParams), url.searchParams.get('previous') === 'true', res);
  }

  function serveResourceMetrics(req: IncomingMessage, res: ServerResponse, nodeName: string): void {
    checkToken(req, options.token);
    if (req.method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'resource metrics are read with GET');
    const pods = options.podMetricsFor?.(nodeName);
    if (!pods) throw new ApiError(404, 'NotFound', `node "${nodeName}" has no running node agent in this Kubelab`);
    const body = JSON.stringify(nodeResourceMetrics(nodeName, pods));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function serveLogs(target: StreamTarget, logOptions: LogOptions, previous: boolean, res: ServerResponse): Promise<void> {
    const instances = await findPodContainer(target.runtime, target);
    const container = previous ? instances.previous : instances.current;
    if (previous && !container) {
      throw badRequest(`previous terminated container "${target.containerName}" in pod "${target.podName}" not found`);
    }
    if (!container || container.state === 'created') {
      throw badRequest(`container "${target.containerName}" in pod "${target.podName}" is waiting to start: ContainerCreating`);
    }
    const stream = await target.runtime.logs(container.id, logOptions);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const source = stream as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    res.on('close', () => source.destroy?.());
    try {
      await pipeline(source, byteLimit(logOptions.limitBytes), res);
    } catch {
      // The client went away or the runtime stream broke: either way this response is over.
      source.destroy?.();
      res.destroy();
    }
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://kubelet.invalid');
    const portForward = parsePortForwardPath(url.pathname);
    if (portForward) return upgradePortForward(req, socket, head, url, portForward);
    const target = resolveTarget(req, url);
    if (target.kind === 'containerLogs') throw badRequest('container logs are plain HTTP: send GET without Upgrade');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw badRequest(`only WebSocket upgrades are served (got "${req.headers.upgrade}")`);
    }
    const params = url.searchParams;
    const attach = target.kind === 'attach';
    const command = params.getAll('command');
    if (!attach && command.length === 0) throw badRequest('you must specify at least one command for the container');
    const streams: RemoteCommandOptions = { stdin: flag(params, 'stdin'), stdout: flag(params, 'stdout'), stderr: flag(params, 'stderr'), tty: flag(params, 'tty') };
    if (!streams.stdin && !streams.stdout && !streams.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
    const offered = parseOfferedProtocols(req.headers['sec-websocket-protocol']);
    const protocol = chooseRemoteCommandProtocol(offered);
    if (!protocol) throw badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${REMOTE_COMMAND_PROTOCOLS.join(' ')}]`);

    const start = async () => {
      const { current } = await findPodContainer(target.runtime, target);
      if (!current || current.state !== 'running') {
        throw new RuntimeError(`container "${target.containerName}" in pod "${target.podName}" is not running`, 'not-found');
      }
      if (attach) return target.runtime.attach(current.id, { stdin: streams.stdin });
      return target.runtime.exec(current.id, command, { stdin: streams.stdin, tty: streams.tty });
    };
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const key = `${target.namespace}/${target.podName}/${target.containerName}`;
      logger.debug(`${target.kind} started`, { pod: key, node: target.nodeName, protocol });
      serveRemoteCommand(ws, protocol, streams, start, logger).then(
        () => logger.debug(`${target.kind} ended`, { pod: key }),
        (error) => {
          logger.warn(`${target.kind} failed`, { pod: key, error: String(error) });
          ws.terminate();
        },
      );
    });
  }

  function upgradePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, target: { nodeName: string; namespace: string; podName: string }): void {
    checkToken(req, options.token);
    if (!(req.headers.upgrade ?? '').toLowerCase().startsWith('spdy/3.1')) {
      throw badRequest(`port-forward speaks SPDY/3.1 (got upgrade "${req.headers.upgrade}")`);
    }
    const podIp = url.searchParams.get('podIP');
    if (!podIp) throw badRequest(`pod ${target.podName} has no IP address yet: it is not running`);
    const podUid = url.searchParams.get('podUID') ?? '';
    portForwards.add(socket);
    socket.on('close', () => portForwards.delete(socket));
    acceptPortForward(socket, head, { ...target, podIp, podUid }, options.dialPod ?? dialPodDirectly, logger);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('kubelet server listening', { url: `http://${host}:${port}` });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        for (const socket of portForwards) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function checkToken(req: IncomingMessage, token: string): void {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const given = Buffer.from(match?.[1] ?? '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(401, 'Unauthorized', 'Unauthorized: the kubelet server needs the cluster bearer token');
  }
}

function flag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  return value === 'true' || value === '1';
}

function logOptionsFrom(params: URLSearchParams): LogOptions {
  const options: LogOptions = {
    follow: flag(params, 'follow'),
    timestamps: flag(params, 'timestamps'),
  };
  const tailLines = integerParam(params, 'tailLines', 0);
  const sinceSeconds = integerParam(params, 'sinceSeconds', 1);
  const limitBytes = integerParam(params, 'limitBytes', 1);
  const sinceTime = params.get('sinceTime');
  if (tailLines !== undefined) options.tailLines = tailLines;
  if (sinceSeconds !== undefined) options.sinceSeconds = sinceSeconds;
  if (limitBytes !== undefined) options.limitBytes = limitBytes;
  if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime))) throw badRequest(`sinceTime must be an RFC 3339 time (got "${sinceTime}")`);
    if (sinceSeconds !== undefined) throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
    options.sinceTime = sinceTime;
  }
  return options;
}

function integerParam(params: URLSearchParams, name: string, min: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw badRequest(`${name} must be an integer of at least ${min} (got "${raw}")`);
  return value;
}

/** Ends the log stream after `limit` bytes (Kubernetes' limitBytes), whatever the runtime did. */
function byteLimit(limit: number | undefined): Transform {
  let left = limit ?? Infinity;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (left <= 0) return callback();
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      this.push(part);
      if (left <= 0) this.push(null);
      callback();
    },
  });
}

function statusOf(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RuntimeError && error.kind === 'not-found') return new ApiError(404, 'NotFound', error.message);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error)?.message ?? String(error)}`);
}

function writeStatusResponse(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(statusOf(error).toStatus());
  res.writeHead(statusOf(error).code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** An HTTP error answer written straight to a socket whose upgrade we refuse. */
function writeUpgradeRefusal(socket: Duplex, error: unknown): void {
  const status = statusOf(error);
  const body = JSON.stringify(status.toStatus());
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
