import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { KubeObject } from '../api/kube-object.ts';
import { LABELS, type ContainerRuntime, type ContainerStatus, type ExecSession, type LogOptions } from '../agent/container-runtime.ts';
import { startKubeletServer, type RunningKubeletServer } from '../agent/kubelet-server.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { startApiServer, type RunningApiServer } from './api-server.ts';
import { ensureSystemNamespaces } from './bootstrap-namespaces.ts';
import { chooseContainer } from './pod-streams.ts';
import { ResourceService } from './resource-service.ts';

// pods/log and pods/exec through the API server: the pod, container and node checks,
// and the proxy to the kubelet server (here over an in-memory runtime).

const TOKEN = 'pod-streams-test-token';
let store: LowdbStore;
let api: RunningApiServer;
let kubelet: RunningKubeletServer;
const logOptionsSeen: LogOptions[] = [];

function container(pod: string, name: string, attempt: number): ContainerStatus {
  return {
    id: `${pod}-${name}-${attempt}`,
    name: `k8s_${name}_${pod}`,
    labels: {
      [LABELS.managed]: 'true',
      [LABELS.node]: 'node-a',
      [LABELS.podNamespace]: 'default',
      [LABELS.podName]: pod,
      [LABELS.containerName]: name,
      [LABELS.role]: 'app',
      [LABELS.attempt]: String(attempt),
    },
    image: 'busybox',
    imageId: 'sha256:0',
    state: 'running',
    createdAt: '2024-01-01T00:00:00Z',
  };
}

const containers = [container('solo', 'main', 0), container('duo', 'web', 0), container('duo', 'side', 0)];
const runtime = {
  async listContainers(labels: Record<string, string>) {
    return containers.filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v));
  },
  async logs(id: string, options: LogOptions) {
    logOptionsSeen.push(options);
    return Readable.from([Buffer.from(`logs of ${id}\n`)]);
  },
  async exec(_id: string, command: string[]): Promise<ExecSession> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end(`ran ${command.join(' ')}\n`);
    stderr.end();
    return { stdout, stderr, exitCode: Promise.resolve(7), resize: async () => {}, detach: () => {} };
  },
  async attach(id: string): Promise<ExecSession> {
    const stdout = new PassThrough();
    stdout.end(`attached to ${id}\n`);
    return { stdout, exitCode: Promise.resolve(0), resize: async () => {}, detach: () => {} };
  },
} as unknown as ContainerRuntime;

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${api.url}${path}`, { method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });

const pod = (name: string, names: string[], nodeName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: names.map((n) => ({ name: n, image: 'kubelab/busybox:test' })) },
});

async function createNode(name: string, port?: number) {
  const created = JSON.parse((await call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } })).body);
  if (port) {
    const res = await call('PUT', `/api/v1/nodes/${name}/status`, { ...created, status: { daemonEndpoints: { kubeletEndpoint: { Port: port } } } });
    expect(res.status, res.body).toBe(200);
  }
}

beforeAll(async () => {
  store = new LowdbStore({ file: join(await mkdtemp(join(tmpdir(), 'pod-streams-')), 'data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  api = await startApiServer({ store, token: TOKEN });
  kubelet = await startKubeletServer({ token: TOKEN, runtimeFor: (n) => (n === 'node-a' ? runtime : undefined) });
  await createNode('node-a', kubelet.port);
  await createNode('node-silent');
  for (const p of [pod('solo', ['main'], 'node-a'), pod('duo', ['web', 'side'], 'node-a'), pod('pending', ['main']), pod('stranded', ['main'], 'node-silent'), pod('orphan', ['main'], 'node-gone')]) {
    const res = await call('POST', '/api/v1/namespaces/default/pods', p);
    expect(res.status, res.body).toBe(201);
  }
});
afterAll(async () => {
  await api?.close();
  await kubelet?.close();
  await store?.close();
});

const logPath = (name: string, query = '') => `/api/v1/namespaces/default/pods/${name}/log${query}`;

describe('pods/log', () => {
  it('proxies the only container\'s logs as text', async () => {
    const res = await call('GET', logPath('solo'));
    expect(res).toEqual({ status: 200, body: 'logs of solo-main-0\n' });
  });

  it('maps the log options onto the kubelet URL', async () => {
    logOptionsSeen.length = 0;
    await call('GET', logPath('duo', '?container=side&tailLines=3&timestamps=true&limitBytes=100&sinceSeconds=9&follow=false&pretty=true'));
    expect(logOptionsSeen).toEqual([{ follow: false, timestamps: true, tailLines: 3, sinceSeconds: 9, limitBytes: 100 }]);
  });

  it('with several containers one must be named, with Kubernetes wording', async () => {
    const res = await call('GET', logPath('duo'));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toBe('a container name must be specified for pod duo, choose one of: [web side]');
    expect((await call('GET', logPath('duo', '?container=web'))).body).toBe('logs of duo-web-0\n');
  });

  it('answers Kubernetes\' errors for a missing pod, unknown container and unbound pod', async () => {
    expect(JSON.parse((await call('GET', logPath('ghost'))).body)).toMatchObject({ code: 404, message: 'pods "ghost" not found' });
    expect(JSON.parse((await call('GET', logPath('solo', '?container=nope'))).body)).toMatchObject({ code: 400, message: 'container nope is not valid for pod solo' });
    expect(JSON.parse((await call('GET', logPath('pending'))).body)).toMatchObject({ code: 400, message: 'pod pending does not have a host assigned' });
  });

  it('is 503 when the node has no kubelet endpoint or is not registered', async () => {
    const silent = JSON.parse((await call('GET', logPath('stranded'))).body);
    expect(silent).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(silent.message).toContain('kubeletEndpoint');
    expect(JSON.parse((await call('GET', logPath('orphan'))).body)).toMatchObject({ code: 503 });
  });

  it('passes the kubelet server\'s own errors through', async () => {
    const res = await call('GET', logPath('solo', '?previous=true'));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toBe('previous terminated container "main" in pod "solo" not found');
  });
});

describe('pods/exec', () => {
  const execUrl = (name: string, query: string) => `${api.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/${name}/exec?${query}`;

  it('tunnels the WebSocket to the kubelet server, subprotocol and all', async () => {
    const ws = new WebSocket(execUrl('duo', 'container=side&command=echo&command=hi&stdout=true&stderr=true'), ['v5.channel.k8s.io', 'v4.channel.k8s.io'], {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const frames: Buffer[] = [];
    ws.on('message', (d: Buffer) => frames.push(d));
    const closeCode = await new Promise<number>((resolve, reject) => {
      ws.on('close', resolve);
      ws.on('error', reject);
    });
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    expect(closeCode).toBe(1000);
    expect(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1).toString())).toEqual(['ran echo hi\n']);
    const status = JSON.parse(frames.find((f) => f[0] === 3)!.subarray(1).toString());
    expect(status.details.causes).toEqual([{ reason: 'ExitCode', message: '7' }]);
  });

  async function refusal(name: string, query: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
    const ws = new WebSocket(execUrl(name, query), ['v5.channel.k8s.io'], { headers });
    return new Promise((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(body) }));
      });
      ws.on('open', () => reject(new Error('the upgrade was accepted')));
      ws.on('error', reject);
    });
  }

  it('upgrades pass the same guard as other requests', async () => {
    expect((await refusal('solo', 'command=sh&stdout=true', {})).status).toBe(401);
    expect((await refusal('solo', 'command=sh&stdout=true', { Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' })).status).toBe(403);
  });

  it('checks the pod and container before tunnelling', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await refusal('ghost', 'command=sh&stdout=true', auth)).status).toBe(404);
    expect((await refusal('duo', 'command=sh&stdout=true', auth)).body.message).toContain('a container name must be specified for pod duo');
  });

  it('tunnels pods/attach to the kubelet server\'s attach endpoint', async () => {
    const ws = new WebSocket(execUrl('solo', 'stdout=true').replace('/exec?', '/attach?'), ['v5.channel.k8s.io'], { headers: { Authorization: `Bearer ${TOKEN}` } });
    const frames: Buffer[] = [];
    ws.on('message', (d: Buffer) => frames.push(d));
    await new Promise((resolve, reject) => {
      ws.on('close', resolve);
      ws.on('error', reject);
    });
    expect(frames.filter((f) => f[0] === 1).map((f) => f.subarray(1).toString())).toEqual([`attached to ${containers[0].id}\n`]);
    expect(JSON.parse(frames.find((f) => f[0] === 3)!.subarray(1).toString())).toMatchObject({ status: 'Success' });
  });

  it('a SPDY upgrade is told that only WebSocket is served', async () => {
    const socket = connect(api.port, '127.0.0.1');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('end', () => resolve(text));
      socket.write(
        `POST /api/v1/namespaces/default/pods/solo/exec?command=sh&stdout=true HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n` +
          `Authorization: Bearer ${TOKEN}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect(answer).toContain('over WebSocket only');
  });

  it('exec without an upgrade is 400 Upgrade request required', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/pods/solo/exec?command=sh&stdout=true');
    expect(JSON.parse(res.body)).toMatchObject({ code: 400, message: 'Upgrade request required' });
  });
});

describe('chooseContainer', () => {
  const withInit = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'setup' }] } } as KubeObject;

  it('names the init containers too when none was chosen', () => {
    expect(() => chooseContainer(withInit, null)).toThrow('a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [setup]');
  });

  it('accepts an init container by name', () => {
    expect(chooseContainer(withInit, 'setup')).toBe('setup');
  });
});
