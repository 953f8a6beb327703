import { describe, expect, it } from 'vitest';
import { RuntimeError } from './container-runtime.ts';
import { cpuNanoCores, kubernetesArch, memoryWorkingSetBytes, normalizeImageRef, toRuntimeError } from './docker-runtime.ts';

describe('docker runtime helpers', () => {
  it('means :latest for a ref without tag or digest, a registry port being no tag', () => {
    expect(normalizeImageRef('busybox')).toBe('busybox:latest');
    expect(normalizeImageRef('busybox:1.36')).toBe('busybox:1.36');
    expect(normalizeImageRef('localhost:5000/team/app')).toBe('localhost:5000/team/app:latest');
    expect(normalizeImageRef('localhost:5000/team/app:v2')).toBe('localhost:5000/team/app:v2');
    expect(normalizeImageRef('busybox@sha256:abc')).toBe('busybox@sha256:abc');
  });

  it('names architectures as Kubernetes does', () => {
    expect(kubernetesArch('x86_64')).toBe('amd64');
    expect(kubernetesArch('aarch64')).toBe('arm64');
    expect(kubernetesArch('riscv64')).toBe('riscv64');
  });

  it('computes CPU in nano-cores with Docker formula, 0 without a previous sample', () => {
    const sample = {
      cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 16_000_000_000 },
    };
    // 1 s of CPU over 4 s of all-CPU time on 4 CPUs = one core
    expect(cpuNanoCores(sample)).toBe(1_000_000_000);
    expect(cpuNanoCores({ ...sample, precpu_stats: { cpu_usage: { total_usage: 0 } } })).toBe(0);
  });

  it('computes the working set as usage minus inactive file cache (cgroup v1 and v2)', () => {
    expect(memoryWorkingSetBytes({ memory_stats: { usage: 1000, stats: { total_inactive_file: 300 } } })).toBe(700);
    expect(memoryWorkingSetBytes({ memory_stats: { usage: 1000, stats: { inactive_file: 400 } } })).toBe(600);
    expect(memoryWorkingSetBytes({ memory_stats: { usage: 100, stats: { inactive_file: 400 } } })).toBe(0);
  });

  it('classifies dockerode failures and keeps the daemon message', () => {
    const failure = (message: string, fields: object) => Object.assign(new Error(message), fields);

    const notFound = toRuntimeError(failure('(HTTP code 404) no such container - No such container: abc ', { statusCode: 404 }));
    expect([notFound.kind, notFound.message]).toEqual(['not-found', 'No such container: abc']);
    expect(toRuntimeError(failure('x', { statusCode: 404, json: { message: 'No such image: app:1' } })).kind).toBe('image-not-present');
    expect(toRuntimeError(failure('x', { statusCode: 409, json: { message: 'name in use' } }))).toMatchObject({
      kind: 'conflict',
      message: 'name in use',
    });
    expect(toRuntimeError(failure('connect ENOENT /var/run/docker.sock', { code: 'ENOENT' })).kind).toBe('unavailable');
    expect(toRuntimeError(failure('x', { statusCode: 500 }), 'image-pull').kind).toBe('image-pull');
    const original = new RuntimeError('kept', 'conflict');
    expect(toRuntimeError(original)).toBe(original);
  });
});
