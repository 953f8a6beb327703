import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import { useResourceService } from './resource-service-test-env.ts';
import { allocateServiceAddresses, usedServiceAddresses } from './service-ip-allocator.ts';

const env = useResourceService('kubelab-svc-alloc-');
const services = { info: findByPlural('', 'v1', 'services')!, namespace: 'default', name: '', subresource: '' };
const named = (name: string) => ({ ...services, name });

function svc(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } };
}

const specOf = (o: KubeObject) => o.spec as Record<string, any>;

async function invalidMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).code).toBe(422);
  return (error as ApiError).message;
}

describe('Service address allocation', () => {
  it('allocates a ClusterIP from 10.96.0.0/16 and fills the defaults Kubernetes sets', async () => {
    const created = await env.service.create(services, svc('web', {}));
    const spec = specOf(created);
    expect(spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(['10.96.0.0', '10.96.0.1', '10.96.0.10']).not.toContain(spec.clusterIP);
    expect(spec).toMatchObject({ type: 'ClusterIP', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None' });
    expect(spec.ports[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 80 });
  });

  it('gives concurrent creates distinct addresses and node ports', async () => {
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => env.service.create(services, svc(`s${i}`, { type: 'NodePort' }))),
    );
    expect(new Set(created.map((o) => specOf(o).clusterIP)).size).toBe(20);
    const nodePorts = created.map((o) => specOf(o).ports[0].nodePort as number);
    expect(new Set(nodePorts).size).toBe(20);
    for (const port of nodePorts) expect(port >= 30000 && port <= 32767).toBe(true);
  });

  it('honours a requested address and refuses one in use, out of range or reserved', async () => {
    const first = await env.service.create(services, svc('a', { clusterIP: '10.96.3.4' }));
    expect(specOf(first).clusterIPs).toEqual(['10.96.3.4']);
    expect(await invalidMessage(env.service.create(services, svc('b', { clusterIP: '10.96.3.4' })))).toMatch(/spec\.clusterIPs\[0\].*already allocated/);
    expect(await invalidMessage(env.service.create(services, svc('c', { clusterIPs: ['192.168.1.1'] })))).toMatch(/spec\.clusterIPs\[0\].*not in the valid range.*10\.96\.0\.0\/16/);
    expect(await invalidMessage(env.service.create(services, svc('d', { clusterIP: '10.96.0.10' })))).toMatch(/already allocated/);
  });

  it('keeps headless Services without an address, and only for type ClusterIP', async () => {
    const headless = await env.service.create(services, svc('h', { clusterIP: 'None' }));
    expect(specOf(headless)).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4'] });
    expect(await invalidMessage(env.service.create(services, svc('hn', { clusterIP: 'None', type: 'NodePort' })))).toMatch(/may not be set to 'None' for NodePort/);
  });

  it('does not consume an address on dryRun', async () => {
    const dry = await env.service.create(services, svc('dry', { clusterIP: '10.96.5.5', type: 'NodePort', ports: [{ port: 80, nodePort: 30123 }] }), { dryRun: true });
    expect(specOf(dry).clusterIP).toBe('10.96.5.5');
    expect(await env.store.get('services', 'default', 'dry')).toBeUndefined();
    const real = await env.service.create(services, svc('real', { clusterIP: '10.96.5.5', type: 'NodePort', ports: [{ port: 80, nodePort: 30123 }] }));
    expect(specOf(real).ports[0].nodePort).toBe(30123);
  });

  it('refuses a node port in use and keeps allocated node ports when an update omits them', async () => {
    const created = await env.service.create(services, svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443, nodePort: 30443 }] }));
    const httpNodePort = specOf(created).ports[0].nodePort;
    expect(await invalidMessage(env.service.create(services, svc('np2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30443 }] })))).toMatch(/spec\.ports\[0\]\.nodePort.*already allocated/);
    // kubectl apply sends the manifest without clusterIP and nodePorts.
    const updated = await env.service.update(named('np'), svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }));
    expect(specOf(updated).ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([httpNodePort, 30443]);
    expect(specOf(updated).clusterIP).toBe(specOf(created).clusterIP);
  });

  it('refuses to change the ClusterIP', async () => {
    await env.service.create(services, svc('fixed', { clusterIP: '10.96.7.7' }));
    expect(await invalidMessage(env.service.update(named('fixed'), svc('fixed', { clusterIP: '10.96.7.8' })))).toMatch(/spec\.clusterIPs\[0\].*may not change once set/);
  });

  it('allocates node ports on a change to NodePort and drops them on a change back', async () => {
    const created = await env.service.create(services, svc('t', {}));
    const asNodePort = await env.service.update(named('t'), { ...created, spec: { ...specOf(created), type: 'NodePort' } });
    expect(specOf(asNodePort).ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    const back = await env.service.update(named('t'), { ...asNodePort, spec: { ...specOf(asNodePort), type: 'ClusterIP' } });
    expect(specOf(back).ports[0].nodePort).toBeUndefined();
    const external = await env.service.update(named('t'), { ...back, spec: { ...specOf(back), type: 'ExternalName', externalName: 'example.com' } });
    expect(specOf(external).clusterIP).toBeUndefined();
  });
});

describe('allocateServiceAddresses', () => {
  it('skips addresses held by other Services', () => {
    const others = [{ metadata: { name: 'x', uid: '1' }, spec: { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] } }] as KubeObject[];
    const fresh = { metadata: { name: 'y' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } } as KubeObject;
    expect(allocateServiceAddresses(fresh, usedServiceAddresses(others))).toEqual([]);
    expect(specOf(fresh).clusterIP).not.toBe('10.96.0.11');
  });
});
