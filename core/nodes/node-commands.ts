import { readFile } from 'node:fs/promises';
import type { Node } from 'kubernetes-types/core/v1.js';
import { translateTimestampSince } from '../api/age.ts';
import { CAPACITY_ANNOTATION } from '../agent/node-registration.ts';
import { isNotFound } from '../api/errors.ts';
import { isValidQuantity } from '../api/quantity.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind } from '../api/resource-catalog.ts';
import { dataPaths } from '../cluster/data-paths.ts';
import { RestClient } from '../client/rest-client.ts';
import { checkEndpointSecurity, createDocker, EndpointError, parseDockerEndpoint, type ConnectOptions, type DockerEndpoint, type TlsMaterial } from './docker-endpoint.ts';
import {
  dockerEndpointOf,
  isLabNode,
  LAB_NODE_FINALIZER,
  NODE_ANNOTATIONS,
  NODE_SECRET_NAMESPACE,
  sshSecretName,
  tlsSecretName,
} from './node-annotations.ts';

// What `kubelab node ...` does, as functions over the API of a running `kubelab serve`:
// nodes are Node objects (plus Secrets for key material), and the NodeManager inside
// the control plane does the Docker work. Errors a user can cause are NodeCommandError
// with a message that says what to do.

const NODES = findByKind('v1', 'Node')!;
const SECRETS = findByKind('v1', 'Secret')!;
const EVENTS = findByKind('v1', 'Event')!;

type NodeObject = Node & KubeObject;

export class NodeCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeCommandError';
  }
}

/** A client for the `kubelab serve` that owns `dataDir`; NodeCommandError when none runs. */
export async function connectToServe(dataDir: string): Promise<RestClient> {
  const paths = dataPaths(dataDir);
  const start = `start one with: kubelab serve --data-dir ${dataDir}`;
  let state: { port?: number; pid?: number };
  let token: string;
  try {
    state = JSON.parse(await readFile(paths.stateFile, 'utf8')) as { port?: number; pid?: number };
    token = (await readFile(paths.tokenFile, 'utf8')).trim();
  } catch {
    throw new NodeCommandError(`no kubelab serve has run with the data directory ${dataDir}; ${start}`);
  }
  if (typeof state.pid === 'number' && !processAlive(state.pid)) {
    throw new NodeCommandError(`kubelab serve for ${dataDir} is not running (process ${state.pid} is gone); ${start}`);
  }
  const client = new RestClient({ server: `http://127.0.0.1:${state.port}`, token, userAgent: 'kubelab-node-cli' });
  try {
    await client.list(NODES, { limit: 1 });
  } catch (error) {
    throw new NodeCommandError(`kubelab serve for ${dataDir} does not answer on 127.0.0.1:${state.port} (${(error as Error).message}); ${start}`);
  }
  return client;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface AddNodeOptions {
  name: string;
  docker: string;
  tlsFiles?: { ca?: string; cert?: string; key?: string };
  insecure?: boolean;
  sshKeyFile?: string;
  /** Ping the daemon from here before adding it. Default true. */
  verify?: boolean;
}

/** The checks `node add` makes before touching anything: the URL, and which flags go with it. Throws EndpointError. */
export function checkAddNodeOptions(options: AddNodeOptions): DockerEndpoint {
  const endpoint = parseDockerEndpoint(options.docker, '--docker');
  const files = options.tlsFiles ?? {};
  const given = [files.ca, files.cert, files.key].filter(Boolean).length;
  if (given > 0 && given < 3) throw new EndpointError('--tls-ca, --tls-cert and --tls-key go together: give all three');
  if (given > 0 && endpoint.kind !== 'tcp') throw new EndpointError(`TLS files only apply to tcp:// endpoints, not ${endpoint.url}`);
  if (options.sshKeyFile && endpoint.kind !== 'ssh') throw new EndpointError(`--ssh-key only applies to ssh:// endpoints, not ${endpoint.url}`);
  if (options.insecure && endpoint.kind !== 'tcp') throw new EndpointError(`--insecure only applies to tcp:// endpoints, not ${endpoint.url}`);
  checkEndpointSecurity(endpoint, { tls: given === 3 ? { ca: '', cert: '', key: '' } : undefined, insecure: options.insecure });
  return endpoint;
}

/** `kubelab node add`: a Node whose annotations name the daemon, with its key material in Secrets. Returns warnings to print. */
export async function addNode(client: RestClient, options: AddNodeOptions): Promise<string[]> {
  const endpoint = checkAddNodeOptions(options);
  const warnings: string[] = [];
  const files = options.tlsFiles ?? {};
  const tls: TlsMaterial | undefined =
    files.ca && files.cert && files.key
      ? { ca: await readKeyFile(files.ca, '--tls-ca'), cert: await readKeyFile(files.cert, '--tls-cert'), key: await readKeyFile(files.key, '--tls-key') }
      : undefined;
  const sshPrivateKey = options.sshKeyFile ? await readKeyFile(options.sshKeyFile, '--ssh-key') : undefined;
  const connect: ConnectOptions = { tls, insecure: options.insecure, sshPrivateKey, timeoutMs: 15_000 };
  if (options.insecure) {
    warnings.push(`warning: ${endpoint.url} is used over plain HTTP without TLS: anyone who can reach it controls that Docker daemon`);
  }

  if (await getOrUndefined(client, options.name)) throw new NodeCommandError(`node ${options.name} already exists (remove it first: kubelab node rm ${options.name})`);
  if (options.verify !== false) {
    try {
      await createDocker(endpoint, connect).ping();
    } catch (error) {
      throw new NodeCommandError(`cannot reach the Docker daemon at ${endpoint.url}: ${(error as Error).message}`);
    }
  }

  const annotations: Record<string, string> = { [NODE_ANNOTATIONS.dockerEndpoint]: endpoint.url };
  if (tls) {
    await putSecret(client, tlsSecretName(options.name), { 'ca.crt': tls.ca, 'tls.crt': tls.cert, 'tls.key': tls.key });
    annotations[NODE_ANNOTATIONS.dockerTlsSecret] = tlsSecretName(options.name);
  }
  if (sshPrivateKey) {
    await putSecret(client, sshSecretName(options.name), { 'ssh-privatekey': sshPrivateKey });
    annotations[NODE_ANNOTATIONS.dockerSshSecret] = sshSecretName(options.name);
  }
  if (options.insecure) annotations[NODE_ANNOTATIONS.dockerInsecure] = 'true';
  await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: options.name, annotations } });
  return warnings;
}

/** `kubelab node rm`: removes a node added with `node add` and its key Secrets. */
export async function removeNode(client: RestClient, name: string): Promise<void> {
  const node = await getOrUndefined(client, name);
  if (!node) throw new NodeCommandError(`node ${name} not found`);
  if (isLabNode(node)) throw new NodeCommandError(`${name} is a lab node: remove it with kubelab node delete ${name}`);
  await client.delete(NODES, undefined, name);
  for (const secret of [tlsSecretName(name), sshSecretName(name)]) {
    await client.delete(SECRETS, NODE_SECRET_NAMESPACE, secret).catch((error) => {
      if (!isNotFound(error)) throw error;
    });
  }
}

export interface NodeRow {
  name: string;
  kind: string;
  endpoint: string;
  status: string;
  age: string;
}

export async function listNodes(client: RestClient, now = new Date()): Promise<NodeRow[]> {
  const { items } = await client.listAll<NodeObject>(NODES);
  return items
    .map((node) => ({
      name: node.metadata.name ?? '',
      kind: nodeKind(node),
      endpoint: dockerEndpointOf(node) ?? '<none>',
      status: nodeStatus(node),
      age: translateTimestampSince(node.metadata.creationTimestamp, now),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function nodeKind(node: NodeObject): string {
  if (isLabNode(node)) return 'lab';
  const url = dockerEndpointOf(node);
  if (!url) return '-';
  try {
    const kind = parseDockerEndpoint(url).kind;
    return kind === 'unix' ? 'local' : kind;
  } catch {
    return 'invalid';
  }
}

export function nodeStatus(node: NodeObject): string {
  if (node.metadata.deletionTimestamp) return 'Deleting';
  if (node.metadata.annotations?.[NODE_ANNOTATIONS.labNodeStopped] === 'true') return 'Stopped';
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (!ready) return 'Pending';
  const status = ready.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

/** The rows as a kubectl-style table. */
export function formatNodeTable(rows: NodeRow[]): string {
  const header: NodeRow = { name: 'NAME', kind: 'KIND', endpoint: 'ENDPOINT', status: 'STATUS', age: 'AGE' };
  const all = [header, ...rows];
  const columns: (keyof NodeRow)[] = ['name', 'kind', 'endpoint', 'status', 'age'];
  const widths = columns.map((column) => Math.max(...all.map((row) => row[column].length)));
  return all.map((row) => columns.map((column, i) => (i === columns.length - 1 ? row[column] : row[column].padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** `kubelab node create`: a Node marked as a lab node; the control plane's NodeManager provisions it. */
export async function createLabNodeObject(client: RestClient, name: string, capacity: { cpus?: string; memory?: string } = {}): Promise<void> {
  if (await getOrUndefined(client, name)) throw new NodeCommandError(`node ${name} already exists`);
  for (const [flag, value] of Object.entries(capacity)) {
    if (value !== undefined && !isValidQuantity(value)) throw new NodeCommandError(`--${flag} must be a quantity such as 4, 500m, 8Gi (got "${value}")`);
  }
  const advertised = [capacity.cpus && `cpu=${capacity.cpus}`, capacity.memory && `memory=${capacity.memory}`].filter(Boolean).join(',');
  await client.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [NODE_ANNOTATIONS.labNode]: 'true', ...(advertised ? { [CAPACITY_ANNOTATION]: advertised } : {}) },
      finalizers: [LAB_NODE_FINALIZER],
    },
  });
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Told each new problem the control plane reports while waiting. */
  onProblem?: (message: string) => void;
}

/** Waits for the node's Ready condition; on time-out, NodeCommandError says what the node last reported. */
export async function waitForNodeReady(client: RestClient, name: string, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const node = await getOrUndefined(client, name);
    if (!node) throw new NodeCommandError(`node ${name} was deleted while waiting for it`);
    if (nodeStatus(node) === 'Ready') return;
    const problem = await latestProblem(client, node);
    if (problem && !seen.has(problem)) {
      seen.add(problem);
      options.onProblem?.(problem);
    }
    if (Date.now() >= deadline) {
      const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
      const why = problem ?? (ready ? `Ready is ${ready.status}: ${ready.reason ?? ''} ${ready.message ?? ''}`.trim() : 'the node has not reported any status yet');
      throw new NodeCommandError(`node ${name} is not Ready after ${Math.round(options.timeoutMs / 1000)}s: ${why}`);
    }
    await sleep(options.pollMs ?? 500);
  }
}

/** The newest Warning event about the node, as "Reason: message". */
async function latestProblem(client: RestClient, node: NodeObject): Promise<string | undefined> {
  const { items } = await client.list(EVENTS, { namespace: 'default' });
  const mine = items
    .filter((event) => {
      const involved = event.involvedObject as { kind?: string; name?: string; uid?: string } | undefined;
      return event.type === 'Warning' && involved?.kind === 'Node' && involved.name === node.metadata.name && (!involved.uid || involved.uid === node.metadata.uid);
    })
    .sort((a, b) => String(a.lastTimestamp ?? '').localeCompare(String(b.lastTimestamp ?? '')));
  const last = mine.at(-1);
  return last ? `${String(last.reason)}: ${String(last.message)}` : undefined;
}

/** `kubelab node delete`: deletes a lab node and waits until its Node object is gone (after its cleanup). */
export async function deleteLabNodeAndWait(client: RestClient, name: string, options: WaitOptions): Promise<void> {
  const node = await getOrUndefined(client, name);
  if (!node) throw new NodeCommandError(`node ${name} not found`);
  if (!isLabNode(node)) throw new NodeCommandError(`${name} is not a lab node: remove it with kubelab node rm ${name}`);
  await client.delete(NODES, undefined, name);
  const deadline = Date.now() + options.timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const current = await getOrUndefined(client, name);
    if (!current || current.metadata.uid !== node.metadata.uid) return;
    const problem = await latestProblem(client, current);
    if (problem && !seen.has(problem)) {
      seen.add(problem);
      options.onProblem?.(problem);
    }
    if (Date.now() >= deadline) {
      throw new NodeCommandError(
        `node ${name} is still being removed after ${Math.round(options.timeoutMs / 1000)}s` +
          (problem ? `: ${problem}` : ': is kubelab serve running? Its node manager removes the container, then the node'),
      );
    }
    await sleep(options.pollMs ?? 500);
  }
}

/** `kubelab node stop|start`: the NodeManager stops or starts the lab node's container and agent. */
export async function setLabNodeStopped(client: RestClient, name: string, stopped: boolean): Promise<void> {
  const node = await getOrUndefined(client, name);
  if (!node) throw new NodeCommandError(`node ${name} not found`);
  if (!isLabNode(node)) throw new NodeCommandError(`${name} is not a lab node: only lab nodes can be stopped and started`);
  await client.patch(NODES, undefined, name, { metadata: { annotations: { [NODE_ANNOTATIONS.labNodeStopped]: stopped ? 'true' : null } } }, 'merge');
}

async function getOrUndefined(client: RestClient, name: string): Promise<NodeObject | undefined> {
  try {
    return await client.get<NodeObject>(NODES, undefined, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function putSecret(client: RestClient, name: string, data: Record<string, string | Buffer>): Promise<void> {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NODE_SECRET_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'kubelab' } },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  };
  try {
    await client.create(SECRETS, secret);
  } catch (error) {
    if ((error as { reason?: string }).reason !== 'AlreadyExists') throw error;
    const existing = await client.get(SECRETS, NODE_SECRET_NAMESPACE, name);
    await client.update(SECRETS, { ...secret, metadata: { ...secret.metadata, resourceVersion: existing.metadata.resourceVersion } });
  }
}

async function readKeyFile(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new NodeCommandError(`${flag} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
