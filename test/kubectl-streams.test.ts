import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../core/agent/container-runtime.ts';
import { DockerRuntime } from '../core/agent/docker-runtime.ts';
import { startKubeletServer, type RunningKubeletServer } from '../core/agent/kubelet-server.ts';
import { startApiServer, type RunningApiServer } from '../core/apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../core/apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../core/apiserver/resource-service.ts';
import { writeKubeconfig } from '../core/cluster/kubeconfig.ts';
import { loadOrCreateServingCerts } from '../core/cluster/serving-certs.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { TEST_IMAGE, dockerAvailable } from './setup/docker-env.ts';
import { apiRequest } from './support/api-request.ts';
import { kubectl, kubectlOk, kubectlStream } from './support/kubectl.ts';
import { tempDataDir } from './support/kubelab-serve.ts';
import { inTerminal } from './support/terminal.ts';
import { eventually } from './support/eventually.ts';

// `kubectl logs` and `kubectl exec` end to end: real kubectl over HTTPS to the API
// server, proxied to the kubelet server, which reads and runs real Docker containers.
// The node agent is not involved: the test creates the containers with the labels the
// agent sets, and the Pod and Node objects that describe them.

const execFileAsync = promisify(execFile);
const TOKEN = `streams-${randomBytes(12).toString('hex')}`;
const NODE = `streams-node-${randomBytes(3).toString('hex')}`;

let store: LowdbStore;
let api: RunningApiServer;
let kubelet: RunningKubeletServer;
let kubeconfig: string;
let websocketKubectl = false;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/**
 * A container as the agent would create it for container `name` of pod `pod`. With
 * `stdin`, it is created as for `stdin: true, stdinOnce: true` (what `kubectl run -i` asks for).
 */
async function runPodContainer(pod: string, name: string, attempt: number, script: string, options: { stdin?: boolean } = {}): Promise<string> {
  const labels = {
    [LABELS.managed]: 'true',
    [LABELS.node]: NODE,
    [LABELS.podUid]: `uid-${pod}`,
    [LABELS.podName]: pod,
    [LABELS.podNamespace]: 'default',
    [LABELS.role]: 'app',
    [LABELS.containerName]: name,
    [LABELS.attempt]: String(attempt),
  };
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const containerName = `k8s_${name}_${pod}_default_${NODE}_${attempt}`;
  if (!options.stdin) return docker('run', '-d', '--name', containerName, ...labelArgs, TEST_IMAGE, 'sh', '-c', script);
  // `docker create -i` opens stdin once, as the agent does for stdinOnce.
  const id = await docker('create', '-i', '--name', containerName, ...labelArgs, TEST_IMAGE, 'sh', '-c', script);
  await docker('start', id);
  return id;
}

async function createObject(path: string, body: unknown): Promise<any> {
  const res = await apiRequest(api.httpUrl, 'POST', path, { token: TOKEN, body });
  expect(res.status, res.body).toBe(201);
  return res.json();
}

const podObject = (name: string, containers: string[], stdin = false) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: NODE, containers: containers.map((c) => ({ name: c, image: TEST_IMAGE, ...(stdin ? { stdin: true, stdinOnce: true } : {}) })) },
});

async function kubectlSupportsWebSockets(): Promise<boolean> {
  const { stdout } = await execFileAsync('kubectl', ['version', '--client', '-o', 'json']);
  const minor = Number.parseInt(JSON.parse(stdout).clientVersion.minor, 10);
  return minor >= 30;
}

beforeAll(async () => {
  if (!(await dockerAvailable())) throw new Error('docker info fails: run test/setup/ensure-docker.sh (test/run-tests.sh does)');
  websocketKubectl = await kubectlSupportsWebSockets();
  const dataDir = await tempDataDir('kubelab-streams-');
  const certs = await loadOrCreateServingCerts(dataDir);
  store = new LowdbStore({ file: join(dataDir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  api = await startApiServer({ store, token: TOKEN, tls: { cert: certs.cert, key: certs.key } });
  kubeconfig = join(dataDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, api.url, TOKEN, certs.caCert);

  const runtime = new DockerRuntime(new Dockerode());
  kubelet = await startKubeletServer({ token: TOKEN, runtimeFor: (node) => (node === NODE ? runtime : undefined) });
  const node = await createObject('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
  const status = await apiRequest(api.httpUrl, 'PUT', `/api/v1/nodes/${NODE}/status`, {
    token: TOKEN,
    body: { ...node, status: { daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } } } },
  });
  expect(status.status, status.body).toBe(200);

  // talker/main ran once before (attempt 0, exited) and now runs again; it prints a
  // line whenever /tmp/go appears, so a test can make it talk after `logs -f` started.
  const previous = await runPodContainer('talker', 'main', 0, 'echo old run; exit 1');
  await docker('wait', previous);
  await runPodContainer('talker', 'main', 1, 'echo line 1; echo line 2; echo line 3; while true; do if [ -f /tmp/go ]; then rm /tmp/go; echo after start; fi; sleep 0.1; done');
  await runPodContainer('talker', 'side', 0, 'echo side 1; echo side 2; echo side 3; exec sleep 3600');
  await runPodContainer('shell', 'box', 0, 'exec sleep 3600');
  await createObject('/api/v1/namespaces/default/pods', podObject('talker', ['main', 'side']));
  await createObject('/api/v1/namespaces/default/pods', podObject('shell', ['box']));
  // listener prints a tick until something is typed, answers each line, and ends with its input.
  await runPodContainer('listener', 'main', 0, 'while true; do echo tick; sleep 0.2; done & while read line; do echo "heard $line"; done; kill $!', { stdin: true });
  await createObject('/api/v1/namespaces/default/pods', podObject('listener', ['main'], true));
  // Logs are only read once the containers have printed their first lines.
  await eventually(async () => (await docker('logs', `k8s_side_talker_default_${NODE}_0`)).includes('side 3'), 'talker/side to print');
  await eventually(async () => (await docker('logs', `k8s_main_talker_default_${NODE}_1`)).includes('line 3'), 'talker/main to print');
});

afterAll(async () => {
  const ids = (await docker('ps', '-aq', '--filter', `label=${LABELS.node}=${NODE}`).catch(() => '')).split('\n').filter(Boolean);
  if (ids.length > 0) await docker('rm', '--force', ...ids);
  await api?.close();
  await kubelet?.close();
  await store?.close();
});

describe('kubectl logs', () => {
  it('prints the current container\'s log; -c picks the container', async () => {
    expect(await kubectlOk(kubeconfig, ['logs', 'talker', '-c', 'main'])).toMatch(/^line 1\nline 2\nline 3\n/);
    expect(await kubectlOk(kubeconfig, ['logs', 'talker', '-c', 'side'])).toBe('side 1\nside 2\nside 3\n');
  });

  it('without -c a pod of two containers defaults to the first, as kubectl does', async () => {
    const result = await kubectl(kubeconfig, ['logs', 'talker']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^line 1\n/);
  });

  it('--tail and --timestamps', async () => {
    expect(await kubectlOk(kubeconfig, ['logs', 'talker', '-c', 'side', '--tail=2'])).toBe('side 2\nside 3\n');
    const stamped = (await kubectlOk(kubeconfig, ['logs', 'talker', '-c', 'side', '--timestamps'])).trim().split('\n');
    expect(stamped).toHaveLength(3);
    for (const [i, line] of stamped.entries()) expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z side ${i + 1}$`));
  });

  it('--previous prints the instance that ran before', async () => {
    expect(await kubectlOk(kubeconfig, ['logs', 'talker', '-c', 'main', '--previous'])).toBe('old run\n');
    const none = await kubectl(kubeconfig, ['logs', 'talker', '-c', 'side', '--previous']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('previous terminated container "side" in pod "talker" not found');
  });

  it('-f keeps streaming: a line printed after kubectl started arrives', async () => {
    const follow = kubectlStream(kubeconfig, ['logs', '-f', 'talker', '-c', 'main']);
    try {
      await eventually(() => follow.output().includes('line 3'), `logs -f to print the existing lines (stderr: ${follow.errors()})`);
      expect(follow.output()).not.toContain('after start');
      await docker('exec', `k8s_main_talker_default_${NODE}_1`, 'touch', '/tmp/go');
      await eventually(() => follow.output().includes('after start\n'), 'logs -f to print the new line');
    } finally {
      follow.stop();
    }
  });

  it('an unknown container is refused with Kubernetes\' message', async () => {
    const result = await kubectl(kubeconfig, ['logs', 'talker', '-c', 'nope']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/container nope is not valid for pod talker/);
  });
});

describe('kubectl exec', () => {
  it('prints stdout and stderr and exits with the command\'s code', async (context) => {
    if (!websocketKubectl) context.skip('this kubectl predates WebSocket exec (1.30); Kubelab serves exec over WebSocket only');
    const result = await kubectl(kubeconfig, ['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toContain('err\n');
    expect(result.code).toBe(3);
  });

  it('a command that succeeds exits 0', async (context) => {
    if (!websocketKubectl) context.skip('this kubectl predates WebSocket exec (1.30)');
    const result = await kubectl(kubeconfig, ['exec', 'talker', '-c', 'side', '--', 'cat', '/proc/1/cmdline']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('sleep');
  });

  it('-i passes stdin through, and its end reaches the process', async (context) => {
    if (!websocketKubectl) context.skip('this kubectl predates WebSocket exec (1.30)');
    const result = await kubectl(kubeconfig, ['exec', '-i', 'shell', '--', 'cat'], 'hello\nworld\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('hello\nworld\n');
  });

  it('-it gives the command a terminal', async (context) => {
    if (!websocketKubectl) context.skip('this kubectl predates WebSocket exec (1.30)');
    const terminal = inTerminal(`kubectl --kubeconfig ${kubeconfig} exec -it shell -- sh`);
    try {
      terminal.type('echo answer-$((40+2)); tty\n');
      await eventually(() => /answer-42\r?\n/.test(terminal.output()) && /\/dev\/pts\/\d+/.test(terminal.output()), 'the shell to answer');
      terminal.type('exit 5\n');
      expect(await terminal.exited).toBe(5);
    } finally {
      terminal.stop();
    }
  });

  it('kubectl forced onto SPDY is told that only WebSocket is served', async () => {
    const result = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('kubectl', ['--kubeconfig', kubeconfig, 'exec', 'shell', '--', 'true'], { env: { ...process.env, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } }, (error, _stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('over WebSocket only');
  });

  it('kubectl attach shows the main process\'s output as it comes', async (context) => {
    if (!websocketKubectl) context.skip('this kubectl predates WebSocket attach (1.30)');
    const attach = kubectlStream(kubeconfig, ['attach', 'talker', '-c', 'main']);
    try {
      // Asked again until it shows: a line printed before the attach took hold is not attach's to show.
      await eventually(async () => {
        if (attach.output().includes('after start')) return true;
        await docker('exec', `k8s_main_talker_default_${NODE}_1`, 'touch', '/tmp/go');
        return false;
      }, `attach to show a new line (got ${JSON.stringify(attach.output())}, ${JSON.stringify(attach.errors())})`);
      // Only what is printed after attaching: earlier lines are for kubectl logs.
      expect(attach.output()).not.toContain('line 1');
    } finally {
      attach.stop();
    }
  });

  it('kubectl attach -i feeds the main process\'s stdin; its end ends a stdinOnce container', async (context) => {
    if (!websocketKubectl) context.skip('this kubectl predates WebSocket attach (1.30)');
    const result = await kubectl(kubeconfig, ['attach', '-i', 'listener'], 'hello\nworld\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('heard hello\nheard world\n');
    await eventually(async () => (await docker('inspect', '-f', '{{.State.Running}}', `k8s_main_listener_default_${NODE}_0`)) === 'false', 'the container to end with its input');
  });

  it('an unknown pod is NotFound', async () => {
    const result = await kubectl(kubeconfig, ['exec', 'ghost', '--', 'true']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('pods "ghost" not found');
  });
});
