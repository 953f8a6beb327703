import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './support/docker-cli.ts';
import { kubectl, kubectlOk, kubectlStream } from './support/kubectl.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';
import { deploymentManifest, SLEEPING_POD_SPEC } from './support/deployment-manifest.ts';

// Issue 3 acceptance 5 and 6: lab nodes (Docker-in-Docker) made with `kubelab node
// create`, pods pinned to each run there, logs -f and exec work on them, a node whose
// dockerd restarts mid-rollout comes back with its pods, and deleting a node removes
// its container and volume.

let serve: ServeProcess;
let kc: string;

function kubelabNode(args: string[]) {
  const result = spawnSync(process.execPath, [KUBELAB_BIN, 'node', ...args, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`kubelab node ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab']);
  kc = serve.kubeconfig;
}, 60_000);

afterAll(async () => {
  for (const name of ['lab-a', 'lab-b']) {
    spawnSync(process.execPath, [KUBELAB_BIN, 'node', 'delete', name, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, timeout: 120_000 });
  }
  await serve?.stop();
}, 300_000);

const pinned = (name: string, node: string, command: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sh', '-c', '${command}']
`;

describe('lab nodes', () => {
  it('creates two lab nodes that become Ready', async () => {
    kubelabNode(['create', 'lab-a']);
    kubelabNode(['create', 'lab-b']);
    for (const name of ['lab-a', 'lab-b']) {
      await kubectlOk(kc, ['wait', '--for=condition=Ready', `node/${name}`, '--timeout=120s']);
      const n = JSON.parse(await kubectlOk(kc, ['get', 'node', name, '-o', 'json']));
      expect(n.metadata.labels['kubelab.io/endpoint-kind']).toBe('lab');
    }
    expect(kubelabNode(['ls'])).toMatch(/lab-a\s+lab/);
  }, 600_000);

  it('runs pods pinned to each lab node on that node', async () => {
    await kubectlOk(kc, ['apply', '-f', '-'], `${pinned('on-a', 'lab-a', 'hostname; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done')}---\n${pinned('on-b', 'lab-b', 'sleep 3600')}`);
    await kubectlOk(kc, ['wait', '--for=condition=Ready', 'pod/on-a', 'pod/on-b', '--timeout=180s']);
    // Each pod's container runs inside its node's own daemon.
    const insideA = await docker(['exec', 'kubelab-node-lab-a', 'docker', '-H', 'unix:///run/kubelab/docker.sock', 'ps', '--format', '{{.Names}}']);
    const insideB = await docker(['exec', 'kubelab-node-lab-b', 'docker', '-H', 'unix:///run/kubelab/docker.sock', 'ps', '--format', '{{.Names}}']);
    expect(insideA).toMatch(/k8s_app_on-a_default_/);
    expect(insideA).not.toMatch(/on-b/);
    expect(insideB).toMatch(/k8s_app_on-b_default_/);
  }, 300_000);

  it('kubectl logs -f and kubectl exec work on a pod on a lab node', async () => {
    const follow = kubectlStream(kc, ['logs', '-f', 'on-a']);
    try {
      const first = await eventually(() => /tick (\d+)/.exec(follow.output())?.[1], 'a first log line');
      await eventually(() => follow.output().includes(`tick ${Number(first) + 2}`), 'later log lines while following');
    } finally {
      follow.stop();
    }
    expect((await kubectlOk(kc, ['exec', 'on-b', '--', 'sh', '-c', 'echo hello from $(hostname)'])).trim()).toBe('hello from on-b');
    const failing = await kubectl(kc, ['exec', 'on-b', '--', 'sh', '-c', 'exit 7']);
    expect(failing.code).toBe(7);
  }, 120_000);

  it("a lab node's dockerd restarted mid-rollout: the node goes NotReady, comes back, and its pods run again, none duplicated", async () => {
    await kubectlOk(
      kc,
      ['apply', '-f', '-'],
      JSON.stringify(deploymentManifest('on-lab-a', 4, { ...SLEEPING_POD_SPEC, nodeSelector: { 'kubernetes.io/hostname': 'lab-a' }, terminationGracePeriodSeconds: 1 })),
    );
    await kubectlOk(kc, ['rollout', 'status', 'deployment/on-lab-a', '--timeout=180s']);
    await kubectlOk(kc, ['set', 'env', 'deployment/on-lab-a', 'ROLLED=1']);
    // The daemon goes away in the middle of the rollout, and comes back.
    await docker(['stop', 'kubelab-node-lab-a']);
    await kubectlOk(kc, ['wait', '--for=condition=Ready=False', 'node/lab-a', '--timeout=120s']);
    await docker(['start', 'kubelab-node-lab-a']);
    await kubectlOk(kc, ['wait', '--for=condition=Ready', 'node/lab-a', '--timeout=120s']);
    await kubectlOk(kc, ['rollout', 'status', 'deployment/on-lab-a', '--timeout=240s']);

    const pods = JSON.parse(await kubectlOk(kc, ['get', 'pods', '-l', 'app=on-lab-a', '-o', 'json'])).items.filter((p: any) => !p.metadata.deletionTimestamp);
    expect(pods).toHaveLength(4);
    expect(pods.every((p: any) => p.spec.containers[0].env?.[0]?.value === '1' && p.status.phase === 'Running')).toBe(true);
    // Inside the node's daemon: one running sandbox and one running app container per pod, nothing for pods that are gone.
    await eventually(async () => {
      const running = (await docker(['exec', 'kubelab-node-lab-a', 'docker', '-H', 'unix:///run/kubelab/docker.sock', 'ps', '--filter', 'label=io.kubelab.pod.name', '--format', '{{.Label "io.kubelab.pod.uid"}} {{.Label "io.kubelab.container.role"}} {{.Label "io.kubelab.pod.name"}}']))
        .split('\n')
        .filter((line) => line.includes(' on-lab-a-'))
        .map((line) => line.split(' ').slice(0, 2).join(' '))
        .sort();
      return JSON.stringify(running) === JSON.stringify(pods.flatMap((p: any) => [`${p.metadata.uid} app`, `${p.metadata.uid} sandbox`]).sort());
    }, 'one sandbox and one app container per pod inside lab-a', 60_000);
  }, 600_000);

  it('deleting a lab node removes its container and its volume', async () => {
    await kubectlOk(kc, ['delete', 'pod', 'on-b', '--grace-period=1', '--wait=true', '--timeout=60s']);
    kubelabNode(['delete', 'lab-b']);
    expect((await kubectl(kc, ['get', 'node', 'lab-b'])).code).not.toBe(0);
    expect(await docker(['ps', '-a', '--filter', 'name=^kubelab-node-lab-b$', '-q'])).toBe('');
    expect(await docker(['volume', 'ls', '--filter', 'name=kubelab-node-lab-b', '-q'])).toBe('');
  }, 300_000);
});
