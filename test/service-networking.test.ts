import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';
import { bundleProxyProgram, proxyImageRef } from '../core/proxy/proxy-image.ts';

// Issue 5 acceptance on the local node plus two lab nodes: Services reach their ready
// pods by name from any node through the node proxies (round robin, readiness, scale
// out), the desktop reaches them on 127.0.0.1, and a Service made later resolves too.
// UDP Service ports spread their flows over pods on other nodes.

const LAB_NODES = ['net-a', 'net-b'];
let serve: ServeProcess;
let kc: string;
let localNode: string;
const k = (...args: string[]) => kubectlOk(kc, args);
const apply = (yaml: string) => kubectlOk(kc, ['apply', '-f', '-'], yaml);
const json = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json'));

type PodView = { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } };
const isReady = (pod: PodView) => pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const readyPods = async (selector: string): Promise<PodView[]> => ((await json('get', 'pods', '-l', selector)).items as PodView[]).filter((p) => !p.metadata.deletionTimestamp && isReady(p));

function kubelabNode(args: string[]) {
  const result = spawnSync(process.execPath, [KUBELAB_BIN, 'node', ...args, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`kubelab node ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `count` requests from the client pod to `url`; the answers (backend hostnames, or FAIL) one per request. */
async function requestsFromClient(url: string, count: number): Promise<string[]> {
  const script = `i=0; while [ $i -lt ${count} ]; do timeout 5 wget -qO- ${url} || echo FAIL; i=$((i+1)); done`;
  const out = await k('exec', 'client', '--', 'sh', '-c', script);
  return out.split('\n').map((line) => line.trim()).filter(Boolean);
}

const tally = (answers: string[]) => {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[answer] = (counts[answer] ?? 0) + 1;
  return counts;
};

// One Deployment per node (the scheduler has no pod anti-affinity), all selected by one Service.
const webOn = (index: number, node: string, replicas = 1) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${index}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: web, instance: web-${index} }
  template:
    metadata:
      labels: { app: web, instance: web-${index} }
    spec:
      terminationGracePeriodSeconds: 1
      nodeSelector: { kubernetes.io/hostname: ${node} }
      containers:
        - name: httpd
          image: kubelab/busybox:test
          command: ['sh', '-c', 'touch /tmp/ready; mkdir -p /www && hostname > /www/index.html && httpd -f -p 8080 -h /www']
          ports:
            - { name: http, containerPort: 8080 }
          # A TCP and an HTTP probe too: on lab nodes they reach the pod through the node's proxy.
          startupProbe:
            tcpSocket: { port: http }
            periodSeconds: 1
            failureThreshold: 60
          livenessProbe:
            httpGet: { port: http, path: /index.html }
            periodSeconds: 2
          readinessProbe:
            exec: { command: ['cat', '/tmp/ready'] }
            periodSeconds: 1
            timeoutSeconds: 5
            failureThreshold: 2
`;

const webService = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports:
    - { name: http, port: 80, targetPort: http }
`;

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab']);
  kc = serve.kubeconfig;
  localNode = await eventually(async () => (await k('get', 'nodes', '-l', 'kubelab.io/endpoint-kind=local', '-o', 'jsonpath={.items[0].metadata.name}')).trim(), 'the local node');
  for (const name of LAB_NODES) kubelabNode(['create', name]);
  await k('wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=180s');
  await apply(`apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  nodeName: ${localNode}
  terminationGracePeriodSeconds: 1
  containers:
    - name: client
      image: kubelab/busybox:test
      command: ['sleep', '3600']
`);
  await apply([webOn(0, localNode), webOn(1, LAB_NODES[0]), webOn(2, LAB_NODES[1]), webService].join('---\n'));
  await k('wait', '--for=condition=Ready', 'pod/client', '--timeout=180s');
  await eventually(async () => (await readyPods('app=web')).length === 3, 'three ready web pods', 180_000);
}, 900_000);

afterAll(async () => {
  if (!serve) return;
  await kubectl(kc, ['delete', 'deploy,svc', '--all', '--wait=true', '--timeout=90s']);
  await kubectl(kc, ['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=90s']);
  for (const name of LAB_NODES) {
    spawnSync(process.execPath, [KUBELAB_BIN, 'node', 'delete', name, '--data-dir', serve.dataDir], { cwd: REPO_ROOT, timeout: 120_000 });
  }
  await serve.stop();
}, 600_000);

describe('service networking', () => {
  it('gives pods cluster-unique IPs from their node podCIDR and spreads 300 requests over 3 nodes', async () => {
    const pods = await readyPods('app=web');
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set([localNode, ...LAB_NODES]));
    const nodes = (await json('get', 'nodes')).items as { metadata: { name: string }; spec: { podCIDR?: string } }[];
    const cidrs = nodes.map((n) => n.spec.podCIDR);
    expect(new Set(cidrs).size).toBe(3);
    for (const pod of pods) {
      const cidr = nodes.find((n) => n.metadata.name === pod.spec.nodeName)!.spec.podCIDR!;
      expect(pod.status.podIP!.split('.').slice(0, 3).join('.')).toBe(cidr.split('.').slice(0, 3).join('.'));
    }

    const answers = await eventually(async () => {
      const result = await requestsFromClient('http://web', 300);
      return result.includes('FAIL') ? undefined : result;
    }, 'web to answer every request', 120_000) as string[];
    expect(answers).toHaveLength(300);
    const counts = tally(answers);
    expect(Object.keys(counts).sort()).toEqual(pods.map((p) => p.metadata.name).sort());
    for (const count of Object.values(counts)) expect(count).toBeGreaterThanOrEqual(60);
  }, 300_000);

  it('sends nothing to a replica that is not ready, and traffic again once it is', async () => {
    const pods = await readyPods('app=web');
    const victim = pods.find((p) => p.spec.nodeName === LAB_NODES[0])!;
    await k('exec', victim.metadata.name, '--', 'rm', '/tmp/ready');
    await eventually(async () => {
      const endpoints = await json('get', 'endpoints', 'web');
      const ready = (endpoints.subsets ?? []).flatMap((s: { addresses?: { ip: string }[] }) => s.addresses ?? []).map((a: { ip: string }) => a.ip);
      return !ready.includes(victim.status.podIP);
    }, 'the victim to leave the ready endpoints', 60_000);
    // The proxies learn it moments after the Endpoints change.
    await eventually(async () => !(await requestsFromClient('http://web', 10)).includes(victim.metadata.name), 'the proxies to drop the victim', 30_000);

    const answers = await requestsFromClient('http://web', 100);
    expect(answers).toHaveLength(100);
    expect(answers).not.toContain('FAIL');
    expect(answers).not.toContain(victim.metadata.name);

    await k('exec', victim.metadata.name, '--', 'touch', '/tmp/ready');
    await eventually(async () => (await requestsFromClient('http://web', 10)).includes(victim.metadata.name), 'traffic to the restored replica', 30_000);
  }, 300_000);

  it('sends traffic to new replicas after a scale-out, without restarting the client', async () => {
    await k('scale', 'deploy/web-1', 'deploy/web-2', '--replicas=2');
    await eventually(async () => (await readyPods('app=web')).length === 5, 'five ready web pods', 180_000);
    const names = (await readyPods('app=web')).map((p) => p.metadata.name).sort();
    await eventually(async () => {
      const seen = new Set(await requestsFromClient('http://web', 50));
      return names.every((name) => seen.has(name));
    }, 'every replica to answer', 60_000);
  }, 300_000);

  it('reaches a Service from the desktop on its annotated 127.0.0.1 port', async () => {
    const address = await eventually(async () => (await json('get', 'svc', 'web')).metadata.annotations?.['kubelab.io/desktop-address'] as string | undefined, 'the desktop address annotation');
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const ports = JSON.parse((await json('get', 'svc', 'web')).metadata.annotations['kubelab.io/desktop-ports']);
    expect(`127.0.0.1:${ports['80']}`).toBe(address);
    const names = (await readyPods('app=web')).map((p) => p.metadata.name);
    const body = await (await fetch(`http://${address}/`)).text();
    expect(names).toContain(body.trim());
  }, 120_000);

  it('resolves a Service created after the client pod started', async () => {
    await apply(`apiVersion: v1
kind: Service
metadata:
  name: late
spec:
  selector: { app: web }
  ports:
    - { port: 8081, targetPort: 8080 }
`);
    const names = (await readyPods('app=web')).map((p) => p.metadata.name);
    const answer = await eventually(async () => {
      const [first] = await requestsFromClient('http://late:8081', 1);
      return first && first !== 'FAIL' ? first : undefined;
    }, 'the late service to answer', 60_000);
    expect(names).toContain(answer);
    // Its qualified names resolve as well.
    const qualified = await requestsFromClient('http://late.default.svc.cluster.local:8081', 1);
    expect(names).toContain(qualified[0]);
  }, 120_000);

  it('serves a pod whose sidecar reads the access log from a shared emptyDir', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: logged
  labels: { app: logged }
spec:
  nodeName: ${LAB_NODES[1]}
  terminationGracePeriodSeconds: 1
  volumes:
    - name: logs
      emptyDir: {}
  containers:
    - name: httpd
      image: kubelab/busybox:test
      command: ['sh', '-c', 'mkdir -p /www && echo logged-page > /www/index.html && exec httpd -f -vv -p 8080 -h /www 2>>/logs/access.log']
      volumeMounts:
        - { name: logs, mountPath: /logs }
    - name: tailer
      image: kubelab/busybox:test
      command: ['sh', '-c', 'touch /logs/access.log; exec tail -f /logs/access.log']
      volumeMounts:
        - { name: logs, mountPath: /logs }
---
apiVersion: v1
kind: Service
metadata:
  name: logged
spec:
  selector: { app: logged }
  ports:
    - { port: 80, targetPort: 8080 }
`);
    await k('wait', '--for=condition=Ready', 'pod/logged', '--timeout=180s');
    const answers = await eventually(async () => {
      const result = await requestsFromClient('http://logged', 3);
      return result.every((line) => line === 'logged-page') ? result : undefined;
    }, 'the logged service to answer', 60_000) as string[];
    expect(answers).toHaveLength(3);
    await eventually(async () => ((await k('logs', 'logged', '-c', 'tailer')).match(/response:200/g)?.length ?? 0) >= 3, 'the sidecar to see the requests', 30_000);
  }, 300_000);

  it('carries UDP: each client socket is a flow to one ready pod, flows spread over pods on other nodes', async () => {
    // busybox has no UDP server or client; the node proxy image (Kubelab's own Node.js image,
    // present on every node) runs both.
    const image = proxyImageRef(await bundleProxyProgram());
    const server = (index: number, node: string) => `apiVersion: v1
kind: Pod
metadata: { name: udp-echo-${index}, labels: { app: udp-echo } }
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: echo
      image: ${image}
      command: ['/node', '-e', ${JSON.stringify("const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(require('os').hostname() + ':' + m, r.port, r.address)); s.bind(5353)")}]
`;
    await apply(
      [
        server(0, LAB_NODES[0]),
        server(1, LAB_NODES[1]),
        `apiVersion: v1
kind: Pod
metadata: { name: udp-client }
spec:
  nodeName: ${localNode}
  terminationGracePeriodSeconds: 1
  containers:
    - name: client
      image: ${image}
      command: ['/node', '-e', 'setInterval(() => {}, 1 << 30)']
`,
        `apiVersion: v1
kind: Service
metadata: { name: udp-echo }
spec:
  selector: { app: udp-echo }
  ports:
    - { name: echo, protocol: UDP, port: 53, targetPort: 5353 }
`,
      ].join('---\n'),
    );
    await k('wait', '--for=condition=Ready', 'pod/udp-echo-0', 'pod/udp-echo-1', 'pod/udp-client', '--timeout=180s');
    const clusterIp = (await k('get', 'svc', 'udp-echo', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    // Twenty flows, one after another, each from a new socket; each sends twice, and both answers come from one pod.
    const client = `const dgram = require('dgram'); const out = [];
const ask = (socket, text) => new Promise((resolve) => { const t = setTimeout(() => resolve('FAIL'), 3000); socket.once('message', (m) => { clearTimeout(t); resolve(String(m)); }); socket.send(text, 53, process.argv[1]); });
(async () => { for (let i = 0; i < 20; i++) { const s = dgram.createSocket('udp4'); const a = await ask(s, 'one'); const b = await ask(s, 'two'); s.close(); out.push(a + ' ' + b); } console.log(out.join('\\n')); })();`;
    const answers = await eventually(async () => {
      const lines = (await k('exec', 'udp-client', '--', '/node', '-e', client, clusterIp)).trim().split('\n');
      return lines.every((line) => !line.includes('FAIL')) ? lines : undefined;
    }, 'twenty UDP flows answered', 90_000);
    for (const line of answers) expect(line).toMatch(/^(udp-echo-[01]):one \1:two$/);
    const perPod = tally(answers.map((line) => line.split(':')[0]));
    expect(Object.keys(perPod).sort()).toEqual(['udp-echo-0', 'udp-echo-1']);
  }, 300_000);
});
