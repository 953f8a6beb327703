import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/eventually.ts';
import { DatagramDecoder, encodeDatagram, udpDatagramStream, UdpServiceListener } from './udp-flows.ts';

const sockets: dgram.Socket[] = [];
const listeners: UdpServiceListener[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const listener of listeners.splice(0)) listener.close();
});

async function bound(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

describe('datagram framing', () => {
  it('gives back each datagram whole, however the stream cuts the bytes', () => {
    const stream = Buffer.concat([encodeDatagram(Buffer.from('one')), encodeDatagram(Buffer.alloc(0)), encodeDatagram(Buffer.alloc(70_000 % 65_536, 7))]);
    const decoder = new DatagramDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 5) out.push(...decoder.push(stream.subarray(i, i + 5)));
    expect(out.map((d) => d.length)).toEqual([3, 0, 70_000 % 65_536]);
    expect(out[0].toString()).toBe('one');
  });
});

describe('UdpServiceListener', () => {
  it('carries a client flow to its backend and back, and ends it after the idle time', async () => {
    const backend = await bound();
    const seenSources = new Set<number>();
    backend.on('message', (message, peer) => {
      seenSources.add(peer.port);
      backend.send(`echo:${message}`, peer.port, peer.address);
    });
    const listener = new UdpServiceListener({
      host: '127.0.0.1',
      port: 0,
      idleMs: 200,
      open: async () => ({ backend: { ip: '127.0.0.1', port: backend.address().port, node: '' }, stream: await udpDatagramStream('127.0.0.1', backend.address().port) }),
    });
    listeners.push(listener);
    await listener.listen();
    const port = (listener as unknown as { socket: dgram.Socket }).socket.address().port;
    const client = await bound();
    const ask = async (text: string) => {
      const reply = once(client, 'message');
      client.send(text, port, '127.0.0.1');
      return String(((await reply) as [Buffer])[0]);
    };
    expect(await ask('a')).toBe('echo:a');
    expect(await ask('b')).toBe('echo:b');
    expect(listener.flowCount).toBe(1);
    expect(seenSources.size).toBe(1); // one flow, one socket towards the backend
    await eventually(() => listener.flowCount === 0, 'the idle flow to end', 5_000, 25);
    expect(await ask('c')).toBe('echo:c');
    expect(seenSources.size).toBe(2); // a new flow after the idle one ended
  });

  it('drops datagrams while no backend is ready, and tries again with the next one', async () => {
    const backend = await bound();
    backend.on('message', (message, peer) => backend.send(`echo:${message}`, peer.port, peer.address));
    let ready = false;
    let attempts = 0;
    const listener = new UdpServiceListener({
      host: '127.0.0.1',
      port: 0,
      open: async () => {
        attempts++;
        if (!ready) throw new Error('no ready backend');
        return { backend: { ip: '127.0.0.1', port: backend.address().port, node: '' }, stream: await udpDatagramStream('127.0.0.1', backend.address().port) };
      },
    });
    listeners.push(listener);
    await listener.listen();
    const port = (listener as unknown as { socket: dgram.Socket }).socket.address().port;
    const client = await bound();
    client.send('lost', port, '127.0.0.1');
    await eventually(() => attempts === 1 && listener.flowCount === 0, 'the failed flow to go', 5_000, 25);
    ready = true;
    const reply = once(client, 'message');
    client.send('found', port, '127.0.0.1');
    expect(String(((await reply) as [Buffer])[0])).toBe('echo:found');
  });
});
