import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { buildContainerSpec, ContainerConfigError, containerSpecHash, expandVars, resolveEnv, type EnvContext } from './container-config.ts';
import { LABELS } from './container-runtime.ts';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: '1234abcd-0000-0000-0000-000000000000', labels: { app: 'web' }, annotations: { note: 'hi' } },
  spec: { nodeName: 'n1', serviceAccountName: 'robot', containers: [{ name: 'c', image: 'img:1' }] },
};
const ctx = (overrides: Partial<EnvContext> = {}): EnvContext => ({
  pod,
  nodeName: 'n1',
  podIp: '10.0.0.5',
  hostIp: '172.17.0.1',
  nodeCpuMillicores: 4000,
  nodeMemoryBytes: 8 * 1024 ** 3,
  configMap: () => undefined,
  secret: () => undefined,
  ...overrides,
});

describe('expandVars', () => {
  it('follows Kubernetes: known names expand, $$ escapes, unknown and unterminated references stay', () => {
    const vars = { A: 'x', B: 'y' };
    expect(expandVars('$(A)-$(B)', vars)).toBe('x-y');
    expect(expandVars('$$(A)', vars)).toBe('$(A)');
    expect(expandVars('$(NOPE) $(A', vars)).toBe('$(NOPE) $(A');
    expect(expandVars('cost: $5 $', vars)).toBe('cost: $5 $');
  });
});

describe('resolveEnv', () => {
  it('resolves downward API fields, env overriding envFrom, later vars seeing earlier ones', () => {
    const env = resolveEnv(
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'cm' } }],
        env: [
          { name: 'K', value: 'env-wins' },
          { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
          { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'URL', value: 'http://$(HOST):$(PORT)' },
          { name: 'PORT', value: '80' },
          { name: 'CPUS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        ],
      },
      ctx({ configMap: () => ({ data: { K: 'from-cm', PORT: '8080' } }) }),
    );
    expect(env).toEqual({ K: 'env-wins', PORT: '80', LABEL: 'web', SA: 'robot', UID: pod.metadata!.uid, HOST: '172.17.0.1', URL: 'http://172.17.0.1:8080', CPUS: '4' });
  });

  it('names the missing source or key', () => {
    expect(() => resolveEnv({ name: 'c', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] }, ctx())).toThrow(new ContainerConfigError('secret "db" not found'));
    expect(() => resolveEnv({ name: 'c', env: [{ name: 'S', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] }, ctx({ configMap: () => ({ data: {} }) }))).toThrow(
      'couldn\'t find key k in ConfigMap ns/cm',
    );
    expect(resolveEnv({ name: 'c', env: [{ name: 'S', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } }] }, ctx())).toEqual({});
  });
});

describe('buildContainerSpec', () => {
  it('names and labels the container and hashes its definition', () => {
    const container = { name: 'c', image: 'img:1' };
    const spec = buildContainerSpec({ pod, container, role: 'app', attempt: 3, nodeName: 'n1', sandboxId: 'sb', env: {}, mounts: [] });
    expect(spec.name).toBe('k8s_c_p_ns_1234abcd_3');
    expect(spec.labels).toMatchObject({ [LABELS.node]: 'n1', [LABELS.podUid]: pod.metadata!.uid, [LABELS.role]: 'app', [LABELS.attempt]: '3', [LABELS.containerName]: 'c' });
    expect(spec.labels[LABELS.specHash]).toBe(containerSpecHash(container));
    expect(containerSpecHash({ ...container, image: 'img:2' })).not.toBe(containerSpecHash(container));
  });
});
