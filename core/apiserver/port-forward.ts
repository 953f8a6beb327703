import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, badRequest, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import type { ResourceRequest } from './request-info.ts';
import type { ResourceService } from './resource-service.ts';

// pods/portforward in the API server. kubectl 1.30+ first asks for a WebSocket whose
// subprotocol is `SPDY/3.1+portforward.k8s.io` and frames SPDY inside binary messages
// (KEP-4006 tunneling); when that upgrade is refused it falls back to an HTTP upgrade to
// SPDY/3.1. Either way the kubelet server speaks SPDY (core/agent/port-forward-server.ts):
// the API server strips the WebSocket framing, or passes the SPDY bytes through untouched,
// as Kubernetes' API server does.

export const TUNNELED_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** Pause the kubelet side while this much is queued on the WebSocket. */
const MAX_BUFFERED_BYTES = 1 << 20;

export interface PortForwardKubelet {
  nodeName: string;
  port: number;
  namespace: string;
  podName: string;
  podUid: string;
  podIp: string;
}

/** The pod's node, its kubelet port and the pod address, with Kubernetes' errors for what is missing. */
export async function portForwardTarget(service: ResourceService, r: ResourceRequest): Promise<PortForwardKubelet> {
  const pod = await service.get({ ...r, subresource: '' });
  const spec = pod.spec as { nodeName?: string } | undefined;
  const status = pod.status as { phase?: string; podIP?: string } | undefined;
  if (!spec?.nodeName) throw badRequest(`pod ${r.name} does not have a host assigned`);
  if (status?.phase !== 'Running' || !status.podIP) {
    throw badRequest(`unable to forward port because pod is not running. Current status=${status?.phase ?? 'Pending'}`);
  }
  let node: KubeObject;
  try {
    node = await service.get({ info: findByPlural('', 'v1', 'nodes')!, namespace: '', name: spec.nodeName, subresource: '' });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw new ApiError(503, 'ServiceUnavailable', `node "${spec.nodeName}" of pod ${r.name} is not registered: its node agent is not running`);
  }
  const port = (node.status as { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } | undefined)?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!port) {
    throw new ApiError(503, 'ServiceUnavailable', `node "${spec.nodeName}" has no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port): its node agent has not reported yet`);
  }
  return { nodeName: spec.nodeName, port, namespace: r.namespace, podName: r.name, podUid: pod.metadata.uid ?? '', podIp: status.podIP };
}

/** The protocols a WebSocket upgrade offers (Sec-WebSocket-Protocol, comma separated). */
function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

/**
 * Serves one pods/portforward upgrade on `socket`: a tunneled WebSocket or SPDY. The
 * returned promise settles once the session is set up; `track` gets the client socket so
 * the API server can end it on shutdown.
 */
export async function servePodPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, target: PortForwardKubelet, token: string, track: (socket: Duplex) => void): Promise<void> {
  const upgradeTo = (req.headers.upgrade ?? '').toLowerCase();
  if (upgradeTo === 'websocket') {
    if (!offeredProtocols(req).includes(TUNNELED_PORT_FORWARD_PROTOCOL)) {
      throw badRequest(`pods/portforward over WebSocket needs the subprotocol ${TUNNELED_PORT_FORWARD_PROTOCOL} (offered: [${offeredProtocols(req).join(' ')}])`);
    }
    const upstream = await openKubeletSpdy(target, token);
    track(socket);
    const ws = await acceptWebSocket(req, socket, head);
    bridgeWebSocketToSpdy(ws, upstream.socket, upstream.rest);
    return;
  }
  if (!upgradeTo.startsWith('spdy/3.1')) throw badRequest(`unsupported upgrade "${req.headers.upgrade}": pods/portforward speaks SPDY/3.1, or SPDY tunneled in a WebSocket`);
  // SPDY end to end: the kubelet answers the upgrade itself; bytes pass untouched.
  const upstream = await connectKubelet(target);
  upstream.write(kubeletUpgradeRequest(target, token));
  if (head.length > 0) upstream.write(head);
  track(socket);
  pipeBothWays(socket, upstream);
}

function kubeletUpgradeRequest(target: PortForwardKubelet, token: string): string {
  const path = ['nodes', target.nodeName, 'portforward', target.namespace, target.podName].map(encodeURIComponent).join('/');
  const query = new URLSearchParams({ podIP: target.podIp, podUID: target.podUid });
  return [
    `POST /${path}?${query} HTTP/1.1`,
    `Host: 127.0.0.1:${target.port}`,
    `Authorization: Bearer ${token}`,
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function connectKubelet(target: PortForwardKubelet): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(target.port, '127.0.0.1');
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) =>
      reject(new ApiError(503, 'ServiceUnavailable', `the kubelet server of node "${target.nodeName}" at 127.0.0.1:${target.port} is unreachable: ${e.message}`)),
    );
  });
}

/**
 * Upgrades a connection to the kubelet to SPDY and reads its answer, so a refusal reaches
 * kubectl as an HTTP error before the WebSocket is accepted. `rest`: bytes after the answer.
 */
async function openKubeletSpdy(target: PortForwardKubelet, token: string): Promise<{ socket: Socket; rest: Buffer }> {
  const socket = await connectKubelet(target);
  socket.write(kubeletUpgradeRequest(target, token));
  const { statusLine, body, rest } = await readResponseHead(socket);
  if (/^HTTP\/1\.1 101 /.test(statusLine)) return { socket, rest };
  socket.destroy();
  let status: ApiError;
  try {
    const parsed = JSON.parse(body) as { code?: number; reason?: string; message?: string };
    status = new ApiError(parsed.code ?? 502, (parsed.reason ?? 'InternalError') as ApiError['reason'], parsed.message ?? statusLine);
  } catch {
    status = new ApiError(502, 'InternalError', `the kubelet server refused port-forward: ${statusLine}`);
  }
  throw status;
}

function readResponseHead(socket: Socket): Promise<{ statusLine: string; body: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const statusLine = head.split('\r\n')[0];
      const rest = buffered.subarray(end + 4);
      if (statusLine.includes(' 101 ')) {
        socket.pause();
        cleanup();
        resolve({ statusLine, body: '', rest });
        return;
      }
      // A refusal: read the body to its end (the kubelet closes the connection after it).
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (Number.isFinite(length) && rest.length < length) return;
      cleanup();
      resolve({ statusLine, body: rest.toString('utf8'), rest: Buffer.alloc(0) });
    };
    const onEnd = () => {
      cleanup();
      reject(new ApiError(502, 'InternalError', 'the kubelet server closed the port-forward connection without an answer'));
    };
    const cleanup = () => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onEnd);
  });
}

const webSockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
// ws refuses `SPDY/3.1+portforward.k8s.io` as a subprotocol ('/' is no token character),
// so the offer is taken off the request and the answer put on the response here.
webSockets.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNELED_PORT_FORWARD_PROTOCOL}`));

function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket> {
  delete req.headers['sec-websocket-protocol'];
  return new Promise((resolve) => webSockets.handleUpgrade(req, socket, head, resolve));
}

/** Each binary message carries SPDY bytes, in order (client-go's TunnelingConnection). */
export function bridgeWebSocketToSpdy(ws: WebSocket, upstream: Duplex, initial: Buffer): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000);
    else ws.terminate();
  };
  const send = (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (ws.bufferedAmount < MAX_BUFFERED_BYTES) upstream.resume();
    });
    if (ws.bufferedAmount >= MAX_BUFFERED_BYTES) upstream.pause();
  };
  if (initial.length > 0) send(initial);
  upstream.on('data', send);
  upstream.on('end', close);
  upstream.on('close', close);
  upstream.on('error', close);
  upstream.resume();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return close();
    if (!upstream.write(data)) {
      ws.pause();
      upstream.once('drain', () => ws.resume());
    }
  });
  ws.on('close', close);
  ws.on('error', close);
}

/** Joins a client connection to its upstream; either side closing or failing closes both. */
export function pipeBothWays(socket: Duplex, upstream: Socket): void {
  const end = () => {
    socket.destroy();
    upstream.destroy();
  };
  socket.on('close', end);
  upstream.on('close', end);
  upstream.on('error', end);
  socket.on('error', end);
  socket.pipe(upstream);
  upstream.pipe(socket);
}
