import { connect, createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { RestClient } from '../client/rest-client.ts';
import { TestApiServer } from '../client/test-api-server.ts';
import { createLogger } from '../log/logger.ts';
import type { ProxyConfig } from './mux-protocol.ts';
import { nodeOwningIp, ServiceProxy, type DialTarget, type NodeProxyLink, type NodeProxyRunnerHooks } from './service-proxy.ts';
import { DESKTOP_ADDRESS_ANNOTATION, DESKTOP_PORTS_ANNOTATION, DesktopListeners } from './desktop-listeners.ts';
import { ensureNodePodCidr, lowestFreePodCidr, podDnsConfig } from './pod-network.ts';
import { serviceEntries } from './proxy-config.ts';

const quiet = createLogger('test', () => {});

function service(name: string, spec: Service['spec'], annotations?: Record<string, string>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) }, spec };
}

describe('serviceEntries', () => {
  const endpoints: Endpoints = {
    metadata: { name: 'web', namespace: 'default' },
    subsets: [
      {
        addresses: [{ ip: '10.100.0.2', nodeName: 'a' }],
        notReadyAddresses: [{ ip: '10.100.0.3', nodeName: 'a' }],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
        ],
      },
      // Pods of another version serve the named targetPort on another container port.
      { addresses: [{ ip: '10.100.1.2', nodeName: 'b' }], ports: [{ name: 'http', port: 8081, protocol: 'TCP' }] },
    ],
  };
  const lookup = (namespace: string, name: string) => (namespace === 'default' && name === 'web' ? endpoints : undefined);

  it('lists ready addresses only, with the port each subset resolved', () => {
    const [entry] = serviceEntries(
      [service('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090 }] })],
      lookup,
    );
    expect(entry.clusterIP).toBe('10.96.0.20');
    expect(entry.ports[0]).toEqual({
      name: 'http',
      protocol: 'TCP',
      port: 80,
      backends: [
        { ip: '10.100.0.2', port: 8080, node: 'a' },
        { ip: '10.100.1.2', port: 8081, node: 'b' },
      ],
    });
    expect(entry.ports[1].backends).toEqual([{ ip: '10.100.0.2', port: 9090, node: 'a' }]);
    expect(entry.readyPodIps).toEqual(['10.100.0.2', '10.100.1.2']);
  });

  it('places user-written addresses (no nodeName) on the node whose podCIDR holds them, else leaves them nodeless', () => {
    const written: Endpoints = { metadata: { name: 'db', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.100.1.7' }, { ip: '192.0.2.10' }], ports: [{ port: 5432 }] }] };
    const nodes = [
      { metadata: { name: 'a' }, spec: { podCIDR: '10.100.0.0/24' } },
      { metadata: { name: 'b' }, spec: { podCIDR: '10.100.1.0/24' } },
    ];
    const [entry] = serviceEntries([service('db', { clusterIP: '10.96.0.30', ports: [{ port: 5432 }] })], () => written, (ip) => nodeOwningIp(nodes, ip));
    expect(entry.ports[0].backends).toEqual([
      { ip: '10.100.1.7', port: 5432, node: 'b' },
      { ip: '192.0.2.10', port: 5432, node: '' },
    ]);
  });

  it('marks headless services, skips ExternalName and not yet allocated ones, carries affinity', () => {
    const entries = serviceEntries(
      [
        service('web', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
        service('ext', { type: 'ExternalName', externalName: 'example.org' }),
        service('pending', { ports: [{ port: 80 }] }),
        service('sticky', { clusterIP: '10.96.0.30', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] }),
      ],
      lookup,
    );
    expect(entries.map((e) => [e.name, e.clusterIP])).toEqual([
      ['sticky', '10.96.0.30'],
      ['web', null],
    ]);
    expect(entries[0]).toMatchObject({ sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 60 });
    expect(entries[1]).toMatchObject({ sessionAffinity: 'None', affinityTimeoutSeconds: 10800 });
  });
});

describe('pod network', () => {
  it('allocates the lowest free /24 of 10.100.0.0/14', () => {
    expect(lowestFreePodCidr([])).toBe('10.100.0.0/24');
    expect(lowestFreePodCidr(['10.100.0.0/24', '10.100.2.0/24'])).toBe('10.100.1.0/24');
    const all = Array.from({ length: 1024 }, (_, i) => `10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`);
    expect(lowestFreePodCidr(all.slice(0, 1023))).toBe('10.103.255.0/24');
    expect(() => lowestFreePodCidr(all)).toThrow(/no free pod CIDR/);
  });

  it('writes a distinct podCIDR on each node once, even when nodes register together', async () => {
    const NODES = findByKind('v1', 'Node') as ResourceInfo;
    const api = await TestApiServer.start();
    try {
      const client = new RestClient({ server: api.url });
      api.put(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'old' }, spec: { podCIDR: '10.100.0.0/24', podCIDRs: ['10.100.0.0/24'] } } as KubeObject);
      for (const name of ['a', 'b']) api.put(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} } as KubeObject);
      const [a, b] = await Promise.all([ensureNodePodCidr(client, 'a'), ensureNodePodCidr(client, 'b')]);
      expect([a, b].sort()).toEqual(['10.100.1.0/24', '10.100.2.0/24']);
      expect((api.get(NODES, undefined, 'a')!.spec as { podCIDRs: string[] }).podCIDRs).toEqual([a]);
      // Once set, it stays.
      expect(await ensureNodePodCidr(client, 'a')).toBe(a);
    } finally {
      await api.close();
    }
  });

  it('gives pods the cluster DNS with their namespace first in the search path', () => {
    expect(podDnsConfig('shop')).toEqual({
      dnsServers: ['10.96.0.10'],
      dnsSearch: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      dnsOptions: ['ndots:5'],
    });
  });
});

describe('DesktopListeners', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function echoBackend(): Promise<Server> {
    const server = createServer((socket) => socket.on('data', (data) => socket.end(`echo:${data}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => void server.close());
    return server;
  }

  function request(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(text));
      let answer = '';
      socket.on('data', (d) => (answer += d));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });
  }

  function listeners(backendPort: number) {
    const annotations = new Map<string, Record<string, string>>();
    const desktop = new DesktopListeners({
      dial: (_namespace, _name, _port) =>
        new Promise<Duplex>((resolve, reject) => {
          const socket = connect(backendPort, '127.0.0.1', () => resolve(socket));
          socket.once('error', reject);
        }),
      annotate: async (namespace, name, values) => void annotations.set(`${namespace}/${name}`, values),
      logger: quiet,
    });
    cleanups.push(() => desktop.close());
    return { desktop, annotations };
  }

  it('relays a loopback port per service port and writes it on the Service', async () => {
    const backend = await echoBackend();
    const { desktop, annotations } = listeners((backend.address() as { port: number }).port);
    await desktop.sync([service('web', { clusterIP: '10.96.0.20', ports: [{ port: 80 }, { port: 81, protocol: 'UDP' }] })]);
    const written = annotations.get('default/web')!;
    const ports = JSON.parse(written[DESKTOP_PORTS_ANNOTATION]) as Record<string, number>;
    expect(Object.keys(ports)).toEqual(['80']);
    expect(written[DESKTOP_ADDRESS_ANNOTATION]).toBe(`127.0.0.1:${ports['80']}`);
    expect(await request(ports['80'], 'hi')).toBe('echo:hi');
  });

  it('listens on a NodePort Service’s nodePort when it is free', async () => {
    const backend = await echoBackend();
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const { desktop, annotations } = listeners((backend.address() as { port: number }).port);
    await desktop.sync([service('web', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: free }] })]);
    expect(JSON.parse(annotations.get('default/web')![DESKTOP_PORTS_ANNOTATION])).toEqual({ '80': free });
    expect(await request(free, 'np')).toBe('echo:np');
  });

  it('takes the annotated port again when free and closes the ports of deleted services', async () => {
    const backend = await echoBackend();
    const first = listeners((backend.address() as { port: number }).port);
    await first.desktop.sync([service('web', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] })]);
    const written = first.annotations.get('default/web')!;
    const port = (JSON.parse(written[DESKTOP_PORTS_ANNOTATION]) as Record<string, number>)['80'];
    await first.desktop.sync([]);
    await expect(request(port, 'x')).rejects.toThrow(/ECONNREFUSED/);

    // A restart: the Service still carries the port, so the new listener takes it and writes nothing.
    const second = listeners((backend.address() as { port: number }).port);
    await second.desktop.sync([service('web', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] }, written)]);
    expect(second.annotations.size).toBe(0);
    expect(await request(port, 'again')).toBe('echo:again');
  });
});

describe('ServiceProxy', () => {
  const SERVICES = findByKind('v1', 'Service') as ResourceInfo;
  const ENDPOINTS = findByKind('v1', 'Endpoints') as ResourceInfo;
  const NODES = findByKind('v1', 'Node') as ResourceInfo;

  class FakeLink implements NodeProxyLink {
    readonly configs: ProxyConfig[] = [];
    readonly opened: DialTarget[] = [];
    sendConfig(config: ProxyConfig): void {
      this.configs.push(config);
    }
    async open(target: DialTarget) {
      this.opened.push(target);
      return new PassThrough();
    }
  }

  async function setUp() {
    const api = await TestApiServer.start();
    const client = new RestClient({ server: api.url });
    for (const name of ['a', 'b']) api.put(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR: name === 'a' ? '10.100.0.0/24' : '10.100.1.0/24' } } as KubeObject);
    api.put(SERVICES, service('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }) as KubeObject);
    api.put(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.100.1.5', nodeName: 'b' }], ports: [{ name: 'http', port: 8080 }] }] } as KubeObject);
    const links = new Map<string, FakeLink>();
    let hooks: NodeProxyRunnerHooks | undefined;
    const nodesSeen: string[][] = [];
    const proxy = new ServiceProxy({
      client,
      desktopListeners: false,
      linkWaitMs: 300,
      endpointWaitMs: 2_000,
      logger: quiet,
      createRunner: (given) => {
        hooks = given;
        return {
          syncNodes: (nodes) => {
            nodesSeen.push(nodes.map((n) => n.metadata!.name!).sort());
            for (const node of nodes) {
              const name = node.metadata!.name!;
              if (links.has(name)) continue;
              const link = new FakeLink();
              links.set(name, link);
              given.onLinkUp(name, link);
            }
          },
          stop: async () => {},
        };
      },
    });
    await proxy.start();
    return { api, proxy, links, hooks: hooks!, nodesSeen, close: async () => (await proxy.stop(), await api.close()) };
  }

  it('pushes one table per node proxy, and a new one when endpoints change', async () => {
    const env = await setUp();
    try {
      expect(env.nodesSeen.at(-1)).toEqual(['a', 'b']);
      const first = env.links.get('a')!.configs.at(-1)!;
      expect(first.node).toBe('a');
      expect(first.services[0].ports[0].backends).toEqual([{ ip: '10.100.1.5', port: 8080, node: 'b' }]);
      expect(env.links.get('b')!.configs.at(-1)!.node).toBe('b');

      env.api.put(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.100.1.5', nodeName: 'b' }, { ip: '10.100.0.7', nodeName: 'a' }], ports: [{ name: 'http', port: 8080 }] }] } as KubeObject);
      await expect.poll(() => env.links.get('a')!.configs.at(-1)!.services[0].ports[0].backends.length).toBe(2);
      // The same table is never sent twice.
      const count = env.links.get('a')!.configs.length;
      env.api.put(SERVICES, service('web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080 }] }, { unrelated: 'x' }) as KubeObject);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(env.links.get('a')!.configs.length).toBe(count);
    } finally {
      await env.close();
    }
  });

  it("relays a proxy's OPEN to the proxy of the target node", async () => {
    const env = await setUp();
    try {
      await env.hooks.relay({ ip: '10.100.1.5', port: 8080, node: 'b' });
      expect(env.links.get('b')!.opened).toEqual([{ ip: '10.100.1.5', port: 8080, node: 'b' }]);
      expect(env.links.get('a')!.opened).toEqual([]);
      await expect(env.proxy.dialPod('missing', '10.100.9.9', 80)).rejects.toThrow(/no node proxy.*missing/);
      // The desktop path picks a ready backend of the Service.
      await env.proxy.dialService('default', 'web', 80);
      expect(env.links.get('b')!.opened).toHaveLength(2);
    } finally {
      await env.close();
    }
  });

  it('a desktop connection waits for a ready endpoint that is on its way, and gives up on one that is not', async () => {
    const env = await setUp();
    try {
      env.api.put(SERVICES, service('late', { clusterIP: '10.96.0.21', ports: [{ port: 80 }] }) as KubeObject);
      const dialled = env.proxy.dialService('default', 'late', 80);
      await new Promise((resolve) => setTimeout(resolve, 300));
      env.api.put(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'late', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.100.0.9', nodeName: 'a' }], ports: [{ port: 80 }] }] } as KubeObject);
      await dialled;
      expect(env.links.get('a')!.opened).toEqual([{ ip: '10.100.0.9', port: 80, node: 'a' }]);
      await expect(env.proxy.dialService('default', 'nobody', 80)).rejects.toThrow('service default/nobody has no ready endpoints for port 80');
    } finally {
      await env.close();
    }
  });
});
