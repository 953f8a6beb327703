// Runs the node proxy program as a child process on loopback (KUBELAB_PROXY_NO_ADDRS=1),
// with this test as the host on the other end of its stdin/stdout.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { MuxLink, type LogEntry, type OpenTarget, type ProxyConfig, type ServiceEntry } from './mux-protocol.ts';
import { udpDatagramStream } from './udp-flows.ts';

const programPath = fileURLToPath(new URL('./node-proxy-main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An HTTP server on 127.0.0.1 standing for a pod: it answers its name and what it was sent. */
async function podServer(name: string): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => response.end(`${name}${body ? `:${body}` : ''}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, server };
}

/** A UDP server on 127.0.0.1 standing for a pod: it answers each datagram with its name and the datagram. */
async function udpPodServer(name: string): Promise<{ port: number; socket: dgram.Socket }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, peer) => socket.send(`${name}:${message}`, peer.port, peer.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, socket };
}

/** A client socket with its own source port: sends a datagram and waits for the answer. */
async function udpClient(): Promise<{ ask(port: number, text: string): Promise<string>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    async ask(port, text) {
      const reply = once(socket, 'message');
      socket.send(text, port, '127.0.0.1');
      const [message] = (await reply) as [Buffer];
      return message.toString();
    },
    close: () => socket.close(),
  };
}

function httpRequest(port: number, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: body ? 'POST' : 'GET', path: '/', agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve(text));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function service(name: string, clusterIP: string | null, port: number, backends: ServiceEntry['ports'][0]['backends'], protocol: 'TCP' | 'UDP' = 'TCP'): ServiceEntry {
  return {
    namespace: 'default',
    name,
    clusterIP,
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    ports: [{ name: protocol === 'TCP' ? 'http' : 'udp', protocol, port, backends }],
    readyPodIps: backends.map((b) => b.ip),
  };
}

describe('node proxy program', () => {
  let child: ChildProcess;
  let host: MuxLink;
  const logs: LogEntry[] = [];
  const relayed: OpenTarget[] = [];
  const pods: http.Server[] = [];
  const udpPods: dgram.Socket[] = [];
  let podA: number, podB: number, remotePod: number;
  let udpPodA: number, udpPodB: number, remoteUdpPod: number;
  let webPort: number, remotePort: number, dnsPort: number, udpPort: number, remoteUdpPort: number;

  /** Resolves with the first LOG (already received or future) that matches. */
  function logMatching(predicate: (entry: LogEntry) => boolean): Promise<LogEntry> {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const listener = (entry: LogEntry) => {
        if (!predicate(entry)) return;
        host.off('log', listener);
        resolve(entry);
      };
      host.on('log', listener);
    });
  }

  beforeAll(async () => {
    const a = await podServer('pod-a');
    const b = await podServer('pod-b');
    const remote = await podServer('remote-pod');
    pods.push(a.server, b.server, remote.server);
    [podA, podB, remotePod] = [a.port, b.port, remote.port];
    [webPort, remotePort, dnsPort] = [await freePort(), await freePort(), await freePort()];
    const udpServers = [await udpPodServer('udp-a'), await udpPodServer('udp-b'), await udpPodServer('remote-udp')];
    udpPods.push(...udpServers.map((server) => server.socket));
    [udpPodA, udpPodB, remoteUdpPod] = udpServers.map((server) => server.port);
    [udpPort, remoteUdpPort] = [await freePort(), await freePort()];

    child = spawn(process.execPath, ['--import', 'tsx', programPath], {
      env: { ...process.env, KUBELAB_PROXY_NO_ADDRS: '1', KUBELAB_PROXY_BIND_HOST: '127.0.0.1', KUBELAB_PROXY_DNS_PORT: String(dnsPort) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    // The fake host relays every OPEN to the "remote" pod server, wherever it was meant to go.
    host = new MuxLink(child.stdout!, child.stdin!, {
      side: 'host',
      onOpen: (target) => {
        relayed.push(target);
        if (target.protocol === 'UDP') return udpDatagramStream('127.0.0.1', remoteUdpPod);
        return new Promise((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: remotePod, allowHalfOpen: true });
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        });
      },
    });
    host.on('log', (entry) => logs.push(entry));

    const config: ProxyConfig = {
      node: 'n1',
      dnsIp: '10.96.0.10',
      clusterDomain: 'cluster.local',
      services: [
        service('web', '10.96.0.20', webPort, [
          { ip: '127.0.0.1', port: podA, node: 'n1' },
          { ip: '127.0.0.1', port: podB, node: 'n1' },
        ]),
        service('elsewhere', '10.96.0.21', remotePort, [{ ip: '10.100.1.9', port: 8080, node: 'n2' }]),
        service('udp', '10.96.0.30', udpPort, udpBackends(), 'UDP'),
        service('udp-elsewhere', '10.96.0.31', remoteUdpPort, [{ ip: '10.100.1.9', port: 53, node: 'n2' }], 'UDP'),
      ],
    };
    host.sendConfig(config);
    await Promise.all([
      logMatching((e) => e.message === 'listening' && e.address === `10.96.0.20:${webPort}`),
      logMatching((e) => e.message === 'listening' && e.address === `10.96.0.21:${remotePort}`),
      logMatching((e) => e.message === 'listening' && e.address === `10.96.0.30:${udpPort}` && e.protocol === 'UDP'),
      logMatching((e) => e.message === 'listening' && e.address === `10.96.0.31:${remoteUdpPort}` && e.protocol === 'UDP'),
      logMatching((e) => e.message === 'dns listening'),
    ]);
  }, 30_000);

  afterAll(async () => {
    child?.kill();
    for (const server of pods) server.close();
    for (const socket of udpPods) socket.close();
  });

  const udpBackends = (which: ('a' | 'b')[] = ['a', 'b']) => which.map((pod) => ({ ip: '127.0.0.1', port: pod === 'a' ? udpPodA : udpPodB, node: 'n1' }));

  it('connects a VIP listener to a backend on its own node, spreading round robin', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await httpRequest(webPort));
    expect(answers).toEqual(['pod-a', 'pod-b', 'pod-a', 'pod-b']);
    expect(relayed).toEqual([]);
  });

  it('asks the host to relay to a backend on another node, bytes flowing both ways', async () => {
    expect(await httpRequest(remotePort, 'ping')).toBe('remote-pod:ping');
    expect(relayed).toEqual([{ ip: '10.100.1.9', port: 8080, node: 'n2' }]);
  });

  it('connects to a pod on its node when the host opens a stream', async () => {
    const stream = await host.open({ ip: '127.0.0.1', port: podB, node: 'n1' });
    let reply = '';
    stream.on('data', (chunk: Buffer) => (reply += chunk));
    stream.end('GET / HTTP/1.0\r\n\r\n');
    await once(stream, 'end');
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(reply).toMatch(/pod-b$/);
  });

  it('answers DNS queries for services over UDP', async () => {
    const socket = dgram.createSocket('udp4');
    try {
      const query = dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] });
      const reply = once(socket, 'message');
      socket.send(query, dnsPort, '127.0.0.1');
      const [message] = (await reply) as [Buffer];
      const response = dnsPacket.decode(message);
      expect(response.id).toBe(7);
      expect(response.answers).toMatchObject([{ type: 'A', name: 'web.default.svc.cluster.local', data: '10.96.0.20' }]);
    } finally {
      socket.close();
    }
  });

  it('answers DNS over TCP, length-prefixed', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: dnsPort });
    try {
      await once(socket, 'connect');
      const replies: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => replies.push(chunk));
      socket.write(dnsPacket.streamEncode({ type: 'query', id: 8, questions: [{ type: 'A', name: 'elsewhere.default' }] }));
      while (Buffer.concat(replies).length < 2 || Buffer.concat(replies).length < 2 + Buffer.concat(replies).readUInt16BE(0)) await once(socket, 'data');
      const response = dnsPacket.streamDecode(Buffer.concat(replies));
      expect(response.answers).toMatchObject([{ type: 'A', data: '10.96.0.21' }]);
    } finally {
      socket.destroy();
    }
  });

  it('UDP: each client address is a flow to one backend; new clients spread round robin', async () => {
    const [first, second] = [await udpClient(), await udpClient()];
    try {
      const one = await first.ask(udpPort, 'x');
      expect(one).toMatch(/^udp-[ab]:x$/);
      expect(await first.ask(udpPort, 'y')).toBe(`${one.slice(0, 5)}:y`);
      const other = await second.ask(udpPort, 'z');
      expect(other.slice(0, 5)).not.toBe(one.slice(0, 5));
    } finally {
      first.close();
      second.close();
    }
  });

  it('UDP: a backend on another node is reached through the host, datagrams framed on the stream', async () => {
    const client = await udpClient();
    try {
      expect(await client.ask(remoteUdpPort, 'ping')).toBe('remote-udp:ping');
      expect(await client.ask(remoteUdpPort, 'again')).toBe('remote-udp:again');
      expect(relayed.filter((target) => target.protocol === 'UDP')).toEqual([{ ip: '10.100.1.9', port: 53, node: 'n2', protocol: 'UDP' }]);
    } finally {
      client.close();
    }
  });

  it('UDP: a flow whose backend leaves the Service moves to a ready one', async () => {
    const client = await udpClient();
    try {
      const before = await client.ask(udpPort, 'x');
      const staying = before.startsWith('udp-a') ? 'b' : 'a';
      host.sendConfig({
        node: 'n1',
        dnsIp: '10.96.0.10',
        clusterDomain: 'cluster.local',
        services: [service('web', '10.96.0.20', webPort, [{ ip: '127.0.0.1', port: podA, node: 'n1' }]), service('udp', '10.96.0.30', udpPort, udpBackends([staying]), 'UDP')],
      });
      await logMatching((e) => e.message === 'stopped listening' && e.address === `10.96.0.31:${remoteUdpPort}`);
      expect(await client.ask(udpPort, 'y')).toBe(`udp-${staying}:y`);
    } finally {
      client.close();
    }
  });

  it('stops listening on a VIP:port that a new CONFIG no longer has', async () => {
    host.sendConfig({
      node: 'n1',
      dnsIp: '10.96.0.10',
      clusterDomain: 'cluster.local',
      services: [service('web', '10.96.0.20', webPort, [{ ip: '127.0.0.1', port: podA, node: 'n1' }])],
    });
    await logMatching((e) => e.message === 'stopped listening' && e.address === `10.96.0.21:${remotePort}`);
    await expect(httpRequest(remotePort)).rejects.toThrow(/ECONNREFUSED/);
    expect(await httpRequest(webPort)).toBe('pod-a');
  });

  it('exits when the host closes its stdin', async () => {
    const exited = once(child, 'exit');
    child.stdin!.end();
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
