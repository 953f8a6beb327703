// PodSpec and PodTemplateSpec, as pkg/apis/core/validation's ValidatePodSpec checks them.
// Fields that defaulting fills (imagePullPolicy, protocol...) are only checked when set, so
// the same checks serve manifests validated before defaulting.

import { fieldError, type FieldError } from './errors.ts';
import {
  asArray,
  asObject,
  asString,
  nonNegative,
  notFound,
  oneOf,
  portNumber,
  portNumberOrName,
  positive,
  sameValue,
  setKeys,
  type Json,
} from './field-checks.ts';
import {
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidPortName,
  validateAnnotations,
  validateLabels,
} from './name-validation.ts';
import { validateResourceRequirements } from './validate-resources.ts';
import { relativePathErrors, validateVolumes } from './validate-volumes.ts';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];
const FIELD_REF_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations',
  'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];

function validatePorts(ports: unknown, path: string, hostNetwork: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  asArray(ports).forEach((raw, i) => {
    const port = asObject(raw);
    if (!port) return;
    const portPath = `${path}[${i}]`;
    const name = asString(port.name);
    if (name) {
      const messages = isValidPortName(name);
      for (const message of messages) errors.push(fieldError.invalid(`${portPath}.name`, name, message));
      if (messages.length === 0 && names.has(name)) errors.push(fieldError.duplicate(`${portPath}.name`, name));
      names.add(name);
    }
    if (port.containerPort === undefined || port.containerPort === 0) errors.push(fieldError.required(`${portPath}.containerPort`));
    else errors.push(...portNumber(port.containerPort, `${portPath}.containerPort`));
    if (port.hostPort) errors.push(...portNumber(port.hostPort, `${portPath}.hostPort`));
    if (hostNetwork && port.hostPort && port.hostPort !== port.containerPort) {
      errors.push(fieldError.invalid(`${portPath}.containerPort`, port.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
    }
    errors.push(...oneOf(port.protocol, PROTOCOLS, `${portPath}.protocol`));
  });
  return errors;
}

function validateEnvVarSource(valueFrom: Json, hasValue: boolean, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const sources = setKeys(valueFrom, ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef']);
  if (sources.length === 0) {
    errors.push(fieldError.invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  } else if (sources.length > 1) {
    errors.push(fieldError.invalid(path, '', 'may not have more than one field specified at a time'));
  }
  if (hasValue && sources.length > 0) errors.push(fieldError.invalid(path, '', 'may not be specified when `value` is not empty'));

  const fieldRef = asObject(valueFrom.fieldRef);
  if (fieldRef) {
    const fieldPath = asString(fieldRef.fieldPath);
    if (!fieldPath) errors.push(fieldError.required(`${path}.fieldRef.fieldPath`));
    else {
      // `metadata.labels['key']` selects one label.
      const base = fieldPath.replace(/\['[^']*'\]$/, '');
      if (!FIELD_REF_PATHS.includes(base)) errors.push(fieldError.notSupported(`${path}.fieldRef.fieldPath`, fieldPath, FIELD_REF_PATHS));
    }
  }
  const resourceFieldRef = asObject(valueFrom.resourceFieldRef);
  if (resourceFieldRef && !asString(resourceFieldRef.resource)) errors.push(fieldError.required(`${path}.resourceFieldRef.resource`));
  for (const refName of ['configMapKeyRef', 'secretKeyRef']) {
    const ref = asObject(valueFrom[refName]);
    if (!ref) continue;
    const refPath = `${path}.${refName}`;
    if (!asString(ref.name)) errors.push(fieldError.required(`${refPath}.name`));
    const keyValue = asString(ref.key);
    if (!keyValue) errors.push(fieldError.required(`${refPath}.key`));
    else for (const message of isConfigMapKey(keyValue)) errors.push(fieldError.invalid(`${refPath}.key`, keyValue, message));
  }
  return errors;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  asArray(env).forEach((raw, i) => {
    const variable = asObject(raw);
    if (!variable) return;
    const variablePath = `${path}[${i}]`;
    const name = asString(variable.name);
    if (!name) errors.push(fieldError.required(`${variablePath}.name`));
    else for (const message of isEnvVarName(name)) errors.push(fieldError.invalid(`${variablePath}.name`, name, message));
    const valueFrom = asObject(variable.valueFrom);
    if (valueFrom) errors.push(...validateEnvVarSource(valueFrom, Boolean(variable.value), `${variablePath}.valueFrom`));
  });
  return errors;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  asArray(envFrom).forEach((raw, i) => {
    const source = asObject(raw);
    if (!source) return;
    const sourcePath = `${path}[${i}]`;
    const prefix = asString(source.prefix);
    if (prefix) for (const message of isEnvVarName(prefix)) errors.push(fieldError.invalid(`${sourcePath}.prefix`, prefix, message));
    const refs = setKeys(source, ['configMapRef', 'secretRef']);
    if (refs.length === 0) errors.push(fieldError.invalid(sourcePath, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (refs.length > 1) errors.push(fieldError.invalid(sourcePath, '', 'may not have more than one field specified at a time'));
    for (const ref of refs) {
      const name = asString(asObject(source[ref])?.name);
      if (!name) errors.push(fieldError.required(`${sourcePath}.${ref}.name`));
      else for (const message of isDns1123Subdomain(name)) errors.push(fieldError.invalid(`${sourcePath}.${ref}.name`, name, message));
    }
  });
  return errors;
}

function validateHandler(handler: Json, handlers: string[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  const present = setKeys(handler, handlers);
  if (present.length === 0) return [fieldError.required(path, 'must specify a handler type')];
  for (const extra of present.slice(1)) errors.push(fieldError.forbidden(`${path}.${extra}`, 'may not specify more than 1 handler type'));
  const exec = asObject(handler.exec);
  if (exec && asArray(exec.command).length === 0) errors.push(fieldError.required(`${path}.exec.command`));
  const httpGet = asObject(handler.httpGet);
  if (httpGet) {
    if (httpGet.port === undefined) errors.push(fieldError.required(`${path}.httpGet.port`));
    errors.push(...portNumberOrName(httpGet.port, `${path}.httpGet.port`));
    errors.push(...oneOf(httpGet.scheme, ['HTTP', 'HTTPS'], `${path}.httpGet.scheme`));
  }
  const tcpSocket = asObject(handler.tcpSocket);
  if (tcpSocket) {
    if (tcpSocket.port === undefined) errors.push(fieldError.required(`${path}.tcpSocket.port`));
    errors.push(...portNumberOrName(tcpSocket.port, `${path}.tcpSocket.port`));
  }
  const grpc = asObject(handler.grpc);
  if (grpc) errors.push(...portNumber(grpc.port, `${path}.grpc.port`));
  const sleep = asObject(handler.sleep);
  if (sleep) errors.push(...nonNegative(sleep.seconds, `${path}.sleep.seconds`));
  return errors;
}

function validateProbe(probe: Json, path: string, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  const errors = validateHandler(probe, PROBE_HANDLERS, path);
  for (const field of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errors.push(...nonNegative(probe[field], `${path}.${field}`));
  }
  if (kind !== 'readiness' && typeof probe.successThreshold === 'number' && probe.successThreshold !== 1) {
    errors.push(fieldError.invalid(`${path}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds !== null) {
    if (kind === 'readiness') errors.push(fieldError.invalid(`${path}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else errors.push(...positive(probe.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`));
  }
  return errors;
}

function validateVolumeMounts(mounts: unknown, path: string, volumeNames: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  const mountPaths = new Set<string>();
  asArray(mounts).forEach((raw, i) => {
    const mount = asObject(raw);
    if (!mount) return;
    const mountPath = `${path}[${i}]`;
    const name = asString(mount.name);
    if (!name) errors.push(fieldError.required(`${mountPath}.name`));
    else if (!volumeNames.has(name)) errors.push(notFound(`${mountPath}.name`, name));
    const target = asString(mount.mountPath);
    if (!target) errors.push(fieldError.required(`${mountPath}.mountPath`));
    else {
      if (mountPaths.has(target)) errors.push(fieldError.invalid(`${mountPath}.mountPath`, target, 'must be unique'));
      mountPaths.add(target);
    }
    errors.push(...relativePathErrors(mount.subPath, `${mountPath}.subPath`));
  });
  return errors;
}

interface ContainerContext {
  volumeNames: Set<string>;
  containerNames: Set<string>;
  hostNetwork: boolean;
  init: boolean;
}

function validateContainer(container: Json, path: string, context: ContainerContext): FieldError[] {
  const errors: FieldError[] = [];
  const name = asString(container.name);
  if (!name) errors.push(fieldError.required(`${path}.name`));
  else {
    const messages = isDns1123Label(name);
    for (const message of messages) errors.push(fieldError.invalid(`${path}.name`, name, message));
    if (messages.length === 0 && context.containerNames.has(name)) errors.push(fieldError.duplicate(`${path}.name`, name));
    context.containerNames.add(name);
  }
  const image = container.image;
  if (image === undefined || image === null || image === '') errors.push(fieldError.required(`${path}.image`));
  else if (typeof image === 'string' && image.trim() !== image) {
    errors.push(fieldError.invalid(`${path}.image`, image, 'must not have leading or trailing whitespace'));
  }
  errors.push(...oneOf(container.imagePullPolicy, PULL_POLICIES, `${path}.imagePullPolicy`));
  errors.push(...oneOf(container.terminationMessagePolicy, ['File', 'FallbackToLogsOnError'], `${path}.terminationMessagePolicy`));
  errors.push(...validatePorts(container.ports, `${path}.ports`, context.hostNetwork));
  errors.push(...validateEnv(container.env, `${path}.env`));
  errors.push(...validateEnvFrom(container.envFrom, `${path}.envFrom`));
  errors.push(...validateResourceRequirements(container.resources, `${path}.resources`));
  errors.push(...validateVolumeMounts(container.volumeMounts, `${path}.volumeMounts`, context.volumeNames));

  // Init containers run to completion, so probes only make sense on sidecars (restartPolicy Always).
  const sidecar = context.init && container.restartPolicy === 'Always';
  if (context.init) errors.push(...oneOf(container.restartPolicy, ['Always'], `${path}.restartPolicy`));
  else if (container.restartPolicy !== undefined && container.restartPolicy !== null) {
    errors.push(fieldError.forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
  }
  for (const [field, kind] of [['livenessProbe', 'liveness'], ['readinessProbe', 'readiness'], ['startupProbe', 'startup']] as const) {
    const probe = asObject(container[field]);
    if (!probe) continue;
    if (context.init && !sidecar) {
      errors.push(fieldError.forbidden(`${path}.${field}`, 'may not be set for init containers without restartPolicy=Always'));
      continue;
    }
    errors.push(...validateProbe(probe, `${path}.${field}`, kind));
  }
  const lifecycle = asObject(container.lifecycle);
  for (const hook of ['postStart', 'preStop']) {
    const handler = asObject(lifecycle?.[hook]);
    if (handler) errors.push(...validateHandler(handler, LIFECYCLE_HANDLERS, `${path}.lifecycle.${hook}`));
  }
  return errors;
}

function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  asArray(tolerations).forEach((raw, i) => {
    const toleration = asObject(raw);
    if (!toleration) return;
    const tolerationPath = `${path}[${i}]`;
    const keyValue = asString(toleration.key);
    if (keyValue) for (const message of isQualifiedName(keyValue)) errors.push(fieldError.invalid(`${tolerationPath}.key`, keyValue, message));
    if (!keyValue && toleration.operator !== 'Exists') {
      errors.push(fieldError.invalid(`${tolerationPath}.operator`, toleration.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (toleration.tolerationSeconds != null && toleration.effect !== 'NoExecute') {
      errors.push(fieldError.invalid(`${tolerationPath}.effect`, toleration.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (toleration.operator === 'Exists' && asString(toleration.value)) {
      errors.push(fieldError.invalid(`${tolerationPath}.operator`, toleration.value, "value must be empty when `operator` is 'Exists'"));
    }
    errors.push(...oneOf(toleration.operator || undefined, ['Equal', 'Exists'], `${tolerationPath}.operator`));
    errors.push(...oneOf(toleration.effect || undefined, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'], `${tolerationPath}.effect`));
  });
  return errors;
}

/** ValidatePodSpec. `path` is where the spec sits: `spec` or `spec.template.spec`. */
export function validatePodSpec(specValue: unknown, path: string): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [fieldError.required(path)];
  const { errors, names: volumeNames } = validateVolumes(spec.volumes, `${path}.volumes`);
  const context: ContainerContext = {
    volumeNames,
    containerNames: new Set(),
    hostNetwork: spec.hostNetwork === true,
    init: true,
  };
  asArray(spec.initContainers).forEach((raw, i) => {
    const container = asObject(raw);
    if (container) errors.push(...validateContainer(container, `${path}.initContainers[${i}]`, context));
  });
  context.init = false;
  const containers = asArray(spec.containers);
  if (containers.length === 0) errors.push(fieldError.required(`${path}.containers`));
  containers.forEach((raw, i) => {
    const container = asObject(raw);
    if (container) errors.push(...validateContainer(container, `${path}.containers[${i}]`, context));
  });

  errors.push(...oneOf(spec.restartPolicy, RESTART_POLICIES, `${path}.restartPolicy`));
  errors.push(...oneOf(spec.dnsPolicy, DNS_POLICIES, `${path}.dnsPolicy`));
  if (spec.dnsPolicy === 'None' && !asObject(spec.dnsConfig)) {
    errors.push(fieldError.required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0) {
    errors.push(fieldError.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  errors.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  for (const field of ['serviceAccountName', 'nodeName']) {
    const value = asString(spec[field]);
    if (value) for (const message of isDns1123Subdomain(value)) errors.push(fieldError.invalid(`${path}.${field}`, value, message));
  }
  for (const field of ['hostname', 'subdomain']) {
    const value = asString(spec[field]);
    if (value) for (const message of isDns1123Label(value)) errors.push(fieldError.invalid(`${path}.${field}`, value, message));
  }
  errors.push(...validateTolerations(spec.tolerations, `${path}.tolerations`));
  return errors;
}

/** ValidatePodTemplateSpec: template labels and annotations plus the pod spec. */
export function validatePodTemplateSpec(templateValue: unknown, path: string): FieldError[] {
  const template = asObject(templateValue);
  if (!template) return [fieldError.required(path)];
  const metadata = asObject(template.metadata) ?? {};
  return [
    ...validateLabels(metadata.labels, `${path}.metadata.labels`),
    ...validateAnnotations(metadata.annotations, `${path}.metadata.annotations`),
    ...validatePodSpec(template.spec, `${path}.spec`),
  ];
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * ValidatePodUpdate's spec rule: only images, activeDeadlineSeconds, added tolerations and
 * terminationGracePeriodSeconds may change. Setting nodeName on an unbound pod is also let
 * through, since binding may be written as an update here.
 */
export function validatePodSpecUpdate(newSpecValue: unknown, oldSpecValue: unknown): FieldError[] {
  const newSpec = asObject(newSpecValue);
  const oldSpec = asObject(oldSpecValue);
  if (!newSpec || !oldSpec) return [];
  const comparable = structuredClone(oldSpec);
  for (const list of ['containers', 'initContainers']) {
    const newContainers = asArray(newSpec[list]);
    const oldContainers = asArray(comparable[list]);
    if (newContainers.length !== oldContainers.length) continue; // differing counts fail the comparison
    oldContainers.forEach((container, i) => {
      const target = asObject(container);
      const source = asObject(newContainers[i]);
      if (target && source) target.image = source.image;
    });
  }
  comparable.activeDeadlineSeconds = newSpec.activeDeadlineSeconds;
  comparable.terminationGracePeriodSeconds = newSpec.terminationGracePeriodSeconds;
  const oldTolerations = asArray(oldSpec.tolerations);
  const newTolerations = asArray(newSpec.tolerations);
  if (oldTolerations.every((old) => newTolerations.some((candidate) => sameValue(candidate, old)))) {
    comparable.tolerations = newSpec.tolerations;
  }
  if (!oldSpec.nodeName) comparable.nodeName = newSpec.nodeName;
  // Scheduling gates may only be removed.
  const newGates = asArray(newSpec.schedulingGates);
  if (newGates.every((gate) => asArray(oldSpec.schedulingGates).some((old) => sameValue(old, gate)))) {
    comparable.schedulingGates = newSpec.schedulingGates;
  }
  const withoutUndefined = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;
  return sameValue(withoutUndefined(comparable), withoutUndefined(newSpec)) ? [] : [fieldError.forbidden('spec', POD_UPDATE_FORBIDDEN)];
}
