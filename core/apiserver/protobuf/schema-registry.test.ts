import { describe, it, expect } from 'vitest';
import { compileField, messageSchema, rootMessageFor, unresolvedMessageReferences } from './schema-registry.ts';
import { formatGoDuration } from './well-known-types.ts';

const fieldsOf = (name: string) => Object.fromEntries([...(messageSchema(name) ?? new Map())].map(([n, f]) => [n, f.jsonName]));

describe('schema registry', () => {
  it('resolves every message a field refers to', () => {
    expect(unresolvedMessageReferences()).toEqual([]);
  });

  it('compiles the type grammar', () => {
    expect(compileField('replicas', '*int32')).toEqual({ jsonName: 'replicas', shape: 'single', value: { kind: 'scalar', scalar: 'int32' }, keepZero: true });
    expect(compileField('paused', 'bool')).toMatchObject({ shape: 'single', keepZero: false });
    expect(compileField('command', '[]string')).toMatchObject({ shape: 'repeated', value: { kind: 'scalar', scalar: 'string' } });
    expect(compileField('limits', 'map[string]resource.Quantity')).toMatchObject({ shape: 'map', mapKey: 'string', value: { kind: 'message', message: 'resource.Quantity' } });
    expect(compileField('volumeSource', '...core.v1.VolumeSource')).toMatchObject({ shape: 'inline', value: { kind: 'message', message: 'core.v1.VolumeSource' } });
    expect(compileField('spec', 'apps.v1.DeploymentSpec')).toMatchObject({ shape: 'single', keepZero: true });
  });

  it('knows the kinds Kubelab serves and the bodies clients post to subresources', () => {
    const kinds: [string, string, string][] = [
      ['v1', 'Namespace', 'core.v1.Namespace'],
      ['v1', 'Node', 'core.v1.Node'],
      ['v1', 'Pod', 'core.v1.Pod'],
      ['v1', 'Service', 'core.v1.Service'],
      ['v1', 'Endpoints', 'core.v1.Endpoints'],
      ['v1', 'ConfigMap', 'core.v1.ConfigMap'],
      ['v1', 'Secret', 'core.v1.Secret'],
      ['v1', 'PersistentVolume', 'core.v1.PersistentVolume'],
      ['v1', 'PersistentVolumeClaim', 'core.v1.PersistentVolumeClaim'],
      ['v1', 'Event', 'core.v1.Event'],
      ['v1', 'ServiceAccount', 'core.v1.ServiceAccount'],
      ['v1', 'Binding', 'core.v1.Binding'],
      ['apps/v1', 'Deployment', 'apps.v1.Deployment'],
      ['apps/v1', 'ReplicaSet', 'apps.v1.ReplicaSet'],
      ['apps/v1', 'DaemonSet', 'apps.v1.DaemonSet'],
      ['apps/v1', 'ControllerRevision', 'apps.v1.ControllerRevision'],
      ['batch/v1', 'Job', 'batch.v1.Job'],
      ['batch/v1', 'CronJob', 'batch.v1.CronJob'],
      ['coordination.k8s.io/v1', 'Lease', 'coordination.v1.Lease'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler', 'autoscaling.v2.HorizontalPodAutoscaler'],
      ['autoscaling/v1', 'Scale', 'autoscaling.v1.Scale'],
      ['policy/v1', 'Eviction', 'policy.v1.Eviction'],
      ['storage.k8s.io/v1', 'StorageClass', 'storage.v1.StorageClass'],
      ['authentication.k8s.io/v1', 'TokenRequest', 'authentication.v1.TokenRequest'],
      ['v1', 'DeleteOptions', 'meta.v1.DeleteOptions'],
      ['batch/v1', 'DeleteOptions', 'meta.v1.DeleteOptions'],
    ];
    for (const [apiVersion, kind, message] of kinds) expect(rootMessageFor(apiVersion, kind), `${apiVersion} ${kind}`).toBe(message);
    expect(rootMessageFor('v1', 'PodSpec')).toBeUndefined();
    expect(rootMessageFor('apps/v1', 'Pod')).toBeUndefined();
    expect(rootMessageFor('rbac.authorization.k8s.io/v1', 'Role')).toBeUndefined();
  });

  // Field numbers as upstream k8s.io/api and apimachinery generated.proto give them.
  it('agrees with upstream field numbers', () => {
    expect(fieldsOf('core.v1.Binding')).toEqual({ 1: 'metadata', 2: 'target' });
    expect(fieldsOf('core.v1.CSIVolumeSource')).toEqual({ 1: 'driver', 2: 'readOnly', 3: 'fsType', 4: 'volumeAttributes', 5: 'nodePublishSecretRef' });
    expect(fieldsOf('core.v1.Affinity')).toEqual({ 1: 'nodeAffinity', 2: 'podAffinity', 3: 'podAntiAffinity' });
    expect(fieldsOf('meta.v1.ObjectMeta')).toMatchObject({ 1: 'name', 2: 'generateName', 3: 'namespace', 8: 'creationTimestamp', 11: 'labels', 12: 'annotations', 13: 'ownerReferences', 14: 'finalizers', 17: 'managedFields' });
    expect(fieldsOf('core.v1.Container')).toMatchObject({ 1: 'name', 2: 'image', 3: 'command', 7: 'env', 8: 'resources', 10: 'livenessProbe', 11: 'readinessProbe', 15: 'securityContext', 19: 'envFrom', 22: 'startupProbe' });
    expect(fieldsOf('apps.v1.DeploymentSpec')).toEqual({ 1: 'replicas', 2: 'selector', 3: 'template', 4: 'strategy', 5: 'minReadySeconds', 6: 'revisionHistoryLimit', 7: 'paused', 9: 'progressDeadlineSeconds' });
  });

  it('covers the messages Kubelab stores', () => {
    const messages = [
      'meta.v1.ObjectMeta', 'meta.v1.LabelSelector', 'meta.v1.OwnerReference', 'meta.v1.DeleteOptions',
      'core.v1.PodTemplateSpec', 'core.v1.PodSpec', 'core.v1.Container', 'core.v1.Probe', 'core.v1.Lifecycle', 'core.v1.SecurityContext',
      'core.v1.ResourceRequirements', 'core.v1.EnvVar', 'core.v1.EnvFromSource', 'core.v1.VolumeMount', 'core.v1.ContainerPort',
      'core.v1.EmptyDirVolumeSource', 'core.v1.HostPathVolumeSource', 'core.v1.ConfigMapVolumeSource', 'core.v1.SecretVolumeSource',
      'core.v1.PersistentVolumeClaimVolumeSource', 'core.v1.ProjectedVolumeSource', 'core.v1.DownwardAPIVolumeSource',
      'core.v1.Affinity', 'core.v1.Toleration', 'core.v1.TopologySpreadConstraint', 'core.v1.ServiceSpec', 'core.v1.ServicePort',
      'core.v1.NodeSpec', 'core.v1.NodeStatus', 'core.v1.PodStatus', 'core.v1.EndpointSubset', 'core.v1.PersistentVolumeSpec',
      'core.v1.PersistentVolumeClaimSpec', 'apps.v1.DeploymentStatus', 'apps.v1.ReplicaSetSpec', 'apps.v1.DaemonSetStatus',
      'batch.v1.JobSpec', 'batch.v1.JobStatus', 'batch.v1.CronJobSpec', 'batch.v1.CronJobStatus', 'coordination.v1.LeaseSpec',
      'autoscaling.v2.HorizontalPodAutoscalerSpec', 'autoscaling.v2.MetricSpec', 'autoscaling.v2.HorizontalPodAutoscalerStatus',
    ];
    expect(messages.filter((m) => !messageSchema(m))).toEqual([]);
  });
});

describe('formatGoDuration', () => {
  it('formats like Go time.Duration.String()', () => {
    expect(formatGoDuration(0n)).toBe('0s');
    expect(formatGoDuration(1500n)).toBe('1.5µs');
    expect(formatGoDuration(300_000_000n)).toBe('300ms');
    expect(formatGoDuration(1_500_000_000n)).toBe('1.5s');
    expect(formatGoDuration(60_000_000_000n)).toBe('1m0s');
    expect(formatGoDuration(3_600_000_000_000n)).toBe('1h0m0s');
    expect(formatGoDuration(-90_000_000_000n)).toBe('-1m30s');
  });
});
