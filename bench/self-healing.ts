// Self-healing, with `--timings lab` and with Kubernetes' timings (`kubelab serve`'s
// default), each on a fresh lab of the local daemon and one lab node:
//   - a pod's container killed with `docker kill`, until the pod is Ready again; beside
//     it, on the same daemon, a `docker run --restart always` container whose process is
//     killed (Docker treats `docker kill` as a deliberate stop and never restarts after
//     it), and a one-replica Swarm service whose task container is killed with
//     `docker kill`, until a new task runs;
//   - the lab node stopped (`kubelab node stop`), until its pods are Ready elsewhere.
//     With Kubernetes' timings that is the node-monitor grace period (40 s) plus the
//     default not-ready toleration (300 s), so --quick measures it with lab timings only.
//
//   npx tsx bench/self-healing.ts [--no-swarm] [--quick]

import { benchArgs, recordResult, type BenchRow } from './support/bench-result.ts';
import { docker as dockerCli } from '../test/support/docker-cli.ts';
import { eventually } from '../test/support/eventually.ts';
import { startLabCluster, type LabCluster } from './support/lab-cluster.ts';
import { PodWatch } from './support/pod-watch.ts';
import { deploymentManifest } from '../test/support/deployment-manifest.ts';

const args = benchArgs({ 'no-swarm': { type: 'boolean', default: false } });
const IMAGE = 'kubelab/busybox:test';
const docker = async (...argv: string[]) => (await dockerCli(argv)).trim();

const podSpec = { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: IMAGE, command: ['sleep', '3600'] }] };

/** Milliseconds from `docker kill` of the pod's container until the pod is Ready again. */
async function containerKilled(cluster: LabCluster, watch: PodWatch): Promise<number> {
  await cluster.api('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'heal' }, spec: { ...podSpec, nodeName: cluster.localNode } });
  await watch.until((pods) => pods.get('heal')?.isReady === true, 'the pod to be Ready');
  const id = await docker('ps', '-q', '--filter', 'label=io.kubelab.pod.name=heal', '--filter', 'label=io.kubelab.container.role=app');
  const killed = performance.now();
  await docker('kill', id);
  // Ready again with one restart: a quick restart may come before the pod was ever
  // reported not Ready, as with a kubelet whose status update comes after the restart.
  await watch.until((pods) => pods.get('heal')?.readyAtRestarts[1] !== undefined, 'the pod to be Ready again', 120_000);
  const readyAgain = watch.pods.get('heal')!.readyAtRestarts[1];
  await cluster.api('DELETE', '/api/v1/namespaces/default/pods/heal');
  return readyAgain - killed;
}

/** Milliseconds from `kubelab node stop` until the Deployment's pods are all Ready on the other nodes. */
async function nodeStopped(cluster: LabCluster, watch: PodWatch): Promise<{ ms: number; onLabNode: number }> {
  const replicas = 4;
  const lab = cluster.labNodes[0];
  await cluster.api('POST', '/apis/apps/v1/namespaces/default/deployments', deploymentManifest('spread', replicas, podSpec));
  const live = () => [...watch.pods.entries()].filter(([name, p]) => name.startsWith('spread-') && !p.deleted);
  await watch.until(() => live().filter(([, p]) => p.isReady).length >= replicas, `${replicas} Ready pods`);
  const onLabNode = live().filter(([, p]) => p.nodeName === lab).length;
  const stopped = performance.now();
  await cluster.kubelab(['node', 'stop', lab]);
  await watch.until(() => live().filter(([, p]) => p.isReady && p.nodeName !== lab).length >= replicas, `${replicas} Ready pods off ${lab}`, 900_000);
  return { ms: performance.now() - stopped, onLabNode };
}

async function rawDockerRestart(): Promise<number> {
  const name = `bench-heal-${process.pid}`;
  await docker('run', '-d', '--name', name, '--restart', 'always', IMAGE, 'sleep', '3600');
  try {
    const pid = await docker('inspect', name, '--format', '{{.State.Pid}}');
    const killed = performance.now();
    process.kill(Number(pid), 'SIGKILL');
    await eventually(async () => ((await docker('inspect', name, '--format', '{{.State.Running}} {{.RestartCount}}')) === 'true 1' ? true : undefined), 'Docker to restart the container', 900_000, 50);
    return performance.now() - killed;
  } finally {
    await docker('rm', '-f', name);
  }
}

async function swarmRestart(): Promise<number | string> {
  if (args['no-swarm']) return '--no-swarm was given';
  const state = await docker('info', '--format', '{{.Swarm.LocalNodeState}}');
  if (state !== 'inactive') return `this daemon's swarm state is "${state}"; a swarm the bench did not make is left alone`;
  await docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
  const service = `bench-heal-${process.pid}`;
  try {
    const task = () => docker('ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`, '--filter', 'status=running');
    await docker('service', 'create', '--detach', '--name', service, '--no-resolve-image', '--stop-grace-period', '0s', IMAGE, 'sleep', '3600');
    const first = await eventually(async () => (await task()) || undefined, 'the Swarm task to run', 120_000, 50);
    const killed = performance.now();
    await docker('kill', first);
    await eventually(async () => {
      const now = await task();
      return now && now !== first ? true : undefined;
    }, 'Swarm to run a new task', 120_000, 50);
    return performance.now() - killed;
  } finally {
    await docker('service', 'rm', service).catch(() => undefined);
    await docker('swarm', 'leave', '--force');
  }
}

const started = performance.now();
const rows: BenchRow[] = [];
const details: Record<string, unknown> = {};
const rawMs = await rawDockerRestart();
const swarm = await swarmRestart();
for (const timings of ['lab', 'kubernetes'] as const) {
  const cluster = await startLabCluster({ labNodes: 1, serveArgs: ['--timings', timings], prefix: `heal-${timings.slice(0, 3)}` });
  try {
    const watch = await PodWatch.start(cluster.serve.httpUrl, cluster.token);
    const killMs = await containerKilled(cluster, watch);
    rows.push({ measure: `docker kill of a pod's container, until Ready again (--timings ${timings})`, unit: 's', kubelab: killMs / 1000, baseline: { name: 'docker --restart always, process killed', value: rawMs / 1000 } });
    rows.push({
      measure: `docker kill of a pod's container, until Ready again (--timings ${timings})`,
      unit: 's',
      kubelab: killMs / 1000,
      baseline: { name: 'Swarm service, task container killed', value: typeof swarm === 'number' ? swarm / 1000 : null },
      note: typeof swarm === 'string' ? swarm : undefined,
    });
    if (timings === 'lab' || !args.quick) {
      const down = await nodeStopped(cluster, watch);
      details[`nodeStopped-${timings}`] = down;
      rows.push({
        measure: `lab node stopped, until its pods are Ready elsewhere (--timings ${timings})`,
        unit: 's',
        kubelab: down.ms / 1000,
        note: down.onLabNode === 0 ? 'no pod had landed on the lab node, so nothing had to move' : `${down.onLabNode} of 4 pods were on the lab node`,
      });
    }
    watch.stop();
  } finally {
    await cluster.stop();
  }
}
recordResult({ name: 'self-healing', title: 'Self-healing: a killed container, a stopped node', quick: Boolean(args.quick), seconds: (performance.now() - started) / 1000, rows, details: { rawMs, swarm, ...details } });
