import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { resolveEnv, type EnvContext } from './container-config.ts';
import { serviceEnvForPod } from './service-env.ts';

function service(namespace: string, name: string, clusterIP: string, ports: ServicePort[]): Service {
  return { metadata: { namespace, name }, spec: { clusterIP, ports } };
}

const redis = service('shop', 'redis-primary', '10.96.0.11', [{ port: 6379, protocol: 'TCP' }]);
const web = service('shop', 'web', '10.96.0.12', [
  { name: 'http', port: 80, protocol: 'TCP' },
  { name: 'dns-udp', port: 53, protocol: 'UDP' },
]);
const headless = service('shop', 'db', 'None', [{ port: 5432 }]);
const elsewhere = service('other', 'cache', '10.96.0.13', [{ port: 11211 }]);
const kubernetes = service('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);

describe('serviceEnvForPod', () => {
  it('gives the kubelet variables of each Service in the namespace with a ClusterIP', () => {
    const env = Object.fromEntries(serviceEnvForPod([redis, web, headless, elsewhere], 'shop'));
    expect(env).toEqual({
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.11',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.11:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.11',
      WEB_SERVICE_HOST: '10.96.0.12',
      WEB_SERVICE_PORT: '80',
      WEB_SERVICE_PORT_HTTP: '80',
      WEB_SERVICE_PORT_DNS_UDP: '53',
      WEB_PORT: 'tcp://10.96.0.12:80',
      WEB_PORT_80_TCP: 'tcp://10.96.0.12:80',
      WEB_PORT_80_TCP_PROTO: 'tcp',
      WEB_PORT_80_TCP_PORT: '80',
      WEB_PORT_80_TCP_ADDR: '10.96.0.12',
      WEB_PORT_53_UDP: 'udp://10.96.0.12:53',
      WEB_PORT_53_UDP_PROTO: 'udp',
      WEB_PORT_53_UDP_PORT: '53',
      WEB_PORT_53_UDP_ADDR: '10.96.0.12',
    });
  });

  it('keeps the default namespace `kubernetes` Service even with enableServiceLinks false', () => {
    const env = serviceEnvForPod([redis, kubernetes], 'shop', false);
    expect([...env.keys()].filter((k) => k.startsWith('REDIS'))).toEqual([]);
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
    expect(env.get('KUBERNETES_SERVICE_PORT_HTTPS')).toBe('443');
  });
});

describe('resolveEnv with Services', () => {
  const ctx = (pod: Pod, services: Service[]): EnvContext => ({
    pod,
    nodeName: 'n1',
    podIp: '10.100.0.2',
    hostIp: '127.0.0.1',
    nodeCpuMillicores: 1000,
    nodeMemoryBytes: 1 << 30,
    configMap: () => undefined,
    secret: () => undefined,
    services,
  });
  const pod = (enableServiceLinks?: boolean): Pod => ({ metadata: { namespace: 'shop', name: 'p' }, spec: { containers: [], enableServiceLinks } });

  it('lets the container override Service variables and reference them', () => {
    const container = { name: 'c', env: [{ name: 'WEB_SERVICE_HOST', value: 'mine' }, { name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)' }] };
    const env = resolveEnv(container, ctx(pod(), [web]));
    expect(env.WEB_SERVICE_HOST).toBe('mine');
    expect(env.URL).toBe('http://mine:80');
    expect(env.WEB_PORT).toBe('tcp://10.96.0.12:80');
  });

  it('adds none with enableServiceLinks false', () => {
    const env = resolveEnv({ name: 'c' }, ctx(pod(false), [web]));
    expect(env).toEqual({});
  });
});
