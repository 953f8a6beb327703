import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storedClusterId } from '../core/cluster/cluster-identity.ts';
import { containersWithLabels, docker } from './support/docker-cli.ts';
import { kubectlOk } from './support/kubectl.ts';
import { eventually } from './support/eventually.ts';
import { REPO_ROOT, startServe, tempDataDir, type ServeProcess } from './support/kubelab-serve.ts';

// Issue 10, item 4: what the desktop app's "Stop the pods" on quit does, through the
// same composition root the Electron main process calls: stop({ leave: 'volumes' })
// removes the cluster's containers from its nodes and keeps its volumes and objects,
// and the next start runs the pods again. (The dialog itself needs an Electron
// binary and a display, which CI does not have; electron/quit-choice.test.ts covers
// remembering the answer.)

const CLUSTER_LABEL = 'io.kubelab.cluster';
let restarted: ServeProcess | undefined;
afterAll(async () => {
  await restarted?.stop();
}, 120_000);

/** The control plane as electron/main.ts starts and stops it, in a process of its own. */
const HOST = `
const { startControlPlane } = await import(${JSON.stringify(new URL('../core/cluster/control-plane.ts', import.meta.url).href)});
const cp = await startControlPlane({ dataDir: process.argv[2], timings: 'lab' });
console.log('kubeconfig: ' + cp.kubeconfigPath);
process.stdin.once('data', async () => {
  await cp.stop({ leave: 'volumes' });
  console.log('stopped');
  process.exit(0);
});
`;

describe('quitting with "Stop the pods"', () => {
  it('removes the pods\' containers, keeps volumes and objects, and the next start runs the pods again', async () => {
    const dataDir = await tempDataDir();
    // A file, not --eval: the control plane's worker threads inherit the process's flags.
    const script = join(dataDir, 'host.mjs');
    await writeFile(script, HOST);
    const host = spawn(process.execPath, ['--import', 'tsx', script, dataDir], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KUBELAB_LOG: 'warn' } });
    let out = '';
    host.stdout.on('data', (d) => (out += d));
    host.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => host.on('exit', resolve));
    const kubeconfig = await new Promise<string>((resolve, reject) => {
      host.stdout.on('data', () => {
        const path = /kubeconfig: (\S+)/.exec(out)?.[1];
        if (path) resolve(path);
      });
      void exited.then((code) => reject(new Error(`the host exited with ${code}:\n${out}`)));
    });
    await kubectlOk(kubeconfig, ['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=60s']);
    await kubectlOk(kubeconfig, ['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: { name: quits }
spec:
  replicas: 1
  selector: { matchLabels: { app: quits } }
  template:
    metadata: { labels: { app: quits } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: kubelab/busybox:test
          command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done']
          volumeMounts: [{ name: scratch, mountPath: /scratch }]
      volumes: [{ name: scratch, emptyDir: {} }]
`);
    await kubectlOk(kubeconfig, ['wait', '--for=condition=Available', 'deployment/quits', '--timeout=180s']);
    const clusterId = (await storedClusterId(dataDir))!;
    const volumes = async () => (await docker(['volume', 'ls', '-q', '--filter', `label=${CLUSTER_LABEL}=${clusterId}`])).split('\n').filter(Boolean).sort();
    const volumesBefore = await volumes();
    expect(volumesBefore.length).toBeGreaterThanOrEqual(2); // the emptyDir and the cluster's marker
    expect((await containersWithLabels({ [CLUSTER_LABEL]: clusterId })).length).toBeGreaterThanOrEqual(2);

    host.stdin.write('quit\n');
    await exited;
    expect(out).toContain('stopped');
    expect(await containersWithLabels({ [CLUSTER_LABEL]: clusterId })).toEqual([]);
    expect(await volumes()).toEqual(volumesBefore);

    restarted = await startServe(dataDir, ['--timings', 'lab']);
    // The stored status still says Available: wait for the pod's containers themselves.
    await eventually(async () => (await containersWithLabels({ [CLUSTER_LABEL]: clusterId, 'io.kubelab.container.name': 'main' }, { all: false })).length === 1, 'the pod running again', 120_000);
    expect(await volumes()).toEqual(volumesBefore); // the same emptyDir, not a new one
  }, 300_000);
});
