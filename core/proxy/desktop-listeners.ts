import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../log/logger.ts';
import { joinStreams } from './mux-protocol.ts';

// A listener on 127.0.0.1 per Service port, so the desktop reaches every Service without
// routes or root. The port is chosen once and written on the Service; after a restart
// the same port is taken again when it is still free. A NodePort Service asks for its
// nodePort first, so `127.0.0.1:30080` works as it does with kind or minikube.

export const DESKTOP_PORTS_ANNOTATION = 'kubelab.io/desktop-ports';
export const DESKTOP_ADDRESS_ANNOTATION = 'kubelab.io/desktop-address';
const LOOPBACK = '127.0.0.1';

export interface DesktopListenersOptions {
  /** A connection to one of the Service's backends for that service port. */
  dial(namespace: string, name: string, servicePort: number, clientIp: string): Promise<Duplex>;
  /** Writes the annotations on the Service (merge patch). */
  annotate(namespace: string, name: string, annotations: Record<string, string>): Promise<void>;
  logger: Logger;
}

interface Listener {
  server: Server;
  port: number;
}

/** The ports a Service's annotation asks for, by service port. */
export function desktopPortsOf(service: Service): Record<string, number> {
  try {
    const parsed = JSON.parse(service.metadata?.annotations?.[DESKTOP_PORTS_ANNOTATION] ?? '{}') as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, number] => Number.isInteger(entry[1])));
  } catch {
    return {};
  }
}

export class DesktopListeners {
  /** `namespace/name` -> service port -> listener */
  private readonly byService = new Map<string, Map<number, Listener>>();
  private syncing = Promise.resolve();
  private closed = false;

  constructor(private readonly options: DesktopListenersOptions) {}

  /** Makes the listeners match `services` (TCP ports of every non-ExternalName Service); calls run one after another. */
  sync(services: Service[]): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow(services)).catch((error: Error) => this.options.logger.warn('desktop listeners sync failed', { error: error.message }));
    return this.syncing;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.syncing;
    for (const listeners of this.byService.values()) for (const listener of listeners.values()) listener.server.close();
    this.byService.clear();
  }

  private async syncNow(services: Service[]): Promise<void> {
    if (this.closed) return;
    const wanted = new Map<string, Service>();
    for (const service of services) {
      if (service.spec?.type === 'ExternalName') continue;
      wanted.set(`${service.metadata?.namespace}/${service.metadata?.name}`, service);
    }
    for (const [key, listeners] of this.byService) {
      if (wanted.has(key)) continue;
      for (const listener of listeners.values()) listener.server.close();
      this.byService.delete(key);
    }
    for (const [key, service] of wanted) await this.syncService(key, service);
  }

  private async syncService(key: string, service: Service): Promise<void> {
    const namespace = service.metadata!.namespace!;
    const name = service.metadata!.name!;
    const ports = (service.spec?.ports ?? []).filter((port) => (port.protocol ?? 'TCP') === 'TCP').map((port) => port.port);
    const requested = desktopPortsOf(service);
    const nodePorts = new Map((service.spec?.ports ?? []).filter((port) => port.nodePort).map((port) => [port.port, port.nodePort!]));
    let listeners = this.byService.get(key);
    if (!listeners) this.byService.set(key, (listeners = new Map()));
    for (const [servicePort, listener] of listeners) {
      if (ports.includes(servicePort)) continue;
      listener.server.close();
      listeners.delete(servicePort);
    }
    for (const servicePort of ports) {
      if (listeners.has(servicePort)) continue;
      const server = createServer((socket) => this.relay(socket, namespace, name, servicePort));
      server.on('error', (error) => this.options.logger.warn('desktop listener failed', { service: key, port: servicePort, error: error.message }));
      const port = await listenPreferring(server, requested[String(servicePort)] ?? nodePorts.get(servicePort));
      listeners.set(servicePort, { server, port });
      this.options.logger.info('desktop listener open', { service: key, port: servicePort, address: `${LOOPBACK}:${port}` });
    }
    const chosen: Record<string, number> = {};
    for (const servicePort of ports) chosen[String(servicePort)] = listeners.get(servicePort)!.port;
    const portsValue = JSON.stringify(chosen);
    const addressValue = ports.length ? `${LOOPBACK}:${chosen[String(ports[0])]}` : '';
    const annotations = service.metadata?.annotations ?? {};
    if (annotations[DESKTOP_PORTS_ANNOTATION] === portsValue && (annotations[DESKTOP_ADDRESS_ANNOTATION] ?? '') === addressValue) return;
    await this.options.annotate(namespace, name, { [DESKTOP_PORTS_ANNOTATION]: portsValue, [DESKTOP_ADDRESS_ANNOTATION]: addressValue });
  }

  private relay(socket: Socket, namespace: string, name: string, servicePort: number): void {
    socket.pause();
    socket.on('error', () => socket.destroy());
    this.options.dial(namespace, name, servicePort, socket.remoteAddress ?? LOOPBACK).then(
      (upstream) => {
        if (socket.destroyed) {
          upstream.destroy();
          return;
        }
        joinStreams(socket, upstream);
        socket.resume();
      },
      (error: Error) => {
        this.options.logger.debug('desktop connection failed', { service: `${namespace}/${name}`, port: servicePort, error: error.message });
        socket.destroy();
      },
    );
  }
}

/** Listens on the preferred port when it is free, else on any free one; returns the port. */
async function listenPreferring(server: Server, preferred: number | undefined): Promise<number> {
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, LOOPBACK, () => {
        server.off('error', onError);
        resolve((server.address() as { port: number }).port);
      });
    });
  if (preferred && preferred > 0 && preferred < 65536) {
    try {
      return await listen(preferred);
    } catch {
      // taken by something else since: any free port will do
    }
  }
  return listen(0);
}
