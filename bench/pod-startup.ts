// Pod start-up on the local Docker daemon, side by side with raw Docker in the same run:
// N single-container pods, each timed from its create request to Running and to Ready
// as the API reports them (one watch), against create+start of the same container
// (same image, same command) through the same daemon's Engine API. Both sides keep
// the same number of starts in flight.
//
//   npx tsx bench/pod-startup.ts [--pods 100] [--in-flight 10] [--quick]
//
// A pod is two containers on the daemon (the pause sandbox holding the network
// namespace, and the app), plus the API round trips; raw Docker is one container. So a
// second baseline starts the same pair by hand (pause, then the app joining its network
// and IPC namespaces): Kubelab against that pair is what the control plane adds; the
// pair against one container is what a pod itself costs.

import Docker from 'dockerode';
import { DockerRuntime } from '../core/agent/docker-runtime.ts';
import { benchArgs, percentile, recordResult, withConcurrency, type BenchRow } from './support/bench-result.ts';
import { PodWatch } from './support/pod-watch.ts';
import { apiRequest, tokenOf } from '../test/support/api-request.ts';
import { startServe } from '../test/support/kubelab-serve.ts';

const args = benchArgs({ pods: { type: 'string' }, 'in-flight': { type: 'string', default: '10' } });
const count = Number(args.pods ?? (args.quick ? 30 : 100));
const inFlight = Number(args['in-flight']);
const IMAGE = 'kubelab/busybox:test';
const COMMAND = ['sleep', '3600'];
const RAW_LABEL = 'io.kubelab.bench=pod-startup';

type Start = (docker: Docker, name: string) => Promise<string[]>;

/** One container, created and started. */
const lone: Start = async (docker, name) => {
  const container = await docker.createContainer({ name, Image: IMAGE, Cmd: COMMAND, Labels: { 'io.kubelab.bench': 'pod-startup' } });
  await container.start();
  return [container.id];
};

/** A pod's pair by hand: the pause sandbox, then the app in its network and IPC namespaces. */
const pair = (sandboxImage: string): Start => async (docker, name) => {
  const sandbox = await docker.createContainer({
    name: `${name}-pause`,
    Image: sandboxImage,
    Labels: { 'io.kubelab.bench': 'pod-startup' },
    HostConfig: { IpcMode: 'shareable' },
  });
  await sandbox.start();
  const app = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: COMMAND,
    Labels: { 'io.kubelab.bench': 'pod-startup' },
    HostConfig: { NetworkMode: `container:${sandbox.id}`, IpcMode: `container:${sandbox.id}` },
  });
  await app.start();
  return [app.id, sandbox.id];
};

async function rawDocker(kind: string, start: Start): Promise<number[]> {
  const docker = new Docker();
  const samples: number[] = [];
  const ids: string[] = [];
  await withConcurrency(
    Array.from({ length: count }, (_, i) => i),
    inFlight,
    async (i) => {
      const started = performance.now();
      ids.push(...(await start(docker, `bench-${kind}-${process.pid}-${i}`)));
      samples.push(performance.now() - started);
    },
  );
  await withConcurrency(ids, 8, (id) => docker.getContainer(id).remove({ force: true }));
  return samples;
}


async function kubelab(): Promise<{ running: number[]; ready: number[] }> {
  const serve = await startServe();
  const token = tokenOf(serve.dataDir);
  try {
    const nodes = (await apiRequest(serve.httpUrl, 'GET', '/api/v1/nodes', { token })).json().items as { metadata: { name: string } }[];
    const node = nodes[0]?.metadata.name;
    if (!node) throw new Error('kubelab serve has no local node');
    const watch = await PodWatch.start(serve.httpUrl, token);
    // One pod first, untimed: it builds the sandbox image and warms the agent.
    const pod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: IMAGE, command: COMMAND }] },
    });
    const create = async (name: string) => {
      const res = await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces/default/pods', { token, body: pod(name) });
      if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${res.body}`);
    };
    await create('warm-up');
    await watch.until((pods) => pods.get('warm-up')?.ready !== undefined, 'the warm-up pod to be Ready');

    const running: number[] = [];
    const ready: number[] = [];
    await withConcurrency(
      Array.from({ length: count }, (_, i) => `pod-${i}`),
      inFlight,
      async (name) => {
        const started = performance.now();
        await create(name);
        await watch.until((pods) => pods.get(name)?.ready !== undefined, `${name} to be Ready`);
        const moments = watch.pods.get(name)!;
        running.push(moments.running! - started);
        ready.push(moments.ready! - started);
      },
    );
    watch.stop();
    await apiRequest(serve.httpUrl, 'DELETE', '/api/v1/namespaces/default/pods', { token });
    return { running, ready };
  } finally {
    await serve.stop();
  }
}

const started = performance.now();
// Raw Docker first, then Kubelab, then raw Docker again: the figures kept for raw
// Docker are the second run, with the daemon as warm as it is for Kubelab.
// The sandbox image the agent uses, made the way the agent makes it when the daemon lacks it.
const sandbox = await new DockerRuntime(new Docker()).ensureSandboxImage();
await rawDocker('raw', lone);
await rawDocker('pair', pair(sandbox));
const { running, ready } = await kubelab();
const raw = await rawDocker('raw', lone);
const pairs = await rawDocker('pair', pair(sandbox));

const RAW = 'raw docker create+start';
const PAIR = 'raw docker pause+app pair';
const rows: BenchRow[] = [];
for (const [moment, samples] of [['Running', running], ['Ready', ready]] as const) {
  for (const p of [50, 99]) {
    const aim = p === 99 ? 'within 1.25x of raw Docker, under 1 s' : undefined;
    rows.push({ measure: `${count} pods, creation to ${moment}, p${p}`, unit: 'ms', kubelab: percentile(samples, p), baseline: { name: RAW, value: percentile(raw, p) }, aim });
    rows.push({ measure: `${count} pods, creation to ${moment}, p${p}`, unit: 'ms', kubelab: percentile(samples, p), baseline: { name: PAIR, value: percentile(pairs, p) } });
  }
}
recordResult({
  name: 'pod-startup',
  title: `Pod start-up: ${count} single-container pods on the local daemon, ${inFlight} in flight`,
  quick: Boolean(args.quick),
  seconds: (performance.now() - started) / 1000,
  rows,
  details: { count, inFlight, raw, pairs, running, ready, rawLabel: RAW_LABEL },
});
