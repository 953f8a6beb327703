import { describe, expect, it } from 'vitest';
import { validateObject } from './validation.ts';
import { applyDefaults } from './defaulting.ts';
import { findByKind } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';

type Patch = (obj: any) => void;

function make(apiVersion: string, kind: string, base: Record<string, unknown>, patch?: Patch): KubeObject {
  const obj = structuredClone({ apiVersion, kind, ...base }) as any;
  patch?.(obj);
  return obj as KubeObject;
}

function validate(obj: KubeObject, old?: KubeObject, defaults = true): string[] {
  const info = findByKind(obj.apiVersion ?? '', obj.kind ?? '');
  if (!info) throw new Error(`no ${obj.kind}`);
  if (defaults) {
    applyDefaults(info, obj);
    if (old) applyDefaults(info, old);
  }
  return validateObject(info, obj, old).map((error) => error.message);
}

const meta = { name: 'web', namespace: 'default' };
const container = { name: 'web', image: 'nginx:1.25' };

const pod = (patch?: Patch) => make('v1', 'Pod', { metadata: meta, spec: { containers: [container] } }, patch);
const deployment = (patch?: Patch) =>
  make(
    'apps/v1',
    'Deployment',
    {
      metadata: meta,
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
      },
    },
    patch,
  );
const daemonSet = (patch?: Patch) =>
  make('apps/v1', 'DaemonSet', { metadata: meta, spec: (deployment().spec as object) }, patch);
const job = (patch?: Patch) =>
  make('batch/v1', 'Job', { metadata: { ...meta, uid: 'u-1' }, spec: { template: { spec: { containers: [container], restartPolicy: 'Never' } } } }, patch);
const cronJob = (patch?: Patch) =>
  make(
    'batch/v1',
    'CronJob',
    { metadata: meta, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { containers: [container], restartPolicy: 'OnFailure' } } } } } },
    patch,
  );
const service = (patch?: Patch) =>
  make('v1', 'Service', { metadata: meta, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, patch);
const configMap = (patch?: Patch) => make('v1', 'ConfigMap', { metadata: meta, data: { 'app.conf': 'x' } }, patch);
const secret = (patch?: Patch) => make('v1', 'Secret', { metadata: meta, data: { token: 'c2VjcmV0' } }, patch);
const pvc = (patch?: Patch) =>
  make('v1', 'PersistentVolumeClaim', { metadata: meta, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }, patch);
const pv = (patch?: Patch) =>
  make('v1', 'PersistentVolume', { metadata: { name: 'pv1' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/data' } } }, patch);
const hpa = (patch?: Patch) =>
  make('autoscaling/v2', 'HorizontalPodAutoscaler', { metadata: meta, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5 } }, patch);

describe('validateObject accepts valid objects', () => {
  it.each([
    ['Pod', pod()],
    ['Deployment', deployment()],
    ['ReplicaSet', make('apps/v1', 'ReplicaSet', { metadata: meta, spec: deployment().spec })],
    ['DaemonSet', daemonSet()],
    ['Job', job()],
    ['CronJob', cronJob()],
    ['Service', service()],
    ['headless Service without ports', service((o) => { o.spec = { clusterIP: 'None' }; })],
    ['ConfigMap', configMap()],
    ['Secret', secret()],
    ['PersistentVolumeClaim', pvc()],
    ['PersistentVolume', pv()],
    ['HorizontalPodAutoscaler', hpa()],
    ['Namespace', make('v1', 'Namespace', { metadata: { name: 'team-a' } })],
    ['Node', make('v1', 'Node', { metadata: { name: 'node-1.lab' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } })],
    ['Lease', make('coordination.k8s.io/v1', 'Lease', { metadata: meta, spec: { holderIdentity: 'x', leaseDurationSeconds: 15 } })],
    ['StorageClass', make('storage.k8s.io/v1', 'StorageClass', { metadata: { name: 'standard' }, provisioner: 'kubelab.io/hostpath' })],
    ['ServiceAccount', make('v1', 'ServiceAccount', { metadata: meta })],
    ['Endpoints', make('v1', 'Endpoints', { metadata: meta, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] })],
    ['Event', make('v1', 'Event', { metadata: { ...meta, name: 'web.17a' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' } })],
    ['ControllerRevision', make('apps/v1', 'ControllerRevision', { metadata: meta, data: {}, revision: 1 })],
  ])('%s', (_name, obj) => {
    expect(validate(obj)).toEqual([]);
  });
});

describe('validateObject: schema layer', () => {
  it.each<[string, KubeObject, string]>([
    ['wrong type', deployment((o) => (o.spec.replicas = 'three')), 'spec.replicas: Invalid value: "three": must be of type integer'],
    ['missing required', deployment((o) => delete o.spec.template.spec.containers[0].name), 'spec.template.spec.containers[0].name: Required value'],
    ['int-or-string', pod((o) => (o.spec.containers[0].livenessProbe = { httpGet: { port: true } })), 'spec.containers[0].livenessProbe.httpGet.port: Invalid value: true: must be of type string or integer'],
    ['enum', pod((o) => (o.spec.containers[0].imagePullPolicy = 'Sometimes')), 'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
    ['map member type', pod((o) => (o.metadata.labels = { app: 5 })), 'metadata.labels[app]: Invalid value: 5: must be of type string'],
    ['int32 range', pod((o) => (o.spec.containers[0].ports = [{ containerPort: 99999999999 }])), 'spec.containers[0].ports[0].containerPort: Invalid value: 99999999999: must be of type int32'],
  ])('%s', (_name, obj, message) => {
    expect(validate(obj)).toContain(message);
  });

  it('does not hold status to the OpenAPI required lists (agents report partial status)', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { nodeInfo: { kubeletVersion: 'v1.32.0' }, conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(validateObject(findByKind('v1', 'Node')!, node)).toEqual([]);
  });

  it('reports a wrong type once, not again from the semantic layer', () => {
    const messages = validate(pod((o) => (o.spec.restartPolicy = 'Sometimes')));
    expect(messages.filter((m) => m.startsWith('spec.restartPolicy'))).toHaveLength(1);
  });
});

describe('validateObject: metadata', () => {
  it.each<[string, KubeObject, string]>([
    ['name required', pod((o) => delete o.metadata.name), 'metadata.name: Required value: name or generateName is required'],
    ['name not a subdomain', pod((o) => (o.metadata.name = 'Web_1')), 'metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of'],
    ['namespace name is a label', make('v1', 'Namespace', { metadata: { name: 'a.b' } }), 'metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label must consist of'],
    ['service name is DNS-1035', service((o) => (o.metadata.name = '1web')), 'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of'],
    ['namespace required', pod((o) => delete o.metadata.namespace), 'metadata.namespace: Required value'],
    ['namespace forbidden on cluster kinds', make('v1', 'Node', { metadata: { name: 'n', namespace: 'default' } }), 'metadata.namespace: Forbidden: not allowed on this type'],
    ['bad label value', pod((o) => (o.metadata.labels = { app: 'bad value!' })), 'metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters'],
    ['bad label key', pod((o) => (o.metadata.labels = { 'a/b/c': 'x' })), 'metadata.labels: Invalid value: "a/b/c": a qualified name must consist of'],
    ['bad annotation key', pod((o) => (o.metadata.annotations = { 'bad key': 'x' })), 'metadata.annotations: Invalid value: "bad key": name part must consist of'],
    ['annotations too large', pod((o) => (o.metadata.annotations = { big: 'x'.repeat(256 * 1024) })), 'metadata.annotations: Too long: must have at most 262144 bytes'],
    ['bad generateName', pod((o) => { delete o.metadata.name; o.metadata.generateName = 'Web-'; }), 'metadata.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain'],
  ])('%s', (_name, obj, message) => {
    expect(validate(obj).some((m) => m.startsWith(message))).toBe(true);
  });

  it('accepts generateName with a trailing dash and no name', () => {
    expect(validate(pod((o) => { delete o.metadata.name; o.metadata.generateName = 'web-'; }))).toEqual([]);
  });
});

describe('validateObject: pod spec', () => {
  it.each<[string, KubeObject, string]>([
    ['no containers', pod((o) => (o.spec.containers = [])), 'spec.containers: Required value'],
    ['missing image', pod((o) => delete o.spec.containers[0].image), 'spec.containers[0].image: Required value'],
    ['missing image in a template', deployment((o) => delete o.spec.template.spec.containers[0].image), 'spec.template.spec.containers[0].image: Required value'],
    ['container name', pod((o) => (o.spec.containers[0].name = 'Web')), 'spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label'],
    ['duplicate container names', pod((o) => o.spec.containers.push({ ...container })), 'spec.containers[1].name: Duplicate value: "web"'],
    ['duplicate across init containers', pod((o) => (o.spec.initContainers = [{ ...container }])), 'spec.containers[0].name: Duplicate value: "web"'],
    ['port out of range', pod((o) => (o.spec.containers[0].ports = [{ containerPort: 70000 }])), 'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ['port name too long', pod((o) => (o.spec.containers[0].ports = [{ name: 'a-very-long-port-name', containerPort: 80 }])), 'spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters'],
    ['duplicate port names', pod((o) => (o.spec.containers[0].ports = [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }])), 'spec.containers[0].ports[1].name: Duplicate value: "http"'],
    ['env name with =', pod((o) => (o.spec.containers[0].env = [{ name: 'A=B', value: 'x' }])), 'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\''],
    ['env value and valueFrom', pod((o) => (o.spec.containers[0].env = [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }])), 'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
    ['env valueFrom with two sources', pod((o) => (o.spec.containers[0].env = [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } } }])), 'spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'],
    ['env valueFrom with no source', pod((o) => (o.spec.containers[0].env = [{ name: 'A', valueFrom: {} }])), 'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of'],
    ['bad quantity', pod((o) => (o.spec.containers[0].resources = { limits: { memory: '12XB' } })), 'spec.containers[0].resources.limits[memory]: Invalid value: "12XB":'],
    ['requests above limits', pod((o) => (o.spec.containers[0].resources = { limits: { cpu: '500m' }, requests: { cpu: '1' } })), 'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m'],
    ['unknown resource', pod((o) => (o.spec.containers[0].resources = { limits: { gpu: '1' } })), 'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'],
    ['probe without handler', pod((o) => (o.spec.containers[0].livenessProbe = { periodSeconds: 5 })), 'spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    ['probe with two handlers', pod((o) => (o.spec.containers[0].readinessProbe = { tcpSocket: { port: 80 }, exec: { command: ['true'] } })), 'spec.containers[0].readinessProbe.'],
    ['liveness successThreshold', pod((o) => (o.spec.containers[0].livenessProbe = { tcpSocket: { port: 80 }, successThreshold: 2 })), 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ['negative probe period', pod((o) => (o.spec.containers[0].readinessProbe = { tcpSocket: { port: 80 }, periodSeconds: -1 })), 'spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0'],
    ['mount of unknown volume', pod((o) => (o.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }])), 'spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ['duplicate volume names', pod((o) => (o.spec.volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }])), 'spec.volumes[1].name: Duplicate value: "v"'],
    ['volume with two sources', pod((o) => (o.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }])), 'spec.volumes[0].'],
    ['configMap volume without name', pod((o) => (o.spec.volumes = [{ name: 'v', configMap: {} }])), 'spec.volumes[0].configMap.name: Required value'],
    ['dnsPolicy None without dnsConfig', pod((o) => (o.spec.dnsPolicy = 'None')), 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
    ['toleration Exists with value', pod((o) => (o.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }])), 'spec.tolerations[0].operator: Invalid value: "v": value must be empty when `operator` is \'Exists\''],
  ])('%s', (_name, obj, message) => {
    const messages = validate(obj);
    expect(messages.some((m) => m.startsWith(message)), messages.join('\n')).toBe(true);
  });

  it('reports the second volume source as forbidden', () => {
    expect(validate(pod((o) => (o.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }])))).toContain(
      'spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type',
    );
  });

  it('reports the second probe handler as forbidden', () => {
    expect(validate(pod((o) => (o.spec.containers[0].readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } })))).toContain(
      'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    );
  });

  it('accepts requests equal to limits and a numeric cpu', () => {
    expect(validate(pod((o) => (o.spec.containers[0].resources = { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } })))).toEqual([]);
  });
});

describe('validateObject: apps workloads', () => {
  it.each<[string, KubeObject, string]>([
    ['selector does not match template', deployment((o) => (o.spec.template.metadata.labels = { app: 'other', tier: 'x' })), 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`'],
    ['selector required', deployment((o) => delete o.spec.selector), 'spec.selector: Required value'],
    ['empty selector', deployment((o) => (o.spec.selector = {})), 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ['bad selector operator', deployment((o) => (o.spec.selector = { matchExpressions: [{ key: 'app', operator: 'Like', values: ['web'] }] })), 'spec.selector.matchExpressions[0].operator: Invalid value: "Like": not a valid selector operator'],
    ['negative replicas', deployment((o) => (o.spec.replicas = -1)), 'spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ['template restartPolicy', deployment((o) => (o.spec.template.spec.restartPolicy = 'Never')), 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ['both surge and unavailable zero', deployment((o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } })), 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'],
    ['bad percent', deployment((o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } })), 'spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": must be an integer or percentage (e.g \'5%\')'],
    ['over 100%', deployment((o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } })), 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%'],
    ['rollingUpdate with Recreate', deployment((o) => (o.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } })), 'spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\''],
    ['daemonset selector mismatch', daemonSet((o) => (o.spec.template.metadata.labels = {})), 'spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not match template `labels`'],
    ['daemonset empty selector', daemonSet((o) => (o.spec.selector = { matchLabels: {} })), 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset'],
  ])('%s', (_name, obj, message) => {
    const messages = validate(obj);
    expect(messages, messages.join('\n')).toContain(message);
  });

  it('matches selectors with expressions', () => {
    const obj = deployment((o) => (o.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }));
    expect(validate(obj)).toEqual([]);
  });

  it('forbids changing the selector on update', () => {
    const old = deployment();
    const updated = deployment((o) => {
      o.spec.selector = { matchLabels: { app: 'web2' } };
      o.spec.template.metadata.labels = { app: 'web2' };
    });
    expect(validate(updated, old)).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it('allows other changes on update', () => {
    expect(validate(deployment((o) => (o.spec.replicas = 5)), deployment())).toEqual([]);
  });
});

describe('validateObject: batch', () => {
  it.each<[string, KubeObject, string]>([
    ['job restartPolicy missing', job((o) => delete o.spec.template.spec.restartPolicy), 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ['job restartPolicy Always', job((o) => (o.spec.template.spec.restartPolicy = 'Always')), 'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
    ['negative completions', job((o) => (o.spec.completions = -1)), 'spec.completions: Invalid value: -1: must be greater than or equal to 0'],
    ['negative backoffLimit', job((o) => (o.spec.backoffLimit = -2)), 'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0'],
    ['manual selector missing', job((o) => (o.spec.manualSelector = true)), 'spec.selector: Required value'],
    ['indexed without completions', job((o) => { o.spec.completionMode = 'Indexed'; o.spec.parallelism = 2; }), 'spec.completions: Required value: when completion mode is Indexed'],
    ['cron schedule missing', cronJob((o) => delete o.spec.schedule), 'spec.schedule: Required value'],
    ['cron schedule fields', cronJob((o) => (o.spec.schedule = '* * *')), 'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]'],
    ['cron schedule range', cronJob((o) => (o.spec.schedule = '61 * * * *')), 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'],
    ['cron TZ in schedule', cronJob((o) => (o.spec.schedule = 'TZ=UTC 0 * * * *')), 'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ['cron unknown time zone', cronJob((o) => (o.spec.timeZone = 'Mars/Olympus')), 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    ['cron job template restartPolicy', cronJob((o) => delete o.spec.jobTemplate.spec.template.spec.restartPolicy), 'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ['cron name too long', cronJob((o) => (o.metadata.name = 'a'.repeat(53))), `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`],
  ])('%s', (_name, obj, message) => {
    const messages = validate(obj);
    expect(messages, messages.join('\n')).toContain(message);
  });

  it.each(['@hourly', '@every 1h30m', '0 0 * * MON-FRI', '*/15 9-17 1,15 JAN-jun ?'])('accepts the schedule %s', (schedule) => {
    expect(validate(cronJob((o) => (o.spec.schedule = schedule)))).toEqual([]);
  });

  it('accepts a valid time zone', () => {
    expect(validate(cronJob((o) => (o.spec.timeZone = 'Europe/Paris')))).toEqual([]);
  });

  it('forbids changing a Job selector or template', () => {
    const old = job();
    const updated = job((o) => (o.spec.template.spec.containers[0].image = 'nginx:2'));
    expect(validate(updated, old)).toEqual(['spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable']);
  });

  it('rejects a selector that was not generated from the uid', () => {
    const obj = job((o) => {
      o.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } };
      o.spec.template.metadata = { labels: { 'batch.kubernetes.io/controller-uid': 'other' } };
    });
    expect(validate(obj).some((m) => m.startsWith('spec.selector: Invalid value:') && m.endsWith('`selector` not auto-generated'))).toBe(true);
  });
});

describe('validateObject: services', () => {
  it.each<[string, KubeObject, string]>([
    ['ports required', service((o) => (o.spec.ports = [])), 'spec.ports: Required value'],
    ['port names required when several', service((o) => (o.spec.ports = [{ port: 80 }, { name: 'b', port: 81 }])), 'spec.ports[0].name: Required value'],
    ['duplicate port names', service((o) => (o.spec.ports = [{ name: 'a', port: 80 }, { name: 'a', port: 81 }])), 'spec.ports[1].name: Duplicate value: "a"'],
    ['port range', service((o) => (o.spec.ports = [{ port: 0 }])), 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['bad type', service((o) => (o.spec.type = 'Magic')), 'spec.type: Unsupported value: "Magic"'],
    ['nodePort out of range', service((o) => { o.spec.type = 'NodePort'; o.spec.ports[0].nodePort = 80; }), 'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    ['nodePort on ClusterIP', service((o) => (o.spec.ports[0].nodePort = 30080)), 'spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\''],
    ['bad targetPort name', service((o) => (o.spec.ports[0].targetPort = 'HTTP')), 'spec.ports[0].targetPort: Invalid value: "HTTP": must contain only alpha-numerics and \'-\''],
    ['bad clusterIP', service((o) => (o.spec.clusterIP = '10.0.0')), 'spec.clusterIPs[0]: Invalid value: "10.0.0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    ['externalName required', service((o) => { o.spec = { type: 'ExternalName' }; }), 'spec.externalName: Required value'],
    ['bad selector value', service((o) => (o.spec.selector = { app: 'a b' })), 'spec.selector: Invalid value: "a b": a valid label must be'],
  ])('%s', (_name, obj, message) => {
    const messages = validate(obj);
    expect(messages.some((m) => m.startsWith(message)), messages.join('\n')).toBe(true);
  });

  it('keeps an allocated clusterIP', () => {
    const old = service((o) => (o.spec.clusterIP = '10.96.0.10'));
    expect(validate(service((o) => (o.spec.clusterIP = '10.96.0.11')), old)).toEqual([
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set',
    ]);
    expect(validate(service((o) => (o.spec.clusterIP = '10.96.0.10')), old)).toEqual([]);
  });
});

describe('validateObject: config data', () => {
  it.each<[string, KubeObject, string]>([
    ['bad configmap key', configMap((o) => (o.data = { 'a b': 'x' })), 'data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters'],
    ['key in both maps', configMap((o) => (o.binaryData = { 'app.conf': 'eA==' })), 'data[app.conf]: Invalid value: "app.conf": duplicate of key present in binaryData'],
    ['secret not base64', secret((o) => (o.data = { token: 'not base64!' })), 'data[token]: Invalid value: "<secret contents redacted>": a valid base64 value is required: illegal base64 data at input byte 3'],
    ['secret missing padding', secret((o) => (o.data = { token: 'abc' })), 'data[token]: Invalid value: "<secret contents redacted>": a valid base64 value is required: illegal base64 data at input byte 0'],
    ['tls secret keys', secret((o) => { o.type = 'kubernetes.io/tls'; o.data = { 'tls.crt': 'eA==' }; }), 'data[tls.key]: Required value'],
    ['dot key', secret((o) => (o.data = { '..': 'eA==' })), 'data[..]: Invalid value: "..": must not be \'..\''],
  ])('%s', (_name, obj, message) => {
    const messages = validate(obj);
    expect(messages.some((m) => m.startsWith(message)), messages.join('\n')).toBe(true);
  });

  it('never echoes secret data in messages', () => {
    const messages = validate(secret((o) => (o.data = { token: 'hunter2 in clear!' })));
    expect(messages.join('\n')).not.toContain('hunter2');
  });

  it('freezes data once immutable', () => {
    const old = configMap((o) => (o.immutable = true));
    expect(validate(configMap((o) => { o.immutable = true; o.data = { 'app.conf': 'y' }; }), old)).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(validate(configMap((o) => (o.immutable = false)), old)).toEqual(['immutable: Forbidden: field is immutable when `immutable` is set']);
    expect(validate(configMap((o) => (o.data = { 'app.conf': 'y' })), configMap())).toEqual([]);
  });

  it('freezes a Secret type', () => {
    expect(validate(secret((o) => (o.type = 'custom/x')), secret())).toEqual(['type: Invalid value: "custom/x": field is immutable']);
  });
});

describe('validateObject: storage, autoscaling and the rest', () => {
  it.each<[string, KubeObject, string]>([
    ['pvc access modes', pvc((o) => (o.spec.accessModes = [])), 'spec.accessModes: Required value: at least 1 access mode is required'],
    ['pvc storage', pvc((o) => (o.spec.resources = {})), 'spec.resources[storage]: Required value'],
    ['pvc zero storage', pvc((o) => (o.spec.resources.requests.storage = '0')), 'spec.resources[storage]: Invalid value: "0": must be greater than zero'],
    ['pv capacity', pv((o) => delete o.spec.capacity), 'spec.capacity: Required value'],
    ['pv source', pv((o) => delete o.spec.hostPath), 'spec: Required value: must specify a volume type'],
    ['hpa max below min', hpa((o) => (o.spec.minReplicas = 6)), 'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`'],
    ['hpa min zero', hpa((o) => (o.spec.minReplicas = 0)), 'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1'],
    ['hpa target name', hpa((o) => (o.spec.scaleTargetRef.name = '')), 'spec.scaleTargetRef.name: Required value'],
    ['hpa metric source', hpa((o) => (o.spec.metrics = [{ type: 'Resource' }])), 'spec.metrics[0].resource: Required value: must populate information for the given metric source'],
    ['storage class provisioner', make('storage.k8s.io/v1', 'StorageClass', { metadata: { name: 's' } }), 'provisioner: Required value'],
    ['node taint effect', make('v1', 'Node', { metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'Sometimes' }] } }), 'spec.taints[0].effect: Unsupported value: "Sometimes"'],
    ['lease duration', make('coordination.k8s.io/v1', 'Lease', { metadata: meta, spec: { leaseDurationSeconds: 0 } }), 'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
    ['event namespace', make('v1', 'Event', { metadata: meta, involvedObject: { namespace: 'other' } }), 'involvedObject.namespace: Invalid value: "other": does not match event.namespace'],
    ['endpoints ip', make('v1', 'Endpoints', { metadata: meta, subsets: [{ addresses: [{ ip: 'nope' }] }] }), 'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address'],
    ['endpoints loopback', make('v1', 'Endpoints', { metadata: meta, subsets: [{ addresses: [{ ip: '127.0.0.1' }] }] }), 'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
    ['endpoints loopback v6', make('v1', 'Endpoints', { metadata: meta, subsets: [{ notReadyAddresses: [{ ip: '::1' }] }] }), 'subsets[0].notReadyAddresses[0].ip: Invalid value: "::1": may not be in the loopback range'],
    ['endpoints link-local', make('v1', 'Endpoints', { metadata: meta, subsets: [{ addresses: [{ ip: '169.254.169.254' }] }] }), 'subsets[0].addresses[0].ip: Invalid value: "169.254.169.254": may not be in the link-local range'],
    ['endpoints unspecified', make('v1', 'Endpoints', { metadata: meta, subsets: [{ addresses: [{ ip: '0.0.0.0' }] }] }), 'subsets[0].addresses[0].ip: Invalid value: "0.0.0.0": may not be unspecified'],
    ['endpoints multicast', make('v1', 'Endpoints', { metadata: meta, subsets: [{ addresses: [{ ip: '224.0.0.251' }] }] }), 'subsets[0].addresses[0].ip: Invalid value: "224.0.0.251": may not be in the link-local multicast range'],
  ])('%s', (_name, obj, message) => {
    const messages = validate(obj);
    expect(messages.some((m) => m.startsWith(message)), messages.join('\n')).toBe(true);
  });

  it('freezes a PVC spec except its storage request, which may only grow', () => {
    const old = pvc();
    expect(validate(pvc((o) => (o.spec.resources.requests.storage = '2Gi')), old)).toEqual([]);
    expect(validate(pvc((o) => (o.spec.resources.requests.storage = '512Mi')), old)).toEqual([
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    expect(validate(pvc((o) => (o.spec.accessModes = ['ReadWriteMany'])), old)).toEqual([
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
    expect(validate(pvc((o) => (o.spec.volumeName = 'pv1')), old)).toEqual([]);
  });

  it('forbids most pod spec changes but allows a new image', () => {
    expect(validate(pod((o) => (o.spec.containers[0].image = 'nginx:2')), pod())).toEqual([]);
    const messages = validate(pod((o) => (o.spec.containers[0].ports = [{ containerPort: 81 }])), pod());
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  });

  it('lets binding set nodeName on an unbound pod', () => {
    expect(validate(pod((o) => (o.spec.nodeName = 'node-1')), pod())).toEqual([]);
    expect(validate(pod((o) => (o.spec.nodeName = 'node-2')), pod((o) => (o.spec.nodeName = 'node-1')))).toHaveLength(1);
  });

  it('forbids StorageClass parameter changes', () => {
    const sc = (parameters: object) => make('storage.k8s.io/v1', 'StorageClass', { metadata: { name: 's' }, provisioner: 'a.io/b', parameters });
    expect(validate(sc({ a: '2' }), sc({ a: '1' }))).toEqual(['parameters: Forbidden: updates to parameters are forbidden.']);
  });

  it('checks objects before defaulting without inventing errors for defaulted fields', () => {
    expect(validate(service(), undefined, false)).toEqual([]);
    expect(validate(deployment(), undefined, false)).toEqual([]);
    expect(validate(job((o) => delete o.metadata.uid), undefined, false)).toEqual([]);
  });
});
