import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNotFound } from '../api/errors.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { RestClient } from '../client/rest-client.ts';
import { startTestCluster, type TestCluster } from '../controllers/workload-test-support.ts';
import { applyImport, applyOrder } from './apply-import.ts';
import { planImport, type PlanRow } from './plan-import.ts';
import { splitDocuments } from './split-documents.ts';

// Plan and apply against the real API server (the real resource service, validation and
// strict field decoding) on a temporary store.

const CONFIGMAPS = findByKind('v1', 'ConfigMap') as ResourceInfo;
const DEPLOYMENTS = findByKind('apps/v1', 'Deployment') as ResourceInfo;
const SERVICES = findByKind('v1', 'Service') as ResourceInfo;

let cluster: TestCluster;
let client: RestClient;

beforeAll(async () => {
  cluster = await startTestCluster();
  client = cluster.client;
});

afterAll(() => cluster?.close());

function threeDocuments(namespace: string, replicas: string | number = 2): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: calm
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${namespace}
spec:
  selector: {app: web}
  ports:
  - port: 80
`;
}

async function plan(text: string, namespace: string): Promise<PlanRow[]> {
  return planImport(client, splitDocuments({ name: 'app.yaml', text }), { namespace });
}

async function createNamespace(name: string): Promise<void> {
  await client.create(findByKind('v1', 'Namespace') as ResourceInfo, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

describe('manifest import', () => {
  it('plans three creates, applies them, then re-plans as unchanged and a changed document as update', async () => {
    await createNamespace('shop');
    const rows = await plan(threeDocuments('shop'), 'shop');
    expect(rows.map((row) => [row.kind, row.namespace, row.name, row.action, row.line])).toEqual([
      ['ConfigMap', 'shop', 'settings', 'create', 1],
      ['Deployment', 'shop', 'web', 'create', 8],
      ['Service', 'shop', 'web', 'create', 24],
    ]);
    // The dry run stored nothing.
    await expect(client.get(CONFIGMAPS, 'shop', 'settings')).rejects.toSatisfy(isNotFound);

    const progress: number[] = [];
    const results = await applyImport(client, rows, { onProgress: (_result, done) => progress.push(done) });
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    expect(progress).toEqual([1, 2, 3]);
    expect((await client.get(CONFIGMAPS, 'shop', 'settings')).data).toEqual({ mode: 'calm' });
    expect(((await client.get(DEPLOYMENTS, 'shop', 'web')).spec as { replicas: number }).replicas).toBe(2);
    await client.get(SERVICES, 'shop', 'web');

    const again = await plan(threeDocuments('shop'), 'shop');
    expect(again.map((row) => row.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);

    const changed = await plan(threeDocuments('shop', 4), 'shop');
    expect(changed.map((row) => row.action)).toEqual(['unchanged', 'update', 'unchanged']);
    expect(changed[1].changes).toContain('/spec/replicas');
    const applied = await applyImport(client, changed);
    expect(applied.map((r) => r.outcome)).toEqual(['unchanged', 'updated', 'unchanged']);
    expect(((await client.get(DEPLOYMENTS, 'shop', 'web')).spec as { replicas: number }).replicas).toBe(4);
  });

  it('reports an invalid value with its line and applies nothing from that file, while other files apply', async () => {
    await createNamespace('invalid');
    const documents = [
      ...splitDocuments({ name: 'app.yaml', text: threeDocuments('invalid', '"three"') }),
      ...splitDocuments({ name: 'extra.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  k: v\n' }),
    ];
    const rows = await planImport(client, documents, { namespace: 'invalid' });
    expect(rows.map((row) => row.action)).toEqual(['error', 'error', 'error', 'create']);
    expect(rows[1].error).toMatchObject({ line: 13, field: 'spec.replicas' });
    expect(rows[1].error?.message).toMatch(/must be of type integer/);
    expect(rows[0].error?.message).toMatch(/line 13 of app\.yaml is invalid/);

    const results = await applyImport(client, rows);
    expect(results.map((r) => r.outcome)).toEqual(['skipped', 'skipped', 'skipped', 'created']);
    await expect(client.get(DEPLOYMENTS, 'invalid', 'web')).rejects.toSatisfy(isNotFound);
    await expect(client.get(CONFIGMAPS, 'invalid', 'settings')).rejects.toSatisfy(isNotFound);
    await client.get(CONFIGMAPS, 'invalid', 'extra');
  });

  it('reports an unknown field (strict field validation) at its line', async () => {
    const text = threeDocuments('default').replace('        image: nginx:1.27', '        image: nginx:1.27\n        imagePulPolicy: Always');
    const rows = await plan(text, 'default');
    expect(rows[1].action).toBe('error');
    expect(rows[1].error?.message).toMatch(/unknown field/);
    expect(rows[1].error?.line).toBe(23);
  });

  it('names the apiVersion and kind it does not serve, at the kind line', async () => {
    const rows = await plan('apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n', 'default');
    expect(rows[0].action).toBe('error');
    expect(rows[0].error?.message).toContain('example.com/v1/Widget');
    expect(rows[0].error?.line).toBe(2);
  });

  it('plans objects in a namespace the same import creates, and applies the namespace first', async () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: fresh}
---
apiVersion: v1
kind: Namespace
metadata: {name: fresh}
`;
    const rows = await plan(text, 'default');
    expect(rows.map((row) => row.action)).toEqual(['create', 'create']);
    expect(rows[0].note).toMatch(/fresh/);
    expect(applyOrder(rows).map((row) => row.kind)).toEqual(['Namespace', 'ConfigMap']);
    const results = await applyImport(client, rows);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created']);
    await client.get(CONFIGMAPS, 'fresh', 'c');
  });

  it('keeps applying past a document that fails at apply time and reports it', async () => {
    await createNamespace('racy');
    const rows = await plan(threeDocuments('racy'), 'racy');
    // Something else deletes the namespace between the dry run and the apply.
    const namespaced = rows.map((row) => (row.kind === 'Service' ? { ...row, namespace: 'gone', object: { ...row.object!, metadata: { ...row.object!.metadata, namespace: 'gone' } } } : row));
    const results = await applyImport(client, namespaced);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'failed']);
    expect(results[2].message).toMatch(/gone/);
  });
});
