import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { RestClient } from '../client/rest-client.ts';
import { LeadershipLostError, runControllerManager } from './controller-manager.ts';
import { REPLICASETS, replicaSetController } from './replicaset-controller.ts';
import { container, eventually, listPods, silent, startTestCluster, TEST_SETTINGS, TOKEN, type TestCluster } from './workload-test-support.ts';

// Two controller-manager copies sharing the Lease `kube-system/kube-controller-manager`
// (each test uses its own namespace; they run one after another, so one Lease is fine).

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.close();
});

interface Copy {
  identity: string;
  abort: AbortController;
  network: { down: boolean; podCreateDelayMs: number };
  leaders: string[];
  done: Promise<unknown>;
}

function startCopy(identity: string, options: { releaseOnCancel?: boolean } = {}): Copy {
  const network = { down: false, podCreateDelayMs: 0 };
  const client = new RestClient({
    server: cluster.url,
    token: TOKEN,
    fetch: async (input, init) => {
      if (network.podCreateDelayMs && init?.method === 'POST' && /\/pods$/.test(new URL(String(input)).pathname)) {
        await new Promise((resolve) => setTimeout(resolve, network.podCreateDelayMs));
      }
      if (network.down) throw new TypeError('fetch failed');
      return fetch(input, init);
    },
  });
  const abort = new AbortController();
  const copy: Copy = { identity, abort, network, leaders: [], done: Promise.resolve() };
  copy.done = runControllerManager({
    client,
    identity,
    settings: TEST_SETTINGS,
    controllers: [replicaSetController],
    logger: silent,
    releaseOnCancel: options.releaseOnCancel,
    onNewLeader: (leader) => copy.leaders.push(leader),
    signal: abort.signal,
  }).catch((error: unknown) => error);
  return copy;
}

describe('runControllerManager', () => {
  it('a copy that crashes mid-scale is replaced by the other, which ends with exactly the desired pods', async () => {
    const ns = await cluster.newNamespace();
    const first = startCopy('cm-1', { releaseOnCancel: false });
    await eventually(() => first.leaders.includes('cm-1'));
    const second = startCopy('cm-2');
    await eventually(() => second.leaders.includes('cm-1'));

    let maxPods = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxPods = Math.max(maxPods, (await listPods(cluster.client, ns)).length);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    first.network.podCreateDelayMs = 60; // slow enough to crash it between create batches
    await cluster.client.create(REPLICASETS, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'burst', namespace: ns },
      spec: { replicas: 20, selector: { matchLabels: { app: 'burst' } }, template: { metadata: { labels: { app: 'burst' } }, spec: { containers: [container()] } } },
    } as KubeObject);
    await eventually(async () => (await listPods(cluster.client, ns)).length >= 1);
    first.network.down = true; // crash: nothing more leaves this copy, the Lease is not released
    first.abort.abort();
    await first.done;
    const midway = (await listPods(cluster.client, ns)).length;
    expect(midway).toBeLessThan(20);

    await eventually(() => second.leaders.includes('cm-2'), 5000);
    await eventually(async () => (await listPods(cluster.client, ns)).length === 20, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 400)); // anything extra would show up now
    sampling = false;
    await sampler;
    expect(await listPods(cluster.client, ns)).toHaveLength(20);
    expect(maxPods).toBe(20);

    second.abort.abort();
    expect(await second.done).toBeUndefined();
  });

  it('ends with LeadershipLostError when it cannot renew its lease', async () => {
    const copy = startCopy('cm-lonely');
    await eventually(() => copy.leaders.includes('cm-lonely'), 5000);
    copy.network.down = true;
    const outcome = await copy.done;
    expect(outcome).toBeInstanceOf(LeadershipLostError);
  });
});
