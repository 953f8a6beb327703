import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LAB_AGENT_SETTINGS } from '../agent/agent-settings.ts';
import type { ContainerRuntime } from '../agent/container-runtime.ts';
import { FakeRuntime } from '../agent/fake-runtime.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind } from '../api/resource-catalog.ts';
import { startApiServer, type RunningApiServer } from '../apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../apiserver/resource-service.ts';
import { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import type { ConnectOptions, DockerEndpoint } from './docker-endpoint.ts';
import type { LabNodeState } from './lab-node.ts';
import { LAB_NODE_FINALIZER, NODE_ANNOTATIONS } from './node-annotations.ts';
import { NodeManager, nodeNameFromHostname, type AgentOptions, type LabNodeProvisioner } from './node-manager.ts';
import { eventually } from '../../test/support/eventually.ts';

const NODES = findByKind('v1', 'Node')!;
const SECRETS = findByKind('v1', 'Secret')!;
const EVENTS = findByKind('v1', 'Event')!;
const TOKEN = 'node-manager-test-token-0123456789abcdef';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

class FakeAgent {
  running = false;
  constructor(readonly options: AgentOptions) {}
  async start(): Promise<void> {
    this.running = true;
  }
  async stop(): Promise<void> {
    this.running = false;
  }
}

/** Dockerode stand-in: remembers what it was built from; ping answers per `reachable`. */
interface FakeDocker {
  endpoint: DockerEndpoint;
  options: ConnectOptions;
  ping(): Promise<void>;
}

class FakeLabNodes implements LabNodeProvisioner {
  readonly states = new Map<string, LabNodeState>();
  readonly calls: string[] = [];
  async state(name: string) {
    return this.states.get(name) ?? 'missing';
  }
  async create(name: string) {
    this.calls.push(`create ${name}`);
    this.states.set(name, 'running');
    return this.endpointUrl(name);
  }
  async start(name: string) {
    this.calls.push(`start ${name}`);
    this.states.set(name, 'running');
  }
  async stop(name: string) {
    this.calls.push(`stop ${name}`);
    this.states.set(name, 'stopped');
  }
  async delete(name: string) {
    this.calls.push(`delete ${name}`);
    this.states.delete(name);
  }
  endpointUrl(name: string) {
    return `unix:///data/nodes/${name}/docker.sock`;
  }
}

let dir: string;
let store: LowdbStore;
let server: RunningApiServer;
let client: RestClient;
let manager: NodeManager | undefined;
let agents: FakeAgent[];
let labNodes: FakeLabNodes;
let reachable: boolean;
let runtimes: FakeRuntime[];

// Each write reaches the store's file, and closing waits for the watch connections:
// one API server serves the whole file, emptied of nodes between tests.
vi.setConfig({ testTimeout: 30_000 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelab-node-manager-'));
  store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  server = await startApiServer({ store, token: TOKEN, logger: silent });
  client = new RestClient({ server: server.url, token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  agents = [];
  labNodes = new FakeLabNodes();
  reachable = true;
  runtimes = [];
});

afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  for (const node of (await client.list(NODES)).items) {
    if (node.metadata.finalizers?.length) await client.update(NODES, { ...node, metadata: { ...node.metadata, finalizers: [] } });
    await client.delete(NODES, undefined, node.metadata.name!).catch(() => undefined);
  }
});

function newManager(hostname = 'Build_Host.Example.COM'): NodeManager {
  return new NodeManager({
    client,
    kubeletPort: 10250,
    settings: LAB_AGENT_SETTINGS,
    dataDir: dir,
    hostDocker: () => ({ host: true }) as unknown as Dockerode,
    createAgent: (options) => {
      const agent = new FakeAgent(options);
      agents.push(agent);
      return agent;
    },
    createRuntime: () => {
      const runtime = new FakeRuntime();
      runtimes.push(runtime);
      return runtime;
    },
    connect: (endpoint, options) => {
      const fake: FakeDocker = {
        endpoint,
        options,
        ping: async () => {
          if (!reachable) throw new Error('connect ENOENT');
        },
      };
      return fake as unknown as Dockerode;
    },
    labNodes,
    hostname: () => hostname,
    logger: silent,
  });
}

async function startManager(): Promise<NodeManager> {
  manager = newManager();
  await manager.start();
  return manager;
}

/** Polls `probe` every 20 ms until it answers something truthy, failing after `timeoutMs`. */
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000) => eventually(probe, what, timeoutMs, 20);

const running = (name: string) => agents.filter((agent) => agent.running && agent.options.nodeName === name);

function createNode(name: string, annotations: Record<string, string> = {}): Promise<KubeObject> {
  return client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name, annotations } });
}

function setAnnotations(name: string, annotations: Record<string, string | null>): Promise<KubeObject> {
  return client.patch(NODES, undefined, name, { metadata: { annotations } }, 'merge');
}

async function nodeOrUndefined(name: string): Promise<KubeObject | undefined> {
  try {
    return await client.get(NODES, undefined, name);
  } catch {
    return undefined;
  }
}

describe('NodeManager agents', () => {
  it('starts one agent per node that names a Docker endpoint, with its endpoint kind', async () => {
    await createNode('alpha', { [NODE_ANNOTATIONS.dockerEndpoint]: 'unix:///var/run/docker.sock' });
    await createNode('plain');
    await startManager();
    await createNode('beta', { [NODE_ANNOTATIONS.dockerEndpoint]: 'tcp://127.0.0.1:2375', [NODE_ANNOTATIONS.dockerInsecure]: 'true' });

    await until('agents for alpha and beta', () => running('alpha').length === 1 && running('beta').length === 1);
    expect(agents.map((agent) => agent.options.nodeName).sort()).toEqual(['alpha', 'beta']);
    expect(running('alpha')[0].options).toMatchObject({ endpointKind: 'local', kubeletPort: 10250, settings: LAB_AGENT_SETTINGS });
    expect(running('beta')[0].options.endpointKind).toBe('tcp');
    expect(manager!.runtimeFor('alpha')).toBe(running('alpha')[0].options.runtime);
    expect(manager!.runtimeFor('plain')).toBeUndefined();
  });

  it('connects to tcp endpoints with the TLS material of the node secret', async () => {
    await client.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kubelab-node-gamma-tls', namespace: 'kube-system' },
      data: { 'ca.crt': Buffer.from('CA').toString('base64'), 'tls.crt': Buffer.from('CERT').toString('base64'), 'tls.key': Buffer.from('KEY').toString('base64') },
    });
    const docker: FakeDocker[] = [];
    manager = newManager();
    const connect = (manager as unknown as { connect: (e: DockerEndpoint, o: ConnectOptions) => Dockerode }).connect;
    (manager as unknown as { connect: unknown }).connect = (endpoint: DockerEndpoint, options: ConnectOptions) => {
      const made = connect(endpoint, options);
      docker.push(made as unknown as FakeDocker);
      return made;
    };
    await manager.start();
    await createNode('gamma', { [NODE_ANNOTATIONS.dockerEndpoint]: 'tcp://127.0.0.1:2376', [NODE_ANNOTATIONS.dockerTlsSecret]: 'kubelab-node-gamma-tls' });

    await until('gamma agent', () => running('gamma').length === 1);
    expect(docker).toHaveLength(1);
    expect(docker[0].endpoint).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 2376 });
    const tls = docker[0].options.tls!;
    expect([tls.ca, tls.cert, tls.key].map(String)).toEqual(['CA', 'CERT', 'KEY']);
  });

  it('stops the agent when its node is deleted', async () => {
    await createNode('alpha', { [NODE_ANNOTATIONS.dockerEndpoint]: 'unix:///var/run/docker.sock' });
    await startManager();
    const agent = await until('alpha agent', () => running('alpha')[0]);

    await client.delete(NODES, undefined, 'alpha');

    await until('alpha agent stopped', () => !agent.running);
    expect(manager!.runtimeFor('alpha')).toBeUndefined();
  });

  it('restarts the agent on a new endpoint and stops it when the endpoint is removed', async () => {
    await createNode('alpha', { [NODE_ANNOTATIONS.dockerEndpoint]: 'unix:///var/run/docker.sock' });
    await startManager();
    const first = await until('first agent', () => running('alpha')[0]);

    await setAnnotations('alpha', { [NODE_ANNOTATIONS.dockerEndpoint]: 'tcp://127.0.0.1:2375', [NODE_ANNOTATIONS.dockerInsecure]: 'true' });
    const second = await until('second agent', () => running('alpha').find((agent) => agent !== first));
    expect(first.running).toBe(false);
    expect(second.options.endpointKind).toBe('tcp');

    // Unrelated changes (labels, status) leave the agent alone.
    await client.patch(NODES, undefined, 'alpha', { metadata: { labels: { extra: 'yes' } } }, 'merge');
    await setAnnotations('alpha', { [NODE_ANNOTATIONS.dockerEndpoint]: null });
    await until('agent stopped', () => !second.running);
    expect(agents).toHaveLength(2);
  });

  it('records a Warning event when a node names an endpoint it cannot use', async () => {
    await startManager();
    await createNode('broken', { [NODE_ANNOTATIONS.dockerEndpoint]: 'tcp://127.0.0.1:2375' });

    const event = await until('warning event', async () => {
      const { items } = await client.list(EVENTS, { namespace: 'default' });
      return items.find((item) => (item.involvedObject as { name?: string }).name === 'broken');
    }, 20_000);
    expect(event).toMatchObject({ type: 'Warning', reason: 'DockerEndpointFailed' });
    expect(event.message).toContain('--insecure');
    expect(running('broken')).toHaveLength(0);
  });
});

describe('NodeManager lab nodes', () => {
  it('provisions, stops, starts and removes a lab node through its Node object', async () => {
    await startManager();
    await createNode('lab1', { [NODE_ANNOTATIONS.labNode]: 'true' });

    const agent = await until('lab agent', () => running('lab1')[0]);
    expect(agent.options.endpointKind).toBe('lab');
    expect(labNodes.calls).toEqual(['create lab1']);
    const node = (await nodeOrUndefined('lab1'))!;
    expect(node.metadata.finalizers).toContain(LAB_NODE_FINALIZER);
    expect(node.metadata.annotations?.[NODE_ANNOTATIONS.dockerEndpoint]).toBe(labNodes.endpointUrl('lab1'));
    // Lab nodes copy images from the host: the agent's runtime is the side-loading wrapper.
    expect(runtimes).toHaveLength(1);
    expect(agent.options.runtime).not.toBe(runtimes[0]);
    expect((agent.options.runtime as ContainerRuntime).pullImage).not.toBe(runtimes[0].pullImage);

    await setAnnotations('lab1', { [NODE_ANNOTATIONS.labNodeStopped]: 'true' });
    await until('lab node stopped', () => !agent.running && labNodes.states.get('lab1') === 'stopped');

    await setAnnotations('lab1', { [NODE_ANNOTATIONS.labNodeStopped]: null });
    const restarted = await until('lab agent again', () => running('lab1')[0]);
    expect(restarted).not.toBe(agent);
    expect(labNodes.calls).toEqual(['create lab1', 'stop lab1', 'start lab1']);

    await client.delete(NODES, undefined, 'lab1');
    await until('lab node object gone', async () => !(await nodeOrUndefined('lab1')));
    expect(restarted.running).toBe(false);
    expect(labNodes.calls.at(-1)).toBe('delete lab1');
    expect(labNodes.states.has('lab1')).toBe(false);
  });

  it('provisions the lab node again when its container disappeared', async () => {
    await startManager();
    await createNode('lab2', { [NODE_ANNOTATIONS.labNode]: 'true' });
    await until('lab agent', () => running('lab2')[0]);

    labNodes.states.delete('lab2');
    await client.patch(NODES, undefined, 'lab2', { metadata: { labels: { touched: 'yes' } } }, 'merge');

    await until('second create', () => labNodes.calls.filter((call) => call === 'create lab2').length === 2);
  });
});

describe('ensureLocalNode', () => {
  it('creates a node named after the machine for the local daemon, once', async () => {
    manager = newManager('Build_Host.Example.COM');
    expect(await manager.ensureLocalNode()).toBe('build-host.example.com');
    const node = (await nodeOrUndefined('build-host.example.com'))!;
    expect(node.metadata.annotations?.[NODE_ANNOTATIONS.dockerEndpoint]).toMatch(/^unix:\/\//);

    expect(await manager.ensureLocalNode()).toBe('build-host.example.com');
    const { items } = await client.list(NODES);
    expect(items).toHaveLength(1);
  });

  it('creates nothing when the local daemon does not answer', async () => {
    reachable = false;
    manager = newManager();
    expect(await manager.ensureLocalNode()).toBeUndefined();
    expect((await client.list(NODES)).items).toHaveLength(0);
  });
});

describe('nodeNameFromHostname', () => {
  it('makes DNS-1123 names of hostnames', () => {
    expect(nodeNameFromHostname('MyLaptop')).toBe('mylaptop');
    expect(nodeNameFromHostname('John_s MacBook Pro.local')).toBe('john-s-macbook-pro.local');
    expect(nodeNameFromHostname('-weird-.-')).toBe('weird');
    expect(nodeNameFromHostname('___')).toBe('local');
    expect(nodeNameFromHostname('a'.repeat(70))).toBe('a'.repeat(63));
  });
});
