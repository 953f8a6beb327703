// applyDefaults: what Kubernetes' defaulters (pkg/apis/*/v1/defaults.go, SetDefaults_*) and
// registry strategies' PrepareForCreate fill in, so objects read back the way `kubectl get
// -o yaml` shows them on a real cluster. Identity fields (uid, creationTimestamp,
// resourceVersion, generation) and allocations (clusterIP, nodePort) are the API server's.

import type { ResourceInfo } from './resource-catalog.ts';
import type { KubeObject } from './kube-object.ts';
import { asArray, asObject, setKeys, type Json } from './field-checks.ts';
import {
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from './validate-batch.ts';
import { POD_VOLUME_SOURCES } from './validate-volumes.ts';

/** Set `object[field]` only when it is absent (undefined or null). */
function setDefault(object: Json, field: string, value: unknown): void {
  if (object[field] === undefined || object[field] === null) object[field] = value;
}

/** The object at `object[field]`, created empty when absent. */
function ensureObject(object: Json, field: string): Json {
  const existing = asObject(object[field]);
  if (existing) return existing;
  const created: Json = {};
  object[field] = created;
  return created;
}

/** The tag parsers.ParseImageName finds: `latest` when there is neither tag nor digest. */
export function imageTag(image: string): string {
  const [withoutDigest, digest] = image.split('@');
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  if (lastColon > lastSlash) return withoutDigest.slice(lastColon + 1);
  return digest ? '' : 'latest';
}

/** SetDefaults_Container's pull policy: `latest` (or no tag) may change, so always pull it. */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  return typeof image === 'string' && imageTag(image) !== 'latest' ? 'IfNotPresent' : 'Always';
}

function defaultHandler(handler: Json): void {
  const httpGet = asObject(handler.httpGet);
  if (httpGet) {
    setDefault(httpGet, 'path', '/');
    setDefault(httpGet, 'scheme', 'HTTP');
  }
}

function defaultProbe(probe: Json): void {
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

function defaultContainer(container: Json): void {
  setDefault(container, 'imagePullPolicy', defaultPullPolicy(container.image));
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  // Go prints this non-pointer struct even when empty.
  setDefault(container, 'resources', {});
  for (const raw of asArray(container.ports)) {
    const port = asObject(raw);
    if (port) setDefault(port, 'protocol', 'TCP');
  }
  for (const raw of asArray(container.env)) {
    const fieldRef = asObject(asObject(asObject(raw)?.valueFrom)?.fieldRef);
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  for (const field of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = asObject(container[field]);
    if (probe) defaultProbe(probe);
  }
  const lifecycle = asObject(container.lifecycle);
  for (const hook of ['postStart', 'preStop']) {
    const handler = asObject(lifecycle?.[hook]);
    if (handler) defaultHandler(handler);
  }
}

function defaultVolume(volume: Json): void {
  if (setKeys(volume, POD_VOLUME_SOURCES).length === 0) volume.emptyDir = {};
  for (const source of ['configMap', 'secret', 'downwardAPI', 'projected']) {
    const details = asObject(volume[source]);
    if (details) setDefault(details, 'defaultMode', 420); // 0644
  }
  const hostPath = asObject(volume.hostPath);
  if (hostPath) setDefault(hostPath, 'type', '');
  for (const raw of asArray(asObject(volume.downwardAPI)?.items)) {
    const fieldRef = asObject(asObject(raw)?.fieldRef);
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
}

interface PodSpecDefaultOptions {
  /** Job templates keep restartPolicy unset: the user must choose OnFailure or Never. */
  restartPolicy: boolean;
}

/** SetDefaults_PodSpec plus the container, probe and volume defaulters: for pods and templates alike. */
export function applyPodSpecDefaults(spec: Json, options: PodSpecDefaultOptions = { restartPolicy: true }): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  if (options.restartPolicy) setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['initContainers', 'containers']) {
    for (const raw of asArray(spec[list])) {
      const container = asObject(raw);
      if (container) defaultContainer(container);
    }
  }
  for (const raw of asArray(spec.volumes)) {
    const volume = asObject(raw);
    if (volume) defaultVolume(volume);
  }
}

/** SetDefaults_Pod: what only a Pod (not a template) gets. */
function applyPodDefaults(obj: KubeObject): void {
  const spec = ensureObject(obj, 'spec');
  applyPodSpecDefaults(spec);
  setDefault(spec, 'enableServiceLinks', true);
  for (const list of ['initContainers', 'containers']) {
    for (const raw of asArray(spec[list])) {
      const container = asObject(raw);
      if (!container) continue;
      // A limit without a request means the request is the limit.
      const resources = asObject(container.resources);
      const limits = asObject(resources?.limits);
      if (resources && limits && Object.keys(limits).length > 0) {
        const requests = ensureObject(resources, 'requests');
        for (const [name, value] of Object.entries(limits)) setDefault(requests, name, value);
      }
      if (spec.hostNetwork === true) {
        for (const rawPort of asArray(container.ports)) {
          const port = asObject(rawPort);
          if (port && !port.hostPort) port.hostPort = port.containerPort;
        }
      }
    }
  }
}

function applyTemplateDefaults(template: unknown, options?: PodSpecDefaultOptions): void {
  const object = asObject(template);
  if (!object) return;
  const spec = asObject(object.spec);
  if (spec) applyPodSpecDefaults(spec, options);
}

function applyDeploymentDefaults(spec: Json): void {
  setDefault(spec, 'replicas', 1);
  const strategy = ensureObject(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObject(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', '25%');
    setDefault(rollingUpdate, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  applyTemplateDefaults(spec.template);
}

function applyDaemonSetDefaults(spec: Json): void {
  const strategy = ensureObject(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = ensureObject(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', 1);
    setDefault(rollingUpdate, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  applyTemplateDefaults(spec.template);
}

/**
 * batch's generateSelector (PrepareForCreate): pods carry the Job's uid and name, and the
 * selector picks the uid, so a Job never adopts another Job's pods.
 */
function generateJobSelector(obj: KubeObject, spec: Json, uid: string): void {
  const template = ensureObject(spec, 'template');
  const labels = ensureObject(ensureObject(template, 'metadata'), 'labels');
  const name = obj.metadata.name ?? '';
  for (const label of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) setDefault(labels, label, name);
  for (const label of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) setDefault(labels, label, uid);
  const selector = ensureObject(spec, 'selector');
  setDefault(ensureObject(selector, 'matchLabels'), CONTROLLER_UID_LABEL, uid);
}

function applyJobDefaults(obj: KubeObject, spec: Json): void {
  // Both unset: one pod, once. Parallelism alone: a work queue, completions stay unset.
  if (spec.completions == null && spec.parallelism == null) spec.completions = 1;
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex != null ? 2147483647 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed');
  applyTemplateDefaults(spec.template, { restartPolicy: false });
  const uid = obj.metadata.uid;
  if (uid && spec.manualSelector !== true) generateJobSelector(obj, spec, uid);
  // SetDefaults_Job: a Job without labels takes its pods' labels.
  const templateLabels = asObject(asObject(asObject(spec.template)?.metadata)?.labels);
  if (templateLabels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...templateLabels } as Record<string, string>;
}

function applyCronJobDefaults(spec: Json): void {
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  applyTemplateDefaults(asObject(asObject(spec.jobTemplate)?.spec)?.template, { restartPolicy: false });
}

function applyServiceDefaults(spec: Json): void {
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ensureObject(ensureObject(spec, 'sessionAffinityConfig'), 'clientIP');
    setDefault(clientIP, 'timeoutSeconds', 10800);
  }
  for (const raw of asArray(spec.ports)) {
    const port = asObject(raw);
    if (!port) continue;
    setDefault(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') {
      port.targetPort = port.port;
    }
  }
  const type = spec.type;
  if (type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (type !== 'ExternalName') {
    // Headless without a selector may hold endpoints of both families.
    const headlessWithoutSelector = spec.clusterIP === 'None' && Object.keys(asObject(spec.selector) ?? {}).length === 0;
    setDefault(spec, 'ipFamilyPolicy', headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack');
  }
}

/** The v1 Secret conversion: stringData is write-only and lands in data, base64-encoded. */
function mergeSecretStringData(obj: KubeObject): void {
  const stringData = asObject(obj.stringData);
  if (stringData) {
    const data = ensureObject(obj, 'data');
    for (const [key, value] of Object.entries(stringData)) {
      if (typeof value === 'string') data[key] = Buffer.from(value, 'utf8').toString('base64');
    }
  }
  delete obj.stringData;
}

function scalingRules(rules: unknown, defaults: Json): Json {
  const result: Json = { ...(asObject(rules) ?? {}) };
  for (const [field, value] of Object.entries(defaults)) setDefault(result, field, structuredClone(value));
  return result;
}

function applyHorizontalPodAutoscalerDefaults(spec: Json): void {
  setDefault(spec, 'minReplicas', 1);
  if (asArray(spec.metrics).length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  const behavior = asObject(spec.behavior);
  if (behavior) {
    behavior.scaleUp = scalingRules(behavior.scaleUp, {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    });
    behavior.scaleDown = scalingRules(behavior.scaleDown, {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    });
  }
}

/**
 * Fill in the defaults Kubernetes gives `obj` of kind `info`, in place. Run before
 * validateObject, on create and on update (defaults only fill what is absent).
 */
export function applyDefaults(info: ResourceInfo, obj: KubeObject): void {
  obj.metadata ??= {};
  switch (info.kind) {
    case 'Namespace': {
      // SetDefaults_Namespace: a label so selectors can pick namespaces by name.
      if (obj.metadata.name) obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      const spec = ensureObject(obj, 'spec');
      if (asArray(spec.finalizers).length === 0) spec.finalizers = ['kubernetes'];
      setDefault(ensureObject(obj, 'status'), 'phase', 'Active');
      break;
    }
    case 'Pod':
      applyPodDefaults(obj);
      break;
    case 'Service':
      applyServiceDefaults(ensureObject(obj, 'spec'));
      break;
    case 'Endpoints':
      for (const subset of asArray(obj.subsets)) {
        for (const raw of asArray(asObject(subset)?.ports)) {
          const port = asObject(raw);
          if (port) setDefault(port, 'protocol', 'TCP');
        }
      }
      break;
    case 'Secret':
      mergeSecretStringData(obj);
      setDefault(obj, 'type', 'Opaque');
      break;
    case 'PersistentVolume': {
      const spec = ensureObject(obj, 'spec');
      setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
      setDefault(spec, 'volumeMode', 'Filesystem');
      setDefault(ensureObject(obj, 'status'), 'phase', 'Pending');
      break;
    }
    case 'PersistentVolumeClaim':
      setDefault(ensureObject(obj, 'spec'), 'volumeMode', 'Filesystem');
      setDefault(ensureObject(obj, 'status'), 'phase', 'Pending');
      break;
    case 'Deployment':
      applyDeploymentDefaults(ensureObject(obj, 'spec'));
      break;
    case 'ReplicaSet': {
      const spec = ensureObject(obj, 'spec');
      setDefault(spec, 'replicas', 1);
      applyTemplateDefaults(spec.template);
      break;
    }
    case 'DaemonSet':
      applyDaemonSetDefaults(ensureObject(obj, 'spec'));
      break;
    case 'Job':
      applyJobDefaults(obj, ensureObject(obj, 'spec'));
      break;
    case 'CronJob':
      applyCronJobDefaults(ensureObject(obj, 'spec'));
      break;
    case 'HorizontalPodAutoscaler':
      applyHorizontalPodAutoscalerDefaults(ensureObject(obj, 'spec'));
      break;
    case 'StorageClass':
      setDefault(obj, 'reclaimPolicy', 'Delete');
      setDefault(obj, 'volumeBindingMode', 'Immediate');
      break;
    default:
      break; // Node, Event, ConfigMap, ServiceAccount, Lease, ControllerRevision: nothing to fill
  }
}
