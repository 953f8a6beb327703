import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../../core/api/errors.ts';
import type { KubeObject } from '../../../core/api/kube-object.ts';
import { isValidQuantity } from '../../../core/api/quantity.ts';
import { findByKind } from '../../../core/api/resource-catalog.ts';
import type { RestClient } from '../../../core/client/rest-client.ts';
import { isLabNode, LAB_NODE_FINALIZER, NODE_ANNOTATIONS, NODE_SECRET_NAMESPACE, sshSecretName, tlsSecretName } from '../../../core/nodes/node-annotations.ts';
import { CAPACITY_ANNOTATION, ENDPOINT_KIND_LABEL } from '../../../core/nodes/node-annotations.ts';

// What the GUI sends for each node action, the same requests kubectl and `kubelab node`
// send: cordon and uncordon patch spec.unschedulable; drain cordons, then evicts (or
// deletes) every pod but DaemonSet and mirror pods; lab nodes and Docker endpoints are
// Node objects whose annotations the control plane's NodeManager acts on
// (core/nodes/node-commands.ts). Builders are pure; the run* functions send them.

const NODES = findByKind('v1', 'Node')!;
const PODS = findByKind('v1', 'Pod')!;
const SECRETS = findByKind('v1', 'Secret')!;

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export class NodeActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeActionError';
  }
}

// --- cordon, uncordon, drain -------------------------------------------------------

/** kubectl cordon/uncordon's patch: uncordon removes the field (false is its default). */
export function cordonPatch(unschedulable: boolean): { spec: { unschedulable: boolean | null } } {
  return { spec: { unschedulable: unschedulable ? true : null } };
}

export function isDaemonSetPod(pod: Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((ref) => ref.controller && ref.kind === 'DaemonSet');
}

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

function hasController(pod: Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((ref) => ref.controller);
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export interface DrainPlan {
  /** Pods to evict (or delete). */
  evict: Pod[];
  /** Left alone, as --ignore-daemonsets does: their controller would put them back at once. */
  daemonSet: Pod[];
  /** The kubelet's own copies of static pods: the API cannot remove them. */
  mirror: Pod[];
  /** Pods no controller recreates: kubectl refuses them without --force (they are in `evict` only when forced). */
  unmanaged: Pod[];
}

/** Which pods `kubectl drain NODE --ignore-daemonsets --delete-emptydir-data [--force]` removes. */
export function drainPlan(nodeName: string, pods: readonly Pod[], force = false): DrainPlan {
  const plan: DrainPlan = { evict: [], daemonSet: [], mirror: [], unmanaged: [] };
  for (const pod of pods) {
    if (pod.spec?.nodeName !== nodeName || pod.metadata?.deletionTimestamp) continue;
    if (isMirrorPod(pod)) plan.mirror.push(pod);
    else if (isDaemonSetPod(pod)) plan.daemonSet.push(pod);
    else if (!hasController(pod) && !isFinished(pod)) {
      plan.unmanaged.push(pod);
      if (force) plan.evict.push(pod);
    } else plan.evict.push(pod);
  }
  return plan;
}

/** The Eviction kubectl posts to pods/NAME/eviction. */
export function evictionFor(pod: Pod): KubeObject {
  return { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace } };
}

/** True when the API serves pods/eviction; Kubelab's does not yet, so drain deletes instead. */
export function evictionServed(): boolean {
  return (PODS.subresources as readonly string[]).includes('eviction');
}

// --- lab nodes ------------------------------------------------------------------------

/** `kubelab node stop|start`: the NodeManager stops or starts the lab node's container. */
export function labNodeStoppedPatch(stopped: boolean): { metadata: { annotations: Record<string, string | null> } } {
  return { metadata: { annotations: { [NODE_ANNOTATIONS.labNodeStopped]: stopped ? 'true' : null } } };
}

export function isLabNodeStopped(node: Node): boolean {
  return node.metadata?.annotations?.[NODE_ANNOTATIONS.labNodeStopped] === 'true';
}

export interface LabNodeForm {
  name: string;
  cpus?: string;
  memory?: string;
}

/** `kubelab node create NAME [--cpus N] [--memory Q]`: a Node marked as a lab node. */
export function labNodeObject(form: LabNodeForm): KubeObject {
  const name = form.name.trim();
  if (!name) throw new NodeActionError('a node name is required');
  const capacity = { cpus: form.cpus?.trim() || undefined, memory: form.memory?.trim() || undefined };
  for (const [flag, value] of Object.entries(capacity)) {
    if (value !== undefined && !isValidQuantity(value)) throw new NodeActionError(`${flag} must be a quantity such as 4, 500m, 8Gi (got "${value}")`);
  }
  const advertised = [capacity.cpus && `cpu=${capacity.cpus}`, capacity.memory && `memory=${capacity.memory}`].filter(Boolean).join(',');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [NODE_ANNOTATIONS.labNode]: 'true', ...(advertised ? { [CAPACITY_ANNOTATION]: advertised } : {}) },
      finalizers: [LAB_NODE_FINALIZER],
    },
  };
}

// --- Docker endpoints -------------------------------------------------------------------

export type EndpointKind = 'unix' | 'tcp' | 'ssh';

export interface EndpointForm {
  name: string;
  kind: EndpointKind;
  /** unix: the socket path; tcp: host:port; ssh: user@host[:port]. */
  address: string;
  tls?: { ca: string; cert: string; key: string };
  /** The explicit "I understand this is unencrypted" choice for plain tcp. */
  insecure?: boolean;
  sshKey?: string;
}

/** The endpoint URL the annotation holds, checked like core/nodes/docker-endpoint.ts's parseDockerEndpoint. */
export function endpointUrl(kind: EndpointKind, address: string): string {
  const value = address.trim().replace(/^[a-z]+:\/\//i, '');
  if (kind === 'unix') {
    if (!value.startsWith('/')) throw new NodeActionError(`the socket path must be absolute, as in /var/run/docker.sock (got "${value}")`);
    return `unix://${value}`;
  }
  let parsed: URL;
  try {
    parsed = new URL(`${kind}://${value}`);
  } catch {
    throw new NodeActionError(`"${value}" is not a valid ${kind === 'tcp' ? 'host:port' : 'user@host[:port]'}`);
  }
  const host = parsed.hostname;
  if (!host) throw new NodeActionError(`"${value}" names no host`);
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search || parsed.hash) throw new NodeActionError(`"${value}": unexpected path or query`);
  if (parsed.password) throw new NodeActionError('passwords are not accepted; use an ssh key or the ssh agent');
  if (kind === 'tcp') {
    if (parsed.username) throw new NodeActionError('tcp endpoints take no user');
    return `tcp://${host}:${parsed.port || '2376'}`;
  }
  // In a browser there is no "current user" to default to, unlike the CLI.
  if (!parsed.username) throw new NodeActionError(`ssh endpoints need a user: user@${host}`);
  return `ssh://${parsed.username}@${host}${parsed.port && parsed.port !== '22' ? `:${parsed.port}` : ''}`;
}

function tlsGiven(form: EndpointForm): 0 | 1 | 2 | 3 {
  const tls = form.tls;
  return (tls ? [tls.ca, tls.cert, tls.key].filter((text) => text.trim()).length : 0) as 0 | 1 | 2 | 3;
}

export interface AddEndpointRequest {
  node: KubeObject;
  /** Key material, created (or replaced) before the Node. */
  secrets: KubeObject[];
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function secret(name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NODE_SECRET_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'kubelab' } },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
  };
}

/** `kubelab node add NAME --docker URL ...` (checkAddNodeOptions, then addNode without the ping). */
export function addEndpointRequest(form: EndpointForm): AddEndpointRequest {
  const name = form.name.trim();
  if (!name) throw new NodeActionError('a node name is required');
  const url = endpointUrl(form.kind, form.address);
  const given = tlsGiven(form);
  if (given > 0 && given < 3) throw new NodeActionError('the CA, the certificate and the key go together: give all three');
  if (given > 0 && form.kind !== 'tcp') throw new NodeActionError(`TLS files only apply to tcp endpoints, not ${url}`);
  if (form.sshKey?.trim() && form.kind !== 'ssh') throw new NodeActionError(`an ssh key only applies to ssh endpoints, not ${url}`);
  if (form.insecure && form.kind !== 'tcp') throw new NodeActionError(`the unencrypted choice only applies to tcp endpoints, not ${url}`);
  if (form.kind === 'tcp' && given === 3 && form.insecure) throw new NodeActionError(`${url}: give either TLS material or the unencrypted choice, not both`);
  if (form.kind === 'tcp' && given === 0 && !form.insecure) {
    throw new NodeActionError(`${url}: plain tcp needs TLS (CA, certificate and key) or the explicit choice "I understand this is unencrypted"`);
  }
  const annotations: Record<string, string> = { [NODE_ANNOTATIONS.dockerEndpoint]: url };
  const secrets: KubeObject[] = [];
  if (given === 3 && form.tls) {
    secrets.push(secret(tlsSecretName(name), { 'ca.crt': form.tls.ca, 'tls.crt': form.tls.cert, 'tls.key': form.tls.key }));
    annotations[NODE_ANNOTATIONS.dockerTlsSecret] = tlsSecretName(name);
  }
  if (form.sshKey?.trim()) {
    secrets.push(secret(sshSecretName(name), { 'ssh-privatekey': form.sshKey }));
    annotations[NODE_ANNOTATIONS.dockerSshSecret] = sshSecretName(name);
  }
  if (form.insecure) annotations[NODE_ANNOTATIONS.dockerInsecure] = 'true';
  return { node: { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations } }, secrets };
}

// --- the commands a learner would type --------------------------------------------------

export function cordonCommand(name: string, unschedulable: boolean): string {
  return `kubectl ${unschedulable ? 'cordon' : 'uncordon'} ${name}`;
}

export function drainCommand(name: string, force = false): string {
  return `kubectl drain ${name} --ignore-daemonsets --delete-emptydir-data${force ? ' --force' : ''}`;
}

export function labNodeCommand(action: 'stop' | 'start' | 'delete', name: string): string {
  return `kubelab node ${action} ${name}`;
}

/** Lab nodes are deleted with `node delete`, added endpoints with `node rm`. */
export function deleteNodeCommand(node: Node): string {
  const name = node.metadata?.name ?? '';
  return isLabNode(node as { metadata: { annotations?: Record<string, string> } }) ? labNodeCommand('delete', name) : `kubelab node rm ${name}`;
}

export function createLabNodeCommand(form: LabNodeForm): string {
  const flags = [form.cpus?.trim() && `--cpus ${form.cpus.trim()}`, form.memory?.trim() && `--memory ${form.memory.trim()}`].filter(Boolean);
  return ['kubelab node create', form.name.trim(), ...flags].join(' ');
}

export function addEndpointCommand(form: EndpointForm): string {
  let url: string;
  try {
    url = endpointUrl(form.kind, form.address);
  } catch {
    url = form.address;
  }
  const parts = ['kubelab node add', form.name.trim(), '--docker', url];
  if (tlsGiven(form) === 3) parts.push('--tls-ca ca.pem --tls-cert cert.pem --tls-key key.pem');
  if (form.insecure) parts.push('--insecure');
  if (form.sshKey?.trim()) parts.push('--ssh-key ~/.ssh/id_ed25519');
  return parts.join(' ');
}

// --- sending them ------------------------------------------------------------------------

export async function runCordon(client: RestClient, name: string, unschedulable: boolean): Promise<void> {
  await client.patch(NODES, undefined, name, cordonPatch(unschedulable), 'strategic');
}

async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Cordons the node, then evicts (or deletes) the plan's pods. Throws NodeActionError when unmanaged pods need --force. */
export async function runDrain(client: RestClient, name: string, pods: readonly Pod[], force = false): Promise<DrainPlan> {
  const plan = drainPlan(name, pods, force);
  if (plan.unmanaged.length > 0 && !force) {
    const names = plan.unmanaged.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`).join(', ');
    throw new NodeActionError(`cannot delete Pods that declare no controller (use --force to override): ${names}`);
  }
  await runCordon(client, name, true);
  const evict = evictionServed();
  await Promise.all(
    plan.evict.map((pod) =>
      ignoreNotFound(
        evict
          ? client.createSubresource(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', 'eviction', evictionFor(pod))
          : client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? ''),
      ),
    ),
  );
  return plan;
}

export async function runLabNodeStopped(client: RestClient, name: string, stopped: boolean): Promise<void> {
  await client.patch(NODES, undefined, name, labNodeStoppedPatch(stopped), 'merge');
}

/** A lab node's finalizer lets the NodeManager remove its container first; an endpoint's key Secrets go with it. */
export async function runDeleteNode(client: RestClient, node: Node): Promise<void> {
  const name = node.metadata?.name ?? '';
  await client.delete(NODES, undefined, name);
  if (isLabNode(node as { metadata: { annotations?: Record<string, string> } })) return;
  for (const secretName of [tlsSecretName(name), sshSecretName(name)]) await ignoreNotFound(client.delete(SECRETS, NODE_SECRET_NAMESPACE, secretName));
}

export async function runCreateLabNode(client: RestClient, form: LabNodeForm): Promise<void> {
  await client.create(NODES, labNodeObject(form));
}

export async function runAddEndpoint(client: RestClient, form: EndpointForm): Promise<void> {
  const request = addEndpointRequest(form);
  for (const item of request.secrets) {
    try {
      await client.create(SECRETS, item);
    } catch (error) {
      if ((error as { reason?: string }).reason !== 'AlreadyExists') throw error;
      const existing = await client.get(SECRETS, NODE_SECRET_NAMESPACE, item.metadata.name ?? '');
      await client.update(SECRETS, { ...item, metadata: { ...item.metadata, resourceVersion: existing.metadata.resourceVersion } });
    }
  }
  await client.create(NODES, request.node);
}
