import { createHash } from 'node:crypto';
import type { Container, EnvVar, Pod, ResourceFieldSelector, Service } from 'kubernetes-types/core/v1.js';
import { toBytes, toMillicores } from '../api/quantity.ts';
import { LABELS, type ContainerSpec, type Mount, type PortBinding } from './container-runtime.ts';
import { serviceEnvForPod } from './service-env.ts';

// Turns one container of a pod spec into what the runtime creates: the environment the
// kubelet would compute (envFrom, env with valueFrom, $(VAR) expansion), command/args,
// limits, security context, ports, names and labels. Pure: everything it reads is passed in.

export type ContainerRole = 'init' | 'app';

/** A problem in the pod's configuration that keeps a container from being created (CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export interface ConfigSource {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface EnvContext {
  pod: Pod;
  nodeName: string;
  podIp: string;
  hostIp: string;
  /** What a container without a limit may use: the node's allocatable. */
  nodeCpuMillicores: number;
  nodeMemoryBytes: number;
  configMap(namespace: string, name: string): ConfigSource | undefined;
  /** Secret `data` is base64, as the API serves it. */
  secret(namespace: string, name: string): ConfigSource | undefined;
  /** Every Service the agent knows of, for the kubelet's Service variables (none when absent). */
  services?: readonly Service[];
}

export function podUid8(pod: Pod): string {
  return (pod.metadata?.uid ?? '').replace(/-/g, '').slice(0, 8);
}

/** `k8s_<container>_<pod>_<namespace>_<podUid8>_<attempt>`; the sandbox uses 'POD'. */
export function dockerContainerName(pod: Pod, containerName: string, attempt: number): string {
  return `k8s_${containerName}_${pod.metadata?.name}_${pod.metadata?.namespace}_${podUid8(pod)}_${attempt}`;
}

/** The labels that say "this node of this cluster": every filter over the daemon's containers uses them. */
export function nodeScope(nodeName: string, clusterId = ''): Record<string, string> {
  return { [LABELS.node]: nodeName, ...(clusterId ? { [LABELS.cluster]: clusterId } : {}) };
}

export function podLabels(pod: Pod, nodeName: string, clusterId = ''): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    ...nodeScope(nodeName, clusterId),
    [LABELS.podUid]: pod.metadata?.uid ?? '',
    [LABELS.podName]: pod.metadata?.name ?? '',
    [LABELS.podNamespace]: pod.metadata?.namespace ?? '',
  };
}

/** Changes whenever the container's definition changes, so a changed spec replaces the container. */
export function containerSpecHash(container: Container): string {
  return createHash('sha256').update(stableJson(container)).digest('hex').slice(0, 16);
}

/** Ports of all containers, published by the sandbox that owns the pod's network namespace. */
export function sandboxPorts(pod: Pod): PortBinding[] {
  const ports: PortBinding[] = [];
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const port of container.ports ?? []) {
      const binding: PortBinding = { containerPort: port.containerPort, protocol: (port.protocol as PortBinding['protocol']) ?? 'TCP' };
      if (port.hostPort) binding.hostPort = port.hostPort;
      if (port.hostIP) binding.hostIp = port.hostIP;
      ports.push(binding);
    }
  }
  return ports;
}

/**
 * The container's environment in Kubernetes' order: envFrom sources first, then env
 * entries (overriding), each env value expanded against the variables defined before it.
 */
export function resolveEnv(container: Container, ctx: EnvContext): Record<string, string> {
  const namespace = ctx.pod.metadata?.namespace ?? 'default';
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const cm = ctx.configMap(namespace, source.configMapRef.name ?? '');
      if (!cm) {
        if (source.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${source.configMapRef.name}" not found`);
      }
      for (const [key, value] of Object.entries(cm.data ?? {})) env.set(prefix + key, value);
    }
    if (source.secretRef) {
      const secret = ctx.secret(namespace, source.secretRef.name ?? '');
      if (!secret) {
        if (source.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${source.secretRef.name}" not found`);
      }
      for (const [key, value] of Object.entries(secret.data ?? {})) env.set(prefix + key, decodeBase64(value));
    }
  }
  // Service variables can be referenced as $(VAR) and come last, below anything the pod sets.
  const serviceEnv = serviceEnvForPod(ctx.services ?? [], namespace, ctx.pod.spec?.enableServiceLinks ?? true);
  for (const variable of container.env ?? []) {
    const value = envValue(variable, container, ctx, serviceEnv.size ? new Map([...serviceEnv, ...env]) : env);
    if (value !== undefined) env.set(variable.name, value);
  }
  for (const [name, value] of serviceEnv) if (!env.has(name)) env.set(name, value);
  return Object.fromEntries(env);
}

function envValue(variable: EnvVar, container: Container, ctx: EnvContext, defined: Map<string, string>): string | undefined {
  if (variable.value !== undefined) return expandVars(variable.value, defined);
  const from = variable.valueFrom;
  if (!from) return '';
  const namespace = ctx.pod.metadata?.namespace ?? 'default';
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = ctx.configMap(namespace, name);
    if (!cm) {
      if (optional) return undefined;
      throw new ContainerConfigError(`configmap "${name}" not found`);
    }
    const value = cm.data?.[key] ?? (cm.binaryData?.[key] !== undefined ? decodeBase64(cm.binaryData[key]) : undefined);
    if (value === undefined && !optional) throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
    return value;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const secret = ctx.secret(namespace, name);
    if (!secret) {
      if (optional) return undefined;
      throw new ContainerConfigError(`secret "${name}" not found`);
    }
    const value = secret.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
    }
    return decodeBase64(value);
  }
  if (from.fieldRef) return fieldRefValue(from.fieldRef.fieldPath, ctx);
  if (from.resourceFieldRef) return resourceFieldValue(from.resourceFieldRef, container, ctx);
  return '';
}

/** Values of the downward API's fieldRef paths (env and downwardAPI volumes share them). */
export function fieldRefValue(fieldPath: string, ctx: Pick<EnvContext, 'pod' | 'nodeName' | 'podIp' | 'hostIp'>): string {
  const { pod } = ctx;
  const indexed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (indexed) {
    const map = indexed[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[indexed[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata?.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata?.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIp;
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIp;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
  }
}

/** `key="value"` lines, sorted: the downward API's format for labels and annotations. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map![key])}`)
    .join('\n');
}

export function resourceFieldValue(ref: ResourceFieldSelector, container: Container | undefined, ctx: Pick<EnvContext, 'nodeCpuMillicores' | 'nodeMemoryBytes'>): string {
  const [kind, resource] = ref.resource.split('.') as ['limits' | 'requests', string];
  const limits = container?.resources?.limits ?? {};
  const requests = container?.resources?.requests ?? {};
  const declared = kind === 'requests' ? (requests[resource] ?? limits[resource]) : limits[resource];
  if (resource === 'cpu') {
    const millicores = declared !== undefined ? toMillicores(String(declared)) : kind === 'limits' ? ctx.nodeCpuMillicores : 0;
    const divisor = ref.divisor !== undefined ? toMillicores(String(ref.divisor)) : 1000;
    return String(Math.ceil(millicores / Math.max(divisor, 1)));
  }
  if (resource === 'memory' || resource === 'ephemeral-storage') {
    const bytes = declared !== undefined ? toBytes(String(declared)) : kind === 'limits' && resource === 'memory' ? ctx.nodeMemoryBytes : 0;
    const divisor = ref.divisor !== undefined ? toBytes(String(ref.divisor)) : 1;
    return String(Math.ceil(bytes / Math.max(divisor, 1)));
  }
  throw new ContainerConfigError(`unsupported resourceFieldRef resource "${ref.resource}"`);
}

/** Kubernetes' $(VAR) expansion: known names are replaced, `$$` is a literal `$`, the rest stays as written. */
export function expandVars(input: string, vars: ReadonlyMap<string, string> | Record<string, string>): string {
  const known = vars instanceof Map ? vars : new Map(Object.entries(vars));
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 1;
        continue;
      }
      const name = input.slice(i + 2, close);
      out += known.get(name) ?? `$(${name})`;
      i = close;
    } else {
      out += `$${next}`;
      i += 1;
    }
  }
  return out;
}

export interface ContainerSpecInput {
  pod: Pod;
  container: Container;
  role: ContainerRole;
  attempt: number;
  nodeName: string;
  clusterId?: string;
  sandboxId: string;
  env: Record<string, string>;
  mounts: Mount[];
}

export function buildContainerSpec(input: ContainerSpecInput): ContainerSpec {
  const { pod, container, env } = input;
  const spec: ContainerSpec = {
    name: dockerContainerName(pod, container.name, input.attempt),
    labels: {
      ...podLabels(pod, input.nodeName, input.clusterId),
      [LABELS.role]: input.role,
      [LABELS.containerName]: container.name,
      [LABELS.attempt]: String(input.attempt),
      [LABELS.specHash]: containerSpecHash(container),
    },
    image: container.image ?? '',
    env,
    mounts: input.mounts,
    sandboxId: input.sandboxId,
  };
  if (container.command) spec.entrypoint = container.command.map((part) => expandVars(part, env));
  if (container.args) spec.cmd = container.args.map((part) => expandVars(part, env));
  if (container.workingDir) spec.workingDir = container.workingDir;

  const podSecurity = pod.spec?.securityContext ?? {};
  const security = container.securityContext ?? {};
  const uid = security.runAsUser ?? podSecurity.runAsUser;
  const gid = security.runAsGroup ?? podSecurity.runAsGroup;
  if (uid !== undefined) spec.user = gid !== undefined ? `${uid}:${gid}` : String(uid);
  else if (gid !== undefined) spec.user = `0:${gid}`;
  if (security.readOnlyRootFilesystem) spec.readOnlyRootFilesystem = true;
  if (security.privileged) spec.privileged = true;
  if (security.capabilities?.add?.length) spec.capAdd = [...security.capabilities.add];
  if (security.capabilities?.drop?.length) spec.capDrop = [...security.capabilities.drop];

  const limits = container.resources?.limits ?? {};
  if (limits.cpu !== undefined) spec.nanoCpus = toMillicores(String(limits.cpu)) * 1_000_000;
  if (limits.memory !== undefined) spec.memoryBytes = toBytes(String(limits.memory));
  if (container.tty) spec.tty = true;
  if (container.stdin) spec.stdin = true;
  if (container.stdinOnce) spec.stdinOnce = true;
  return spec;
}

function decodeBase64(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
