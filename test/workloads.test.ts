import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersWithLabels, docker } from './support/docker-cli.ts';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Issue 4 acceptance on the local node: self-healing, rolling updates and rollback,
// Jobs and CronJobs, garbage collection and PVC-backed pods, through `kubelab serve`
// (scheduler and controller-manager included) and real kubectl.

let serve: ServeProcess;
let kc: string;
const k = (...args: string[]) => kubectlOk(kc, args);
const apply = (yaml: string) => kubectlOk(kc, ['apply', '-f', '-'], yaml);
const json = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json'));
const podsOf = async (selector: string) => (await json('get', 'pods', '-l', selector)).items as { metadata: { name: string; uid: string; deletionTimestamp?: string }; status: { phase: string; containerStatuses?: { ready: boolean; restartCount: number; containerID?: string }[] }; spec: { nodeName?: string } }[];

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab']);
  kc = serve.kubeconfig;
  await eventually(async () => (await k('get', 'nodes', '-o', 'name')).trim() !== '', 'the local node');
  await k('wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=60s');
}, 120_000);

afterAll(async () => {
  await kubectl(kc, ['delete', 'deploy,job,cronjob,pvc', '--all', '--wait=true', '--timeout=90s']);
  await kubectl(kc, ['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=90s']);
  await serve?.stop();
}, 180_000);

const deployment = (name: string, replicas: number, image = 'kubelab/busybox:test', extra = '') => `apiVersion: apps/v1
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
          image: ${image}
          command: ['sh', '-c', 'touch /tmp/ready; exec sleep 3600']
${extra}`;

describe('self-healing', () => {
  it('a killed container restarts, and a deleted pod is replaced', async () => {
    await apply(deployment('healer', 2));
    await k('rollout', 'status', 'deploy/healer', '--timeout=90s');
    const [first] = await podsOf('app=healer');
    const [containerId] = await containersWithLabels({ 'io.kubelab.pod.uid': first.metadata.uid, 'io.kubelab.container.name': 'app' }, { all: false });
    await docker(['kill', containerId]);
    await eventually(async () => {
      const pod = (await podsOf('app=healer')).find((p) => p.metadata.name === first.metadata.name);
      return pod?.status.containerStatuses?.[0].restartCount === 1 && pod.status.containerStatuses[0].ready;
    }, 'the killed container to restart', 60_000);

    await k('delete', 'pod', first.metadata.name, '--wait=false');
    await eventually(async () => {
      const pods = (await podsOf('app=healer')).filter((p) => !p.metadata.deletionTimestamp);
      return pods.length === 2 && !pods.some((p) => p.metadata.name === first.metadata.name) && pods.every((p) => p.status.containerStatuses?.[0]?.ready);
    }, 'a replacement pod', 60_000);
  });
});

describe('rollouts', () => {
  it('a rolling update never drops ready replicas below replicas - maxUnavailable; undo returns the old template; status exits 0', async () => {
    const withProbe = (version: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: roller
spec:
  replicas: 4
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxSurge: 1, maxUnavailable: 1 }
  selector:
    matchLabels: { app: roller }
  template:
    metadata:
      labels: { app: roller }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: kubelab/busybox:test
          command: ['sh', '-c', 'sleep 2; touch /tmp/ready; exec sleep 3600']
          env: [{ name: VERSION, value: '${version}' }]
          readinessProbe:
            exec: { command: ['test', '-f', '/tmp/ready'] }
            periodSeconds: 1
`;
    await apply(withProbe('one'));
    await k('rollout', 'status', 'deploy/roller', '--timeout=120s');

    let minimumReady = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const pods = await podsOf('app=roller');
        const ready = pods.filter((p) => !p.metadata.deletionTimestamp && p.status.containerStatuses?.[0]?.ready).length;
        minimumReady = Math.min(minimumReady, ready);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await apply(withProbe('two'));
    const status = await kubectl(kc, ['rollout', 'status', 'deploy/roller', '--timeout=180s']);
    sampling = false;
    await sampler;
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('successfully rolled out');
    expect(minimumReady).toBeGreaterThanOrEqual(3);

    const history = await k('rollout', 'history', 'deploy/roller');
    expect(history).toMatch(/1\s+<none>/);
    expect(history).toMatch(/2\s+<none>/);
    await k('rollout', 'undo', 'deploy/roller');
    await k('rollout', 'status', 'deploy/roller', '--timeout=180s');
    const env = (await json('get', 'deploy', 'roller')).spec.template.spec.containers[0].env;
    expect(env).toEqual([{ name: 'VERSION', value: 'one' }]);
  }, 300_000);
});

describe('jobs', () => {
  it('a Job with completions 5 and parallelism 2 completes; a failing Job stops after backoffLimit', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata:
  name: five
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: work
          image: kubelab/busybox:test
          command: ['sh', '-c', 'sleep 1; echo done']
---
apiVersion: batch/v1
kind: Job
metadata:
  name: doomed
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: work
          image: kubelab/busybox:test
          command: ['sh', '-c', 'exit 1']
`);
    let maxActive = 0;
    await eventually(async () => {
      const job = await json('get', 'job', 'five');
      maxActive = Math.max(maxActive, job.status.active ?? 0);
      return job.status.succeeded === 5 && job.status.conditions?.some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True');
    }, 'job five to complete', 180_000);
    expect(maxActive).toBeLessThanOrEqual(2);
    const failed = await eventually(async () => {
      const job = await json('get', 'job', 'doomed');
      return job.status.conditions?.find((c: { type: string; status: string }) => c.type === 'Failed' && c.status === 'True');
    }, 'job doomed to fail', 180_000);
    expect(failed.reason).toBe('BackoffLimitExceeded');
    expect((await json('get', 'job', 'doomed')).status.failed).toBe(3);
  }, 400_000);

  it('a CronJob every minute creates Jobs and keeps its history limit', async () => {
    await apply(`apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: '* * * * *'
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: tick
              image: kubelab/busybox:test
              command: ['date']
`);
    const seen = new Set<string>();
    await eventually(async () => {
      const jobs = (await json('get', 'jobs', '-l', 'batch.kubernetes.io/cronjob-name!=nothing')).items.filter((j: { metadata: { ownerReferences?: { name: string }[] } }) => j.metadata.ownerReferences?.[0]?.name === 'tick');
      for (const j of jobs) seen.add(j.metadata.name);
      const finished = jobs.filter((j: { status: { succeeded?: number } }) => j.status.succeeded === 1);
      return seen.size >= 2 && finished.length <= 1 && jobs.length <= 2;
    }, 'two scheduled runs with the history trimmed to one', 200_000);
    const cronjob = await json('get', 'cronjob', 'tick');
    expect(cronjob.status.lastScheduleTime).toBeDefined();
  }, 260_000);
});

describe('garbage collection', () => {
  it('deleting a Deployment removes its ReplicaSets and pods; with --cascade=orphan the pods stay', async () => {
    await apply(deployment('doomed-deploy', 2));
    await k('rollout', 'status', 'deploy/doomed-deploy', '--timeout=90s');
    await k('delete', 'deploy', 'doomed-deploy', '--wait=true', '--timeout=60s');
    await eventually(async () => (await json('get', 'rs', '-l', 'app=doomed-deploy')).items.length === 0, 'its ReplicaSet to go');
    await eventually(async () => (await podsOf('app=doomed-deploy')).length === 0, 'its pods to go', 60_000);

    await apply(deployment('orphaner', 2));
    await k('rollout', 'status', 'deploy/orphaner', '--timeout=90s');
    const before = (await podsOf('app=orphaner')).map((p) => p.metadata.name).sort();
    await k('delete', 'deploy', 'orphaner', '--cascade=orphan', '--wait=true', '--timeout=60s');
    await k('delete', 'rs', '-l', 'app=orphaner', '--cascade=orphan', '--wait=true', '--timeout=60s');
    await new Promise((r) => setTimeout(r, 3000));
    expect((await podsOf('app=orphaner')).map((p) => p.metadata.name).sort()).toEqual(before);
    for (const pod of await podsOf('app=orphaner')) expect((pod.metadata as { ownerReferences?: unknown[] }).ownerReferences ?? []).toEqual([]);
    await k('delete', 'pods', '-l', 'app=orphaner', '--grace-period=1', '--wait=true');
  }, 240_000);
});

describe('storage', () => {
  it('a PVC-backed pod writes a file, is deleted and recreated, and reads it back on the same node', async () => {
    const claimPod = (command: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Pod
metadata:
  name: writer
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sh', '-c', '${command}']
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: data }
`;
    await apply(claimPod('echo kept-across-pods > /data/file; sleep 3600'));
    await k('wait', '--for=condition=Ready', 'pod/writer', '--timeout=120s');
    const pvc = await json('get', 'pvc', 'data');
    expect(pvc.status.phase).toBe('Bound');
    const pv = await json('get', 'pv', pvc.spec.volumeName);
    const node = (await json('get', 'pod', 'writer')).spec.nodeName;
    expect(JSON.stringify(pv.spec.nodeAffinity)).toContain(node);
    await k('delete', 'pod', 'writer', '--wait=true', '--timeout=60s');
    await apply(claimPod('cat /data/file; sleep 3600'));
    await k('wait', '--for=condition=Ready', 'pod/writer', '--timeout=120s');
    expect((await json('get', 'pod', 'writer')).spec.nodeName).toBe(node);
    await eventually(async () => (await k('logs', 'writer')).trim() === 'kept-across-pods', 'the file written by the first pod');
    await k('delete', 'pod', 'writer', '--grace-period=1', '--wait=true', '--timeout=60s');
  }, 300_000);
});
