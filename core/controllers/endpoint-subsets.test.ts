import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { endpointSubsetsFor, findPort } from './endpoint-subsets.ts';

const service = (spec: Service['spec']): Service => ({ metadata: { name: 'web', namespace: 'ns' }, spec: { selector: { app: 'web' }, ...spec } });
const pod = (name: string, ip: string | undefined, ready: boolean, ports: { name: string; containerPort: number }[] = [], extra: Partial<Pod> = {}): Pod => ({
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...extra.metadata },
  spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'x', ports }], ...extra.spec },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], ...extra.status },
});
const ref = (name: string) => ({ kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` });

describe('endpointSubsetsFor', () => {
  it('groups addresses by the ports they serve; named ports missing on a pod leave it out of that port', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] });
    const subsets = endpointSubsetsFor(svc, [
      pod('b', '10.0.0.2', false, [{ name: 'http', containerPort: 8080 }]),
      pod('a', '10.0.0.1', true, [{ name: 'http', containerPort: 8080 }]),
      pod('c', '10.0.0.3', true),
      pod('no-ip', undefined, true, [{ name: 'http', containerPort: 8080 }]),
      pod('gone', '10.0.0.9', true, [], { metadata: { name: 'gone', deletionTimestamp: '2024-01-01T00:00:00Z' } }),
      pod('done', '10.0.0.8', false, [], { status: { phase: 'Succeeded', podIP: '10.0.0.8' } }),
    ]);
    expect(subsets).toEqual([
      {
        addresses: [{ ip: '10.0.0.1', nodeName: 'node-a', targetRef: ref('a') }],
        notReadyAddresses: [{ ip: '10.0.0.2', nodeName: 'node-a', targetRef: ref('b') }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }],
      },
      { addresses: [{ ip: '10.0.0.3', nodeName: 'node-a', targetRef: ref('c') }], ports: [{ name: 'metrics', port: 9090, protocol: 'TCP' }] },
    ]);
  });

  it('publishNotReadyAddresses lists every pod with an IP as ready', () => {
    const subsets = endpointSubsetsFor(service({ publishNotReadyAddresses: true, ports: [{ port: 80, targetPort: 8080 }] }), [pod('a', '10.0.0.1', false)]);
    expect(subsets).toEqual([{ addresses: [{ ip: '10.0.0.1', nodeName: 'node-a', targetRef: ref('a') }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
  });

  it('a headless service without ports lists addresses, with the hostname of pods in its subdomain', () => {
    const member = pod('a', '10.0.0.1', true, [], { spec: { containers: [], hostname: 'a-host', subdomain: 'web' } });
    expect(endpointSubsetsFor(service({ clusterIP: 'None' }), [member])).toEqual([
      { addresses: [{ ip: '10.0.0.1', hostname: 'a-host', nodeName: 'node-a', targetRef: ref('a') }] },
    ]);
  });

  it('findPort honours the protocol of named ports and a missing targetPort means the port', () => {
    const p = pod('a', '10.0.0.1', true, [{ name: 'dns', containerPort: 53 }]);
    expect(findPort(p, { port: 53, protocol: 'UDP', targetPort: 'dns' })).toBeUndefined();
    expect(findPort(p, { port: 53, targetPort: 'dns' })).toBe(53);
    expect(findPort(p, { port: 7000 })).toBe(7000);
  });
});
