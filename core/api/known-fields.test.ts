import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { KNOWN_FIELDS_PATH, generateKnownFields, renderKnownFields } from '../../scripts/generate-known-fields.ts';
import { findUnknownFields, strictDecodingError, unknownFieldWarning } from './known-fields.ts';
import { RESOURCES, apiVersionOf } from './resource-catalog.ts';

const podSpec = () => ({
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  serviceAccountName: 'default',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  hostname: 'web',
  subdomain: 'web',
  imagePullSecrets: [{ name: 'registry' }],
  securityContext: { runAsUser: 1000, runAsNonRoot: true, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } },
      ],
    },
  },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule', tolerationSeconds: 60 }],
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
  initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['sh', '-c', 'true'] }],
  containers: [
    {
      name: 'web',
      image: 'nginx:1.27',
      imagePullPolicy: 'IfNotPresent',
      command: ['nginx'],
      args: ['-g', 'daemon off;'],
      workingDir: '/srv',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 8080 }],
      env: [
        { name: 'MODE', value: 'production' },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } },
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'config', key: 'level' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      ],
      envFrom: [{ configMapRef: { name: 'config' }, prefix: 'CFG_' }, { secretRef: { name: 'db' } }],
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: 1, memory: '256Mi', 'nvidia.com/gpu': '1' } },
      volumeMounts: [
        { name: 'data', mountPath: '/data', readOnly: false, subPath: 'web' },
        { name: 'config', mountPath: '/etc/web' },
      ],
      livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: '1' }] }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 },
      readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 1 },
      startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
      lifecycle: { preStop: { exec: { command: ['nginx', '-s', 'quit'] } }, postStart: { httpGet: { path: '/warm', port: 80 } } },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      stdin: false,
      tty: false,
    },
  ],
  volumes: [
    { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: false } },
    { name: 'config', configMap: { name: 'config', items: [{ key: 'nginx.conf', path: 'nginx.conf', mode: 0o644 }], defaultMode: 0o644 } },
    { name: 'secret', secret: { secretName: 'db', optional: true } },
    { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
    { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
    { name: 'all', projected: { sources: [{ configMap: { name: 'config' } }, { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
  ],
});

const metadata = (name: string) => ({
  name,
  namespace: 'default',
  labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
  annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'free text' },
  uid: '2b6b1d2e-4f55-4c7e-9f3a-8d3c5e0c1a11',
  resourceVersion: '42',
  generation: 3,
  creationTimestamp: '2024-05-01T10:00:00Z',
  finalizers: ['example.com/cleanup'],
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c', uid: 'x', controller: true, blockOwnerDeletion: true }],
  managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2024-05-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }],
});

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: metadata('web'),
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    minReadySeconds: 5,
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    paused: false,
    template: { metadata: { labels: { app: 'web' }, annotations: { 'prometheus.io/scrape': 'true' } }, spec: podSpec() },
  },
  status: {
    observedGeneration: 3,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok', lastUpdateTime: '2024-05-01T10:00:00Z', lastTransitionTime: '2024-05-01T10:00:00Z' }],
  },
});

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: metadata('web-5d9c-abcde'),
  spec: { ...podSpec(), nodeName: 'node-1', priority: 0, schedulerName: 'default-scheduler' },
  status: {
    phase: 'Running',
    podIP: '10.0.0.5',
    podIPs: [{ ip: '10.0.0.5' }],
    hostIP: '192.168.1.10',
    startTime: '2024-05-01T10:00:00Z',
    qosClass: 'Burstable',
    conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-05-01T10:00:00Z' }],
    containerStatuses: [
      {
        name: 'web',
        image: 'nginx:1.27',
        imageID: 'docker-pullable://nginx@sha256:abc',
        containerID: 'docker://123',
        ready: true,
        started: true,
        restartCount: 1,
        state: { running: { startedAt: '2024-05-01T10:00:01Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2024-05-01T09:00:00Z', finishedAt: '2024-05-01T09:59:00Z' } },
      },
    ],
  },
});

const service = () => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: metadata('web'),
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080, appProtocol: 'http' }],
    clusterIP: '10.96.0.10',
    clusterIPs: ['10.96.0.10'],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    externalIPs: ['192.168.1.100'],
    publishNotReadyAddresses: false,
  },
  status: { loadBalancer: { ingress: [{ ip: '192.168.1.200', ports: [{ port: 80, protocol: 'TCP' }] }] } },
});

const cronJob = () => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: metadata('backup'),
  spec: {
    schedule: '*/5 * * * *',
    timeZone: 'Etc/UTC',
    concurrencyPolicy: 'Forbid',
    startingDeadlineSeconds: 100,
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      metadata: { labels: { job: 'backup' } },
      spec: {
        completions: 1,
        parallelism: 1,
        backoffLimit: 4,
        activeDeadlineSeconds: 600,
        ttlSecondsAfterFinished: 100,
        completionMode: 'NonIndexed',
        template: { spec: { ...podSpec(), restartPolicy: 'OnFailure' } },
      },
    },
  },
  status: { active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'backup-1', namespace: 'default', uid: 'u' }], lastScheduleTime: '2024-05-01T10:00:00Z', lastSuccessfulTime: '2024-05-01T10:00:00Z' },
});

describe('findUnknownFields', () => {
  it('accepts full, valid objects of the common kinds', () => {
    expect(findUnknownFields('apps/v1', 'Deployment', deployment())).toEqual([]);
    expect(findUnknownFields('v1', 'Pod', pod())).toEqual([]);
    expect(findUnknownFields('v1', 'Service', service())).toEqual([]);
    expect(findUnknownFields('batch/v1', 'CronJob', cronJob())).toEqual([]);
  });

  it('reports typos at several depths with Kubernetes paths, in document order', () => {
    // Each typo is added last to its object, so `spec.replica` comes after the template.
    const obj = deployment() as any;
    obj.metadata.labelz = { app: 'web' };
    obj.spec.replica = 3;
    obj.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    obj.spec.template.spec.containers[0].livenessProbe.httpGet.pathh = '/';
    obj.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox', comand: ['sleep'] });
    obj.specs = {};
    expect(findUnknownFields('apps/v1', 'Deployment', obj)).toEqual([
      'metadata.labelz',
      'spec.template.spec.containers[0].livenessProbe.httpGet.pathh',
      'spec.template.spec.containers[0].imagePullPolcy',
      'spec.template.spec.containers[1].comand',
      'spec.replica',
      'specs',
    ]);
  });

  it('prunes the unknown fields it reports, keeping everything else', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { keep: 'me' } },
      spec: { replica: 3, replicas: 2, template: { spec: { containers: [{ name: 'a', image: 'i', imagePullPolcy: 'Never' }] } } },
    };
    expect(findUnknownFields('apps/v1', 'Deployment', obj, { prune: true })).toEqual(['spec.replica', 'spec.template.spec.containers[0].imagePullPolcy']);
    expect(obj.spec).toEqual({ replicas: 2, template: { spec: { containers: [{ name: 'a', image: 'i' }] } } });
    expect(obj.metadata.labels).toEqual({ keep: 'me' });
    expect(findUnknownFields('apps/v1', 'Deployment', obj)).toEqual([]);
  });

  it('does not descend into an unknown field', () => {
    expect(findUnknownFields('v1', 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containerz: [{ nope: 1 }] } })).toEqual(['spec.containerz']);
  });

  it('checks volumes and their sources', () => {
    const obj = pod() as any;
    obj.spec.volumes[1].configMap.items[0].mod = 0o600;
    obj.spec.volumes.push({ name: 'bad', emptyDirr: {} });
    obj.spec.initContainers[0].volumeMount = [];
    expect(findUnknownFields('v1', 'Pod', obj)).toEqual([
      'spec.initContainers[0].volumeMount',
      'spec.volumes[1].configMap.items[0].mod',
      'spec.volumes[7].emptyDirr',
    ]);
  });

  it('treats map keys as free and checks map values against their type', () => {
    const obj = pod() as any;
    obj.metadata.labels = { 'any/key': 'x', 'Weird Key!': 'y' };
    obj.metadata.annotations = { anything: 'goes' };
    obj.spec.containers[0].resources = { limits: { cpu: '2', 'example.com/dongle': 1, memory: '1Gi' }, requests: {}, limit: {} };
    expect(findUnknownFields('v1', 'Pod', obj)).toEqual(['spec.containers[0].resources.limit']);
  });

  it('treats ConfigMap and Secret data as free-form', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'app.properties': 'a=b', spec: 'x' }, binaryData: { 'blob.bin': 'AAEC' }, immutable: true };
    expect(findUnknownFields('v1', 'ConfigMap', configMap)).toEqual([]);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { password: 'cGFzcw==' }, stringData: { user: 'admin' }, strinData: {} };
    expect(findUnknownFields('v1', 'Secret', secret)).toEqual(['strinData']);
  });

  it('checks status against its type, and always knows the top-level fields', () => {
    const obj = deployment() as any;
    obj.status.readyReplica = 1;
    obj.status.conditions[0].reasons = 'x';
    expect(findUnknownFields('apps/v1', 'Deployment', obj)).toEqual(['status.conditions[0].reasons', 'status.readyReplica']);
    // ConfigMap declares no status; the API server still takes the top-level field.
    expect(findUnknownFields('v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labelz: {} }, status: {} })).toEqual(['metadata.labelz']);
  });

  it('reports fields of the other served kinds', () => {
    expect(findUnknownFields('autoscaling/v2', 'HorizontalPodAutoscaler', {
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50, averageUtilisation: 1 } } }] },
    })).toEqual(['spec.metrics[0].resource.target.averageUtilisation']);
    expect(findUnknownFields('coordination.k8s.io/v1', 'Lease', { spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2024-05-01T10:00:00.000000Z', holder: 'a' } })).toEqual(['spec.holder']);
    expect(findUnknownFields('storage.k8s.io/v1', 'StorageClass', { provisioner: 'p', parameters: { any: 'thing' }, reclaimPolicy: 'Delete', volumeBindingMod: 'x' })).toEqual(['volumeBindingMod']);
  });

  it('leaves values of the wrong JSON type to validation', () => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: null, spec: { replicas: 'three', template: [], selector: 'app=web', strategy: { rollingUpdate: null } } };
    expect(findUnknownFields('apps/v1', 'Deployment', obj)).toEqual([]);
  });

  it('returns [] for a kind it does not serve or a non-object', () => {
    expect(findUnknownFields('example.com/v1', 'Widget', { spec: { anything: 1 } })).toEqual([]);
    expect(findUnknownFields('v1', 'Deployment', { spec: { replica: 1 } })).toEqual([]);
    expect(findUnknownFields('apps/v1', 'Deployment', null)).toEqual([]);
    expect(findUnknownFields('apps/v1', 'Deployment', [1])).toEqual([]);
  });

  it('knows every served kind', () => {
    for (const info of RESOURCES) {
      expect(findUnknownFields(apiVersionOf(info), info.kind, { apiVersion: apiVersionOf(info), kind: info.kind, metadata: { name: 'x' }, bogus: 1 })).toEqual(['bogus']);
    }
  });
});

describe('messages', () => {
  it('builds the Strict BadRequest message word for word', () => {
    expect(strictDecodingError('Deployment', 'v1', ['spec.replica', 'spec.template.spec.containers[0].imagePullPolcy'])).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagePullPolcy"',
    );
    expect(strictDecodingError('Deployment', 'apps/v1', ['x'])).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "x"');
  });

  it('quotes like Go', () => {
    expect(strictDecodingError('ConfigMap', 'v1', ['a"b\\c', 'tab\there', 'bell\x07\x01', 'ünï'])).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "a\\"b\\\\c", unknown field "tab\\there", unknown field "bell\\a\\x01", unknown field "ünï"',
    );
  });

  it('builds the Warning header value', () => {
    expect(unknownFieldWarning('spec.replica')).toBe('299 - "unknown field \\"spec.replica\\""');
    expect(unknownFieldWarning('a\\b')).toBe('299 - "unknown field \\"a\\\\\\\\b\\""');
    // Non-ASCII goes out as its UTF-8 bytes, as Kubernetes sends it.
    const warning = unknownFieldWarning('spec.ü');
    expect(Buffer.from(warning, 'latin1').toString('utf8')).toBe('299 - "unknown field \\"spec.ü\\""');
  });
});

describe('generated/known-fields.json', () => {
  it('is what scripts/generate-known-fields.ts generates from kubernetes-types (rerun it if this fails)', () => {
    expect(readFileSync(KNOWN_FIELDS_PATH, 'utf8')).toBe(renderKnownFields(generateKnownFields()));
  }, 60_000);
});
