import { request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { LABELS, type ContainerRuntime, type ContainerStatus, type ExecSession, type LogOptions } from './container-runtime.ts';
import { startKubeletServer, type RunningKubeletServer } from './kubelet-server.ts';

// The kubelet server against a small in-memory runtime: which container a URL means,
// Kubernetes' errors, log options, and the remotecommand WebSocket protocol.

const TOKEN = 'kubelet-test-token';

interface FakeContainer {
  status: ContainerStatus;
  logs: string;
  /** For a follow test: the stream logs() hands out. */
  followStream?: PassThrough;
}

type FakeProcess = (io: { stdin: PassThrough; stdout: PassThrough; stderr?: PassThrough; exit: (code: number) => void }) => void;

class FakeStreamsRuntime implements Partial<ContainerRuntime> {
  containers: FakeContainer[] = [];
  logCalls: { id: string; options: LogOptions }[] = [];
  execCalls: { id: string; command: string[]; options: { stdin: boolean; tty: boolean } }[] = [];
  resizes: [number, number][] = [];
  attachCalls: { id: string; options: { stdin: boolean } }[] = [];
  detaches = 0;
  processes = new Map<string, FakeProcess>();

  add(pod: string, container: string, attempt: number, state: ContainerStatus['state'], logs: string, node = 'node-a'): FakeContainer {
    const id = `${pod}-${container}-${attempt}-${node}`;
    const entry: FakeContainer = {
      logs,
      status: {
        id,
        name: `k8s_${container}_${pod}_default_uid_${attempt}`,
        labels: {
          [LABELS.managed]: 'true',
          [LABELS.node]: node,
          [LABELS.podNamespace]: 'default',
          [LABELS.podName]: pod,
          [LABELS.containerName]: container,
          [LABELS.role]: 'app',
          [LABELS.attempt]: String(attempt),
        },
        image: 'busybox',
        imageId: 'sha256:0',
        state,
        createdAt: new Date(Date.UTC(2024, 0, 1, 0, attempt)).toISOString(),
      },
    };
    this.containers.push(entry);
    return entry;
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerStatus[]> {
    return this.containers.map((c) => c.status).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  async logs(id: string, options: LogOptions): Promise<NodeJS.ReadableStream> {
    this.logCalls.push({ id, options });
    const container = this.containers.find((c) => c.status.id === id)!;
    if (container.followStream) return container.followStream;
    let lines = container.logs.split(/(?<=\n)/);
    if (options.tailLines !== undefined) lines = lines.slice(-options.tailLines);
    return Readable.from(lines.map((l) => Buffer.from(l)));
  }

  async exec(id: string, command: string[], options: { stdin: boolean; tty: boolean }): Promise<ExecSession> {
    this.execCalls.push({ id, command, options });
    return this.run(command[0], options);
  }

  /** Attaching reaches the container's main process, the fake process named 'main'. */
  async attach(id: string, options: { stdin: boolean }): Promise<ExecSession> {
    this.attachCalls.push({ id, options });
    return this.run('main', { ...options, tty: false });
  }

  private run(name: string, options: { stdin: boolean; tty: boolean }): ExecSession {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = options.tty ? undefined : new PassThrough();
    let exit!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (exit = resolve));
    const process = this.processes.get(name);
    if (!process) throw new Error(`no fake process ${name}`);
    process({ stdin, stdout, stderr, exit });
    return {
      stdin: options.stdin ? stdin : undefined,
      stdout,
      stderr,
      exitCode,
      resize: async (columns, rows) => {
        this.resizes.push([columns, rows]);
      },
      detach: () => {
        this.detaches++;
      },
    };
  }
}

let runtime: FakeStreamsRuntime;
let server: RunningKubeletServer;

beforeAll(async () => {
  server = await startKubeletServer({ token: TOKEN, runtimeFor: (node) => (node === 'node-a' ? (runtime as unknown as ContainerRuntime) : undefined) });
});
afterAll(() => server?.close());
beforeEach(() => {
  runtime = new FakeStreamsRuntime();
  // `sh -c 'echo out; echo err >&2; exit 3'`
  runtime.processes.set('three', ({ stdout, stderr, exit }) => {
    stdout.end('out\n');
    stderr?.end('err\n');
    exit(3);
  });
  // `cat`: echoes stdin until it ends, then exits 0.
  runtime.processes.set('cat', ({ stdin, stdout, stderr, exit }) => {
    stdin.pipe(stdout);
    stdin.on('end', () => exit(0));
    stderr?.end();
  });
});

function get(path: string, token = TOKEN): Promise<{ status: number; body: string; contentType?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, contentType: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

const logsPath = (pod: string, container: string, query = '') => `/nodes/node-a/containerLogs/default/${pod}/${container}${query}`;

describe('container logs', () => {
  it('serves the current container: the highest attempt', async () => {
    runtime.add('web', 'main', 0, 'exited', 'first run\n');
    runtime.add('web', 'main', 2, 'running', 'third run\n');
    runtime.add('web', 'main', 1, 'exited', 'second run\n');
    runtime.add('web', 'sidecar', 5, 'running', 'sidecar\n');
    const res = await get(logsPath('web', 'main'));
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.body).toBe('third run\n');
  });

  it('previous=true serves the instance before the current one', async () => {
    runtime.add('web', 'main', 0, 'exited', 'first run\n');
    runtime.add('web', 'main', 1, 'running', 'second run\n');
    expect((await get(logsPath('web', 'main', '?previous=true'))).body).toBe('first run\n');
  });

  it('previous=true on a container waiting to restart serves its last run (its lastState)', async () => {
    runtime.add('web', 'main', 1, 'exited', 'second run\n');
    runtime.add('web', 'main', 2, 'exited', 'third run, crashed\n');
    expect((await get(logsPath('web', 'main', '?previous=true'))).body).toBe('third run, crashed\n');
  });

  it('previous=true without an earlier instance is 400 with Kubernetes wording', async () => {
    runtime.add('web', 'main', 0, 'running', 'only run\n');
    const res = await get(logsPath('web', 'main', '?previous=true'));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'previous terminated container "main" in pod "web" not found' });
  });

  it('a container that does not exist yet is waiting to start', async () => {
    const res = await get(logsPath('web', 'main'));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toBe('container "main" in pod "web" is waiting to start: ContainerCreating');
  });

  it('containers of another node are not this node\'s', async () => {
    runtime.add('web', 'main', 0, 'running', 'elsewhere\n', 'node-b');
    expect((await get(logsPath('web', 'main'))).status).toBe(400);
  });

  it('passes log options to the runtime and enforces limitBytes', async () => {
    runtime.add('web', 'main', 0, 'running', 'one\ntwo\nthree\n');
    const res = await get(logsPath('web', 'main', '?tailLines=2&timestamps=true&sinceSeconds=30&limitBytes=5'));
    expect(res.body).toBe('two\nt');
    expect(runtime.logCalls[0].options).toEqual({ follow: false, timestamps: true, tailLines: 2, sinceSeconds: 30, limitBytes: 5 });
  });

  it('refuses malformed log options', async () => {
    runtime.add('web', 'main', 0, 'running', 'x\n');
    expect((await get(logsPath('web', 'main', '?tailLines=abc'))).status).toBe(400);
    expect((await get(logsPath('web', 'main', '?sinceTime=yesterday'))).status).toBe(400);
  });

  it('follow streams what the runtime produces until its stream ends', async () => {
    const container = runtime.add('web', 'main', 0, 'running', '');
    container.followStream = new PassThrough();
    container.followStream.write('before\n');
    const received: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: logsPath('web', 'main', '?follow=true'), headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.on('data', (d) => {
          received.push(String(d));
          if (received.join('') === 'before\n') container.followStream!.write('after\n');
          if (received.join('').endsWith('after\n')) container.followStream!.end();
        });
        res.on('end', () => resolve());
      });
      req.end();
    });
    await ended;
    expect(received.join('')).toBe('before\nafter\n');
    expect(runtime.logCalls[0].options.follow).toBe(true);
  });

  it('requires the bearer token and a known node', async () => {
    runtime.add('web', 'main', 0, 'running', 'x\n');
    expect((await get(logsPath('web', 'main'), 'wrong')).status).toBe(401);
    expect((await get(logsPath('web', 'main'), '')).status).toBe(401);
    expect((await get('/nodes/node-zz/containerLogs/default/web/main')).status).toBe(404);
  });
});

interface ExecOutcome {
  protocol: string;
  frames: { channel: number; data: Buffer }[];
  closeCode: number;
}

/** Opens an exec WebSocket, runs `drive` once open, collects every frame until the server closes. */
function execSocket(query: string, protocols: string[], drive: (ws: WebSocket) => void = () => {}, path = '/nodes/node-a/exec/default/web/main'): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}?${query}`, protocols, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const frames: ExecOutcome['frames'] = [];
    ws.on('open', () => drive(ws));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) frames.push({ channel: data[0], data: data.subarray(1) });
      else frames.push({ channel: data.toString()[0].charCodeAt(0) - 48, data: Buffer.from(data.toString().slice(1), 'base64') });
    });
    ws.on('close', (code) => resolve({ protocol: ws.protocol, frames, closeCode: code }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { statusCode: res.statusCode, body })));
    });
    ws.on('error', reject);
  });
}

const channelText = (outcome: ExecOutcome, channel: number) => Buffer.concat(outcome.frames.filter((f) => f.channel === channel).map((f) => f.data)).toString();

describe('exec over WebSocket', () => {
  const streams = 'stdout=true&stderr=true';

  it('relays stdout and stderr on their channels and reports the exit code as a Status (v5)', async () => {
    runtime.add('web', 'main', 0, 'exited', '');
    runtime.add('web', 'main', 1, 'running', '');
    const outcome = await execSocket(`command=three&command=arg&${streams}`, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(outcome.protocol).toBe('v5.channel.k8s.io');
    expect(channelText(outcome, 1)).toBe('out\n');
    expect(channelText(outcome, 2)).toBe('err\n');
    expect(JSON.parse(channelText(outcome, 3))).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(outcome.closeCode).toBe(1000);
    expect(runtime.execCalls).toEqual([{ id: 'web-main-1-node-a', command: ['three', 'arg'], options: { stdin: false, tty: false } }]);
    // The status comes after all output: kubectl stops reading once it has it.
    expect(outcome.frames.at(-1)!.channel).toBe(3);
  });

  it('a zero exit is a Success status', async () => {
    runtime.processes.set('ok', ({ stdout, stderr, exit }) => {
      stdout.end('fine\n');
      stderr?.end();
      exit(0);
    });
    runtime.add('web', 'main', 0, 'running', '');
    const outcome = await execSocket(`command=ok&${streams}`, ['v4.channel.k8s.io']);
    expect(outcome.protocol).toBe('v4.channel.k8s.io');
    expect(JSON.parse(channelText(outcome, 3))).toMatchObject({ status: 'Success' });
  });

  it('stdin flows in on channel 0 and the v5 close signal ends it', async () => {
    runtime.add('web', 'main', 0, 'running', '');
    const outcome = await execSocket(`command=cat&stdin=true&${streams}`, ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('hello ')]));
      ws.send(Buffer.from([0, ...Buffer.from('world\n')]));
      ws.send(Buffer.from([255, 0]));
    });
    expect(channelText(outcome, 1)).toBe('hello world\n');
    expect(JSON.parse(channelText(outcome, 3)).status).toBe('Success');
    expect(runtime.execCalls[0].options).toEqual({ stdin: true, tty: false });
  });

  it('resize messages reach the session with a TTY', async () => {
    runtime.add('web', 'main', 0, 'running', '');
    const outcome = await execSocket('command=cat&stdin=true&stdout=true&tty=true', ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: 120, Height: 40 }))]));
      ws.send(Buffer.from([0, ...Buffer.from('typed\n')]));
      ws.send(Buffer.from([255, 0]));
    });
    expect(channelText(outcome, 1)).toBe('typed\n');
    expect(runtime.resizes).toEqual([[120, 40]]);
    expect(runtime.execCalls[0].options.tty).toBe(true);
  });

  it('speaks base64.channel.k8s.io with text frames', async () => {
    runtime.add('web', 'main', 0, 'running', '');
    const outcome = await execSocket(`command=three&${streams}`, ['base64.channel.k8s.io']);
    expect(outcome.protocol).toBe('base64.channel.k8s.io');
    expect(channelText(outcome, 1)).toBe('out\n');
    // The v1 protocols report a failure as plain text, not a Status.
    expect(channelText(outcome, 3)).toMatch(/exit status 3/);
  });

  it('a container that is not running ends with a Failure status', async () => {
    runtime.add('web', 'main', 0, 'exited', '');
    const outcome = await execSocket(`command=three&${streams}`, ['v5.channel.k8s.io']);
    expect(JSON.parse(channelText(outcome, 3))).toMatchObject({ status: 'Failure', message: 'container "main" in pod "web" is not running' });
    expect(runtime.execCalls).toEqual([]);
  });

  it('refuses protocols it does not speak and a missing command', async () => {
    runtime.add('web', 'main', 0, 'running', '');
    await expect(execSocket(`command=three&${streams}`, ['v9.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 400 });
    await expect(execSocket(streams, ['v5.channel.k8s.io'])).rejects.toMatchObject({ statusCode: 400 });
  });

  it('a client that goes away detaches from the process without waiting for it to end', async () => {
    runtime.add('web', 'main', 0, 'running', '');
    runtime.processes.set('forever', ({ stdout }) => stdout.write('started\n'));
    await execSocket(`command=forever&${streams}`, ['v5.channel.k8s.io'], (ws) => ws.on('message', () => ws.close()));
    await vi.waitFor(() => expect(runtime.detaches).toBe(1));
  });

  it('refuses an upgrade without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/nodes/node-a/exec/default/web/main?command=x&stdout=true`, ['v5.channel.k8s.io']);
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(status).toBe(401);
  });
});

describe('attach over WebSocket', () => {
  const attachPath = '/nodes/node-a/attach/default/web/main';

  it('relays the running container\'s main process: its output, and stdin when asked for', async () => {
    runtime.add('web', 'main', 0, 'exited', '');
    runtime.add('web', 'main', 1, 'running', '');
    runtime.processes.set('main', runtime.processes.get('cat')!);
    const outcome = await execSocket('stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io'], (ws) => {
      ws.send(Buffer.from([0, ...Buffer.from('typed in\n')]));
      ws.send(Buffer.from([255, 0]));
    }, attachPath);
    expect(channelText(outcome, 1)).toBe('typed in\n');
    expect(JSON.parse(channelText(outcome, 3))).toMatchObject({ status: 'Success' });
    expect(runtime.attachCalls).toEqual([{ id: 'web-main-1-node-a', options: { stdin: true } }]);
    expect(runtime.execCalls).toEqual([]);
  });

  it('needs no command, and leaves a container it cannot reach alone with a Failure status', async () => {
    runtime.add('web', 'main', 0, 'exited', '');
    const outcome = await execSocket('stdout=true', ['v5.channel.k8s.io'], () => {}, attachPath);
    expect(JSON.parse(channelText(outcome, 3))).toMatchObject({ status: 'Failure', message: 'container "main" in pod "web" is not running' });
    expect(runtime.attachCalls).toEqual([]);
  });
});
