import { describe, expect, it } from 'vitest';
import { fieldPathOf, validateAgainstSchema } from './schema-validation.ts';
import { findByKind } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';

describe('fieldPathOf', () => {
  it('indexes arrays and keys maps', () => {
    const obj = { spec: { containers: [{ resources: { limits: { cpu: {} } } }] }, metadata: { labels: { 'a/b': 1 } } };
    expect(fieldPathOf('/spec/containers/0/resources/limits/cpu', obj, 'Pod')).toBe('spec.containers[0].resources.limits[cpu]');
    expect(fieldPathOf('/metadata/labels/a~1b', obj, 'Pod')).toBe('metadata.labels[a/b]');
  });

  it('treats a Service selector as a map and a workload selector as a struct', () => {
    expect(fieldPathOf('/spec/selector/app', { spec: { selector: { app: 1 } } }, 'Service')).toBe('spec.selector[app]');
    expect(fieldPathOf('/spec/selector/matchLabels/app', { spec: { selector: { matchLabels: { app: 1 } } } }, 'Deployment')).toBe(
      'spec.selector.matchLabels[app]',
    );
  });
});

describe('validateAgainstSchema', () => {
  const deployments = findByKind('apps/v1', 'Deployment')!;

  it('maps required and type errors to Kubernetes field errors', () => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'three', template: {} } } as unknown as KubeObject;
    const errors = validateAgainstSchema(deployments, obj);
    expect(errors).toContainEqual({ type: 'FieldValueRequired', field: 'spec.selector', message: 'spec.selector: Required value' });
    expect(errors).toContainEqual({
      type: 'FieldValueTypeInvalid',
      field: 'spec.replicas',
      message: 'spec.replicas: Invalid value: "three": must be of type integer',
    });
  });

  it('passes a well-typed object', () => {
    const obj = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'x' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
    } as KubeObject;
    expect(validateAgainstSchema(findByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!, obj)).toEqual([]);
  });

  it('finds a schema for every served kind', async () => {
    const { RESOURCES } = await import('./resource-catalog.ts');
    for (const info of RESOURCES) {
      // An object whose metadata is a string fails every kind's schema, proving the schema loaded.
      const errors = validateAgainstSchema(info, { metadata: 'bad' } as unknown as KubeObject);
      expect(errors.map((e) => e.field), info.kind).toContain('metadata');
    }
  });
});
