import { globalAgent } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { storedClusterId } from '../core/cluster/cluster-identity.ts';
import { docker } from './support/docker-cli.ts';
import { eventually } from './support/eventually.ts';
import { kubectlOk } from './support/kubectl.ts';
import { startServe, tempDataDir, type ServeProcess } from './support/kubelab-serve.ts';
import { deploymentManifest, SLEEPING_POD_SPEC } from './support/deployment-manifest.ts';

// The control plane killed with -9 at random moments while a Deployment rolls and
// scales (a rolling update of 10 replicas, a scale 0 -> 30 -> 0), restarted at once on
// the same data directory, KUBELAB_CRASH_ROUNDS times in a row (3 here;
// test/reliability/crash-loop.sh runs 10): afterwards the Deployment converges to the
// last acknowledged spec, and Docker holds exactly one sandbox and one app container
// for each pod, none for a pod that no longer exists.

const ROUNDS = Number(process.env.KUBELAB_CRASH_ROUNDS ?? 3);
const KILL_WITHIN_MS = 3000;
let serve: ServeProcess | undefined;
let dataDir: string;

afterAll(async () => {
  await serve?.stop();
});

async function restart(): Promise<void> {
  if (serve) {
    process.kill(-serve.child.pid!, 'SIGKILL');
    await serve.exited;
    // Connections kept alive to the killed serve are dead; the new one may take the same port.
    globalAgent.destroy();
  }
  serve = await startServe(dataDir, [], { detached: true });
}

const k = (...args: string[]) => kubectlOk(serve!.kubeconfig, args);

/** The round's write: a rollout (a new template) on even rounds, a scale on odd ones, alternating 30 and 0. */
function roundWrite(round: number): string[] {
  if (round % 2 === 0) return ['set', 'env', 'deployment/web', `ROUND=${round}`];
  return ['scale', 'deployment/web', `--replicas=${round % 4 === 1 ? 30 : 0}`];
}

async function podsOf(): Promise<{ uid: string; name: string; round: string | undefined }[]> {
  const pods = JSON.parse(await k('get', 'pods', '-l', 'app=web', '-o', 'json')).items;
  return pods
    .filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp)
    .map((p: any) => ({ uid: p.metadata.uid, name: p.metadata.name, round: p.spec.containers[0].env?.find((e: { name: string }) => e.name === 'ROUND')?.value }));
}

describe('crash loop', () => {
  it(`converges after ${ROUNDS} kill -9 during rollouts and scaling, with no orphaned or duplicated container`, async () => {
    dataDir = await tempDataDir('kubelab-crash-loop-');
    await restart();
    await kubectlOk(
      serve!.kubeconfig,
      ['apply', '-f', '-'],
      JSON.stringify(deploymentManifest('web', 10, SLEEPING_POD_SPEC, { strategy: { rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } })),
    );
    await k('rollout', 'status', 'deployment/web', '--timeout=180s');

    let lastRound = -1;
    for (let round = 0; round < ROUNDS; round++) {
      await k(...roundWrite(round)); // acknowledged: it must survive every kill that follows
      lastRound = round % 2 === 0 ? round : lastRound;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * KILL_WITHIN_MS));
      await restart();
    }

    // The last acknowledged spec: the last rollout's template, at 10 replicas.
    await k('scale', 'deployment/web', '--replicas=10');
    await k('rollout', 'status', 'deployment/web', '--timeout=300s');
    const pods = await eventually(async () => {
      const current = await podsOf();
      return current.length === 10 && current.every((pod) => pod.round === (lastRound >= 0 ? String(lastRound) : undefined)) ? current : undefined;
    }, '10 pods, all of the last rollout', 120_000);

    // Docker against the pods: one sandbox and one app container per pod, and nothing else running of this cluster.
    const cluster = (await storedClusterId(dataDir))!;
    const containers = await eventually(async () => {
      const lines = (await docker(['ps', '--filter', `label=io.kubelab.cluster=${cluster}`, '--filter', 'label=io.kubelab.pod.uid', '--format', '{{.Label "io.kubelab.pod.uid"}} {{.Label "io.kubelab.container.role"}}'])).split('\n').filter(Boolean);
      const expected = pods.flatMap((pod) => [`${pod.uid} app`, `${pod.uid} sandbox`]).sort();
      return JSON.stringify(lines.sort()) === JSON.stringify(expected) ? lines : undefined;
    }, 'exactly one sandbox and one app container per pod', 60_000).catch(async (error) => {
      const running = await docker(['ps', '--filter', `label=io.kubelab.cluster=${cluster}`, '--format', '{{.Names}} {{.Label "io.kubelab.pod.uid"}} {{.Label "io.kubelab.container.role"}}']);
      throw new Error(`${(error as Error).message}\npods: ${JSON.stringify(pods)}\ncontainers:\n${running}`);
    });
    expect(containers).toHaveLength(20);
  }, 900_000);
});
