import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultPullPolicy } from './defaulting.ts';
import { findByKind } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';

function defaulted(apiVersion: string, kind: string, rest: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  const info = findByKind(apiVersion, kind);
  if (!info) throw new Error(`no ${kind}`);
  const obj = structuredClone({ apiVersion, kind, metadata: { name: 'x', namespace: 'default', ...metadata }, ...rest }) as KubeObject;
  applyDefaults(info, obj);
  return obj;
}

const container = { name: 'web', image: 'nginx:1.25' };

describe('applyDefaults', () => {
  it('fills a bare Deployment as kubectl get -o yaml shows it', () => {
    const obj = defaulted('apps/v1', 'Deployment', {
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
      },
    });
    expect(obj.spec).toEqual({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              imagePullPolicy: 'IfNotPresent',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    });
  });

  it('keeps what the user set and leaves rollingUpdate out of a Recreate strategy', () => {
    const obj = defaulted('apps/v1', 'Deployment', {
      spec: { replicas: 0, strategy: { type: 'Recreate' }, revisionHistoryLimit: 2, template: { spec: { containers: [container], restartPolicy: 'Always' } } },
    });
    expect(obj.spec).toMatchObject({ replicas: 0, strategy: { type: 'Recreate' }, revisionHistoryLimit: 2 });
    expect((obj.spec as { strategy: object }).strategy).not.toHaveProperty('rollingUpdate');
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/nginx', 'Always'],
    ['registry.local:5000/nginx:1.0', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
  ])('pull policy for %s is %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('defaults a Pod: pod-only fields, probes, ports, volumes and requests from limits', () => {
    const obj = defaulted('v1', 'Pod', {
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { memory: '64Mi' } },
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox:1.36' }],
        volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'sec', secret: { secretName: 's' } }, { name: 'scratch' }],
      },
    });
    const spec = obj.spec as any;
    expect(spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', enableServiceLinks: true, terminationGracePeriodSeconds: 30 });
    const [web] = spec.containers;
    expect(web.imagePullPolicy).toBe('Always');
    expect(web.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(web.resources.requests).toEqual({ cpu: '500m', memory: '64Mi' });
    expect(web.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(web.readinessProbe.periodSeconds).toBe(5);
    expect(spec.initContainers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' });
    expect(spec.volumes).toEqual([
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'scratch', emptyDir: {} },
    ]);
  });

  it('does not copy limits into requests or set enableServiceLinks in templates', () => {
    const obj = defaulted('apps/v1', 'ReplicaSet', {
      spec: { template: { spec: { containers: [{ ...container, resources: { limits: { cpu: '1' } } }] } } },
    });
    const spec = (obj.spec as any).template.spec;
    expect(spec.containers[0].resources).toEqual({ limits: { cpu: '1' } });
    expect(spec).not.toHaveProperty('enableServiceLinks');
    expect((obj.spec as any).replicas).toBe(1);
  });

  it('defaults a DaemonSet update strategy', () => {
    const obj = defaulted('apps/v1', 'DaemonSet', { spec: { template: { spec: { containers: [container] } } } });
    expect(obj.spec).toMatchObject({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    });
  });

  it('defaults a Job and generates its selector once it has a uid', () => {
    const obj = defaulted(
      'batch/v1',
      'Job',
      { spec: { template: { spec: { containers: [container], restartPolicy: 'Never' } } } },
      { name: 'pi', uid: 'u-1' },
    );
    expect(obj.spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
    });
    const labels = {
      'batch.kubernetes.io/controller-uid': 'u-1',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'u-1',
      'job-name': 'pi',
    };
    expect((obj.spec as any).template.metadata.labels).toEqual(labels);
    expect(obj.metadata.labels).toEqual(labels);
  });

  it('leaves completions unset for a work-queue Job and the template restartPolicy to the user', () => {
    const obj = defaulted('batch/v1', 'Job', { spec: { parallelism: 3, template: { spec: { containers: [container] } } } });
    const spec = obj.spec as any;
    expect(spec.parallelism).toBe(3);
    expect(spec).not.toHaveProperty('completions');
    expect(spec.template.spec).not.toHaveProperty('restartPolicy');
    expect(spec).not.toHaveProperty('selector'); // no uid yet
  });

  it('keeps a manual Job selector as written', () => {
    const obj = defaulted(
      'batch/v1',
      'Job',
      { spec: { manualSelector: true, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [container] } } } },
      { uid: 'u-2' },
    );
    expect((obj.spec as any).selector).toEqual({ matchLabels: { app: 'a' } });
    expect((obj.spec as any).template.metadata.labels).toEqual({ app: 'a' });
  });

  it('defaults a CronJob', () => {
    const obj = defaulted('batch/v1', 'CronJob', {
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [container] } } } } },
    });
    expect(obj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect((obj.spec as any).jobTemplate.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
  });

  it('defaults a Service without allocating a cluster IP', () => {
    const obj = defaulted('v1', 'Service', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'b', port: 81, targetPort: 'http' }] } });
    expect(obj.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      selector: { app: 'web' },
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { name: 'b', port: 81, protocol: 'TCP', targetPort: 'http' },
      ],
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
    });
  });

  it('sets externalTrafficPolicy on NodePort services', () => {
    const obj = defaulted('v1', 'Service', { spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    expect(obj.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' });
  });

  it('defaults Secret type and moves stringData into data', () => {
    const obj = defaulted('v1', 'Secret', { data: { a: 'eA==' }, stringData: { b: 'hello' } });
    expect(obj.type).toBe('Opaque');
    expect(obj.data).toEqual({ a: 'eA==', b: Buffer.from('hello').toString('base64') });
    expect(obj).not.toHaveProperty('stringData');
  });

  it('defaults Namespace finalizers, phase and name label', () => {
    const obj = defaulted('v1', 'Namespace', {}, { name: 'team-a', namespace: undefined });
    expect(obj.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(obj.status).toEqual({ phase: 'Active' });
    expect(obj.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
  });

  it('defaults storage kinds', () => {
    expect(defaulted('v1', 'PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'] } }).spec).toMatchObject({ volumeMode: 'Filesystem' });
    expect(defaulted('v1', 'PersistentVolume', { spec: {} }).spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain' });
    expect(defaulted('storage.k8s.io/v1', 'StorageClass', { provisioner: 'x.io/p' })).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
  });

  it('defaults an HPA to one replica and 80% CPU', () => {
    const obj = defaulted('autoscaling/v2', 'HorizontalPodAutoscaler', { spec: { maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' } } });
    expect(obj.spec).toMatchObject({
      minReplicas: 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    });
    expect(obj.spec).not.toHaveProperty('behavior');
  });

  it('leaves Nodes alone', () => {
    const obj = defaulted('v1', 'Node', { spec: {} }, { namespace: undefined });
    expect(obj.spec).toEqual({});
  });
});
