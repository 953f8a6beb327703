import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeCommand } from '../cli/node-cli.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { EndpointError } from './docker-endpoint.ts';
import { NODE_ANNOTATIONS } from './node-annotations.ts';
import { checkAddNodeOptions, connectToServe, formatNodeTable, NodeCommandError, nodeKind, nodeStatus } from './node-commands.ts';

type NodeArg = Parameters<typeof nodeStatus>[0];
const node = (annotations: Record<string, string>, extra: Partial<KubeObject> = {}): NodeArg =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', annotations }, ...extra }) as NodeArg;

describe('node rows', () => {
  it('names the kind of each node from its annotations', () => {
    expect(nodeKind(node({ [NODE_ANNOTATIONS.dockerEndpoint]: 'unix:///var/run/docker.sock' }))).toBe('local');
    expect(nodeKind(node({ [NODE_ANNOTATIONS.dockerEndpoint]: 'tcp://127.0.0.1:2376' }))).toBe('tcp');
    expect(nodeKind(node({ [NODE_ANNOTATIONS.dockerEndpoint]: 'ssh://a@127.0.0.1' }))).toBe('ssh');
    expect(nodeKind(node({ [NODE_ANNOTATIONS.labNode]: 'true', [NODE_ANNOTATIONS.dockerEndpoint]: 'unix:///x.sock' }))).toBe('lab');
    expect(nodeKind(node({}))).toBe('-');
  });

  it('reads the status from the Ready condition, deletion and the stopped annotation', () => {
    const ready = (status: string) => ({ status: { conditions: [{ type: 'Ready', status }] } });
    expect(nodeStatus(node({}, ready('True')))).toBe('Ready');
    expect(nodeStatus(node({}, ready('Unknown')))).toBe('NotReady');
    expect(nodeStatus(node({}))).toBe('Pending');
    expect(nodeStatus(node({ [NODE_ANNOTATIONS.labNodeStopped]: 'true' }, ready('True')))).toBe('Stopped');
    expect(nodeStatus(node({}, { ...ready('True'), spec: { unschedulable: true } }))).toBe('Ready,SchedulingDisabled');
  });

  it('prints an aligned table', () => {
    const table = formatNodeTable([
      { name: 'laptop', kind: 'local', endpoint: 'unix:///var/run/docker.sock', status: 'Ready', age: '5m' },
      { name: 'lab-1', kind: 'lab', endpoint: 'unix:///d/nodes/lab-1/docker.sock', status: 'NotReady', age: '10s' },
    ]);
    expect(table).toBe(
      'NAME     KIND    ENDPOINT                            STATUS     AGE\n' +
        'laptop   local   unix:///var/run/docker.sock         Ready      5m\n' +
        'lab-1    lab     unix:///d/nodes/lab-1/docker.sock   NotReady   10s\n',
    );
  });
});

describe('node add checks', () => {
  it('wants TLS files or --insecure for tcp, and flags that fit the endpoint', () => {
    expect(() => checkAddNodeOptions({ name: 'a', docker: 'tcp://127.0.0.1:2376' })).toThrow(/or --insecure/);
    expect(checkAddNodeOptions({ name: 'a', docker: 'tcp://127.0.0.1:2375', insecure: true }).kind).toBe('tcp');
    expect(checkAddNodeOptions({ name: 'a', docker: 'tcp://127.0.0.1:2376', tlsFiles: { ca: 'c', cert: 'c', key: 'k' } }).kind).toBe('tcp');
    expect(() => checkAddNodeOptions({ name: 'a', docker: 'tcp://127.0.0.1:2376', tlsFiles: { ca: 'c' } })).toThrow('go together');
    expect(() => checkAddNodeOptions({ name: 'a', docker: 'unix:///x.sock', insecure: true })).toThrow(EndpointError);
    expect(() => checkAddNodeOptions({ name: 'a', docker: 'tcp://127.0.0.1:2375', insecure: true, sshKeyFile: 'k' })).toThrow('--ssh-key');
  });
});

describe('connectToServe', () => {
  it('says clearly when no kubelab serve runs for the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubelab-node-cli-'));
    await expect(connectToServe(dir)).rejects.toThrow(NodeCommandError);
    await expect(connectToServe(dir)).rejects.toThrow(`start one with: kubelab serve --data-dir ${dir}`);
    // A state file left by a serve whose process is gone.
    await writeFile(join(dir, 'serve-state.json'), JSON.stringify({ port: 1, url: 'https://127.0.0.1:1', pid: 2 ** 22 + 1 }));
    await writeFile(join(dir, 'token'), 'x'.repeat(40));
    await expect(connectToServe(dir)).rejects.toThrow('is not running');
  });
});

describe('kubelab node CLI', () => {
  const capture = () => {
    const out = { stdout: '', stderr: '' };
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
  };

  it.each([
    [['add', 'x'], '--docker URL is required'],
    [['add', 'x', '--docker', 'tcp://127.0.0.1:2375'], 'plain tcp needs TLS files'],
    [['add', 'x', '--docker', 'http://127.0.0.1'], '--docker must be unix:///path, tcp://host:port or ssh://user@host'],
    [['ls', 'extra'], 'takes no arguments'],
    [['rm'], 'needs exactly one node NAME'],
    [['create', 'x', '--timeout', 'soon'], '--timeout must be a number'],
    [['stop', 'x', '--force'], "Unknown option '--force'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('kubelab node %j prints usage and exits 2', async (args, message) => {
    const { out, io } = capture();
    expect(await nodeCommand(args, io)).toBe(2);
    expect(out.stderr).toContain(message);
    expect(out.stderr).toContain('Usage: kubelab node');
  });

  it('exits 1 with the reason when no serve is running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubelab-node-cli-'));
    const { out, io } = capture();
    expect(await nodeCommand(['ls', '--data-dir', dir], io)).toBe(1);
    expect(out.stderr).toContain('no kubelab serve has run with the data directory');
  });
});
