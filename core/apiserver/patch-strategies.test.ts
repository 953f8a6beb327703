import { describe, it, expect } from 'vitest';
import { RESOURCES, apiVersionOf } from '../api/resource-catalog.ts';
import { fieldPatchMeta, knownPatchTypes, rootPatchType, rootPatchTypes } from './patch-strategies.ts';

/** Follow a dotted path of field names from a kind's root struct. */
function metaAt(apiVersion: string, kind: string, path: string) {
  const fields = path.split('.');
  let type: string | undefined = rootPatchType(apiVersion, kind);
  for (const field of fields.slice(0, -1)) type = fieldPatchMeta(type, field).type;
  return fieldPatchMeta(type, fields[fields.length - 1]);
}

describe('patch strategy table', () => {
  it('defines every struct it refers to', () => {
    const known = new Set(knownPatchTypes());
    for (const root of rootPatchTypes()) expect(known).toContain(root);
    for (const type of knownPatchTypes()) {
      for (const field of ['metadata', 'spec', 'status', 'template', 'jobTemplate', 'containers', 'initContainers', 'ephemeralContainers']) {
        const referenced = fieldPatchMeta(type, field).type;
        if (referenced) expect(known, `${type}.${field}`).toContain(referenced);
      }
    }
  });

  it('knows the metadata of every kind the catalog serves', () => {
    for (const info of RESOURCES) {
      expect(metaAt(apiVersionOf(info), info.kind, 'metadata.ownerReferences')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'uid' });
      expect(metaAt(apiVersionOf(info), info.kind, 'metadata.finalizers')).toEqual({ patchStrategy: 'merge' });
    }
  });

  it('carries the real k8s.io/api tags of the pod template in every workload', () => {
    const templates: [string, string, string][] = [
      ['v1', 'Pod', 'spec'],
      ['apps/v1', 'Deployment', 'spec.template.spec'],
      ['apps/v1', 'ReplicaSet', 'spec.template.spec'],
      ['apps/v1', 'DaemonSet', 'spec.template.spec'],
      ['batch/v1', 'Job', 'spec.template.spec'],
      ['batch/v1', 'CronJob', 'spec.jobTemplate.spec.template.spec'],
    ];
    for (const [apiVersion, kind, podSpec] of templates) {
      const at = (path: string) => metaAt(apiVersion, kind, `${podSpec}.${path}`);
      expect(at('containers')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name' });
      expect(at('initContainers')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name' });
      expect(at('ephemeralContainers')).toMatchObject({ patchStrategy: 'merge', patchMergeKey: 'name' });
      expect(at('volumes')).toEqual({ patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' });
      expect(at('imagePullSecrets')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'name' });
      expect(at('hostAliases')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'ip' });
      expect(at('tolerations')).toEqual({});
      expect(at('containers.ports')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'containerPort' });
      expect(at('containers.env')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'name' });
      expect(at('containers.envFrom')).toEqual({});
      expect(at('containers.volumeMounts')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'mountPath' });
      expect(at('containers.volumeDevices')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'devicePath' });
      expect(at('ephemeralContainers.env')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'name' });
    }
  });

  it('carries the tags outside pod specs', () => {
    expect(metaAt('apps/v1', 'Deployment', 'spec.strategy')).toEqual({ patchStrategy: 'retainKeys' });
    expect(metaAt('apps/v1', 'DaemonSet', 'spec.updateStrategy')).toEqual({});
    expect(metaAt('v1', 'Service', 'spec.ports')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'port' });
    expect(metaAt('v1', 'Node', 'spec.taints')).toEqual({});
    expect(metaAt('v1', 'Node', 'spec.podCIDRs')).toEqual({ patchStrategy: 'merge' });
    expect(metaAt('v1', 'Node', 'status.addresses')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'type' });
    expect(metaAt('v1', 'Pod', 'status.podIPs')).toEqual({ patchStrategy: 'merge', patchMergeKey: 'ip' });
    expect(metaAt('v1', 'Endpoints', 'subsets')).toEqual({});
    for (const [apiVersion, kind] of [
      ['v1', 'Pod'],
      ['v1', 'Node'],
      ['v1', 'Namespace'],
      ['v1', 'PersistentVolumeClaim'],
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'ReplicaSet'],
      ['apps/v1', 'DaemonSet'],
      ['batch/v1', 'Job'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
    ]) {
      expect(metaAt(apiVersion, kind, 'status.conditions'), kind).toEqual({ patchStrategy: 'merge', patchMergeKey: 'type' });
    }
  });

  it('treats unknown kinds and fields as untagged', () => {
    expect(rootPatchType('example.com/v1', 'Widget')).toBe('Object');
    expect(metaAt('example.com/v1', 'Widget', 'spec.items')).toEqual({});
    expect(fieldPatchMeta('PodSpec', 'toString')).toEqual({});
    expect(fieldPatchMeta(undefined, 'containers')).toEqual({});
  });
});
