import { request as httpRequest, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, badRequest, isNotFound, methodNotAllowed } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { guardRequest, type GuardOptions } from './request-guard.ts';
import { parseResourcePath, type ResourceRequest } from './request-info.ts';
import type { ResourceService } from './resource-service.ts';
import { pipeBothWays, portForwardTarget, servePodPortForward } from './port-forward.ts';

// pods/log, pods/exec and pods/attach (pods/portforward: port-forward.ts): the API server checks the pod and its container,
// finds the node's kubelet server (Node.status.daemonEndpoints.kubeletEndpoint.Port, on
// loopback) and proxies to it, as Kubernetes' API server does. Logs are a streamed
// HTTP body; exec and attach are WebSocket upgrades whose bytes are piped both ways untouched
// (like apimachinery's UpgradeAwareHandler), so the kubelet server alone speaks the
// remotecommand protocol.

const STREAM_SUBRESOURCES = ['log', 'exec', 'attach', 'portforward'] as const;
const LOG_PARAMS = ['follow', 'tailLines', 'timestamps', 'sinceSeconds', 'sinceTime', 'previous', 'limitBytes'];
const EXEC_PARAMS = ['command', 'stdin', 'stdout', 'stderr', 'tty'];
const FORWARDED_UPGRADE_HEADERS = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions'];

export const isPodStreamSubresource = (subresource: string): boolean => (STREAM_SUBRESOURCES as readonly string[]).includes(subresource);

export interface PodStreamsOptions {
  service: ResourceService;
  /** The cluster token; the kubelet server requires it. */
  token: string;
  /** The same guard normal requests pass (token, Host, Origin). */
  guard: GuardOptions;
  logger: Logger;
}

interface KubeletTarget {
  nodeName: string;
  port: number;
  namespace: string;
  podName: string;
  containerName: string;
}

export class PodStreams {
  /** Upgraded connections leave the HTTP server's bookkeeping; close() ends them. */
  private readonly tunnels = new Set<Duplex>();

  constructor(private readonly options: PodStreamsOptions) {}

  /** A plain HTTP request for a stream subresource (routed here by the API server). */
  async serve(req: IncomingMessage, res: ServerResponse, method: string, r: ResourceRequest, params: URLSearchParams): Promise<void> {
    if (r.subresource !== 'log') {
      if (method !== 'GET' && method !== 'POST') throw methodNotAllowed(`pods/${r.subresource} accepts GET or POST with a WebSocket upgrade`);
      throw badRequest('Upgrade request required');
    }
    if (method !== 'GET') throw methodNotAllowed('pods/log only accepts GET');
    const target = await this.kubeletTarget(r, params.get('container'));
    await this.proxyLogs(req, res, target, params);
  }

  /** The `upgrade` event of the API server's HTTP and HTTPS servers. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.upgrade(req, socket, head).catch((error) => {
      if (!(error instanceof ApiError)) this.options.logger.error('stream upgrade failed', { path: req.url?.split('?')[0], error: String((error as Error)?.stack ?? error) });
      writeRefusal(socket, error);
    });
  }

  close(): void {
    for (const socket of this.tunnels) socket.destroy();
    this.tunnels.clear();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelab.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    guardRequest(req, path, this.options.guard);
    const parsed = parseResourcePath(path);
    const r = parsed.kind === 'resource' ? parsed.request : undefined;
    if (r && r.info.plural === 'pods' && r.info.group === '' && r.name && r.subresource === 'portforward') {
      const target = await portForwardTarget(this.options.service, r);
      return servePodPortForward(req, socket, head, target, this.options.token, (s) => {
        this.tunnels.add(s);
        s.on('close', () => this.tunnels.delete(s));
      });
    }
    if (!r || r.info.plural !== 'pods' || r.info.group !== '' || !r.name || (r.subresource !== 'exec' && r.subresource !== 'attach')) {
      throw badRequest(`connection upgrades are served only for pods/exec, pods/attach and pods/portforward, not ${path}`);
    }
    // Checked before the protocol so a missing pod or container reads the same whichever protocol kubectl tried.
    const target = await this.kubeletTarget(r, url.searchParams.get('container'));
    const upgradeTo = (req.headers.upgrade ?? '').toLowerCase();
    if (upgradeTo.startsWith('spdy/')) {
      throw badRequest(
        `Kubelab serves pods/${r.subresource} over WebSocket only, and this client asked for SPDY: use kubectl 1.30 or later and leave KUBECTL_REMOTE_COMMAND_WEBSOCKETS unset (or "true")`,
      );
    }
    if (upgradeTo !== 'websocket') throw badRequest(`unsupported upgrade "${req.headers.upgrade}": pods/${r.subresource} speaks WebSocket`);
    await this.tunnel(req, socket, head, target, r.subresource, url.searchParams);
  }

  private async tunnel(req: IncomingMessage, socket: Duplex, head: Buffer, target: KubeletTarget, kind: 'exec' | 'attach', params: URLSearchParams): Promise<void> {
    const upstream = await connectTo(target);
    const query = new URLSearchParams();
    for (const name of EXEC_PARAMS) for (const value of params.getAll(name)) query.append(name, value);
    const lines = [
      `GET ${kubeletPath(target, kind)}?${query} HTTP/1.1`,
      `Host: 127.0.0.1:${target.port}`,
      `Authorization: Bearer ${this.options.token}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
    ];
    for (const name of FORWARDED_UPGRADE_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) lines.push(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);

    this.tunnels.add(socket);
    socket.on('close', () => this.tunnels.delete(socket));
    pipeBothWays(socket, upstream);
  }

  private async proxyLogs(req: IncomingMessage, res: ServerResponse, target: KubeletTarget, params: URLSearchParams): Promise<void> {
    const query = new URLSearchParams();
    for (const name of LOG_PARAMS) {
      const value = params.get(name);
      if (value !== null) query.set(name, value);
    }
    const suffix = query.toString() ? `?${query}` : '';
    const upstreamReq = httpRequest({
      host: '127.0.0.1',
      port: target.port,
      path: `${kubeletPath(target, 'containerLogs')}${suffix}`,
      headers: { Authorization: `Bearer ${this.options.token}` },
    });
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      upstreamReq.once('response', resolve);
      upstreamReq.once('error', (e) => reject(unreachable(target, e)));
      upstreamReq.end();
    });
    res.writeHead(upstream.statusCode ?? 502, {
      'Content-Type': upstream.headers['content-type'] ?? 'text/plain',
      'Cache-Control': 'no-cache, private',
    });
    res.flushHeaders();
    // Ends when the kubelet ends the body (container exited, or not following) or when the client leaves.
    res.on('close', () => upstreamReq.destroy());
    req.on('close', () => upstreamReq.destroy());
    try {
      await pipeline(upstream, res);
    } catch {
      res.destroy();
    }
  }

  /** Pod, container and node port, with Kubernetes' errors for each missing piece. */
  private async kubeletTarget(r: ResourceRequest, requestedContainer: string | null): Promise<KubeletTarget> {
    const pod = await this.options.service.get({ ...r, subresource: '' });
    const containerName = chooseContainer(pod, requestedContainer);
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!nodeName) throw badRequest(`pod ${r.name} does not have a host assigned`);
    let node: KubeObject;
    try {
      node = await this.options.service.get({ info: findByPlural('', 'v1', 'nodes')!, namespace: '', name: nodeName, subresource: '' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" of pod ${r.name} is not registered: its node agent is not running`);
    }
    const port = (node.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined)?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!port) {
      throw new ApiError(503, 'ServiceUnavailable', `node "${nodeName}" has no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port): its node agent has not reported yet`);
    }
    return { nodeName, port, namespace: r.namespace, podName: r.name, containerName };
  }
}

export function chooseContainer(pod: KubeObject, requested: string | null): string {
  const spec = (pod.spec ?? {}) as { containers?: { name: string }[]; initContainers?: { name: string }[] };
  const containers = (spec.containers ?? []).map((c) => c.name);
  const initContainers = (spec.initContainers ?? []).map((c) => c.name);
  const podName = pod.metadata.name;
  if (requested) {
    if (!containers.includes(requested) && !initContainers.includes(requested)) {
      throw badRequest(`container ${requested} is not valid for pod ${podName}`);
    }
    return requested;
  }
  if (containers.length === 1) return containers[0];
  if (containers.length === 0) throw badRequest(`pod ${podName} does not have a container`);
  let message = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
  if (initContainers.length > 0) message += ` or one of the init containers: [${initContainers.join(' ')}]`;
  throw badRequest(message);
}

function kubeletPath(target: KubeletTarget, kind: 'containerLogs' | 'exec' | 'attach'): string {
  const parts = [target.nodeName, kind, target.namespace, target.podName, target.containerName].map(encodeURIComponent);
  return `/nodes/${parts.join('/')}`;
}

function connectTo(target: KubeletTarget): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => reject(unreachable(target, e)));
  });
}

function unreachable(target: KubeletTarget, error: Error): ApiError {
  return new ApiError(503, 'ServiceUnavailable', `the kubelet server of node "${target.nodeName}" at 127.0.0.1:${target.port} is unreachable: ${error.message}`);
}

/** Answers a refused connection upgrade with a Kubernetes Status, as an ordinary HTTP response. */
export function writeRefusal(socket: Duplex, error: unknown): void {
  const status = error instanceof ApiError ? error : new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error)?.message ?? String(error)}`);
  const body = JSON.stringify(status.toStatus());
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
