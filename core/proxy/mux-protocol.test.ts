import { describe, it, expect, afterEach } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  MAX_FRAME_LENGTH,
  MuxLink,
  MUX_WRITE_BUFFER_LIMIT,
  ProtocolError,
  type Frame,
  type LogEntry,
  type OpenHandler,
  type OpenTarget,
  type ProxyConfig,
} from './mux-protocol.ts';

/** Two links joined back to back, as the host and a proxy over stdin/stdout. */
function linkedPair(handlers: { hostOnOpen?: OpenHandler; proxyOnOpen?: OpenHandler } = {}) {
  const hostToProxy = new PassThrough();
  const proxyToHost = new PassThrough();
  const host = new MuxLink(proxyToHost, hostToProxy, { side: 'host', onOpen: handlers.hostOnOpen });
  const proxy = new MuxLink(hostToProxy, proxyToHost, { side: 'proxy', onOpen: handlers.proxyOnOpen });
  return { host, proxy, hostToProxy, proxyToHost };
}

async function readAll(stream: Duplex): Promise<string> {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await once(stream, 'end');
  return text;
}

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A TCP server on 127.0.0.1 that answers `echo:<what it read>` once the client half-closes. */
async function echoServer(): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let got = '';
    socket.on('data', (chunk) => (got += chunk));
    socket.on('end', () => socket.end(`echo:${got}`));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

const dialLocal: OpenHandler = (target) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.ip, port: target.port, allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });

describe('FrameDecoder', () => {
  it('reassembles frames split anywhere and splits frames sharing a chunk', () => {
    const wire = Buffer.concat([
      encodeFrame(FrameType.Open, 3, '{"ip":"10.100.0.2","port":80,"node":"n2"}'),
      encodeFrame(FrameType.Data, 3, Buffer.from([0, 1, 2, 255])),
      encodeFrame(FrameType.End, 3),
    ]);
    const byteByByte = new FrameDecoder();
    const frames: Frame[] = [];
    for (const byte of wire) frames.push(...byteByByte.push(Buffer.from([byte])));
    expect(frames.map((f) => [f.type, f.streamId, f.payload.length])).toEqual([
      [FrameType.Open, 3, 41],
      [FrameType.Data, 3, 4],
      [FrameType.End, 3, 0],
    ]);
    expect([...frames[1]!.payload]).toEqual([0, 1, 2, 255]);
    expect(new FrameDecoder().push(wire)).toEqual(frames);
    expect(byteByByte.bufferedLength).toBe(0);
  });

  it('writes the header big-endian: type u8, streamId u32, length u32', () => {
    expect([...encodeFrame(FrameType.Data, 0x01020304, 'hi')]).toEqual([4, 1, 2, 3, 4, 0, 0, 0, 2, 104, 105]);
  });

  it('rejects unknown types and oversized frames', () => {
    expect(() => new FrameDecoder().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(ProtocolError);
    const huge = Buffer.alloc(9);
    huge.writeUInt8(FrameType.Data, 0);
    huge.writeUInt32BE(MAX_FRAME_LENGTH + 1, 5);
    expect(() => new FrameDecoder().push(huge)).toThrow(/exceeds/);
  });
});

describe('MuxLink', () => {
  it('delivers CONFIG to the proxy and LOG to the host as events', async () => {
    const { host, proxy } = linkedPair();
    const config: ProxyConfig = { node: 'n1', dnsIp: '10.96.0.10', clusterDomain: 'cluster.local', services: [] };
    const gotConfig = once(proxy, 'config');
    host.sendConfig(config);
    expect((await gotConfig)[0]).toEqual(config);
    const gotLog = once(host, 'log');
    proxy.sendLog({ level: 'warn', message: 'listen failed', port: 80 });
    expect((await gotLog)[0] as LogEntry).toEqual({ level: 'warn', message: 'listen failed', port: 80 });
  });

  it('opens a stream from the proxy that the host connects, with data and half close both ways', async () => {
    const port = await echoServer();
    const seen: OpenTarget[] = [];
    const { proxy } = linkedPair({
      hostOnOpen: (target) => {
        seen.push(target);
        return dialLocal(target);
      },
    });
    const target = { ip: '127.0.0.1', port, node: 'n2' };
    const stream = await proxy.open(target);
    expect(stream.id % 2).toBe(1);
    expect(seen).toEqual([target]);
    const closed = once(stream, 'close');
    const reply = readAll(stream);
    stream.write('hello ');
    stream.end('world');
    expect(await reply).toBe('echo:hello world');
    await closed;
    expect(proxy.streamCount).toBe(0);
  });

  it('gives host streams even ids and proxy streams odd ids, counting up', async () => {
    const port = await echoServer();
    const { host, proxy } = linkedPair({ hostOnOpen: dialLocal, proxyOnOpen: dialLocal });
    const target = { ip: '127.0.0.1', port, node: 'n1' };
    const ids = [(await host.open(target)).id, (await host.open(target)).id, (await proxy.open(target)).id, (await proxy.open(target)).id];
    expect(ids).toEqual([2, 4, 1, 3]);
  });

  it('rejects open with the reason the peer failed to connect', async () => {
    const { proxy } = linkedPair({ hostOnOpen: () => Promise.reject(new Error('connect ECONNREFUSED 10.100.1.2:80')) });
    await expect(proxy.open({ ip: '10.100.1.2', port: 80, node: 'n2' })).rejects.toThrow(/ECONNREFUSED/);
    expect(proxy.streamCount).toBe(0);
  });

  it('refuses OPEN on a side without a handler', async () => {
    const { host } = linkedPair();
    await expect(host.open({ ip: '10.100.0.2', port: 80, node: 'n1' })).rejects.toThrow(/accepts no OPEN/);
  });

  it('resets the peer stream when one end is destroyed', async () => {
    let backend: Duplex | undefined;
    const { proxy } = linkedPair({
      hostOnOpen: async () => {
        backend = new PassThrough();
        return backend;
      },
    });
    const stream = await proxy.open({ ip: '10.100.1.2', port: 80, node: 'n2' });
    const failed = once(stream, 'error');
    backend!.destroy(new Error('backend went away'));
    const [error] = await failed;
    expect((error as Error).message).toMatch(/reset by peer: backend went away/);
    expect(proxy.streamCount).toBe(0);
  });

  it('answers frames for an unknown stream with RESET', async () => {
    const { host, proxyToHost, hostToProxy } = linkedPair();
    const frames: Frame[] = [];
    const decoder = new FrameDecoder();
    hostToProxy.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    proxyToHost.write(encodeFrame(FrameType.Data, 7, 'stray'));
    await turn();
    expect(frames).toMatchObject([{ type: FrameType.Reset, streamId: 7 }]);
    expect(host.isClosed).toBe(false);
  });

  it('closes on a protocol error and destroys every stream', async () => {
    const { host, proxy, proxyToHost } = linkedPair({ hostOnOpen: async () => new PassThrough() });
    const stream = await proxy.open({ ip: '10.100.1.2', port: 80, node: 'n2' });
    const closed = once(host, 'close');
    proxyToHost.write(Buffer.from([42, 0, 0, 0, 0, 0, 0, 0, 0]));
    const [reason] = await closed;
    expect(reason).toBeInstanceOf(ProtocolError);
    expect(host.streamCount).toBe(0);
    expect(stream.destroyed).toBe(false); // the proxy's side learns when its input ends
    proxy.close();
    expect(stream.destroyed).toBe(true);
  });

  it('holds writes back while the link output holds over 1 MiB, and resumes on drain', async () => {
    const output = new PassThrough(); // nobody reads it yet
    const link = new MuxLink(new PassThrough(), output, { side: 'proxy' });
    const stream = link.open({ ip: '10.100.1.2', port: 80, node: 'n2' });
    void stream.catch(() => {});
    const chunk = Buffer.alloc(64 * 1024, 1);
    const streamId = 1;
    // Write through the link's data path directly: OPENED never comes on this one-way link.
    let accepted = 0;
    const total = 48;
    let pending = total;
    const allWritten = new Promise<void>((resolve) => {
      const writeNext = () => {
        if (pending-- === 0) return resolve();
        link.sendData(streamId, chunk, () => {
          accepted++;
          writeNext();
        });
      };
      writeNext();
    });
    for (let i = 0; i < 20; i++) await turn();
    expect(output.writableLength).toBeGreaterThan(MUX_WRITE_BUFFER_LIMIT);
    expect(accepted).toBeLessThan(total);
    output.resume();
    await allWritten;
    expect(accepted).toBe(total);
  });

  it('pauses its input while a stream reader lags far behind, and resumes when it reads', async () => {
    const { host, proxy, proxyToHost } = linkedPair({ proxyOnOpen: async () => new PassThrough() });
    const stream = await host.open({ ip: '10.100.0.2', port: 80, node: 'n1' });
    const big = Buffer.alloc(64 * 1024, 2);
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      proxyToHost.write(encodeFrame(FrameType.Data, stream.id, big));
      sent += big.length;
    }
    for (let i = 0; i < 20; i++) await turn();
    expect(proxyToHost.isPaused()).toBe(true);
    let received = 0;
    stream.on('data', (chunk: Buffer) => (received += chunk.length));
    for (let i = 0; i < 50 && received < sent; i++) await turn();
    expect(received).toBe(sent);
    expect(proxyToHost.isPaused()).toBe(false);
    proxy.close();
  });
});
