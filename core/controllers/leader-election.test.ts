import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { RestClient } from '../client/rest-client.ts';
import { LEASES, runWithLeaderElection, type LeaderElectionOutcome } from './leader-election.ts';
import { eventually, silent, startTestCluster, TOKEN, type TestCluster } from './workload-test-support.ts';

// Leader election over a real Lease on the in-process API server. A "crash" is a copy
// whose requests all fail from one moment on (it can neither renew nor release).

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster?.close();
});

interface Candidate {
  identity: string;
  leading: boolean;
  leaderSeen: string[];
  abort: AbortController;
  /** While true every request of this copy fails as if its process were gone. */
  network: { down: boolean };
  done: Promise<LeaderElectionOutcome>;
}

let leaseCounter = 0;

function candidate(identity: string, lease: string, options: { releaseOnCancel?: boolean } = {}): Candidate {
  const network = { down: false };
  const client = new RestClient({
    server: cluster.url,
    token: TOKEN,
    fetch: async (input, init) => {
      if (network.down) throw new TypeError('fetch failed');
      return fetch(input, init);
    },
  });
  const abort = new AbortController();
  const self: Candidate = { identity, leading: false, leaderSeen: [], abort, network, done: Promise.resolve('stopped') };
  self.done = runWithLeaderElection({
    client,
    namespace: 'kube-system',
    name: lease,
    identity,
    leaseDurationSeconds: 1,
    renewDeadlineSeconds: 0.5,
    retryPeriodSeconds: 0.1,
    releaseOnCancel: options.releaseOnCancel,
    signal: abort.signal,
    logger: silent,
    onNewLeader: (leader) => self.leaderSeen.push(leader),
    onStartedLeading: async (leading) => {
      self.leading = true;
      await new Promise<void>((resolve) => leading.addEventListener('abort', () => resolve(), { once: true }));
      self.leading = false;
    },
  });
  return self;
}

/** Samples who leads every few ms; fails the test if two ever lead at once. */
function watchForTwoLeaders(candidates: Candidate[]): { stop(): Promise<number> } {
  let running = true;
  let maxLeaders = 0;
  const loop = (async () => {
    while (running) {
      maxLeaders = Math.max(maxLeaders, candidates.filter((c) => c.leading).length);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return maxLeaders;
    },
  };
}

async function readLease(name: string): Promise<Lease & KubeObject> {
  return cluster.client.get<Lease & KubeObject>(LEASES, 'kube-system', name);
}

describe('runWithLeaderElection', () => {
  it('lets exactly one of two candidates lead, and both learn who', async () => {
    const lease = `test-lease-${++leaseCounter}`;
    const a = candidate('a', lease);
    const b = candidate('b', lease);
    const sampler = watchForTwoLeaders([a, b]);
    const winner = await eventually(() => [a, b].find((c) => c.leading));
    const loser = winner === a ? b : a;
    await new Promise((resolve) => setTimeout(resolve, 400)); // several renew periods
    expect(await sampler.stop()).toBe(1);
    expect(loser.leading).toBe(false);
    const record = await readLease(lease);
    expect(record.spec).toMatchObject({ holderIdentity: winner.identity, leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(record.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await eventually(() => loser.leaderSeen.includes(winner.identity));
    a.abort.abort();
    b.abort.abort();
    await Promise.all([a.done, b.done]);
  });

  it('hands over after the lease expires when the leader crashes without releasing', async () => {
    const lease = `test-lease-${++leaseCounter}`;
    const a = candidate('a', lease, { releaseOnCancel: false });
    await eventually(() => a.leading);
    const b = candidate('b', lease);
    const sampler = watchForTwoLeaders([a, b]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(b.leading).toBe(false);

    a.network.down = true; // the process is gone: no renewals, no release
    a.abort.abort();
    expect(await a.done).toBe('stopped');
    expect((await readLease(lease)).spec?.holderIdentity).toBe('a');
    await eventually(() => b.leading, 5000);
    expect(await sampler.stop()).toBe(1);
    const record = await readLease(lease);
    expect(record.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.abort.abort();
    await b.done;
  });

  it('steps down when it cannot renew within renewDeadline, before another copy can lead', async () => {
    const lease = `test-lease-${++leaseCounter}`;
    const a = candidate('a', lease);
    await eventually(() => a.leading);
    const b = candidate('b', lease);
    const sampler = watchForTwoLeaders([a, b]);
    a.network.down = true; // partitioned from the API server, still running
    expect(await a.done).toBe('lost');
    expect(a.leading).toBe(false);
    await eventually(() => b.leading, 5000);
    expect(await sampler.stop()).toBe(1);
    b.abort.abort();
    await b.done;
  });

  it('releases the lease on a clean stop so the next copy need not wait', async () => {
    const lease = `test-lease-${++leaseCounter}`;
    const a = candidate('a', lease);
    await eventually(() => a.leading);
    a.abort.abort();
    expect(await a.done).toBe('stopped');
    expect((await readLease(lease)).spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    const b = candidate('b', lease);
    await eventually(() => b.leading);
    expect((await readLease(lease)).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.abort.abort();
    await b.done;
  });
});
