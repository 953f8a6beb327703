// Time to a working cluster, as minikube's time-to-k8s benchmark measures kind, k3d and
// minikube: from starting `kubelab serve` on a fresh data directory to a first
// Deployment's pod Ready and its Service answering from this machine (its 127.0.0.1
// port); then the same with three lab nodes created (`kubelab node create`, in
// parallel) and the Deployment's three replicas spread over them. The peers' figures
// are the published ones (they cannot run here: kind and k3d pull their node images
// from registries this machine does not reach).
//
//   npx tsx bench/time-to-cluster.ts [--no-lab-nodes] [--quick]
//
// The lab-node image is built once per machine (about 2 minutes, by the test setup or
// the first `kubelab node create`); like kind's and k3d's image pulls in the published
// figures' warm runs, it is already there when this runs.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { benchArgs, recordResult, type BenchRow } from './support/bench-result.ts';
import { PodWatch } from './support/pod-watch.ts';
import { tokenOf } from '../test/support/api-request.ts';
import { kubectlOk } from '../test/support/kubectl.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, tempDataDir } from '../test/support/kubelab-serve.ts';

const args = benchArgs({ 'no-lab-nodes': { type: 'boolean', default: false } });
const run = promisify(execFile);
const PUBLISHED = 'minikube time-to-k8s benchmark, https://minikube.sigs.k8s.io/docs/benchmarks/timetok8s/';

function appManifest(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: hello }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: hello } }
  template:
    metadata: { labels: { app: hello } }
    spec:
      terminationGracePeriodSeconds: 0
      topologySpreadConstraints:
        - { maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app: hello } } }
      containers:
        - name: httpd
          image: kubelab/busybox:test
          command: ['sh', '-c', 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www']
          ports: [{ containerPort: 8080 }]
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: hello }
spec:
  selector: { app: hello }
  ports: [{ port: 80, targetPort: 8080 }]
`;
}

async function answersFromDesktop(kubeconfig: string, deadlineMs: number): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    try {
      const ports = (await kubectlOk(kubeconfig, ['get', 'svc', 'hello', '-o', 'jsonpath={.metadata.annotations.kubelab\\.io/desktop-ports}'])).trim();
      const port = ports ? JSON.parse(ports)['80'] : undefined;
      if (port && (await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text()).includes('hello')) return;
    } catch {
      // not yet
    }
    if (performance.now() > deadline) throw new Error('the Service never answered from the desktop');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Moments {
  apiAnswering: number;
  nodesReady: number;
  appReady: number;
  serviceAnswering: number;
}

async function fromScratch(labNodes: number): Promise<Moments> {
  const dir = await tempDataDir('kubelab-bench-ttc-');
  const started = performance.now();
  const serve = await startServe(dir);
  const apiAnswering = performance.now() - started;
  const names = Array.from({ length: labNodes }, (_, i) => `ttc-lab-${i + 1}`);
  const kubelab = (argv: string[]) => run(process.execPath, [KUBELAB_BIN, ...argv, '--data-dir', dir], { cwd: REPO_ROOT, timeout: 300_000 });
  try {
    const watch = await PodWatch.start(serve.httpUrl, tokenOf(dir));
    await Promise.all(names.map((name) => kubelab(['node', 'create', name])));
    await kubectlOk(serve.kubeconfig, ['wait', '--for=condition=Ready', 'node', '--all', '--timeout=300s']);
    const nodesReady = performance.now() - started;
    const replicas = Math.max(1, labNodes);
    await kubectlOk(serve.kubeconfig, ['apply', '-f', '-'], appManifest(replicas));
    await watch.until((pods) => [...pods.values()].filter((p) => p.isReady).length >= replicas, `${replicas} Ready pods`);
    const appReady = performance.now() - started;
    await answersFromDesktop(serve.kubeconfig, 120_000);
    const serviceAnswering = performance.now() - started;
    watch.stop();
    await kubectlOk(serve.kubeconfig, ['delete', '-f', '-', '--wait=false'], appManifest(replicas)).catch(() => '');
    return { apiAnswering, nodesReady, appReady, serviceAnswering };
  } finally {
    await Promise.all(names.map((name) => kubelab(['node', 'delete', name]).catch(() => undefined)));
    await serve.stop();
  }
}

const started = performance.now();
const rows: BenchRow[] = [];
const single = await fromScratch(0);
const s = (ms: number) => ms / 1000;
rows.push({ measure: 'kubelab serve (fresh data directory) until the API answers', unit: 's', kubelab: s(single.apiAnswering) });
rows.push({ measure: 'until the local node is Ready', unit: 's', kubelab: s(single.nodesReady) });
rows.push({ measure: 'until a first Deployment pod is Ready', unit: 's', kubelab: s(single.appReady) });
for (const [peer, value] of [['k3d (published)', 20], ['kind (published)', 33], ['minikube (published)', 51]] as const) {
  rows.push({ measure: 'until its Service answers from the desktop (total)', unit: 's', kubelab: s(single.serviceAnswering), baseline: { name: peer, value, source: PUBLISHED } });
}
const details: Record<string, unknown> = { single };
if (!args['no-lab-nodes']) {
  const lab = await fromScratch(3);
  details.threeLabNodes = lab;
  rows.push({ measure: 'with 3 lab nodes: until all 4 nodes are Ready', unit: 's', kubelab: s(lab.nodesReady) });
  rows.push({ measure: 'with 3 lab nodes: until 3 spread replicas answer from the desktop', unit: 's', kubelab: s(lab.serviceAnswering) });
}
recordResult({ name: 'time-to-cluster', title: 'Time to a working cluster, from `kubelab serve` on a fresh data directory', quick: Boolean(args.quick), seconds: (performance.now() - started) / 1000, rows, details });
