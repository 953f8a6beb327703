import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { storedClusterId } from '../core/cluster/cluster-identity.ts';
import { containersWithLabels, docker } from './support/docker-cli.ts';
import { kubectlOk } from './support/kubectl.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Issue 10, acceptance 4: `kubelab reset` removes every container, volume, network and
// lab node of the cluster from its nodes and the serve comes back as an empty cluster;
// `kubelab gc` removes what a cluster whose data directory was deleted left behind and
// leaves a running cluster alone. Checked from outside with the docker CLI.

const CLUSTER_LABEL = 'io.kubelab.cluster';
const serves: ServeProcess[] = [];

afterAll(async () => {
  for (const serve of serves) await serve.stop().catch(() => undefined);
}, 300_000);

/** Runs `kubelab ARGS` as a person types it; resolves with its exit code and output. */
function kubelab(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KUBELAB_BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBELAB_LOG: 'warn' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const volumesOf = async (clusterId: string) => (await docker(['volume', 'ls', '-q', '--filter', `label=${CLUSTER_LABEL}=${clusterId}`])).split('\n').filter(Boolean);
const podNetworkContainers = async () => {
  const out = await docker(['network', 'inspect', 'kubelab-pods', '--format', '{{json .Containers}}']).catch(() => 'null');
  return Object.keys(JSON.parse(out) ?? {});
};

/** A Deployment with an emptyDir and a PVC on the local node, and a pod on the lab node when named. */
const workload = (labNode?: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 10Mi } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  replicas: 1
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: kubelab/busybox:test
          command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done']
          volumeMounts: [{ name: scratch, mountPath: /scratch }, { name: data, mountPath: /data }]
      volumes:
        - { name: scratch, emptyDir: {} }
        - { name: data, persistentVolumeClaim: { claimName: data } }
${
  labNode
    ? `---
apiVersion: v1
kind: Pod
metadata: { name: on-lab }
spec:
  nodeName: ${labNode}
  terminationGracePeriodSeconds: 1
  containers:
    - { name: main, image: kubelab/busybox:test, command: ['sleep', '3600'] }
`
    : ''
}`;

describe('kubelab reset', () => {
  it('removes every container, volume and lab node of the cluster; the serve comes back as an empty cluster', async () => {
    const serve = await startServe(undefined, ['--timings', 'lab']);
    serves.push(serve);
    const kc = serve.kubeconfig;
    const created = await kubelab(['node', 'create', 'lab-reset', '--data-dir', serve.dataDir]);
    expect(created.code, created.out).toBe(0);
    await kubectlOk(kc, ['apply', '-f', '-'], workload('lab-reset'));
    await kubectlOk(kc, ['wait', '--for=condition=Available', 'deployment/app', '--timeout=180s']);
    await kubectlOk(kc, ['wait', '--for=condition=Ready', 'pod/on-lab', '--timeout=180s']);
    const clusterId = (await storedClusterId(serve.dataDir))!;
    expect((await containersWithLabels({ [CLUSTER_LABEL]: clusterId })).length).toBeGreaterThanOrEqual(4); // sandbox, app, proxy, lab node
    expect((await volumesOf(clusterId)).length).toBeGreaterThanOrEqual(3); // emptyDir, PVC, lab node data, marker
    expect(await docker(['ps', '-aq', '--filter', 'name=^kubelab-node-lab-reset$'])).not.toBe('');

    const reset = await kubelab(['reset', '--data-dir', serve.dataDir, '--yes']);
    expect(reset.code, reset.out).toBe(0);
    // The serve says what it removed once its new cluster's agents run too.
    await eventually(() => /the cluster was reset \(removed \d+ containers, \d+ volumes, \d+ networks? and 1 lab node\)/.test(serve.output()), 'the serve to report the reset', 60_000);

    expect(await containersWithLabels({ [CLUSTER_LABEL]: clusterId })).toEqual([]);
    expect(await volumesOf(clusterId)).toEqual([]);
    expect(await docker(['ps', '-aq', '--filter', 'name=^kubelab-node-lab-reset$'])).toBe('');
    expect(await docker(['volume', 'ls', '-q', '--filter', 'name=kubelab-node-lab-reset'])).toBe('');
    const oldOnNetwork = await containersWithLabels({ [CLUSTER_LABEL]: clusterId });
    expect((await podNetworkContainers()).filter((id) => oldOnNetwork.includes(id))).toEqual([]);

    // The same address, token and kubeconfig now serve a new, empty cluster.
    const newId = await storedClusterId(serve.dataDir);
    expect(newId).toBeTruthy();
    expect(newId).not.toBe(clusterId);
    expect(await kubectlOk(kc, ['get', 'deployments,pods,pvc', '-o', 'name'])).toBe('');
    expect(await kubectlOk(kc, ['get', 'nodes', '-o', 'name'])).not.toContain('lab-reset');
    await serve.stop();
    serves.splice(serves.indexOf(serve), 1);
  }, 600_000);

  it('without a running serve, does the same and leaves no pod network behind', async () => {
    const serve = await startServe(undefined, ['--timings', 'lab']);
    serves.push(serve);
    await kubectlOk(serve.kubeconfig, ['apply', '-f', '-'], workload());
    await kubectlOk(serve.kubeconfig, ['wait', '--for=condition=Available', 'deployment/app', '--timeout=180s']);
    const clusterId = (await storedClusterId(serve.dataDir))!;
    serve.child.kill('SIGTERM');
    await serve.exited;
    expect(serve.output()).toContain("The lab's pods keep running on their nodes");
    expect((await containersWithLabels({ [CLUSTER_LABEL]: clusterId })).length).toBeGreaterThanOrEqual(2);

    const reset = await kubelab(['reset', '--data-dir', serve.dataDir, '--yes']);
    expect(reset.code, reset.out).toBe(0);
    expect(reset.out).toMatch(/removed \d+ containers/);
    expect(await containersWithLabels({ [CLUSTER_LABEL]: clusterId })).toEqual([]);
    expect(await volumesOf(clusterId)).toEqual([]);
    // No other cluster runs on this daemon now, so the shared pod network went too.
    expect(await docker(['network', 'ls', '-q', '--filter', 'name=^kubelab-pods$'])).toBe('');
    expect(await storedClusterId(serve.dataDir)).toBeUndefined();

    const refused = await kubelab(['reset', '--data-dir', serve.dataDir]);
    expect(refused.out).toContain('holds no cluster');
  }, 600_000);
});

describe('kubelab gc', () => {
  it('removes the leftovers of a cluster whose data directory was deleted, and leaves a running cluster alone', async () => {
    const gone = await startServe(undefined, ['--timings', 'lab']);
    await kubectlOk(gone.kubeconfig, ['apply', '-f', '-'], workload());
    await kubectlOk(gone.kubeconfig, ['wait', '--for=condition=Available', 'deployment/app', '--timeout=180s']);
    const goneId = (await storedClusterId(gone.dataDir))!;
    gone.child.kill('SIGKILL');
    await gone.exited;
    await rm(gone.dataDir, { recursive: true, force: true });
    expect((await containersWithLabels({ [CLUSTER_LABEL]: goneId })).length).toBeGreaterThanOrEqual(2);

    const running = await startServe(undefined, ['--timings', 'lab']);
    serves.push(running);
    await kubectlOk(running.kubeconfig, ['run', 'stays', '--image=kubelab/busybox:test', '--restart=Never', '--', 'sleep', '3600']);
    await kubectlOk(running.kubeconfig, ['wait', '--for=condition=Ready', 'pod/stays', '--timeout=180s']);
    const runningId = (await storedClusterId(running.dataDir))!;
    const runningContainers = await eventually(async () => {
      const ids = await containersWithLabels({ [CLUSTER_LABEL]: runningId }, { all: false });
      return ids.length >= 2 ? ids : undefined;
    }, 'the running cluster\'s containers');

    const dryRun = await kubelab(['gc', '--dry-run']);
    expect(dryRun.code, dryRun.out).toBe(0);
    expect(dryRun.out).toContain(`would remove cluster ${goneId}`);
    expect((await containersWithLabels({ [CLUSTER_LABEL]: goneId })).length).toBeGreaterThanOrEqual(2);

    const gc = await kubelab(['gc']);
    expect(gc.code, gc.out).toBe(0);
    expect(gc.out).toMatch(new RegExp(`removed cluster ${goneId} .*is gone`));
    expect(gc.out).toMatch(new RegExp(`kept cluster ${runningId} .*a kubelab \\(pid \\d+\\) runs`));
    expect(await containersWithLabels({ [CLUSTER_LABEL]: goneId })).toEqual([]);
    expect(await volumesOf(goneId)).toEqual([]);
    for (const id of runningContainers) expect(await docker(['inspect', '--format', '{{.State.Running}}', id])).toBe('true\n');
    expect(await kubectlOk(running.kubeconfig, ['get', 'pod', 'stays', '-o', 'jsonpath={.status.phase}'])).toBe('Running');
  }, 600_000);
});
