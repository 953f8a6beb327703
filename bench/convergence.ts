// Convergence: a Deployment of N replicas over 3 nodes (the local daemon and two lab
// nodes) until every pod is Ready, then scaled to 0 until every pod is gone; beside
// it, in the same run on the same daemon, N `docker run -d` 8 at a time (then
// `docker rm -f` 8 at a time), and Docker Swarm mode (`docker swarm init`,
// `docker service create --replicas N` until every task is Running, then
// `docker service scale NAME=0` until none runs; the swarm is left afterwards).
//
//   npx tsx bench/convergence.ts [--replicas 50] [--no-swarm] [--quick]
//
// A daemon that is already part of a swarm is left alone: the Swarm column is then
// empty and the output says why.

import { benchArgs, recordResult, withConcurrency, type BenchRow } from './support/bench-result.ts';
import { docker as dockerCli } from '../test/support/docker-cli.ts';
import { eventually } from '../test/support/eventually.ts';
import { startLabCluster } from './support/lab-cluster.ts';
import { PodWatch } from './support/pod-watch.ts';
import { deploymentManifest } from '../test/support/deployment-manifest.ts';

const args = benchArgs({ replicas: { type: 'string' }, 'no-swarm': { type: 'boolean', default: false } });
const replicas = Number(args.replicas ?? (args.quick ? 20 : 50));
const IMAGE = 'kubelab/busybox:test';
const docker = async (...argv: string[]) => (await dockerCli(argv)).trim();


async function kubelab(): Promise<{ up: number; gone: number; down: number; perNode: Record<string, number> }> {
  const cluster = await startLabCluster({ labNodes: 2, prefix: 'converge' });
  try {
    const watch = await PodWatch.start(cluster.serve.httpUrl, cluster.token);
    const deployment = (count: number) => deploymentManifest('converge', count, { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: IMAGE, command: ['sleep', '3600'] }] });
    // Each lab node copies the image from the host on first use; do that before timing.
    await cluster.api('POST', '/apis/apps/v1/namespaces/default/deployments', deployment(6));
    await watch.until((pods) => [...pods.values()].filter((p) => p.ready && !p.deleted).length >= 6, 'the warm-up pods');
    await cluster.api('DELETE', '/apis/apps/v1/namespaces/default/deployments/converge?propagationPolicy=Foreground');
    await watch.until((pods) => [...pods.values()].every((p) => p.deleted), 'the warm-up pods to go');
    await eventually(async () => (await cluster.api('GET', '/apis/apps/v1/namespaces/default/deployments/converge')).status === 404, 'the warm-up Deployment to go', 600_000, 100);
    watch.pods.clear();

    const started = performance.now();
    const created = await cluster.api('POST', '/apis/apps/v1/namespaces/default/deployments', deployment(replicas));
    if (created.status !== 201) throw new Error(`create deployment: ${created.status} ${created.body}`);
    await watch.until((pods) => [...pods.values()].filter((p) => p.ready).length >= replicas, `${replicas} Ready pods`, 600_000);
    const up = performance.now() - started;
    const perNode: Record<string, number> = {};
    for (const pod of watch.pods.values()) perNode[pod.nodeName ?? '?'] = (perNode[pod.nodeName ?? '?'] ?? 0) + 1;

    const scaledAt = performance.now();
    await cluster.api('PATCH', '/apis/apps/v1/namespaces/default/deployments/converge/scale', { spec: { replicas: 0 } }, { 'Content-Type': 'application/merge-patch+json' });
    await watch.until((pods) => [...pods.values()].every((p) => p.deleted), 'every pod gone', 600_000);
    const gone = performance.now() - scaledAt;
    // With terminationGracePeriodSeconds 0 the API forgets a pod at once, as Kubernetes
    // does; its containers go when its agent has removed them, which docker rm -f matches.
    await eventually(async () => (await cluster.podContainers()) === 0, 'every pod container removed', 600_000, 100);
    const down = performance.now() - scaledAt;
    watch.stop();
    return { up, gone, down, perNode };
  } finally {
    await cluster.stop();
  }
}

async function rawDocker(): Promise<{ up: number; down: number }> {
  const names = Array.from({ length: replicas }, (_, i) => `bench-converge-${process.pid}-${i}`);
  const started = performance.now();
  await withConcurrency(names, 8, (name) => docker('run', '-d', '--name', name, IMAGE, 'sleep', '3600'));
  const up = performance.now() - started;
  const removing = performance.now();
  await withConcurrency(names, 8, (name) => docker('rm', '-f', name));
  return { up, down: performance.now() - removing };
}

async function swarm(): Promise<{ up: number; down: number } | string> {
  const state = await docker('info', '--format', '{{.Swarm.LocalNodeState}}');
  if (state !== 'inactive') return `this daemon's swarm state is "${state}"; a swarm the bench did not make is left alone`;
  await docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
  const service = `bench-converge-${process.pid}`;
  try {
    const running = async () => (await docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`)).split('\n').filter(Boolean).length;
    const started = performance.now();
    await docker('service', 'create', '--detach', '--name', service, '--replicas', String(replicas), '--no-resolve-image', '--stop-grace-period', '0s', IMAGE, 'sleep', '3600');
    await eventually(async () => (await docker('service', 'ls', '--filter', `name=${service}`, '--format', '{{.Replicas}}')) === `${replicas}/${replicas}`, 'every Swarm task Running', 600_000, 100);
    const up = performance.now() - started;
    const scaling = performance.now();
    await docker('service', 'scale', '--detach', `${service}=0`);
    await eventually(async () => (await running()) === 0, 'no Swarm task running', 600_000, 100);
    const down = performance.now() - scaling;
    return { up, down };
  } finally {
    await docker('service', 'rm', service).catch(() => undefined);
    await docker('swarm', 'leave', '--force');
  }
}

const started = performance.now();
const ours = await kubelab();
const raw = await rawDocker();
const theirs = args['no-swarm'] ? '--no-swarm was given' : await swarm();
const swarmUp = typeof theirs === 'string' ? null : theirs.up / 1000;
const swarmDown = typeof theirs === 'string' ? null : theirs.down / 1000;

const rows: BenchRow[] = [
  { measure: `Deployment of ${replicas} over 3 nodes, to all Ready`, unit: 's', kubelab: ours.up / 1000, baseline: { name: `${replicas} docker run -d, 8 at a time`, value: raw.up / 1000 }, aim: 'within 1.25x of raw Docker' },
  { measure: `Deployment of ${replicas} over 3 nodes, to all Ready`, unit: 's', kubelab: ours.up / 1000, baseline: { name: `Swarm service --replicas ${replicas}`, value: swarmUp }, aim: 'at least 2.5x faster than Swarm', note: typeof theirs === 'string' ? theirs : undefined },
  { measure: `scale ${replicas} -> 0, until every container is removed`, unit: 's', kubelab: ours.down / 1000, baseline: { name: `${replicas} docker rm -f, 8 at a time`, value: raw.down / 1000 }, note: `the API showed no pod after ${(ours.gone / 1000).toFixed(2)} s` },
  { measure: `scale ${replicas} -> 0, until every container is removed`, unit: 's', kubelab: ours.down / 1000, baseline: { name: 'Swarm service scale =0 (no task running)', value: swarmDown } },
];
recordResult({
  name: 'convergence',
  title: `Convergence: ${replicas} replicas over 3 nodes (local daemon + 2 lab nodes); raw Docker and Swarm on the local daemon`,
  quick: Boolean(args.quick),
  seconds: (performance.now() - started) / 1000,
  rows,
  details: { replicas, podsPerNode: ours.perNode, raw, swarm: theirs },
});
