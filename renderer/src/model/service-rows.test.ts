import { describe, expect, it } from 'vitest';
import { serviceRow } from './service-rows.ts';

describe('service rows', () => {
  const service = {
    metadata: { namespace: 'shop', name: 'web', annotations: { 'kubelab.io/desktop-ports': '{"80":41234}' }, labels: { tier: 'web' } },
    spec: { type: 'NodePort', clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }, { port: 9090, protocol: 'TCP' }] },
  };

  it('writes ports as kubectl does and links the desktop port the proxy reported', () => {
    const row = serviceRow(service, undefined);
    expect(row.ports).toEqual([
      { text: '80:30080/TCP → 8080', desktopUrl: 'http://127.0.0.1:41234' },
      { text: '9090/TCP', desktopUrl: undefined },
    ]);
    expect(row.selector).toBe('app=web');
  });

  it('links no desktop port to a UDP port, even one numbered like a TCP port that has it', () => {
    const dns = { ...service, spec: { ...service.spec, type: 'ClusterIP', ports: [{ name: 'dns-tcp', port: 80, protocol: 'TCP' }, { name: 'dns', port: 80, protocol: 'UDP' }] } };
    expect(serviceRow(dns, undefined).ports).toEqual([
      { text: '80/TCP', desktopUrl: 'http://127.0.0.1:41234' },
      { text: '80/UDP', desktopUrl: undefined },
    ]);
  });

  it('counts ready and not-ready endpoints', () => {
    const row = serviceRow(service, { subsets: [{ addresses: [{ ip: '10.100.0.2' }, { ip: '10.100.1.2' }], notReadyAddresses: [{ ip: '10.100.2.2' }] }] });
    expect([row.ready, row.notReady]).toEqual([2, 1]);
  });

  it('ignores a malformed desktop-ports annotation', () => {
    const row = serviceRow({ ...service, metadata: { ...service.metadata, annotations: { 'kubelab.io/desktop-ports': 'nope' } } }, undefined);
    expect(row.ports[0].desktopUrl).toBeUndefined();
  });
});
