import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';

// Acceptance 2 of the foundation: bad manifests are refused with the server's
// field-level message, and nothing of the refused document is stored.

let serve: ServeProcess;
let kc: string;

beforeAll(async () => {
  serve = await startServe();
  kc = serve.kubeconfig;
});
afterAll(async () => {
  await serve?.stop();
});

const deployment = (name: string, patch: { replicas?: unknown; image?: string | null; label?: string }) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${patch.label ?? 'ok'}
spec:
  replicas: ${JSON.stringify(patch.replicas ?? 1)}
  selector:
    matchLabels:
      app: x
  template:
    metadata:
      labels:
        app: x
    spec:
      containers:
        - name: main
${patch.image === null ? '' : `          image: ${patch.image ?? 'kubelab/busybox:test'}\n`}`;

async function expectRefused(doc: string, name: string, message: RegExp) {
  const result = await kubectl(kc, ['apply', '-f', '-'], doc);
  expect(result.code, result.stdout).not.toBe(0);
  expect(result.stderr).toMatch(message);
  const lookup = await kubectl(kc, ['get', 'deploy', name]);
  expect(lookup.stderr).toContain(`deployments.apps "${name}" not found`);
}

describe('invalid manifests', () => {
  it('missing image: names the field', async () => {
    await expectRefused(deployment('no-image', { image: null }), 'no-image', /spec\.template\.spec\.containers\[0\]\.image: Required value/);
  });

  it('bad label value: names the field and the rule', async () => {
    await expectRefused(deployment('bad-label', { label: '"-bad value-"' }), 'bad-label', /metadata\.labels: Invalid value: "-bad value-"/);
  });

  it('wrong type: names the field and the expected type', async () => {
    await expectRefused(deployment('wrong-type', { replicas: 'three' }), 'wrong-type', /spec\.replicas.*(integer|int32)/);
  });

  it('unknown kind: kubectl reports there is no such kind and nothing is stored', async () => {
    const result = await kubectl(kc, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: f\n');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no matches for kind "Frobnicator" in version "v1"/);
  });

  it('a multi-document file stores the valid documents and none of the invalid one', async () => {
    const file = `${deployment('good-one', {})}---\n${deployment('bad-one', { image: null })}`;
    const result = await kubectl(kc, ['apply', '-f', '-'], file);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('deployment.apps/good-one created');
    expect(result.stderr).toMatch(/containers\[0\]\.image: Required value/);
    expect(await kubectlOk(kc, ['get', 'deploy', '-o', 'name'])).toBe('deployment.apps/good-one\n');
  });

  it('a typo in a field name: apply refuses it (Strict), --validate=warn stores the object without it', async () => {
    const typo = deployment('typo', {}).replace('  replicas: 1', '  replica: 1').replace('          image:', '          imagePullPolcy: Never\n          image:');
    await expectRefused(typo, 'typo', /strict decoding error: unknown field "spec\.replica", unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolcy"/);
    const warned = await kubectl(kc, ['apply', '--validate=warn', '-f', '-'], typo);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "spec.replica"');
    const stored = JSON.parse(await kubectlOk(kc, ['get', 'deploy', 'typo', '-o', 'json']));
    expect(stored.spec.replica).toBeUndefined();
    expect(stored.spec.template.spec.containers[0].imagePullPolcy).toBeUndefined();
  });

  it('a server-side dry run validates without storing', async () => {
    const bad = await kubectl(kc, ['apply', '--dry-run=server', '-f', '-'], deployment('dry-bad', { image: null }));
    expect(bad.stderr).toMatch(/image: Required value/);
    const good = await kubectlOk(kc, ['apply', '--dry-run=server', '-f', '-'], deployment('dry-good', {}));
    expect(good).toContain('deployment.apps/dry-good created (server dry run)');
    expect((await kubectl(kc, ['get', 'deploy', 'dry-good'])).code).not.toBe(0);
  });
});
