import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { startApiServer, type RunningApiServer } from '../apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../apiserver/resource-service.ts';
import { Informer } from '../client/informer.ts';
import { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import type { AgentSettings } from './agent-settings.ts';
import { LABELS } from './container-runtime.ts';
import { FakeRuntime } from './fake-runtime.ts';
import { NodeAgent } from './node-agent.ts';

// The agent against an in-process API server and the fake runtime: what a Kubernetes
// user sees of a kubelet (statuses, events, restarts, deletion), with tiny lab timings.

const TOKEN = 'node-agent-test-token-0123456789abcdef';
const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const LEASES = findByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo;
const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const CONFIGMAPS = findByKind('v1', 'ConfigMap') as ResourceInfo;
const SECRETS = findByKind('v1', 'Secret') as ResourceInfo;
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;

const SETTINGS: AgentSettings = {
  heartbeatSeconds: 0.2,
  nodeStatusSeconds: 0.2,
  resyncSeconds: 1,
  crashLoopBackoffBaseSeconds: 0.1,
  crashLoopBackoffMaxSeconds: 0.8,
  backoffResetSeconds: 6,
  imagePullBackoffBaseSeconds: 0.4,
  imagePullBackoffMaxSeconds: 1.6,
  metricsSampleSeconds: 0.2,
  workers: 4,
  sandboxStopSeconds: 0,
};
const IMAGE = 'busybox:1.36';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let store: LowdbStore;
let server: RunningApiServer;
let client: RestClient;
const agents: NodeAgent[] = [];
let namespaceCounter = 0;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-agent-test-'));
  store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  server = await startApiServer({ store, token: TOKEN, logger: silent });
  client = new RestClient({ server: server.httpUrl, token: TOKEN });
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

async function newNamespace(): Promise<string> {
  const name = `t${++namespaceCounter}`;
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function startAgent(runtime: FakeRuntime, nodeName: string, endpointKind: 'local' | 'lab' = 'lab', clusterId = ''): Promise<NodeAgent> {
  const agent = new NodeAgent({ client, runtime, nodeName, endpointKind, kubeletPort: 10250, settings: SETTINGS, logger: silent, clusterId });
  agents.push(agent);
  await agent.start();
  return agent;
}

async function createPod(namespace: string, name: string, nodeName: string, spec: Partial<PodSpec>): Promise<Pod> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { nodeName, containers: [{ name: 'main', image: IMAGE }], ...spec },
  };
  return (await client.create(PODS, pod as KubeObject)) as Pod;
}

const getPod = async (namespace: string, name: string) => (await client.get(PODS, namespace, name)) as Pod;

async function eventually<T>(check: () => Promise<T> | T, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 20 });
}

async function podEvents(namespace: string, podName: string): Promise<{ reason: string; message: string; type: string; count: number }[]> {
  const { items } = await client.list(EVENTS, { namespace });
  return items
    .filter((e) => (e.involvedObject as { name: string }).name === podName)
    .map((e) => ({ reason: e.reason as string, message: e.message as string, type: e.type as string, count: e.count as number }));
}

/** Every version of the pod's status the API server held, through a watch. */
function recordStatuses(namespace: string): { history: Pod[]; stop(): void } {
  const history: Pod[] = [];
  const informer = new Informer(client, PODS, { namespace, onError: () => {} });
  informer.addEventHandler({ onAdd: (p) => history.push(p as unknown as Pod), onUpdate: (_o, p) => history.push(p as unknown as Pod) });
  informer.start();
  return { history, stop: () => informer.stop() };
}

const condition = (pod: Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type)?.status;

describe('running pods', () => {
  it('runs a pod of two containers and reports Running and Ready with its IPs', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    await startAgent(runtime, 'node-run');
    await createPod(ns, 'web', 'node-run', { containers: [{ name: 'app', image: IMAGE }, { name: 'sidecar', image: IMAGE }] });

    const pod = await eventually(async () => {
      const p = await getPod(ns, 'web');
      expect(p.status?.phase).toBe('Running');
      expect(condition(p, 'Ready')).toBe('True');
      return p;
    });
    const sandbox = runtime.podContainers('web', 'POD')[0];
    expect(pod.status?.podIP).toBe(sandbox.status.ipAddress);
    expect(pod.status?.podIPs).toEqual([{ ip: sandbox.status.ipAddress }]);
    expect(pod.status?.hostIP).toBe('172.17.0.1');
    expect(condition(pod, 'ContainersReady')).toBe('True');
    expect(condition(pod, 'Initialized')).toBe('True');
    expect(condition(pod, 'PodReadyToStartContainers')).toBe('True');
    expect(pod.status?.startTime).toBeTruthy();
    const statuses = pod.status?.containerStatuses ?? [];
    expect(statuses.map((s) => s.name)).toEqual(['app', 'sidecar']);
    for (const status of statuses) {
      const running = runtime.running('web', status.name)!;
      expect(status).toMatchObject({ ready: true, started: true, restartCount: 0, image: IMAGE, containerID: `docker://${running.status.id}` });
      expect(status.state?.running?.startedAt).toBeTruthy();
      expect(running.spec?.sandboxId).toBe(sandbox.status.id);
      expect(running.status.name).toMatch(new RegExp(`^k8s_${status.name}_web_${ns}_[0-9a-f]{8}_0$`));
    }
    const reasons = (await podEvents(ns, 'web')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));
  });

  it('builds the environment from ConfigMaps, Secrets, the downward API and $(VAR) expansion', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { MODE: 'fast', LEVEL: '3' } });
    await client.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, data: { password: Buffer.from('s3cret').toString('base64') } });
    await startAgent(runtime, 'node-env');
    await createPod(ns, 'envy', 'node-env', {
      containers: [
        {
          name: 'main',
          image: IMAGE,
          command: ['echo', '$(GREETING)', '$$(GREETING)'],
          args: ['$(CFG_MODE)', '$(MISSING)'],
          envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }, { secretRef: { name: 'absent', optional: true } }],
          env: [
            { name: 'NAME', value: 'world' },
            { name: 'GREETING', value: 'hello $(NAME)' },
            { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          ],
          resources: { limits: { cpu: '500m', memory: '64Mi' } },
          securityContext: { runAsUser: 1000, runAsGroup: 2000, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
        },
      ],
    });
    const main = await eventually(() => {
      const c = runtime.running('envy', 'main');
      expect(c).toBeDefined();
      return c!;
    });
    const sandboxIp = runtime.podContainers('envy', 'POD')[0].status.ipAddress;
    expect(main.spec?.env).toEqual({
      CFG_MODE: 'fast',
      CFG_LEVEL: '3',
      NAME: 'world',
      GREETING: 'hello world',
      LEVEL: '3',
      PASSWORD: 's3cret',
      POD_NAME: 'envy',
      POD_NS: ns,
      NODE: 'node-env',
      POD_IP: sandboxIp,
      MEM_MI: '64',
    });
    expect(main.spec?.entrypoint).toEqual(['echo', 'hello world', '$(GREETING)']);
    expect(main.spec?.cmd).toEqual(['fast', '$(MISSING)']);
    expect(main.spec).toMatchObject({ nanoCpus: 500_000_000, memoryBytes: 64 * 1024 * 1024, user: '1000:2000', readOnlyRootFilesystem: true, capAdd: ['NET_ADMIN'], capDrop: ['ALL'] });
  });

  it('reports CreateContainerConfigError for a missing ConfigMap and starts once it exists', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    await startAgent(runtime, 'node-cfgerr');
    await createPod(ns, 'needy', 'node-cfgerr', { containers: [{ name: 'main', image: IMAGE, env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'later', key: 'x' } } }] }] });
    await eventually(async () => {
      const waiting = (await getPod(ns, 'needy')).status?.containerStatuses?.[0].state?.waiting;
      expect(waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "later" not found' });
    });
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: ns }, data: { x: '1' } });
    await eventually(async () => expect((await getPod(ns, 'needy')).status?.phase).toBe('Running'));
    expect(runtime.running('needy', 'main')?.spec?.env.X).toBe('1');
  });

  it('fills configMap and secret volumes and rewrites them when the ConfigMap changes', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site', namespace: ns }, data: { 'index.html': 'v1', other: 'x' } });
    await client.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: ns }, data: { key: Buffer.from('private').toString('base64') } });
    await startAgent(runtime, 'node-vol');
    const pod = await createPod(ns, 'files', 'node-vol', {
      volumes: [
        { name: 'html', configMap: { name: 'site', items: [{ key: 'index.html', path: 'pages/index.html' }] } },
        { name: 'certs', secret: { secretName: 'tls', defaultMode: 0o400 } },
        { name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      ],
      containers: [
        {
          name: 'main',
          image: IMAGE,
          volumeMounts: [
            { name: 'html', mountPath: '/usr/share/html' },
            { name: 'certs', mountPath: '/etc/certs' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
      ],
    });
    const uid8 = pod.metadata!.uid!.replace(/-/g, '').slice(0, 8);
    await eventually(async () => expect((await getPod(ns, 'files')).status?.phase).toBe('Running'));
    const html = runtime.volumes.get(`kubelab-${uid8}-html`)!;
    expect([...html.files.entries()]).toEqual([['pages/index.html', { content: 'v1', mode: 0o644 }]]);
    expect(runtime.volumes.get(`kubelab-${uid8}-certs`)!.files.get('key')).toEqual({ content: 'private', mode: 0o400 });
    expect(runtime.volumes.get(`kubelab-${uid8}-scratch`)!.tmpfsSizeBytes).toBe(1024 * 1024);
    const main = runtime.running('files', 'main')!;
    expect(main.spec?.mounts).toEqual([
      { source: `kubelab-${uid8}-html`, type: 'volume', target: '/usr/share/html', readOnly: true },
      { source: `kubelab-${uid8}-certs`, type: 'volume', target: '/etc/certs', readOnly: true },
      { source: `kubelab-${uid8}-scratch`, type: 'volume', target: '/scratch', readOnly: false },
    ]);

    const cm = await client.get(CONFIGMAPS, ns, 'site');
    await client.update(CONFIGMAPS, { ...cm, data: { 'index.html': 'v2', other: 'x' } });
    await eventually(() => expect(html.files.get('pages/index.html')?.content).toBe('v2'));
  });
});

describe('restarts', () => {
  it('restarts a crashing container with growing back-off and reports CrashLoopBackOff', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setBehaviour('crasher', { exitCode: 2, exitAfterMs: 10 });
    const ns = await newNamespace();
    const recorder = recordStatuses(ns);
    await startAgent(runtime, 'node-crash');
    const created = await createPod(ns, 'crashy', 'node-crash', { containers: [{ name: 'crasher', image: IMAGE }] });

    const pod = await eventually(async () => {
      const p = await getPod(ns, 'crashy');
      expect(p.status?.containerStatuses?.[0].restartCount).toBeGreaterThanOrEqual(3);
      expect(p.status?.containerStatuses?.[0].state?.waiting?.reason).toBe('CrashLoopBackOff');
      return p;
    });
    recorder.stop();
    const status = pod.status!.containerStatuses![0];
    expect(pod.status?.phase).toBe('Running');
    expect(status.lastState?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(status.lastState?.terminated?.containerID).toMatch(/^docker:\/\//);
    expect(status.state?.waiting?.message).toMatch(new RegExp(`^back-off \\d+m?s restarting failed container=crasher pod=crashy_${ns}\\(${created.metadata!.uid}\\)$`));

    const delays = recorder.history
      .map((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.message)
      .filter((m): m is string => !!m && m.startsWith('back-off'))
      .map((m) => m.split(' ')[1]);
    const distinct = [...new Set(delays)];
    expect(distinct.slice(0, 3)).toEqual(['100ms', '200ms', '400ms']);

    // Only the newest exited instance is kept (for logs --previous).
    await eventually(() => expect(runtime.podContainers('crashy', 'crasher').filter((c) => c.status.state === 'exited').length).toBe(1));
    const events = await podEvents(ns, 'crashy');
    expect(events.find((e) => e.reason === 'BackOff')).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container crasher in pod crashy_${ns}(${created.metadata!.uid})` });
  });

  it('restartPolicy Never fails the pod; OnFailure succeeds on exit 0 and restarts on failure', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setBehaviour('fails', { exitCode: 1, exitAfterMs: 5 });
    runtime.setBehaviour('succeeds', { exitCode: 0, exitAfterMs: 5 });
    runtime.setBehaviour('oom', { oomKill: true, exitAfterMs: 5 });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-policy');
    await createPod(ns, 'never', 'node-policy', { restartPolicy: 'Never', containers: [{ name: 'fails', image: IMAGE }] });
    await createPod(ns, 'done', 'node-policy', { restartPolicy: 'OnFailure', containers: [{ name: 'succeeds', image: IMAGE }] });
    await createPod(ns, 'retry', 'node-policy', { restartPolicy: 'OnFailure', containers: [{ name: 'fails', image: IMAGE }] });
    await createPod(ns, 'oomed', 'node-policy', { restartPolicy: 'Never', containers: [{ name: 'oom', image: IMAGE }] });

    await eventually(async () => {
      const never = await getPod(ns, 'never');
      expect(never.status?.phase).toBe('Failed');
      expect(never.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      expect(condition(never, 'Ready')).toBe('False');
      const done = await getPod(ns, 'done');
      expect(done.status?.phase).toBe('Succeeded');
      expect(done.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      const retry = await getPod(ns, 'retry');
      expect(retry.status?.phase).toBe('Running');
      expect(retry.status?.containerStatuses?.[0].restartCount).toBeGreaterThanOrEqual(2);
      const oomed = await getPod(ns, 'oomed');
      expect(oomed.status?.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    });
    // Terminal pods keep their stopped containers, and are not restarted.
    expect(runtime.podContainers('never', 'fails')).toHaveLength(1);
    expect(runtime.podContainers('done', 'succeeds')).toHaveLength(1);
  });

  it('runs init containers one at a time, in order, before the app containers', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setBehaviour('first', { exitCode: 0, exitAfterMs: 30 });
    runtime.setBehaviour('second', { exitCode: 0, exitAfterMs: 30 });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-init');
    await createPod(ns, 'staged', 'node-init', {
      initContainers: [
        { name: 'first', image: IMAGE },
        { name: 'second', image: IMAGE },
      ],
      containers: [{ name: 'main', image: IMAGE }],
    });
    const pod = await eventually(async () => {
      const p = await getPod(ns, 'staged');
      expect(p.status?.phase).toBe('Running');
      return p;
    });
    const order = runtime.history.filter((h) => h.includes('staged/') && !h.includes('/POD'));
    expect(order.slice(0, 7)).toEqual(['create:staged/first', 'start:staged/first', 'die:staged/first', 'create:staged/second', 'start:staged/second', 'die:staged/second', 'create:staged/main']);
    expect(pod.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.reason])).toEqual([
      ['first', 'Completed'],
      ['second', 'Completed'],
    ]);
    expect(condition(pod, 'Initialized')).toBe('True');
  });

  it('a failing init container with restartPolicy Never fails the pod without starting app containers', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setBehaviour('setup', { exitCode: 3, exitAfterMs: 5 });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-initfail');
    await createPod(ns, 'broken', 'node-initfail', { restartPolicy: 'Never', initContainers: [{ name: 'setup', image: IMAGE }], containers: [{ name: 'main', image: IMAGE }] });
    await eventually(async () => expect((await getPod(ns, 'broken')).status?.phase).toBe('Failed'));
    expect(runtime.podContainers('broken', 'main')).toHaveLength(0);
  });
});

describe('images', () => {
  it('reports ErrImagePull then ImagePullBackOff while other pods run, even behind a slow pull', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.pullFailures.set('nope:1', 'pull access denied for nope, repository does not exist');
    runtime.holdPull('slow:1');
    const ns = await newNamespace();
    const recorder = recordStatuses(ns);
    await startAgent(runtime, 'node-pull');
    await createPod(ns, 'slow', 'node-pull', { containers: [{ name: 'main', image: 'slow:1' }] });
    await createPod(ns, 'bad', 'node-pull', { containers: [{ name: 'main', image: 'nope:1' }] });
    await createPod(ns, 'good', 'node-pull', {});

    await eventually(async () => {
      const reasons = recorder.history.filter((p) => p.metadata?.name === 'bad').map((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason);
      expect(reasons).toContain('ErrImagePull');
      expect(reasons).toContain('ImagePullBackOff');
      expect(reasons.indexOf('ErrImagePull')).toBeLessThan(reasons.indexOf('ImagePullBackOff'));
    });
    await eventually(async () => expect((await getPod(ns, 'good')).status?.phase).toBe('Running'));
    const bad = await getPod(ns, 'bad');
    expect(bad.status?.phase).toBe('Pending');
    const errPull = recorder.history.find((p) => p.metadata?.name === 'bad' && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull');
    expect(errPull?.status?.containerStatuses?.[0].state?.waiting?.message).toBe('pull access denied for nope, repository does not exist');
    const events = await podEvents(ns, 'bad');
    expect(events).toContainEqual(expect.objectContaining({ reason: 'Failed', type: 'Warning', message: 'Failed to pull image "nope:1": pull access denied for nope, repository does not exist' }));

    expect((await getPod(ns, 'slow')).status?.phase).toBe('Pending');
    runtime.releasePull('slow:1');
    await eventually(async () => expect((await getPod(ns, 'slow')).status?.phase).toBe('Running'));
    recorder.stop();
  });

  it('imagePullPolicy Never fails with ErrImageNeverPull when the image is absent', async () => {
    const runtime = new FakeRuntime([]);
    const ns = await newNamespace();
    await startAgent(runtime, 'node-never');
    await createPod(ns, 'offline', 'node-never', { containers: [{ name: 'main', image: 'absent:2', imagePullPolicy: 'Never' }] });
    await eventually(async () => {
      const waiting = (await getPod(ns, 'offline')).status?.containerStatuses?.[0].state?.waiting;
      expect(waiting).toEqual({ reason: 'ErrImageNeverPull', message: 'Container image "absent:2" is not present with pull policy of Never' });
    });
    expect(runtime.pulls).toEqual([]);
  });
});

describe('probes and hooks', () => {
  it('restarts a container whose liveness probe fails, with Unhealthy and Killing events', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setExecResult('main', 'check-alive', { exitCode: 1, output: 'not alive' });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-live');
    await createPod(ns, 'sick', 'node-live', {
      containers: [{ name: 'main', image: IMAGE, livenessProbe: { exec: { command: ['check-alive'] }, periodSeconds: 1, failureThreshold: 1 } }],
    });
    await eventually(async () => expect((await getPod(ns, 'sick')).status?.containerStatuses?.[0].restartCount).toBeGreaterThanOrEqual(1));
    const events = await podEvents(ns, 'sick');
    expect(events).toContainEqual(expect.objectContaining({ reason: 'Unhealthy', type: 'Warning', message: 'Liveness probe failed: not alive' }));
    expect(events).toContainEqual(expect.objectContaining({ reason: 'Killing', message: 'Container main failed liveness probe, will be restarted' }));
  });

  it('readiness toggles the container and pod Ready conditions; startup gates it', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setExecResult('main', 'ready?', { exitCode: 1, output: 'warming up' });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-ready');
    await createPod(ns, 'gated', 'node-ready', {
      containers: [
        {
          name: 'main',
          image: IMAGE,
          startupProbe: { exec: { command: ['started?'] }, periodSeconds: 1 },
          readinessProbe: { exec: { command: ['ready?'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    await eventually(async () => {
      const p = await getPod(ns, 'gated');
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.containerStatuses?.[0]).toMatchObject({ started: true, ready: false });
      expect(condition(p, 'Ready')).toBe('False');
      expect(condition(p, 'ContainersReady')).toBe('False');
    });
    runtime.setExecResult('main', 'ready?', { exitCode: 0 });
    await eventually(async () => {
      const p = await getPod(ns, 'gated');
      expect(p.status?.containerStatuses?.[0].ready).toBe(true);
      expect(condition(p, 'Ready')).toBe('True');
    });
    runtime.setExecResult('main', 'ready?', { exitCode: 1, output: 'overloaded' });
    await eventually(async () => expect(condition(await getPod(ns, 'gated'), 'Ready')).toBe('False'));
    const startupCall = runtime.execCalls.findIndex((c) => c.command[0] === 'started?');
    const firstReadiness = runtime.execCalls.findIndex((c) => c.command[0] === 'ready?');
    expect(startupCall).toBeGreaterThanOrEqual(0);
    expect(firstReadiness).toBeGreaterThan(startupCall);
  });

  it('kills a container whose postStart hook fails', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setExecResult('main', 'init-hook', { exitCode: 5, output: 'hook broke' });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-hook');
    await createPod(ns, 'hooked', 'node-hook', { containers: [{ name: 'main', image: IMAGE, lifecycle: { postStart: { exec: { command: ['init-hook'] } } } }] });
    await eventually(async () => {
      const events = await podEvents(ns, 'hooked');
      expect(events.find((e) => e.reason === 'FailedPostStartHook')?.message).toContain('hook broke');
    });
    await eventually(() => expect(runtime.podContainers('hooked', 'main')[0].status.state).toBe('exited'));
  });
});

describe('deletion', () => {
  it('runs preStop, kills a container that ignores SIGTERM after the grace period, cleans up and deletes the pod', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    runtime.setBehaviour('stubborn', { ignoreSigterm: true });
    const ns = await newNamespace();
    await startAgent(runtime, 'node-del');
    const pod = await createPod(ns, 'leaving', 'node-del', {
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [{ name: 'stubborn', image: IMAGE, lifecycle: { preStop: { exec: { command: ['drain-connections'] } } }, volumeMounts: [{ name: 'scratch', mountPath: '/s' }] }],
    });
    await eventually(async () => expect((await getPod(ns, 'leaving')).status?.phase).toBe('Running'));
    await client.delete(PODS, ns, 'leaving');
    const marked = await getPod(ns, 'leaving');
    expect(marked.metadata?.deletionTimestamp).toBeTruthy();

    await eventually(async () => {
      const { items } = await client.list(PODS, { namespace: ns });
      expect(items.map((p) => p.metadata.name)).not.toContain('leaving');
    });
    expect(runtime.execCalls).toContainEqual({ container: 'stubborn', command: ['drain-connections'] });
    const removed = runtime.removedContainers.find((c) => c.status.labels[LABELS.containerName] === 'stubborn')!;
    expect(removed.signals[0]).toMatch(/^stop:[01]$/);
    expect(removed.status.exitCode).toBe(137);
    expect(runtime.podContainers('leaving')).toEqual([]);
    const uid8 = pod.metadata!.uid!.replace(/-/g, '').slice(0, 8);
    expect(runtime.volumes.has(`kubelab-${uid8}-scratch`)).toBe(false);
    expect((await podEvents(ns, 'leaving')).map((e) => e.reason)).toContain('Killing');
  });
});

describe('restart safety', () => {
  it('a new agent adopts running containers and removes those of pods deleted meanwhile', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    const first = await startAgent(runtime, 'node-adopt');
    await createPod(ns, 'keep', 'node-adopt', {});
    await createPod(ns, 'drop', 'node-adopt', {});
    await eventually(async () => {
      expect((await getPod(ns, 'keep')).status?.phase).toBe('Running');
      expect((await getPod(ns, 'drop')).status?.phase).toBe('Running');
    });
    const keptIds = runtime.podContainers('keep').map((c) => c.status.id).sort();
    await first.stop();
    agents.splice(agents.indexOf(first), 1);
    await client.delete(PODS, ns, 'drop', { gracePeriodSeconds: 0 });

    await startAgent(runtime, 'node-adopt');
    await eventually(() => expect(runtime.podContainers('drop')).toEqual([]));
    // Give the adopted pod a full sync round: nothing may be recreated.
    await eventually(async () => expect(condition(await getPod(ns, 'keep'), 'Ready')).toBe('True'));
    expect(runtime.podContainers('keep').map((c) => c.status.id).sort()).toEqual(keptIds);
    expect(runtime.podContainers('keep').every((c) => c.status.state === 'running')).toBe(true);
  });
});

describe('labs sharing one daemon', () => {
  it("an agent of another cluster leaves this cluster's containers alone", async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    await startAgent(runtime, 'node-shared', 'lab', 'cluster-a');
    await createPod(ns, 'mine', 'node-shared', {});
    await eventually(async () => expect((await getPod(ns, 'mine')).status?.phase).toBe('Running'));
    const ids = runtime.podContainers('mine').map((c) => c.status.id).sort();
    expect(runtime.podContainers('mine').every((c) => c.status.labels[LABELS.cluster] === 'cluster-a')).toBe(true);

    // A second lab with its own API (where pod `mine` does not exist) and a node of the
    // same name on the same daemon: its orphan cleanup must not touch cluster-a's pod.
    const otherStore = new LowdbStore({ file: join(await mkdtemp(join(tmpdir(), 'kubelab-agent-other-')), 'data.json') });
    await otherStore.open();
    await ensureSystemNamespaces(new ResourceService(otherStore));
    const otherServer = await startApiServer({ store: otherStore, token: TOKEN, logger: silent });
    const other = new NodeAgent({
      client: new RestClient({ server: otherServer.httpUrl, token: TOKEN }),
      runtime,
      nodeName: 'node-shared',
      endpointKind: 'lab',
      kubeletPort: 10250,
      settings: SETTINGS,
      logger: silent,
      clusterId: 'cluster-b',
    });
    try {
      await other.start();
      await new Promise((r) => setTimeout(r, SETTINGS.resyncSeconds * 1500));
    } finally {
      await other.stop();
      await otherServer.close();
      await otherStore.close();
    }
    expect(runtime.podContainers('mine').map((c) => c.status.id).sort()).toEqual(ids);
    expect(runtime.podContainers('mine').every((c) => c.status.state === 'running')).toBe(true);
  });
});

describe('node', () => {
  it('registers the Node with labels, capacity, nodeInfo, addresses and conditions, and renews its Lease', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    await client.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-reg', annotations: { 'kubelab.io/docker-endpoint': 'unix:///var/run/docker.sock' } } });
    const agent = await startAgent(runtime, 'node-reg', 'local');
    const node = (await client.get(NODES, undefined, 'node-reg')) as KubeObject & { status: Record<string, any> };
    expect(node.metadata.annotations?.['kubelab.io/docker-endpoint']).toBe('unix:///var/run/docker.sock');
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'node-reg',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
      'kubelab.io/endpoint-kind': 'local',
    });
    expect(node.status.capacity).toEqual({ cpu: '4', memory: `${8 * 1024 * 1024}Ki`, pods: '110' });
    expect(node.status.allocatable).toEqual(node.status.capacity);
    expect(node.status.nodeInfo).toMatchObject({
      architecture: 'amd64',
      operatingSystem: 'linux',
      osImage: 'Fake Linux 1',
      kernelVersion: '6.1.0-fake',
      containerRuntimeVersion: 'docker://27.0.0-fake',
      kubeletVersion: 'v1.32.0-kubelab',
    });
    expect(node.status.nodeInfo.machineID).toMatch(/^[0-9a-f]{32}$/);
    expect(node.status.addresses).toEqual([
      { type: 'InternalIP', address: '172.17.0.1' },
      { type: 'Hostname', address: 'node-reg' },
    ]);
    expect(node.status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(node.status.images).toContainEqual({ names: [IMAGE], sizeBytes: 1_000_000 });
    const types = (node.status.conditions as { type: string; status: string; lastHeartbeatTime: string }[]).map((c) => [c.type, c.status]);
    expect(types).toEqual([
      ['MemoryPressure', 'False'],
      ['DiskPressure', 'False'],
      ['PIDPressure', 'False'],
      ['Ready', 'True'],
    ]);

    const lease = (await client.get(LEASES, 'kube-node-lease', 'node-reg')) as KubeObject & { spec: Record<string, any> };
    expect(lease.spec).toMatchObject({ holderIdentity: 'node-reg', leaseDurationSeconds: 40 });
    await eventually(async () => {
      const renewed = (await client.get(LEASES, 'kube-node-lease', 'node-reg')) as KubeObject & { spec: Record<string, any> };
      expect(renewed.spec.renewTime).not.toBe(lease.spec.renewTime);
    });

    runtime.available = false;
    await eventually(async () => {
      const down = (await client.get(NODES, undefined, 'node-reg')) as KubeObject & { status: Record<string, any> };
      const ready = down.status.conditions.find((c: { type: string }) => c.type === 'Ready');
      expect(ready).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
      expect(ready.message).toContain('Cannot connect to the Docker daemon');
    });
    runtime.available = true;
    void agent;
  });

  it('samples container metrics per pod', async () => {
    const runtime = new FakeRuntime([IMAGE]);
    const ns = await newNamespace();
    const agent = await startAgent(runtime, 'node-metrics');
    await createPod(ns, 'busy', 'node-metrics', {});
    await eventually(async () => expect((await getPod(ns, 'busy')).status?.phase).toBe('Running'));
    await agent.sampleMetrics();
    const metrics = agent.podMetrics().find((m) => m.name === 'busy');
    expect(metrics).toMatchObject({ namespace: ns, containers: [{ name: 'main', cpuNanoCores: 1_000_000, memoryWorkingSetBytes: 4 * 1024 * 1024 }] });
  });
});
