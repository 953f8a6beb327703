import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';
import type { Logger } from '../log/logger.ts';

// The kubelet's port-forward protocol (portforward.k8s.io over SPDY/3.1, Kubernetes'
// pkg/kubelet/cri/streaming/portforward/httpstream.go): the client opens two streams per
// forwarded connection, `streamType: error` and `streamType: data`, with the same
// `requestID` and the pod `port`. Data bytes go to the pod's port and back; a failure is
// written as text on the error stream. Frames come from spdy-transport.

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const SPDY_UPGRADE = 'SPDY/3.1';

/** Opens a byte stream to `podIp:port` of a pod on `nodeName` (the service proxy's dialPod). */
export type PodDialer = (nodeName: string, podIp: string, port: number) => Promise<Duplex>;

/** Connects straight to the pod address: enough for pods on a daemon whose bridge the host routes to. */
export const dialPodDirectly: PodDialer = (_nodeName, podIp, port) =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: podIp, port });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });

export interface PortForwardTarget {
  nodeName: string;
  namespace: string;
  podName: string;
  podUid: string;
  podIp: string;
}

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: ReturnType<typeof setTimeout>;
}

/** How long the second stream of a pair may lag the first (the kubelet's streamCreationTimeout is 30s). */
const PAIR_TIMEOUT_MS = 30_000;
const NO_FLOW_CONTROL_WINDOW = 1 << 30;

/**
 * Go's spdystream (kubectl's side) never sends WINDOW_UPDATE, so spdy-transport's send
 * windows would stall a stream after 64 KiB. Like the kubelet's own spdystream, this
 * server sends without flow control.
 */
function disableSendFlowControl(target: { _spdyState?: { window?: { send?: { update: (size: number, callback?: () => void) => void; current: number } } } }): void {
  const send = target._spdyState?.window?.send;
  if (!send) return;
  send.current = NO_FLOW_CONTROL_WINDOW;
  send.update = (_size, callback) => {
    if (callback) process.nextTick(callback);
  };
}

type HeaderCallback = (error: Error | null, headers: Record<string, string>) => void;
interface SpdyParser {
  parseKVs(buffer: unknown, callback: HeaderCallback): void;
}

/**
 * spdy-transport insists on HTTP's `:method` and `:path` in every SYN_STREAM; the
 * port-forward protocol's streams carry only its own headers, so supply neutral ones.
 */
function acceptStreamsWithoutHttpHeaders(connection: SpdyConnection): void {
  const parser = (connection as unknown as { _spdyState: { parser: SpdyParser } })._spdyState.parser;
  const parseKVs = parser.parseKVs;
  parser.parseKVs = function (this: SpdyParser, buffer, callback) {
    parseKVs.call(this, buffer, (error, headers) => {
      if (!error && headers) {
        headers[':method'] ??= 'POST';
        headers[':path'] ??= '/';
      }
      callback(error, headers);
    });
  };
}

/**
 * Serves one SPDY port-forward session on `socket` (already switched protocols) until the
 * client goes away. Returns the SPDY connection (for tests and shutdown).
 */
export function servePortForward(socket: Duplex, target: PortForwardTarget, dialPod: PodDialer, logger: Logger): SpdyConnection {
  const connection = transport.connection.create(socket, { protocol: 'spdy', isServer: true, maxChunk: 32 * 1024 });
  acceptStreamsWithoutHttpHeaders(connection);
  connection.start(3.1);
  disableSendFlowControl(connection as never);
  const pairs = new Map<string, StreamPair>();
  const podKey = `${target.namespace}/${target.podName}`;

  connection.on('error', (error) => logger.debug('port-forward connection error', { pod: podKey, error: String(error) }));
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    for (const pair of pairs.values()) clearTimeout(pair.timer);
    pairs.clear();
  });

  connection.on('stream', (stream) => {
    disableSendFlowControl(stream as never);
    stream.on('error', () => stream.destroy());
    stream.respond(200, {});
    const streamType = stream.headers.streamtype;
    const requestId = stream.headers.requestid ?? '';
    if (streamType !== 'error' && streamType !== 'data') {
      logger.debug('port-forward stream of unknown type', { pod: podKey, streamType });
      stream.abort();
      return;
    }
    let pair = pairs.get(requestId);
    if (!pair) {
      pair = {
        timer: setTimeout(() => {
          pairs.delete(requestId);
          for (const s of [pair!.error, pair!.data]) s?.abort();
        }, PAIR_TIMEOUT_MS),
      };
      pairs.set(requestId, pair);
    }
    if (pair[streamType]) {
      stream.abort();
      return;
    }
    pair[streamType] = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      void forward(pair.error, pair.data);
    }
  });

  async function forward(errorStream: SpdyStream, dataStream: SpdyStream): Promise<void> {
    // The client never writes on the error stream; draining it lets its FIN through.
    errorStream.resume();
    const portHeader = dataStream.headers.port ?? '';
    const port = Number(portHeader);
    let upstream: Duplex;
    try {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port "${portHeader}"`);
      upstream = await dialPod(target.nodeName, target.podIp, port);
    } catch (error) {
      const message = `error forwarding port ${portHeader} to pod ${target.podName}, uid ${target.podUid}: ${(error as Error).message}`;
      logger.debug('port-forward failed', { pod: podKey, port: portHeader, error: message });
      errorStream.end(message);
      dataStream.end();
      return;
    }
    logger.debug('port-forward connection', { pod: podKey, port });
    upstream.on('error', (error) => {
      errorStream.end(`error forwarding port ${port} to pod ${target.podName}, uid ${target.podUid}: ${error.message}`);
      dataStream.destroy();
    });
    // Half-closes travel both ways: the client's FIN ends the write to the pod, the pod's EOF ends the stream.
    dataStream.pipe(upstream);
    upstream.pipe(dataStream);
    upstream.on('close', () => errorStream.end());
    dataStream.on('close', () => upstream.destroy());
  }

  return connection;
}

const PORT_FORWARD_PATH = /^\/nodes\/([^/]+)\/portforward\/([^/]+)\/([^/]+)$/;

/** The node, namespace and pod of a kubelet `/nodes/<node>/portforward/<ns>/<pod>` path; undefined for other paths. */
export function parsePortForwardPath(pathname: string): { nodeName: string; namespace: string; podName: string } | undefined {
  const match = PORT_FORWARD_PATH.exec(pathname);
  if (!match) return undefined;
  const [nodeName, namespace, podName] = match.slice(1).map(decodeURIComponent);
  return { nodeName, namespace, podName };
}

/**
 * Switches `socket` to SPDY/3.1 with the portforward.k8s.io stream protocol (the answer
 * kubectl's SPDY dialer checks) and serves the session.
 */
export function acceptPortForward(socket: Duplex, head: Buffer, target: PortForwardTarget, dialPod: PodDialer, logger: Logger): SpdyConnection {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      `Upgrade: ${SPDY_UPGRADE}\r\n` +
      `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
  );
  if (head.length > 0) socket.unshift(head);
  return servePortForward(socket, target, dialPod, logger);
}
