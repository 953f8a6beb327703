import { describe, it, expect } from 'vitest';
import { LABELS } from '../agent/container-runtime.ts';
import type Dockerode from 'dockerode';
import { otherClusterProxy, parseLddOutput, proxyContainerSpec, proxyImageChanges, proxyImageRef, type ImageFile } from './proxy-image.ts';

describe('parseLddOutput', () => {
  it('lists libraries and the loader, not the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd5a1f2000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f9e29800000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f9e2961e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f9e29b64000)',
    ].join('\n');
    expect(parseLddOutput(output, '/usr/bin/node')).toEqual([
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('fails on a missing library, naming it', () => {
    expect(() => parseLddOutput('\tlibbpf.so.1 => not found\n', '/usr/sbin/ip')).toThrow(/\/usr\/sbin\/ip needs libbpf\.so\.1/);
  });
});

describe('proxyImageRef', () => {
  it('changes with the program', () => {
    const first = proxyImageRef(Buffer.from('program 1'));
    expect(first).toMatch(/^kubelab\/proxy:[0-9a-f]{16}$/);
    expect(proxyImageRef(Buffer.from('program 1'))).toBe(first);
    expect(proxyImageRef(Buffer.from('program 2'))).not.toBe(first);
  });
});

describe('proxyImageChanges', () => {
  it('runs the program with the library folders on the search path', () => {
    const file = (path: string): ImageFile => ({ path, mode: 0o755, source: { content: Buffer.alloc(0) } });
    const files = ['/node', '/usr/sbin/ip', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2', '/proxy.mjs'].map(file);
    expect(proxyImageChanges(files)).toEqual([
      'CMD ["/node","/proxy.mjs"]',
      'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/lib64',
    ]);
  });
});

describe('proxyContainerSpec', () => {
  it('makes a stdin-driven container with NET_ADMIN on the pod network, labelled for its node', () => {
    const spec = proxyContainerSpec({ node: 'lab-1', image: 'kubelab/proxy:abc', clusterId: 'c1d2e3f4-5678' });
    expect(spec).toMatchObject({
      // The cluster id's first 8 characters: two labs on one daemon keep their own proxies.
      name: 'kubelab-proxy-lab-1-c1d2e3f4',
      Image: 'kubelab/proxy:abc',
      OpenStdin: true,
      AttachStdin: true,
      StdinOnce: true,
      Tty: false,
      HostConfig: { NetworkMode: 'kubelab-pods', CapAdd: ['NET_ADMIN'] },
    });
    expect(spec.Labels).toMatchObject({ [LABELS.node]: 'lab-1', [LABELS.cluster]: 'c1d2e3f4-5678', [LABELS.role]: 'proxy' });
  });
});

describe('otherClusterProxy', () => {
  const proxy = (name: string, cluster: string | undefined, state = 'running') =>
    ({ Id: name, Names: [`/${name}`], State: state, Labels: { [LABELS.role]: 'proxy', ...(cluster ? { [LABELS.cluster]: cluster } : {}) } }) as unknown as Dockerode.ContainerInfo;

  it("finds a running proxy of another cluster, never this cluster's own or a stopped one", () => {
    expect(otherClusterProxy([proxy('mine', 'cluster-a')], 'cluster-a')).toBeUndefined();
    expect(otherClusterProxy([proxy('old', 'cluster-b', 'exited')], 'cluster-a')).toBeUndefined();
    expect(otherClusterProxy([proxy('mine', 'cluster-a'), proxy('theirs', 'cluster-b')], 'cluster-a')?.Id).toBe('theirs');
    expect(otherClusterProxy([proxy('unlabelled', undefined)], 'cluster-a')?.Id).toBe('unlabelled');
  });
});
