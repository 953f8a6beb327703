import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { servePortForward, type PodDialer } from './port-forward-server.ts';

// The kubelet side of port-forward against a SPDY client that opens streams the way
// kubectl does (error + data per connection, same requestID).

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A kubelet-side session whose dialer reaches `podPort` on loopback whatever port is asked. */
async function session(dial: PodDialer): Promise<SpdyConnection> {
  const kubeletPort = await listen((socket) => {
    sockets.push(socket);
    servePortForward(socket, { nodeName: 'n1', namespace: 'default', podName: 'web', podUid: 'uid-1', podIp: '127.0.0.1' }, dial, createLogger('test'));
  });
  const socket = connect(kubeletPort, '127.0.0.1');
  sockets.push(socket);
  await once(socket, 'connect');
  const client = transport.connection.create(socket, { protocol: 'spdy', isServer: false });
  client.start(3.1);
  return client;
}

function openStream(client: SpdyConnection, headers: Record<string, string>): Promise<SpdyStream> {
  return new Promise((resolve, reject) => {
    client.request({ method: 'POST', path: '/', host: 'kubelet', headers }, (error, stream) => (error ? reject(error) : resolve(stream)));
  });
}

function readAll(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('end', () => resolve(text));
  });
}

describe('servePortForward', () => {
  it('pipes a data stream to the pod port and back, with half-close in both directions', async () => {
    const podPort = await listen((socket) => {
      let received = '';
      socket.on('data', (d) => (received += d));
      socket.on('end', () => socket.end(`echo:${received}`));
    });
    const dialed: number[] = [];
    const client = await session((_node, ip, port) => {
      dialed.push(port);
      return Promise.resolve(connect(podPort, ip));
    });
    const errorStream = await openStream(client, { streamtype: 'error', port: '8080', requestid: '0' });
    errorStream.end();
    const dataStream = await openStream(client, { streamtype: 'data', port: '8080', requestid: '0' });
    const reply = readAll(dataStream);
    dataStream.end('hello');
    expect(await reply).toBe('echo:hello');
    expect(await readAll(errorStream)).toBe('');
    expect(dialed).toEqual([8080]);
  });

  it('carries more than one SPDY window (64 KiB) from the pod without the client granting more', async () => {
    const payload = Buffer.alloc(1 << 20, 7);
    const podPort = await listen((socket) => socket.end(payload));
    const client = await session((_node, ip) => Promise.resolve(connect(podPort, ip)));
    // Like Go's spdystream: never a WINDOW_UPDATE.
    (client as unknown as { _spdyState: { framer: { windowUpdateFrame: () => void } } })._spdyState.framer.windowUpdateFrame = () => undefined;
    const errorStream = await openStream(client, { streamtype: 'error', port: '80', requestid: '1' });
    errorStream.end();
    const dataStream = await openStream(client, { streamtype: 'data', port: '80', requestid: '1' });
    dataStream.end();
    expect((await readAll(dataStream)).length).toBe(payload.length);
  });

  it('reports a failed dial as text on the error stream', async () => {
    const client = await session(() => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9999')));
    const errorStream = await openStream(client, { streamtype: 'error', port: '9999', requestid: '2' });
    errorStream.end();
    const dataStream = await openStream(client, { streamtype: 'data', port: '9999', requestid: '2' });
    dataStream.end();
    dataStream.resume();
    expect(await readAll(errorStream)).toBe('error forwarding port 9999 to pod web, uid uid-1: connect ECONNREFUSED 127.0.0.1:9999');
  });
});
