import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { kubectl, kubectlOk, kubectlStream } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Acceptance 1 of the foundation: the everyday kubectl workflow against `kubelab serve`.

const manifest = (mode: string, withDebug: boolean) => `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
data:
  color: blue
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: shop
stringData:
  password: s3cret
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    tier: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        tier: web
    spec:
      containers:
        - name: web
          image: kubelab/busybox:test
          env:
            - name: MODE
              value: ${mode}
${withDebug ? '            - name: DEBUG\n              value: "1"\n' : ''}---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
`;

let serve: ServeProcess;
let kc: string;
const k = (...args: string[]) => kubectlOk(kc, args);
const json = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json'));

beforeAll(async () => {
  serve = await startServe();
  kc = serve.kubeconfig;
});
afterAll(async () => {
  await serve?.stop();
});

describe('kubectl against kubelab serve', () => {
  it('lists the system namespaces', async () => {
    const out = await k('get', 'ns', '-o', 'name');
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
  });

  it('applies a multi-document file, then a changed one with a three-way merge', async () => {
    const created = await kubectlOk(kc, ['apply', '-f', '-'], manifest('blue', true));
    expect(created).toContain('namespace/shop created');
    expect(created).toContain('configmap/web-config created');
    expect(created).toContain('secret/web-secret created');
    expect(created).toContain('deployment.apps/web created');
    expect(created).toContain('service/web created');

    const secret = await json('get', 'secret', 'web-secret', '-n', 'shop');
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('s3cret');
    expect(secret.stringData).toBeUndefined();

    // A change made by another client must survive the next apply (three-way merge).
    await k('annotate', 'deploy', 'web', '-n', 'shop', 'team=payments');
    const before = await json('get', 'deploy', 'web', '-n', 'shop');

    const updated = await kubectlOk(kc, ['apply', '-f', '-'], manifest('green', false));
    expect(updated).toContain('deployment.apps/web configured');
    expect(updated).toContain('configmap/web-config unchanged');
    expect(updated).toContain('service/web unchanged');

    const after = await json('get', 'deploy', 'web', '-n', 'shop');
    expect(after.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'green' }]);
    expect(after.metadata.annotations.team).toBe('payments');
    expect(after.spec.replicas).toBe(2);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(after.metadata.uid).toBe(before.metadata.uid);
  });

  it('prints kubectl columns from server-side tables', async () => {
    const out = await k('get', 'deploy,svc,cm', '-n', 'shop');
    expect(out).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    expect(out).toMatch(/deployment\.apps\/web\s+\d\/2\s+\d\s+\d\s+\d+s/);
    expect(out).toMatch(/NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
    expect(out).toMatch(/service\/web\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP/);
    expect(out).toMatch(/configmap\/web-config\s+1\s+\d+s/);
  });

  it('round-trips -o yaml: replacing an object with its own yaml changes nothing', async () => {
    // A kind no controller writes to, created without apply (so kubectl replace has no
    // last-applied annotation to rewrite): what get -o yaml prints, replace takes back unchanged.
    const created = await kubectlOk(kc, ['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: roundtrip\n  namespace: shop\n  labels: {app: web}\n  annotations: {note: keep}\ndata:\n  a: "1"\n  b: two\n');
    expect(created).toContain('configmap/roundtrip created');
    const yaml = await k('get', 'cm', 'roundtrip', '-n', 'shop', '-o', 'yaml');
    const parsed = parseYaml(yaml);
    expect(parsed).toMatchObject({ kind: 'ConfigMap', data: { a: '1', b: 'two' }, metadata: { labels: { app: 'web' }, annotations: { note: 'keep' } } });
    const replaced = await kubectlOk(kc, ['replace', '-f', '-'], yaml);
    expect(replaced).toContain('configmap/roundtrip replaced');
    const again = parseYaml(await k('get', 'cm', 'roundtrip', '-n', 'shop', '-o', 'yaml'));
    expect(again).toEqual(parsed);
    // The defaulted Deployment reads back with Kubernetes' defaults filled in.
    const deploy = parseYaml(await k('get', 'deploy', 'web', '-n', 'shop', '-o', 'yaml'));
    expect(deploy.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: 'kubelab/busybox:test', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
  });

  it('filters pods with set-based label selectors', async () => {
    // Their own namespace: the Deployment's pods in `shop` carry tier=web too.
    await k('create', 'namespace', 'labels');
    const pods = [
      ['web-1', 'tier=web'],
      ['api-1', 'tier=api'],
      ['db-1', 'tier=db'],
      ['web-canary', 'tier=web,canary=true'],
      ['nolabel', ''],
    ];
    for (const [name, labels] of pods) {
      await k('run', name, '-n', 'labels', '--image', 'kubelab/busybox:test', '--restart', 'Never', ...(labels ? ['--labels', labels] : []), '--', 'sleep', '3600');
    }
    const out = await k('get', 'pods', '-n', 'labels', '-l', 'tier in (web,api),!canary', '-o', 'name');
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['pod/api-1', 'pod/web-1']);
    const table = await k('get', 'pods', '-n', 'labels', '-l', 'tier=db');
    expect(table).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(table).toMatch(/db-1\s+\d\/1\s+\S+\s+0\s+\d+s/);
  });

  it('labels, annotates, patches (merge, json, strategic), scales and deletes', async () => {
    await k('label', 'cm', 'web-config', '-n', 'shop', 'stage=prod');
    await k('annotate', 'cm', 'web-config', '-n', 'shop', 'owner=alice');
    let cm = await json('get', 'cm', 'web-config', '-n', 'shop');
    expect(cm.metadata.labels.stage).toBe('prod');
    expect(cm.metadata.annotations.owner).toBe('alice');
    await k('label', 'cm', 'web-config', '-n', 'shop', 'stage-');
    cm = await json('get', 'cm', 'web-config', '-n', 'shop');
    expect(cm.metadata.labels?.stage).toBeUndefined();

    await k('patch', 'cm', 'web-config', '-n', 'shop', '--type', 'merge', '-p', '{"data":{"size":"xl","color":null}}');
    cm = await json('get', 'cm', 'web-config', '-n', 'shop');
    expect(cm.data).toEqual({ size: 'xl' });

    await k('patch', 'cm', 'web-config', '-n', 'shop', '--type', 'json', '-p', '[{"op":"add","path":"/data/shape","value":"round"},{"op":"remove","path":"/data/size"}]');
    cm = await json('get', 'cm', 'web-config', '-n', 'shop');
    expect(cm.data).toEqual({ shape: 'round' });

    // Strategic merge: containers merge by name, so the sidecar is added (first, as
    // Kubernetes places patch elements) and `web` is kept.
    await k('patch', 'deploy', 'web', '-n', 'shop', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"kubelab/busybox:test"}]}}}}');
    const deploy = await json('get', 'deploy', 'web', '-n', 'shop');
    expect(deploy.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['sidecar', 'web']);

    expect(await k('scale', 'deploy/web', '-n', 'shop', '--replicas=4')).toContain('deployment.apps/web scaled');
    expect((await json('get', 'deploy', 'web', '-n', 'shop')).spec.replicas).toBe(4);

    expect(await k('delete', 'cm', 'web-config', '-n', 'shop')).toContain('configmap "web-config" deleted');
    const gone = await kubectl(kc, ['get', 'cm', 'web-config', '-n', 'shop']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('configmaps "web-config" not found');
  });

  it('kubectl create and run (typed clients sending protobuf bodies) work', async () => {
    await k('create', 'namespace', 'typed');
    await k('create', 'configmap', 'settings', '-n', 'typed', '--from-literal=mode=fast');
    await k('create', 'secret', 'generic', 'creds', '-n', 'typed', '--from-literal=password=hunter2');
    await k('create', 'deployment', 'api', '-n', 'typed', '--image=kubelab/busybox:test', '--replicas=3', '--port=8080');
    await k('create', 'job', 'once', '-n', 'typed', '--image=kubelab/busybox:test', '--', 'echo', 'hi');
    await k('create', 'cronjob', 'tick', '-n', 'typed', '--image=kubelab/busybox:test', '--schedule=*/5 * * * *', '--', 'date');
    await k('create', 'service', 'clusterip', 'api', '-n', 'typed', '--tcp=80:8080');
    await k('create', 'serviceaccount', 'robot', '-n', 'typed');
    await k('run', 'solo', '-n', 'typed', '--image=kubelab/busybox:test', '--env=GREETING=hello', '--labels=tier=web', '--', 'sleep', '3600');

    expect((await json('get', 'cm', 'settings', '-n', 'typed')).data).toEqual({ mode: 'fast' });
    expect(Buffer.from((await json('get', 'secret', 'creds', '-n', 'typed')).data.password, 'base64').toString()).toBe('hunter2');
    const api = await json('get', 'deploy', 'api', '-n', 'typed');
    expect(api.spec.replicas).toBe(3);
    expect(api.spec.template.spec.containers[0]).toMatchObject({ image: 'kubelab/busybox:test', ports: [{ containerPort: 8080, protocol: 'TCP' }] });
    expect((await json('get', 'job', 'once', '-n', 'typed')).spec.template.spec.containers[0].command).toEqual(['echo', 'hi']);
    expect((await json('get', 'cronjob', 'tick', '-n', 'typed')).spec.schedule).toBe('*/5 * * * *');
    expect((await json('get', 'svc', 'api', '-n', 'typed')).spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080 });
    expect((await json('get', 'sa', 'robot', '-n', 'typed')).metadata.name).toBe('robot');
    const solo = await json('get', 'pod', 'solo', '-n', 'typed');
    expect(solo.metadata.labels).toEqual({ tier: 'web' });
    expect(solo.spec.containers[0]).toMatchObject({ env: [{ name: 'GREETING', value: 'hello' }], args: ['sleep', '3600'] });
  });

  it("kubectl explain shows Kubernetes' own field documentation", async () => {
    const strategy = await kubectlOk(kc, ['explain', 'deployment.spec.strategy']);
    expect(strategy).toMatch(/FIELD:\s+strategy <DeploymentStrategy>/);
    expect(strategy).toContain('The deployment strategy to use to replace existing pods with new ones.');
    expect(strategy).toMatch(/rollingUpdate\s+<RollingUpdateDeployment>/);
    const limits = await kubectlOk(kc, ['explain', 'pod.spec.containers.resources.limits']);
    expect(limits).toContain('FIELD: limits <map[string]Quantity>');
    expect(await kubectlOk(kc, ['explain', 'svc.spec.ports.targetPort'])).toContain('FIELD: targetPort <IntOrString>');
    const recursive = await kubectlOk(kc, ['explain', 'cronjob', '--recursive']);
    expect(recursive).toMatch(/schedule\s+<string> -required-/);
  });

  it('kubectl auth can-i and auth whoami answer for the one user, the token holder', async () => {
    expect((await kubectlOk(kc, ['auth', 'can-i', 'delete', 'nodes'])).trim()).toBe('yes');
    expect((await kubectlOk(kc, ['auth', 'can-i', '--list'])).split('\n')[1]).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
    const whoami = await kubectlOk(kc, ['auth', 'whoami']);
    expect(whoami).toMatch(/Username\s+kubelab-admin/);
    expect(whoami).toMatch(/Groups\s+\[system:masters system:authenticated\]/);
  });

  it('get -w prints a change made by another client', async () => {
    // kubectl prints the header with the first row, so the list must not be empty.
    await kubectlOk(kc, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: early-bird\n  namespace: shop\n');
    const watch = kubectlStream(kc, ['get', 'cm', '-n', 'shop', '-w']);
    try {
      await eventually(() => watch.output().includes('early-bird'), 'the first watch rows');
      await kubectlOk(kc, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late-arrival\n  namespace: shop\ndata:\n  a: b\n');
      await eventually(() => watch.output().includes('late-arrival'), `late-arrival in the watch output (got: ${watch.output()} ${watch.errors()})`);
    } finally {
      watch.stop();
    }
  });
});
