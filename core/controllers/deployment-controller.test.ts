import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { DEPLOYMENTS, deploymentController } from './deployment-controller.ts';
import { REPLICASETS, replicaSetController } from './replicaset-controller.ts';
import {
  container,
  eventually,
  EVENTS,
  listPods,
  markAllReady,
  runControllers,
  startTestCluster,
  type TestCluster,
} from './workload-test-support.ts';

// The Deployment and ReplicaSet controllers together against an in-process API server;
// a stand-in kubelet loop marks pods Ready so rollouts can progress.

type DeploymentObject = Deployment & KubeObject;
type ReplicaSetObject = ReplicaSet & KubeObject;

let cluster: TestCluster;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await cluster?.close();
});

function startControllers(): void {
  const running = runControllers(cluster.client, [deploymentController, replicaSetController]);
  cleanups.push(() => running.stop());
}

/** The stand-in kubelet: marks every new pod of the namespace Ready, until stopped or paused. */
function startKubelet(namespace: string): { paused: boolean } {
  const state = { paused: false, stopped: false };
  const loop = (async () => {
    while (!state.stopped) {
      if (!state.paused) await markAllReady(cluster.client, namespace).catch(() => 0);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  })();
  cleanups.push(async () => {
    state.stopped = true;
    await loop;
  });
  return state;
}

function deployment(namespace: string, name: string, spec: Partial<Deployment['spec']> = {}, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container('nginx:1.26')] } },
      ...spec,
    },
  };
}

async function getDeployment(namespace: string, name: string): Promise<DeploymentObject> {
  return cluster.client.get<DeploymentObject>(DEPLOYMENTS, namespace, name);
}

async function replicaSets(namespace: string): Promise<ReplicaSetObject[]> {
  return (await cluster.client.list<ReplicaSetObject>(REPLICASETS, { namespace })).items;
}

async function setImage(namespace: string, name: string, image: string): Promise<void> {
  await cluster.client.patch(DEPLOYMENTS, namespace, name, { spec: { template: { spec: { containers: [container(image)] } } } }, 'merge');
}

/** What `kubectl rollout status` waits for. */
async function rolledOut(namespace: string, name: string): Promise<DeploymentObject | false> {
  const d = await getDeployment(namespace, name);
  const status = d.status ?? {};
  const replicas = d.spec?.replicas ?? 1;
  const done =
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas;
  return done && d;
}

const revisionOf = (obj: KubeObject): string | undefined => obj.metadata.annotations?.['deployment.kubernetes.io/revision'];
const imageOf = (rs: ReplicaSetObject): string | undefined => rs.spec?.template?.spec?.containers[0]?.image;

describe('Deployment controller', () => {
  it('creates a ReplicaSet named by the pod-template-hash, annotated with the revision, and completes', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    startKubelet(ns);
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'web', {}, { 'kubernetes.io/change-cause': 'first release' }));
    const d = await eventually(() => rolledOut(ns, 'web'));
    const [rs] = await replicaSets(ns);
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec?.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.spec?.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true });
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4', // 3 + ceil(25% of 3)
      'kubernetes.io/change-cause': 'first release',
    });
    expect(revisionOf(d)).toBe('1');
    const pods = await listPods(cluster.client, ns);
    expect(pods).toHaveLength(3);
    for (const pod of pods) expect(pod.metadata.labels?.['pod-template-hash']).toBe(hash);
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const conditions = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, c]));
    expect(conditions.Available).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    await eventually(async () => {
      const latest = await getDeployment(ns, 'web');
      return latest.status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'True' && c.reason === 'NewReplicaSetAvailable');
    });
    const { items: events } = await cluster.client.list(EVENTS, { namespace: ns });
    expect(events.map((e) => e.message)).toContain(`Scaled up replica set web-${hash} to 3 from 0`);
  });

  it('rolls out keeping available pods at or above replicas - maxUnavailable at every sample', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    const kubelet = startKubelet(ns);
    await cluster.client.create(
      DEPLOYMENTS,
      deployment(ns, 'roll', { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }),
    );
    await eventually(() => rolledOut(ns, 'roll'));

    let minReady = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const pods = await listPods(cluster.client, ns);
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
        minReady = Math.min(minReady, ready);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    kubelet.paused = true; // new pods stay unready for a while: the rollout must wait for them
    await setImage(ns, 'roll', 'nginx:1.27');
    await eventually(async () => (await listPods(cluster.client, ns)).some((p) => p.spec?.containers[0].image === 'nginx:1.27'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    kubelet.paused = false;
    const d = await eventually(() => rolledOut(ns, 'roll'), 20_000);
    sampling = false;
    await sampler;

    expect(minReady).toBeGreaterThanOrEqual(3);
    const pods = await listPods(cluster.client, ns);
    expect(pods.map((p) => p.spec?.containers[0].image)).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:1.27', 'nginx:1.27']);
    expect(revisionOf(d)).toBe('2');
    const sets = await replicaSets(ns);
    expect(sets).toHaveLength(2);
    const old = sets.find((rs) => imageOf(rs) === 'nginx:1.26')!;
    expect(old.spec?.replicas).toBe(0);
    expect(revisionOf(old)).toBe('1');
    expect(revisionOf(sets.find((rs) => imageOf(rs) === 'nginx:1.27')!)).toBe('2');
  });

  it('Recreate removes every old pod before creating new ones', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    startKubelet(ns);
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'rec', { replicas: 3, strategy: { type: 'Recreate' } }));
    await eventually(() => rolledOut(ns, 'rec'));
    let mixed = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const images = new Set((await listPods(cluster.client, ns, true)).map((p) => p.spec?.containers[0].image));
        if (images.size > 1) mixed = true;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await setImage(ns, 'rec', 'nginx:1.27');
    await eventually(async () => {
      const d = await rolledOut(ns, 'rec');
      return d && revisionOf(d) === '2';
    });
    sampling = false;
    await sampler;
    expect(mixed).toBe(false);
    expect((await listPods(cluster.client, ns)).map((p) => p.spec?.containers[0].image)).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:1.27']);
  });

  it('keeps revisionHistoryLimit old ReplicaSets and numbers revisions', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    startKubelet(ns);
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'hist', { replicas: 1, revisionHistoryLimit: 1 }));
    await eventually(() => rolledOut(ns, 'hist'));
    for (const image of ['nginx:1.27', 'nginx:1.28']) {
      await setImage(ns, 'hist', image);
      await eventually(async () => {
        const d = await rolledOut(ns, 'hist');
        return d && d.status?.conditions?.some((c) => c.reason === 'NewReplicaSetAvailable');
      });
    }
    const sets = await eventually(async () => {
      const list = await replicaSets(ns);
      return list.length === 2 && list;
    });
    expect(sets.map((rs) => `${imageOf(rs)}@${revisionOf(rs)}`).sort()).toEqual(['nginx:1.27@2', 'nginx:1.28@3']);
    expect(revisionOf(await getDeployment(ns, 'hist'))).toBe('3');
  });

  it('a rollback to an old template (kubectl rollout undo) reuses the old ReplicaSet with the next revision', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    startKubelet(ns);
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'undo', { replicas: 2 }));
    await eventually(() => rolledOut(ns, 'undo'));
    await setImage(ns, 'undo', 'nginx:1.27');
    await eventually(async () => {
      const d = await rolledOut(ns, 'undo');
      return d && revisionOf(d) === '2';
    });
    const before = await replicaSets(ns);
    const first = before.find((rs) => revisionOf(rs) === '1')!;

    // kubectl 1.32's DeploymentRollbacker: the old RS's template without its hash label, as a JSON patch.
    const template = structuredClone(first.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await cluster.client.patch(DEPLOYMENTS, ns, 'undo', [{ op: 'replace', path: '/spec/template', value: template }], 'json');

    const d = await eventually(async () => {
      const latest = await rolledOut(ns, 'undo');
      return latest && revisionOf(latest) === '3' && latest;
    });
    const after = await replicaSets(ns);
    expect(after).toHaveLength(2);
    const reused = after.find((rs) => rs.metadata.uid === first.metadata.uid)!;
    expect(reused.spec?.replicas).toBe(2);
    expect(revisionOf(reused)).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(d.status?.updatedReplicas).toBe(2);
    expect((await listPods(cluster.client, ns)).every((p) => p.spec?.containers[0].image === 'nginx:1.26')).toBe(true);
  });

  it('a paused Deployment makes no rollout progress but still reports status; resuming continues', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    startKubelet(ns);
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'pause', { replicas: 2 }));
    await eventually(() => rolledOut(ns, 'pause'));
    await cluster.client.patch(DEPLOYMENTS, ns, 'pause', { spec: { paused: true } }, 'merge');
    await setImage(ns, 'pause', 'nginx:1.27');
    const paused = await eventually(async () => {
      const d = await getDeployment(ns, 'pause');
      return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && d;
    });
    expect(paused.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await replicaSets(ns)).toHaveLength(1);
    expect(paused.status?.updatedReplicas).toBe(0);

    await cluster.client.patch(DEPLOYMENTS, ns, 'pause', { spec: { paused: false } }, 'merge');
    await eventually(async () => {
      const d = await rolledOut(ns, 'pause');
      return d && revisionOf(d) === '2';
    });
    expect(await replicaSets(ns)).toHaveLength(2);
  });

  it('marks Progressing=False ProgressDeadlineExceeded when pods never become available', async () => {
    const ns = await cluster.newNamespace();
    startControllers(); // no kubelet: pods stay Pending
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'stuck', { replicas: 2, progressDeadlineSeconds: 1 }));
    const d = await eventually(async () => {
      const latest = await getDeployment(ns, 'stuck');
      return latest.status?.conditions?.some((c) => c.type === 'Progressing' && c.status === 'False') && latest;
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      reason: 'ProgressDeadlineExceeded',
      message: expect.stringMatching(/^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/),
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('scales a finished Deployment through its ReplicaSet', async () => {
    const ns = await cluster.newNamespace();
    startControllers();
    startKubelet(ns);
    await cluster.client.create(DEPLOYMENTS, deployment(ns, 'size', { replicas: 2 }));
    await eventually(() => rolledOut(ns, 'size'));
    await cluster.client.patch(DEPLOYMENTS, ns, 'size', { spec: { replicas: 5 } }, 'merge');
    await eventually(() => rolledOut(ns, 'size'));
    const sets = await replicaSets(ns);
    expect(sets).toHaveLength(1);
    expect(sets[0].spec?.replicas).toBe(5);
    expect(sets[0].metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('5');
    expect(await listPods(cluster.client, ns)).toHaveLength(5);
  });
});
