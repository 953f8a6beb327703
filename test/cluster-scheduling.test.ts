import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Issue 4 acceptance across several nodes (the local daemon plus lab nodes): placement
// under LeastAllocated and MostAllocated, unschedulable pods and their explanation,
// rescheduling off a dead node, DaemonSets following nodes, controller-manager
// fail-over mid-scale, and the HPA.

let serve: ServeProcess;
let kc: string;
const k = (...args: string[]) => kubectlOk(kc, args);
const apply = (yaml: string) => kubectlOk(kc, ['apply', '-f', '-'], yaml);
const json = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json'));
type PodView = { metadata: { name: string; deletionTimestamp?: string; annotations?: Record<string, string> }; spec: { nodeName?: string }; status: { phase: string; conditions?: { type: string; status: string; message?: string }[]; containerStatuses?: { ready: boolean }[] } };
const podsOf = async (selector: string): Promise<PodView[]> => (await json('get', 'pods', '-l', selector)).items;
const perNode = (pods: PodView[]) => {
  const counts: Record<string, number> = {};
  for (const p of pods) if (p.spec.nodeName) counts[p.spec.nodeName] = (counts[p.spec.nodeName] ?? 0) + 1;
  return counts;
};

function kubelabNode(args: string[]) {
  const result = spawnSync(process.execPath, [KUBELAB_BIN, 'node', ...args, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`kubelab node ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

const deployment = (name: string, replicas: number, cpu: string, command = 'sleep 3600', memory?: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: kubelab/busybox:test
          command: ['sh', '-c', '${command}']
          resources:
            requests: { cpu: ${cpu}${memory ? `, memory: ${memory}` : ''} }
`;

async function deleteAndWait(kind: string, name: string) {
  await k('delete', kind, name, '--wait=true', '--timeout=90s');
  await eventually(async () => (await podsOf(`app=${name}`)).length === 0, `the pods of ${name} to go`, 90_000);
}

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab', '--controller-managers', '2']);
  kc = serve.kubeconfig;
  await eventually(async () => (await k('get', 'nodes', '-o', 'name')).trim() !== '', 'the local node');
  kubelabNode(['create', 'lab-1']);
  kubelabNode(['create', 'lab-2']);
  await k('wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=120s');
}, 600_000);

afterAll(async () => {
  await kubectl(kc, ['delete', 'deploy,ds,hpa', '--all', '--wait=true', '--timeout=90s']);
  await kubectl(kc, ['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=90s']);
  for (const name of ['lab-1', 'lab-2', 'lab-3', 'big']) {
    spawnSync(process.execPath, [KUBELAB_BIN, 'node', 'delete', name, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, timeout: 120_000 });
  }
  await serve?.stop();
}, 600_000);

describe('placement', () => {
  it('spreads 6 replicas 2-2-2 over 3 nodes under LeastAllocated, and packs them under MostAllocated', async () => {
    await apply(deployment('spread', 6, '100m'));
    await k('rollout', 'status', 'deploy/spread', '--timeout=180s');
    expect(Object.values(perNode(await podsOf('app=spread'))).sort()).toEqual([2, 2, 2]);
    await deleteAndWait('deploy', 'spread');

    await apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: kubelab-scheduler
  namespace: kube-system
data:
  config.yaml: |
    scoringStrategy: MostAllocated
`);
    // The scheduler follows its ConfigMap; its latest actions (Kubelab's components API) say when.
    await eventually(async () => {
      const components = (await apiRequest(serve.httpUrl, 'GET', '/kubelab/v1/components', { token: tokenOf(serve.dataDir) })).json().items;
      return components.some((c: { kind: string; recentActions: { action: string }[] }) => c.kind === 'scheduler' && c.recentActions.some((a) => a.action.includes('now MostAllocated')));
    }, 'the scheduler to switch to MostAllocated');
    // Sized so three pods fill a node (CPU and memory alike, so BalancedAllocation stays neutral).
    const nodes = (await json('get', 'nodes')).items as { status: { allocatable: { cpu: string; memory: string } } }[];
    const memoryKi = Math.min(...nodes.map((n) => Number.parseInt(n.status.allocatable.memory, 10)));
    const cpuMilli = Math.min(...nodes.map((n) => Number(n.status.allocatable.cpu) * 1000));
    await apply(deployment('packed', 6, `${Math.floor(cpuMilli * 0.3)}m`, 'sleep 3600', `${Math.floor(memoryKi * 0.3)}Ki`));
    await k('rollout', 'status', 'deploy/packed', '--timeout=180s');
    expect(Object.values(perNode(await podsOf('app=packed'))).sort()).toEqual([3, 3]);
    await deleteAndWait('deploy', 'packed');
    await k('delete', 'configmap', 'kubelab-scheduler', '-n', 'kube-system');
  }, 600_000);

  it('a pod bigger than every node stays Pending with Kubernetes’ message, then lands on a big enough node once one is added', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: huge
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sleep', '3600']
      resources:
        requests: { cpu: '64' }
`);
    const condition = await eventually(async () => {
      const pod = (await json('get', 'pod', 'huge')) as PodView;
      return pod.status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    }, 'PodScheduled=False');
    expect(condition!.message).toMatch(/^0\/3 nodes are available: 3 Insufficient cpu\./);
    const events = (await json('get', 'events', '--field-selector', 'involvedObject.name=huge')).items;
    expect(events.some((e: { reason: string }) => e.reason === 'FailedScheduling')).toBe(true);

    kubelabNode(['create', 'big', '--cpus', '100']);
    const scheduled = await eventually(async () => ((await json('get', 'pod', 'huge')) as PodView).spec.nodeName, 'the pod to be scheduled', 120_000);
    expect(scheduled).toBe('big');
    const explanation = JSON.parse(((await json('get', 'pod', 'huge')) as PodView).metadata.annotations!['scheduler.kubelab.io/explanation']);
    expect(explanation.result).toBe('Scheduled');
    const explained = explanation.nodes.map((n: { name: string }) => n.name);
    expect(explained).toHaveLength(4);
    expect(explained).toEqual(expect.arrayContaining(['big', 'lab-1', 'lab-2']));
    const big = explanation.nodes.find((n: { name: string }) => n.name === 'big');
    expect(big.scores.length).toBeGreaterThan(0);
    expect(typeof big.total).toBe('number');
    await k('delete', 'pod', 'huge', '--grace-period=1', '--wait=true');
    kubelabNode(['delete', 'big']);
  }, 600_000);
});

describe('self-healing across nodes', () => {
  it('stopping a lab node makes it NotReady, and its pods run on the other nodes', async () => {
    await apply(deployment('survivor', 4, '50m'));
    await k('rollout', 'status', 'deploy/survivor', '--timeout=180s');
    await eventually(async () => (await podsOf('app=survivor')).some((p) => p.spec.nodeName === 'lab-2'), 'a pod on lab-2');
    kubelabNode(['stop', 'lab-2']);
    await eventually(async () => {
      const node = await json('get', 'node', 'lab-2');
      return node.status.conditions.find((c: { type: string }) => c.type === 'Ready').status !== 'True';
    }, 'lab-2 to be NotReady', 60_000);
    await eventually(async () => {
      const pods = (await podsOf('app=survivor')).filter((p) => !p.metadata.deletionTimestamp);
      return pods.length === 4 && pods.every((p) => p.spec.nodeName !== 'lab-2' && p.status.containerStatuses?.[0]?.ready);
    }, 'four ready pods off lab-2', 120_000);
    kubelabNode(['start', 'lab-2']);
    await k('wait', '--for=condition=Ready', 'node/lab-2', '--timeout=120s');
    await deleteAndWait('deploy', 'survivor');
  }, 600_000);

  it('a DaemonSet follows a lab node added and removed', async () => {
    await apply(`apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: everywhere
spec:
  selector:
    matchLabels: { app: everywhere }
  template:
    metadata:
      labels: { app: everywhere }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: kubelab/busybox:test
          command: ['sleep', '3600']
`);
    const nodesNow = (await json('get', 'nodes')).items.map((n: { metadata: { name: string } }) => n.metadata.name).sort();
    await eventually(async () => JSON.stringify(Object.keys(perNode(await podsOf('app=everywhere'))).sort()) === JSON.stringify(nodesNow), 'one pod per node', 120_000);
    kubelabNode(['create', 'lab-3']);
    await eventually(async () => (await podsOf('app=everywhere')).some((p) => p.spec.nodeName === 'lab-3'), 'a pod on the new node', 120_000);
    kubelabNode(['delete', 'lab-3']);
    await eventually(async () => !(await podsOf('app=everywhere')).some((p) => p.spec.nodeName === 'lab-3'), 'its pod to go with the node', 120_000);
    await deleteAndWait('ds', 'everywhere');
  }, 600_000);
});

describe('control plane fail-over', () => {
  it('two controller-managers: killing the leader mid-scale (0 -> 20) leaves exactly 20 pods', async () => {
    await apply(deployment('many', 0, '10m'));
    const leaseHolder = async () => (await json('get', 'lease', 'kube-controller-manager', '-n', 'kube-system')).spec.holderIdentity as string;
    const leader = await eventually(leaseHolder, 'a controller-manager leader');
    const component = leader.replace(/-[0-9a-f]{6}$/, '');
    let maximum = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maximum = Math.max(maximum, (await podsOf('app=many')).filter((p) => !p.metadata.deletionTimestamp).length);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      await k('scale', 'deploy/many', '--replicas=20');
      await eventually(async () => (await podsOf('app=many')).length > 0, 'the scale-up to begin');
      const killed = await apiRequest(serve.httpUrl, 'POST', `/kubelab/v1/components/${component}/terminate`, { token: tokenOf(serve.dataDir) });
      expect(killed.status).toBe(202);
      // The killed copy comes back under a new identity, so either copy may lead next.
      await eventually(async () => (await leaseHolder()) !== leader, 'another identity to take the lease', 60_000);
      await k('rollout', 'status', 'deploy/many', '--timeout=300s');
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      // Stop sampling even when a step fails, so it does not outlive the cluster.
      sampling = false;
      await sampler.catch(() => undefined);
    }
    expect((await podsOf('app=many')).filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(20);
    expect(maximum).toBeLessThanOrEqual(20);
    await deleteAndWait('deploy', 'many');
  }, 600_000);
});

describe('autoscaling', () => {
  it('an HPA on CPU scales a busy Deployment up, then down once the load stops', async () => {
    await apply(deployment('busy', 1, '100m', 'while [ ! -f /tmp/stop ]; do :; done; exec sleep 3600'));
    await k('rollout', 'status', 'deploy/busy', '--timeout=120s');
    await apply(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: busy
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: busy }
  minReplicas: 1
  maxReplicas: 3
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }
`);
    await eventually(async () => (await json('get', 'deploy', 'busy')).spec.replicas === 3, 'a scale-up to 3', 180_000);
    const top = await k('top', 'pods', '-l', 'app=busy');
    expect(top).toMatch(/NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    await k('rollout', 'status', 'deploy/busy', '--timeout=120s');
    for (const pod of (await podsOf('app=busy')).filter((p) => !p.metadata.deletionTimestamp)) {
      await eventually(async () => (await kubectl(kc, ['exec', pod.metadata.name, '--', 'touch', '/tmp/stop'])).code === 0, `the load to stop in ${pod.metadata.name}`);
    }
    await eventually(async () => (await json('get', 'deploy', 'busy')).spec.replicas === 1, 'a scale-down to 1 after the load stops', 240_000);
    await k('delete', 'hpa', 'busy');
    await deleteAndWait('deploy', 'busy');
  }, 600_000);
});
