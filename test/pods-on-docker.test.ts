import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containersWithLabels, dockerEvents } from './support/docker-cli.ts';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { inTerminal } from './support/terminal.ts';
import { eventually } from './support/eventually.ts';

// Issue 3 acceptance 1-4 and 8: pods become Docker containers on the local daemon,
// with the behaviour a Kubernetes user expects from a kubelet. Everything goes through
// `kubelab serve` and real kubectl; docker is only used to look from the outside.

let serve: ServeProcess;
let kc: string;
let node: string;
const k = (...args: string[]) => kubectlOk(kc, args);
const apply = (yaml: string) => kubectlOk(kc, ['apply', '-f', '-'], yaml);
const podJson = async (name: string) => JSON.parse(await k('get', 'pod', name, '-o', 'json'));

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab']);
  kc = serve.kubeconfig;
  node = await eventually(async () => {
    const names = (await k('get', 'nodes', '-l', 'kubelab.io/endpoint-kind=local', '-o', 'name')).trim();
    return names ? names.replace('node/', '') : '';
  }, 'the local node to register');
  await k('wait', '--for=condition=Ready', `node/${node}`, '--timeout=60s');
}, 180_000);

afterAll(async () => {
  await kubectl(kc, ['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
  await serve?.stop();
}, 120_000);

const pod = (name: string, spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: NODE
  terminationGracePeriodSeconds: 2
${spec}`;

const applyPod = (name: string, spec: string) => apply(pod(name, spec).replace('NODE', node));

describe('the local node', () => {
  it('registers with the labels, capacity and engine Kubernetes users look for', async () => {
    const n = JSON.parse(await k('get', 'node', node, '-o', 'json'));
    expect(n.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': node, 'kubernetes.io/os': 'linux', 'kubelab.io/endpoint-kind': 'local' });
    expect(['amd64', 'arm64']).toContain(n.metadata.labels['kubernetes.io/arch']);
    expect(Number(n.status.capacity.cpu)).toBeGreaterThan(0);
    expect(n.status.allocatable.pods).toBe('110');
    expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^docker:\/\//);
    expect(n.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    const lease = JSON.parse(await k('get', 'lease', node, '-n', 'kube-node-lease', '-o', 'json'));
    expect(lease.spec.holderIdentity).toBe(node);
  });
});

describe('pods on the local daemon', () => {
  it('runs a two-container pod whose containers share localhost, hostname and an emptyDir', async () => {
    await applyPod('duo', `  containers:
    - name: server
      image: kubelab/busybox:test
      command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && echo from-server > /shared/note && exec httpd -f -p 8080 -h /www']
      volumeMounts: [{ name: shared, mountPath: /shared }]
    - name: client
      image: kubelab/busybox:test
      command: ['sleep', '3600']
      volumeMounts: [{ name: shared, mountPath: /data }]
  volumes:
    - name: shared
      emptyDir: {}
`);
    await k('wait', '--for=condition=Ready', 'pod/duo', '--timeout=90s');
    const served = await eventually(
      () => k('exec', 'duo', '-c', 'client', '--', 'sh', '-c', 'timeout 5 wget -q -O - http://127.0.0.1:8080/'),
      'the client to reach the server on localhost',
    );
    const clientHostname = await k('exec', 'duo', '-c', 'client', '--', 'hostname');
    expect(served.trim()).toBe('duo');
    expect(clientHostname.trim()).toBe('duo');
    expect((await k('exec', 'duo', '-c', 'client', '--', 'cat', '/data/note')).trim()).toBe('from-server');

    const status = await podJson('duo');
    expect(status.status.phase).toBe('Running');
    expect(status.status.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(status.status.containerStatuses.map((c: { name: string; ready: boolean }) => [c.name, c.ready])).toEqual([
      ['client', true],
      ['server', true],
    ]);
    for (const c of status.status.containerStatuses) expect(c.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
  });

  it('passes ConfigMaps and Secrets as env and files, and an edited ConfigMap reaches the running container', async () => {
    await apply(`apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  color: blue
  app.properties: |
    mode=fast
---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
stringData:
  password: s3cret
`);
    await applyPod('configured', `  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sleep', '3600']
      env:
        - name: COLOR
          valueFrom: { configMapKeyRef: { name: app-config, key: color } }
        - name: PASSWORD
          valueFrom: { secretKeyRef: { name: app-secret, key: password } }
        - name: MY_POD
          valueFrom: { fieldRef: { fieldPath: metadata.name } }
      envFrom:
        - prefix: CFG_
          configMapRef: { name: app-config }
      volumeMounts:
        - { name: config, mountPath: /etc/app }
        - { name: secret, mountPath: /etc/secret, readOnly: true }
  volumes:
    - name: config
      configMap: { name: app-config }
    - name: secret
      secret: { secretName: app-secret, defaultMode: 0400 }
`);
    await k('wait', '--for=condition=Ready', 'pod/configured', '--timeout=90s');
    const env = await k('exec', 'configured', '--', 'env');
    expect(env).toContain('COLOR=blue');
    expect(env).toContain('PASSWORD=s3cret');
    expect(env).toContain('MY_POD=configured');
    expect(env).toContain('CFG_color=blue');
    expect((await k('exec', 'configured', '--', 'cat', '/etc/app/app.properties')).trim()).toBe('mode=fast');
    expect(await k('exec', 'configured', '--', 'cat', '/etc/secret/password')).toBe('s3cret');
    expect((await k('exec', 'configured', '--', 'stat', '-c', '%a', '/etc/secret/password')).trim()).toBe('400');

    await k('patch', 'configmap', 'app-config', '--type', 'merge', '-p', '{"data":{"color":"green"}}');
    await eventually(async () => (await k('exec', 'configured', '--', 'cat', '/etc/app/color')).trim() === 'green', 'the edited ConfigMap in the file', 30_000);
  });

  it('a crashing container goes to CrashLoopBackOff with a growing restartCount', async () => {
    await applyPod('crasher', `  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sh', '-c', 'echo about to fail; exit 3']
`);
    const waiting = await eventually(async () => {
      const s = (await podJson('crasher')).status.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s.restartCount >= 2 ? s : undefined;
    }, 'CrashLoopBackOff with two restarts', 90_000);
    expect(waiting.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(waiting.state.waiting.message).toMatch(/back-off \d+s restarting failed container=app pod=crasher_default/);
    const later = await eventually(async () => {
      const s = (await podJson('crasher')).status.containerStatuses[0];
      return s.restartCount > waiting.restartCount ? s : undefined;
    }, 'another restart', 90_000);
    expect(later.restartCount).toBeGreaterThan(waiting.restartCount);
    const events = await k('get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'json');
    expect(JSON.parse(events).items.map((e: { reason: string }) => e.reason)).toContain('BackOff');
    expect((await k('logs', 'crasher', '--previous')).trim()).toBe('about to fail');
  });

  it('a failing liveness probe restarts its container; a readiness probe toggles Ready', async () => {
    await applyPod('probed', `  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sh', '-c', 'touch /tmp/alive; sleep 3600']
      livenessProbe:
        exec: { command: ['test', '-f', '/tmp/alive'] }
        periodSeconds: 1
        failureThreshold: 2
      readinessProbe:
        exec: { command: ['test', '-f', '/tmp/ready'] }
        periodSeconds: 1
`);
    await eventually(async () => (await podJson('probed')).status.containerStatuses?.[0]?.state?.running, 'the probed container to run', 90_000);
    expect((await podJson('probed')).status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('False');
    await k('exec', 'probed', '--', 'touch', '/tmp/ready');
    await k('wait', '--for=condition=Ready', 'pod/probed', '--timeout=30s');
    await k('exec', 'probed', '--', 'rm', '/tmp/ready');
    await k('wait', '--for=condition=Ready=false', 'pod/probed', '--timeout=30s');

    await k('exec', 'probed', '--', 'rm', '/tmp/alive');
    const restarted = await eventually(async () => {
      const s = (await podJson('probed')).status.containerStatuses[0];
      return s.restartCount >= 1 && s.state.running ? s : undefined;
    }, 'a liveness restart', 60_000);
    expect(restarted.restartCount).toBeGreaterThanOrEqual(1);
    const reasons = JSON.parse(await k('get', 'events', '--field-selector', 'involvedObject.name=probed', '-o', 'json')).items.map((e: { reason: string; message: string }) => `${e.reason}: ${e.message}`);
    expect(reasons.some((r: string) => r.startsWith('Unhealthy: Liveness probe failed'))).toBe(true);
    expect(reasons.some((r: string) => r.startsWith('Killing'))).toBe(true);
  });

  it('an image that cannot be pulled shows ErrImagePull then ImagePullBackOff, and other pods keep working', async () => {
    await applyPod('unpullable', `  containers:
    - name: app
      image: kubelab/does-not-exist:1
`);
    await applyPod('bystander', `  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sleep', '3600']
`);
    const seen = new Set<string>();
    let message = '';
    await eventually(async () => {
      const waiting = (await podJson('unpullable')).status.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason) seen.add(waiting.reason);
      if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff') message = waiting.message ?? message;
      return seen.has('ImagePullBackOff');
    }, 'ImagePullBackOff', 90_000);
    expect(message).toContain('kubelab/does-not-exist');
    const events = JSON.parse(await k('get', 'events', '--field-selector', 'involvedObject.name=unpullable', '-o', 'json')).items;
    expect(events.map((e: { reason: string }) => e.reason)).toEqual(expect.arrayContaining(['Pulling', 'Failed']));
    await k('wait', '--for=condition=Ready', 'pod/bystander', '--timeout=60s');
  });

  it('deleting a pod whose process ignores SIGTERM takes its grace period, then its containers are gone', async () => {
    // The process records what it lives through in a hostPath file, which outlasts the pod.
    const trace = await mkdtemp(join(tmpdir(), 'kubelab-grace-'));
    const spec = `  containers:
    - name: app
      image: kubelab/busybox:test
      command: ['sh', '-c', 'trap "echo got-TERM >> /trace/log" TERM; while true; do sleep 1; echo alive >> /trace/log; done']
      volumeMounts: [{ name: trace, mountPath: /trace }]
  volumes:
    - name: trace
      hostPath: { path: ${trace} }
`;
    await apply(pod('stubborn', spec).replace('NODE', node).replace('terminationGracePeriodSeconds: 2', 'terminationGracePeriodSeconds: 3'));
    await k('wait', '--for=condition=Ready', 'pod/stubborn', '--timeout=60s');
    const uid = (await podJson('stubborn')).metadata.uid;
    const [appContainer] = await containersWithLabels({ 'io.kubelab.pod.uid': uid, 'io.kubelab.container.name': 'app' });
    // The daemon's own record of the container's death: killed (137) in the end. --since
    // replays from before the delete, however late the events command connects.
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const events = dockerEvents(['--since', since, '--filter', `container=${appContainer}`, '--filter', 'event=die']);
    await k('delete', 'pod', 'stubborn', '--wait=true', '--timeout=60s');
    const die = await eventually(() => events.lines().map((l) => JSON.parse(l))[0], 'the die event');
    events.stop();
    expect(die.Actor.Attributes.exitCode).toBe('137');
    // It got TERM first and went on living through its grace period before the kill.
    const lines = (await readFile(join(trace, 'log'), 'utf8')).split('\n').filter(Boolean);
    expect(lines).toContain('got-TERM');
    expect(lines.slice(lines.indexOf('got-TERM') + 1)).toContain('alive');
    await rm(trace, { recursive: true, force: true });
    await eventually(async () => (await containersWithLabels({ 'io.kubelab.pod.uid': uid })).length === 0, 'the pod containers to be removed');
    expect((await kubectl(kc, ['get', 'pod', 'stubborn'])).code).not.toBe(0);
  });

  it('kubectl run -i --rm attaches to a new pod\'s shell, feeds it stdin, and deletes the pod after', async () => {
    const result = await kubectl(
      kc,
      ['run', 'reader', '-i', '--rm', '--restart=Never', '--image=kubelab/busybox:test', '--pod-running-timeout=60s', '--', 'sh', '-c', 'read name; echo "hello $name"'],
      'lab\n',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('hello lab');
    await eventually(async () => (await kubectl(kc, ['get', 'pod', 'reader'])).code !== 0, 'the pod to be deleted');
  });

  it('kubectl run -it --rm gives an interactive shell with a terminal, as in every tutorial', async () => {
    const terminal = inTerminal(`kubectl --kubeconfig ${kc} run shell -it --rm --restart=Never --image=kubelab/busybox:test --pod-running-timeout=60s -- sh`);
    try {
      // Typed again until answered: keys pressed before the attach took hold are not the shell's.
      await eventually(async () => {
        if (/answer-42\r?\n/.test(terminal.output()) && /\/dev\/pts\/\d+/.test(terminal.output())) return true;
        terminal.type('echo answer-$((40+2)); tty\n');
        await new Promise((r) => setTimeout(r, 500));
        return false;
      }, 'the shell to answer', 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; kubectl printed ${JSON.stringify(terminal.output())}`);
      });
      terminal.type('exit\n');
      expect(await terminal.exited).toBe(0);
    } finally {
      terminal.stop();
    }
    await eventually(async () => (await kubectl(kc, ['get', 'pod', 'shell'])).code !== 0, 'the pod to be deleted');
  });
});
