// The node proxy: the program inside each `kubelab-proxy-<node>` container (bundled to
// /proxy.mjs by proxy-image.ts). It learns the Service table from the host over stdin,
// holds every ClusterIP as an address on eth0 so pods reach it on-link, listens on each
// ClusterIP:port, serves cluster DNS, and connects to a backend itself when the pod is on
// this node or through the host (OPEN) when it is elsewhere. stdout is the mux link only.
// TCP and UDP service ports are proxied (UDP as flows of framed datagrams, udp-flows.ts);
// SCTP ports are skipped.
//
// Environment (tests run it as a plain child process on loopback):
//   KUBELAB_PROXY_NO_ADDRS=1     don't run `ip`; listen on KUBELAB_PROXY_BIND_HOST instead of the VIPs
//   KUBELAB_PROXY_BIND_HOST      default 127.0.0.1 (only with NO_ADDRS)
//   KUBELAB_PROXY_PORT_OFFSET    added to every service port listened on (only with NO_ADDRS), default 0
//   KUBELAB_PROXY_DNS_PORT       default 53
//   KUBELAB_PROXY_INTERFACE      default eth0
import { Console } from 'node:console';
import dgram from 'node:dgram';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Duplex } from 'node:stream';
import { backendKey, LoadBalancer } from './balancer.ts';
import { answerDnsQuery, DNS_TCP_MAX_MESSAGE } from './dns-responder.ts';
import { joinStreams, MuxLink, type Backend, type LogEntry, type OpenTarget, type ProxyConfig, type ServiceEntry, type ServicePortEntry } from './mux-protocol.ts';
import { DatagramDecoder, encodeDatagram, udpDatagramStream, UdpServiceListener } from './udp-flows.ts';

// stdout carries frames: a stray console.log would corrupt the link.
globalThis.console = new Console(process.stderr, process.stderr);

const runIp = promisify(execFile);
const CONNECT_TIMEOUT_MS = 10_000;

interface Settings {
  manageAddresses: boolean;
  bindHost: string;
  portOffset: number;
  dnsPort: number;
  interfaceName: string;
}

function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  const manageAddresses = env.KUBELAB_PROXY_NO_ADDRS !== '1';
  return {
    manageAddresses,
    bindHost: env.KUBELAB_PROXY_BIND_HOST || '127.0.0.1',
    portOffset: manageAddresses ? 0 : Number(env.KUBELAB_PROXY_PORT_OFFSET || 0),
    dnsPort: Number(env.KUBELAB_PROXY_DNS_PORT || 53),
    interfaceName: env.KUBELAB_PROXY_INTERFACE || 'eth0',
  };
}

interface Route {
  service: ServiceEntry;
  port: ServicePortEntry;
}

const routeKey = (vip: string, port: number) => `${vip}:${port}`;
const balancerKey = (service: ServiceEntry, port: ServicePortEntry) => `${service.namespace}/${service.name}:${port.port}${port.protocol === 'TCP' ? '' : `/${port.protocol}`}`;

class NodeProxy {
  private config: ProxyConfig | undefined;
  private latestConfig: ProxyConfig | undefined;
  private applying: Promise<void> = Promise.resolve();
  private readonly routes = new Map<string, Route>();
  private readonly listeners = new Map<string, net.Server>();
  private readonly udpRoutes = new Map<string, Route>();
  private readonly udpListeners = new Map<string, UdpServiceListener>();
  private readonly balancer = new LoadBalancer();
  private dns: { address: string; udp: dgram.Socket; tcp: net.Server } | undefined;
  readonly link: MuxLink;

  constructor(private readonly settings: Settings) {
    this.link = new MuxLink(process.stdin, process.stdout, { side: 'proxy', onOpen: (target) => this.dialLocal(target) });
    this.link.on('config', (config) => this.receiveConfig(config));
    this.link.on('close', (reason) => {
      // The host is gone (stdin closed) or the link broke: the host starts a fresh proxy.
      if (reason) console.error(`node proxy: link closed: ${reason.message}`);
      process.exit(reason ? 1 : 0);
    });
  }

  log(level: LogEntry['level'], message: string, fields: Record<string, unknown> = {}): void {
    this.link.sendLog({ level, message, node: this.config?.node, ...fields });
  }

  private receiveConfig(config: ProxyConfig): void {
    // Only the newest table matters; a burst of CONFIGs is applied once.
    this.latestConfig = config;
    this.applying = this.applying.then(async () => {
      const next = this.latestConfig;
      if (!next || next === this.config) return;
      try {
        await this.apply(next);
      } catch (error) {
        this.log('error', 'applying the service table failed', { error: (error as Error).message });
      }
    });
  }

  private async apply(config: ProxyConfig): Promise<void> {
    this.config = config;
    const routes = new Map<string, Route>();
    const udpRoutes = new Map<string, Route>();
    for (const service of config.services) {
      if (!service.clusterIP) continue;
      for (const port of service.ports) {
        // SCTP service ports are not proxied.
        if (port.protocol === 'TCP') routes.set(routeKey(service.clusterIP, port.port), { service, port });
        if (port.protocol === 'UDP') udpRoutes.set(routeKey(service.clusterIP, port.port), { service, port });
      }
    }
    if (this.settings.manageAddresses) {
      const vips = new Set(config.services.flatMap((service) => (service.clusterIP ? [service.clusterIP] : [])));
      vips.add(config.dnsIp);
      await this.syncAddresses(vips);
    }
    this.routes.clear();
    for (const [key, route] of routes) this.routes.set(key, route);
    this.udpRoutes.clear();
    for (const [key, route] of udpRoutes) this.udpRoutes.set(key, route);
    this.balancer.retainOnly([...routes.values(), ...udpRoutes.values()].map((route) => balancerKey(route.service, route.port)));
    await this.syncListeners();
    await this.syncUdpListeners();
    await this.syncDns(config.dnsIp);
    this.log('debug', 'service table applied', { services: config.services.length, listeners: this.listeners.size });
  }

  /** Makes the /32 addresses on the interface exactly `wanted`; the primary address is never touched. */
  private async syncAddresses(wanted: Set<string>): Promise<void> {
    const dev = this.settings.interfaceName;
    const { stdout } = await runIp('ip', ['-o', '-4', 'addr', 'show', 'dev', dev]);
    const present = new Set([...stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\/32/g)].map((match) => match[1]!));
    for (const ip of wanted) {
      if (present.has(ip)) continue;
      await runIp('ip', ['addr', 'add', `${ip}/32`, 'dev', dev]).catch((error: Error) =>
        this.log('warn', 'could not add a ClusterIP address', { ip, error: error.message }),
      );
    }
    for (const ip of present) {
      if (wanted.has(ip)) continue;
      await runIp('ip', ['addr', 'del', `${ip}/32`, 'dev', dev]).catch((error: Error) =>
        this.log('warn', 'could not remove a ClusterIP address', { ip, error: error.message }),
      );
    }
  }

  private listenAddress(vip: string, port: number): { host: string; port: number } {
    return this.settings.manageAddresses ? { host: vip, port } : { host: this.settings.bindHost, port: port + this.settings.portOffset };
  }

  private async syncListeners(): Promise<void> {
    for (const [key, server] of this.listeners) {
      if (this.routes.has(key)) continue;
      // Stops accepting; connections already made run to their end.
      server.close();
      this.listeners.delete(key);
      this.log('info', 'stopped listening', { address: key });
    }
    const opening: Promise<void>[] = [];
    for (const [key, route] of this.routes) {
      if (this.listeners.has(key)) continue;
      const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(key, socket));
      this.listeners.set(key, server);
      const at = this.listenAddress(route.service.clusterIP!, route.port.port);
      opening.push(
        new Promise<void>((resolve) => {
          server.once('error', (error) => {
            // Dropped from the table, so the next CONFIG tries again.
            if (this.listeners.get(key) === server) this.listeners.delete(key);
            this.log('warn', 'could not listen', { address: key, listen: `${at.host}:${at.port}`, error: error.message });
            resolve();
          });
          server.listen({ host: at.host, port: at.port }, () => {
            const service = `${route.service.namespace}/${route.service.name}`;
            this.log('info', 'listening', { service, address: key, listen: `${at.host}:${at.port}` });
            resolve();
          });
        }),
      );
    }
    await Promise.all(opening);
  }

  private async syncUdpListeners(): Promise<void> {
    for (const [key, listener] of this.udpListeners) {
      const route = this.udpRoutes.get(key);
      if (route) {
        // A flow whose backend is no longer ready ends; the client's next datagram picks again.
        listener.dropFlows((backend) => route.port.backends.some((ready) => backendKey(ready) === backendKey(backend)));
        continue;
      }
      listener.close();
      this.udpListeners.delete(key);
      this.log('info', 'stopped listening', { address: key, protocol: 'UDP' });
    }
    for (const [key, route] of this.udpRoutes) {
      if (this.udpListeners.has(key)) continue;
      const at = this.listenAddress(route.service.clusterIP!, route.port.port);
      const listener = new UdpServiceListener({ host: at.host, port: at.port, open: (clientIp) => this.openUdpFlow(key, clientIp) });
      try {
        await listener.listen();
      } catch (error) {
        listener.close();
        this.log('warn', 'could not listen', { address: key, protocol: 'UDP', listen: `${at.host}:${at.port}`, error: (error as Error).message });
        continue;
      }
      this.udpListeners.set(key, listener);
      this.log('info', 'listening', { service: `${route.service.namespace}/${route.service.name}`, address: key, protocol: 'UDP', listen: `${at.host}:${at.port}` });
    }
  }

  /** A UDP flow's stream to a ready backend: a local socket, or through the host to another node. */
  private async openUdpFlow(key: string, clientIp: string): Promise<{ backend: Backend; stream: Duplex }> {
    const route = this.udpRoutes.get(key);
    const backend = route && this.balancer.pick(balancerKey(route.service, route.port), route.port.backends, route.service, clientIp);
    if (!route || !backend) throw new Error(`no ready backend for ${key}/UDP`);
    const direct = backend.node === this.config?.node || backend.node === '';
    const stream = direct ? await udpDatagramStream(backend.ip, backend.port) : await this.link.open({ ...backend, protocol: 'UDP' });
    return { backend, stream };
  }

  private accept(key: string, client: net.Socket): void {
    client.on('error', () => client.destroy());
    const route = this.routes.get(key);
    const clientIp = client.remoteAddress ?? '';
    const backend = route && this.balancer.pick(balancerKey(route.service, route.port), route.port.backends, route.service, clientIp);
    if (!route || !backend) {
      this.log('debug', 'no ready backend; connection closed', { address: key, client: clientIp });
      client.destroy();
      return;
    }
    // Own node, or a nodeless address outside the cluster (user-written Endpoints): connect directly.
    const direct = backend.node === this.config?.node || backend.node === '';
    const upstream: Promise<Duplex> = direct ? this.dialLocal(backend) : this.link.open(backend);
    upstream.then(
      (connection) => {
        if (client.destroyed) connection.destroy();
        else joinStreams(client, connection);
      },
      (error: Error) => {
        this.log('info', 'backend unreachable; connection closed', { address: key, backend: describe(backend), error: error.message });
        client.destroy();
      },
    );
  }

  /** A TCP connection (or UDP flow) to a pod on this node, or, for the host's OPEN, the address it named. */
  dialLocal(target: OpenTarget): Promise<Duplex> {
    if (target.protocol === 'UDP') return udpDatagramStream(target.ip, target.port);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.ip, port: target.port, allowHalfOpen: true, timeout: CONNECT_TIMEOUT_MS });
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once('timeout', () => fail(new Error(`connect to ${describe(target)} timed out`)));
      socket.once('connect', () => {
        socket.off('error', fail);
        socket.setTimeout(0);
        resolve(socket);
      });
    });
  }

  private async syncDns(dnsIp: string): Promise<void> {
    const host = this.settings.manageAddresses ? dnsIp : this.settings.bindHost;
    if (this.dns?.address === host) return;
    if (this.dns) {
      this.dns.udp.close();
      this.dns.tcp.close();
      this.dns = undefined;
    }
    const port = this.settings.dnsPort;
    const udp = dgram.createSocket('udp4');
    udp.on('message', (query, peer) => {
      if (!this.config) return;
      const answer = answerDnsQuery(query, this.config);
      if (answer) udp.send(answer, peer.port, peer.address);
    });
    const tcp = net.createServer((socket) => this.serveDnsOverTcp(socket));
    try {
      await Promise.all([
        new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, host, () => resolve());
        }),
        new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host, port }, () => resolve());
        }),
      ]);
    } catch (error) {
      udp.close();
      tcp.close();
      this.log('warn', 'could not serve DNS', { listen: `${host}:${port}`, error: (error as Error).message });
      return;
    }
    udp.on('error', (error) => this.log('warn', 'DNS socket error', { error: error.message }));
    this.dns = { address: host, udp, tcp };
    this.log('info', 'dns listening', { listen: `${host}:${port}` });
  }

  /** DNS over TCP: messages with a two-byte length prefix (the framing UDP flows use), several per connection. */
  private serveDnsOverTcp(socket: net.Socket): void {
    const decoder = new DatagramDecoder();
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      for (const query of decoder.push(chunk)) {
        const answer = this.config && answerDnsQuery(query, this.config, DNS_TCP_MAX_MESSAGE);
        if (!answer) {
          socket.destroy();
          return;
        }
        socket.write(encodeDatagram(answer));
      }
    });
  }
}

function describe(backend: Backend): string {
  return `${backend.ip}:${backend.port} on ${backend.node}`;
}

// As PID 1 in its container, Node gets no default handling of these.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));

const proxy = new NodeProxy(settingsFromEnv(process.env));
proxy.log('info', 'node proxy started', { pid: process.pid, node: undefined });
