import { describe, expect, it } from 'vitest';
import { dataPaths } from '../core/cluster/data-paths.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { containersWithLabels } from './support/docker-cli.ts';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { startServe } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Issue 3 acceptance 7: kill -9 of `kubelab serve` with 10 running pods, then a restart:
// the agent adopts the same containers (same IDs), creates no extra ones, and removes
// the containers of a pod that was deleted while the app was down.

async function localNode(kc: string): Promise<string> {
  return eventually(async () => (await kubectlOk(kc, ['get', 'nodes', '-l', 'kubelab.io/endpoint-kind=local', '-o', 'name'])).trim().replace('node/', ''), 'the local node');
}

describe('restart safety', () => {
  it('adopts running containers after kill -9 and removes those of pods deleted meanwhile', async () => {
    const first = await startServe(undefined, ['--timings', 'lab']);
    const kc = first.kubeconfig;
    const node = await localNode(kc);
    const pods = Array.from({ length: 10 }, (_, i) => `apiVersion: v1
kind: Pod
metadata:
  name: keep-${i}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sleep', '3600']
`).join('---\n');
    await kubectlOk(kc, ['apply', '-f', '-'], pods);
    await kubectlOk(kc, ['wait', '--for=condition=Ready', 'pods', '--all', '--timeout=120s']);
    const uidOf = async (name: string) => JSON.parse(await kubectlOk(kc, ['get', 'pod', name, '-o', 'json'])).metadata.uid as string;
    const goneUid = await uidOf('keep-9');
    // This cluster's pod containers only: the node also runs Kubelab's service proxy.
    const clusterId = (await kubectlOk(kc, ['get', 'namespace', 'kube-system', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const podContainers = { 'io.kubelab.cluster': clusterId, 'io.kubelab.node': node, 'io.kubelab.pod.uid': '' };
    const before = await containersWithLabels(podContainers);
    expect(before.length).toBe(20); // a sandbox and an app container per pod

    first.child.kill('SIGKILL');
    await first.exited;
    // While the app is down, keep-9 disappears from the store (as if another control-plane copy deleted it).
    // Through the store itself: the data file is only a snapshot, the pods may be in its change log.
    const store = new LowdbStore({ file: dataPaths(first.dataDir).dataFile });
    await store.open();
    try {
      expect((await store.delete('pods', 'default', 'keep-9')).removed).toBe(true);
    } finally {
      await store.close();
    }

    const second = await startServe(first.dataDir, ['--timings', 'lab']);
    try {
      await eventually(async () => (await containersWithLabels({ 'io.kubelab.pod.uid': goneUid })).length === 0, 'the deleted pod’s containers to be removed', 60_000);
      const after = await containersWithLabels(podContainers);
      // The other nine pods keep their very containers: nothing new, nothing else removed.
      expect(after.length).toBe(18);
      expect(after.every((id) => before.includes(id))).toBe(true);
      await kubectlOk(second.kubeconfig, ['wait', '--for=condition=Ready', 'pods', '--all', '--timeout=60s']);
      // Still the same containers once the agent has synced every pod.
      expect(await containersWithLabels(podContainers)).toEqual(after);
    } finally {
      await kubectl(second.kubeconfig, ['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
      await second.stop();
    }
  }, 300_000);
});
