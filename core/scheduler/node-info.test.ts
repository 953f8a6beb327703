import { describe, expect, it } from 'vitest';
import { buildNodeInfos, DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, hostPortsOf, newNodeInfo, podRequests } from './node-info.ts';
import { makeNode, makePod } from './test-fixtures.ts';

const MI = 1024 * 1024;

describe('podRequests', () => {
  it('sums containers and adds overhead', () => {
    const pod = makePod('p', { cpu: '250m', memory: '64Mi' });
    pod.spec!.containers.push({ name: 'b', image: 'x', resources: { requests: { cpu: '500m', memory: '128Mi' } } });
    pod.spec!.overhead = { cpu: '10m', memory: '1Mi' };
    expect(podRequests(pod)).toEqual({ milliCpu: 760, memory: 193 * MI });
  });

  it('takes the largest init container when it exceeds the containers', () => {
    const pod = makePod('p', { cpu: '100m', memory: '10Mi' });
    pod.spec!.initContainers = [
      { name: 'i1', image: 'x', resources: { requests: { cpu: '2', memory: '1Mi' } } },
      { name: 'i2', image: 'x', resources: { requests: { cpu: '1', memory: '50Mi' } } },
    ];
    expect(podRequests(pod)).toEqual({ milliCpu: 2000, memory: 50 * MI });
  });

  it('counts sidecars (restartPolicy Always) with the containers and under later init containers', () => {
    const pod = makePod('p', { cpu: '100m' });
    pod.spec!.initContainers = [
      { name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '200m' } } } as never,
      { name: 'init', image: 'x', resources: { requests: { cpu: '250m' } } },
    ];
    // containers+sidecar = 300m; init while the sidecar runs = 450m
    expect(podRequests(pod).milliCpu).toBe(450);
  });

  it('gives request-less containers the default non-zero requests only when asked', () => {
    const pod = makePod('p');
    expect(podRequests(pod)).toEqual({ milliCpu: 0, memory: 0 });
    expect(podRequests(pod, { nonMissing: true })).toEqual({ milliCpu: DEFAULT_MILLI_CPU_REQUEST, memory: DEFAULT_MEMORY_REQUEST });
  });
});

describe('NodeInfo', () => {
  it('reads allocatable and sums the pods on the node, without mutating', () => {
    const node = makeNode('a', { cpu: '2', memory: '1Gi', pods: '10' });
    const pods = [makePod('p', { cpu: '500m', memory: '100Mi' })];
    const base = newNodeInfo(node);
    const next = newNodeInfo(node, pods);
    expect(base.pods).toHaveLength(0);
    expect(next.pods).not.toBe(pods);
    expect(next.allocatable).toEqual({ milliCpu: 2000, memory: 1024 * MI, pods: 10 });
    expect(next.requested).toEqual({ milliCpu: 500, memory: 100 * MI });
    expect(next.pods).toHaveLength(1);
  });

  it('groups bound, non-terminal pods by node and sorts nodes by name', () => {
    const done = { ...makePod('done', { cpu: '1', nodeName: 'a' }), status: { phase: 'Succeeded' } };
    const infos = buildNodeInfos(
      [makeNode('b'), makeNode('a')],
      [makePod('p1', { cpu: '1', nodeName: 'a' }), done, makePod('pending', { cpu: '1' }), makePod('elsewhere', { nodeName: 'zz' })],
    );
    expect(infos.map((i) => i.name)).toEqual(['a', 'b']);
    expect(infos[0].pods.map((p) => p.metadata?.name)).toEqual(['p1']);
    expect(infos[0].requested.milliCpu).toBe(1000);
    expect(infos[1].pods).toHaveLength(0);
  });

  it('collects host ports with Kubernetes defaults', () => {
    const pod = makePod('p', { container: { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' }, { containerPort: 9 }] } });
    expect(hostPortsOf(pod)).toEqual([
      { ip: '0.0.0.0', protocol: 'TCP', port: 8080 },
      { ip: '127.0.0.1', protocol: 'UDP', port: 53 },
    ]);
  });
});
