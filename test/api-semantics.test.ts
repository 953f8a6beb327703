import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../core/apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../core/apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../core/apiserver/resource-service.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { apiRequest, type RawResponse } from './support/api-request.ts';
import { tempDataDir } from './support/kubelab-serve.ts';

// The API's Kubernetes semantics over real HTTP, one behaviour per test: subresources,
// generations, dry runs, bindings, finalizers, paging, selectors, and the Status
// bodies of every error class.

const TOKEN = 'semantics-test-token-0123456789abcdef';
let store: LowdbStore;
let server: RunningApiServer;

beforeAll(async () => {
  store = new LowdbStore({ file: join(await tempDataDir(), 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  server = await startApiServer({ store, token: TOKEN, watch: { bookmarkIntervalMs: 200 } });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  apiRequest(server.url, method, path, { token: TOKEN, body, headers });

function expectStatus(res: RawResponse, code: number, reason: string) {
  expect(res.status, res.body).toBe(code);
  const status = res.json();
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  return status;
}

const deployment = (name: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'kubelab/busybox:test' }] } },
  },
});
const deployments = '/apis/apps/v1/namespaces/default/deployments';

describe('status and spec', () => {
  it('the main resource ignores status; the status subresource changes only status', async () => {
    const created = (await call('POST', deployments, { ...deployment('split'), status: { replicas: 99 } })).json();
    expect(created.status).toEqual({});
    expect(created.metadata.generation).toBe(1);

    const withStatus = { ...created, status: { replicas: 3, readyReplicas: 2 }, spec: { ...created.spec, replicas: 7 } };
    const statusWrite = (await call('PUT', `${deployments}/split/status`, withStatus)).json();
    expect(statusWrite.status).toEqual({ replicas: 3, readyReplicas: 2 });
    expect(statusWrite.spec.replicas).toBe(1);
    expect(statusWrite.metadata.generation).toBe(1);

    const specWrite = (await call('PUT', `${deployments}/split`, { ...statusWrite, status: {}, spec: { ...statusWrite.spec, replicas: 4 } })).json();
    expect(specWrite.spec.replicas).toBe(4);
    expect(specWrite.status).toEqual({ replicas: 3, readyReplicas: 2 });
    expect(specWrite.metadata.generation).toBe(2);

    const labelOnly = (await call('PATCH', `${deployments}/split`, { metadata: { labels: { extra: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' })).json();
    expect(labelOnly.metadata.generation).toBe(2);
  });

  it('the scale subresource reads and writes replicas', async () => {
    const scale = (await call('GET', `${deployments}/split/scale`)).json();
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 4 }, status: { selector: 'app=split' } });
    const put = await call('PUT', `${deployments}/split/scale`, { ...scale, spec: { replicas: 6 } });
    expect(put.json().spec.replicas).toBe(6);
    const stale = await call('PUT', `${deployments}/split/scale`, { ...scale, spec: { replicas: 2 } });
    expectStatus(stale, 409, 'Conflict');
    const negative = await call('PATCH', `${deployments}/split/scale`, { spec: { replicas: -1 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(expectStatus(negative, 422, 'Invalid').details.causes[0].field).toBe('spec.replicas');
    expect((await call('GET', `${deployments}/split`)).json().spec.replicas).toBe(6);
  });
});

describe('dry runs', () => {
  it('dryRun=All validates and answers but stores nothing, for every verb', async () => {
    const created = await call('POST', `${deployments}?dryRun=All`, deployment('ghost'));
    expect(created.status).toBe(201);
    expect(created.json().spec.strategy.type).toBe('RollingUpdate');
    expect((await call('GET', `${deployments}/ghost`)).status).toBe(404);

    const current = (await call('GET', `${deployments}/split`)).json();
    const updated = await call('PUT', `${deployments}/split?dryRun=All`, { ...current, spec: { ...current.spec, replicas: 42 } });
    expect(updated.json().spec.replicas).toBe(42);
    const patched = await call('PATCH', `${deployments}/split?dryRun=All`, { spec: { replicas: 43 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(patched.json().spec.replicas).toBe(43);
    expect((await call('DELETE', `${deployments}/split?dryRun=All`)).status).toBe(200);
    const after = (await call('GET', `${deployments}/split`)).json();
    expect(after.spec.replicas).toBe(6);
    expect(after.metadata.resourceVersion).toBe(current.metadata.resourceVersion);

    expectStatus(await call('POST', `${deployments}?dryRun=Maybe`, deployment('ghost')), 400, 'BadRequest');
  });
});

describe('pods/binding', () => {
  it('binds once and refuses a second binding', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'bindme' }, spec: { containers: [{ name: 'c', image: 'kubelab/busybox:test' }] } });
    const bound = await call('POST', '/api/v1/namespaces/default/pods/bindme/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'node-a' } });
    expect(bound.status).toBe(201);
    const pod = (await call('GET', '/api/v1/namespaces/default/pods/bindme')).json();
    expect(pod.spec.nodeName).toBe('node-a');
    expect(pod.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const again = await call('POST', '/api/v1/namespaces/default/pods/bindme/binding', { metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'node-b' } });
    expect(expectStatus(again, 409, 'Conflict').message).toContain('already assigned to node "node-a"');
  });

  it('deleting a pod bound to a node is graceful: marked, then removed with grace 0', async () => {
    const marked = await call('DELETE', '/api/v1/namespaces/default/pods/bindme');
    expect(marked.status).toBe(200);
    expect(marked.json().metadata.deletionTimestamp).toBeDefined();
    expect(marked.json().metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await call('GET', '/api/v1/namespaces/default/pods/bindme')).status).toBe(200);
    const removed = await call('DELETE', '/api/v1/namespaces/default/pods/bindme', { gracePeriodSeconds: 0 });
    expect(removed.json()).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await call('GET', '/api/v1/namespaces/default/pods/bindme')).status).toBe(404);
  });
});

describe('finalizers and preconditions', () => {
  it('an object with finalizers is marked, and goes when the last finalizer is removed', async () => {
    const cm = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'held', finalizers: ['kubelab.dev/hold'] } })).json();
    const marked = (await call('DELETE', '/api/v1/namespaces/default/configmaps/held')).json();
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    const addMore = await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: ['kubelab.dev/hold', 'kubelab.dev/more'] } }, { 'Content-Type': 'application/merge-patch+json' });
    expectStatus(addMore, 422, 'Invalid');
    await call('PATCH', '/api/v1/namespaces/default/configmaps/held', [{ op: 'remove', path: '/metadata/finalizers' }], { 'Content-Type': 'application/json-patch+json' });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/held')).status).toBe(404);
    void cm;
  });

  it('delete preconditions on uid and resourceVersion', async () => {
    const cm = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'guarded' } })).json();
    expectStatus(await call('DELETE', '/api/v1/namespaces/default/configmaps/guarded', { preconditions: { uid: 'not-the-uid' } }), 409, 'Conflict');
    expectStatus(await call('DELETE', '/api/v1/namespaces/default/configmaps/guarded', { preconditions: { resourceVersion: '1' } }), 409, 'Conflict');
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/guarded', { preconditions: { uid: cm.metadata.uid } })).status).toBe(200);
  });
});

describe('lists', () => {
  it('pages with limit/continue, selects by label and field', async () => {
    for (let i = 0; i < 7; i++) await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `page-${i}`, labels: { set: 'paging', odd: String(i % 2 === 1) } } });
    const names: string[] = [];
    let token = '';
    do {
      const page = (await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=set%3Dpaging&limit=3${token ? `&continue=${token}` : ''}`)).json();
      names.push(...page.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      token = page.metadata.continue ?? '';
    } while (token);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    // Without a selector the server also says how many items remain.
    const first = (await call('GET', '/api/v1/namespaces/default/configmaps?limit=2')).json();
    expect(first.metadata.remainingItemCount).toBeGreaterThan(0);
    const odd = (await call('GET', `/api/v1/namespaces/default/configmaps?labelSelector=${encodeURIComponent('set=paging,odd in (true)')}`)).json();
    expect(odd.items).toHaveLength(3);
    const byName = (await call('GET', '/api/v1/configmaps?fieldSelector=metadata.name%3Dpage-4')).json();
    expect(byName.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace)).toEqual(['default']);
    expectStatus(await call('GET', '/api/v1/configmaps?fieldSelector=spec.color%3Dred'), 400, 'BadRequest');
    expectStatus(await call('GET', '/api/v1/configmaps?labelSelector=a%20in%20(b'), 400, 'BadRequest');
    expectStatus(await call('GET', '/api/v1/configmaps?continue=garbage!!'), 400, 'BadRequest');
  });

  it('deletecollection removes what the selector matches and nothing else', async () => {
    const res = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=odd%3Dtrue');
    expect(res.json().items).toHaveLength(3);
    const left = (await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=set%3Dpaging')).json();
    expect(left.items).toHaveLength(4);
  });

  it('serves tables for nodes, replicasets and pods, and metadata-only lists', async () => {
    await call('POST', '/api/v1/nodes', { metadata: { name: 'node-a', labels: { 'node-role.kubernetes.io/control-plane': '' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0-kubelab' } } });
    const table = (await call('GET', '/api/v1/nodes', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })).json();
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
    expect(table.rows[0].cells.slice(0, 3)).toEqual(['node-a', 'Ready', 'control-plane']);
    const rsTable = (await call('GET', '/apis/apps/v1/replicasets', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })).json();
    expect(rsTable.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age']);
    const meta = (await call('GET', '/api/v1/nodes', undefined, { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' })).json();
    expect(meta.kind).toBe('PartialObjectMetadataList');
    expect(meta.items[0]).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'node-a' }) });
    expectStatus(await call('GET', '/api/v1/nodes', undefined, { Accept: 'application/vnd.kubernetes.protobuf' }), 406, 'NotAcceptable');
  });
});

describe('watch', () => {
  it('sends bookmarks, and ADDED/DELETED as objects enter and leave a selector', async () => {
    const rv = (await call('GET', '/api/v1/namespaces/default/configmaps')).json().metadata.resourceVersion;
    const watching = call('GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&labelSelector=color%3Dblue&timeoutSeconds=2`);
    await new Promise((r) => setTimeout(r, 300));
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'chameleon', labels: { color: 'red' } } });
    await call('PATCH', '/api/v1/namespaces/default/configmaps/chameleon', { metadata: { labels: { color: 'blue' } } }, { 'Content-Type': 'application/merge-patch+json' });
    await call('PATCH', '/api/v1/namespaces/default/configmaps/chameleon', { data: { a: 'b' } }, { 'Content-Type': 'application/merge-patch+json' });
    await call('PATCH', '/api/v1/namespaces/default/configmaps/chameleon', { metadata: { labels: { color: 'green' } } }, { 'Content-Type': 'application/merge-patch+json' });
    const events = (await watching).body.trim().split('\n').map((l) => JSON.parse(l));
    const changes = events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.labels.color}`);
    expect(changes).toEqual(['ADDED blue', 'MODIFIED blue', 'DELETED green']);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: expect.any(String) } });
  });
});

describe('errors are Kubernetes Status bodies', () => {
  it('400 for malformed JSON, 404 for unknown objects and resources, 405, 409 AlreadyExists, 415, 422 with causes', async () => {
    expectStatus(await call('POST', '/api/v1/namespaces/default/configmaps', '{not json'), 400, 'BadRequest');
    expect(expectStatus(await call('GET', '/api/v1/namespaces/default/configmaps/nope'), 404, 'NotFound').message).toBe('configmaps "nope" not found');
    expectStatus(await call('GET', '/api/v1/namespaces/default/frobs'), 404, 'NotFound');
    expectStatus(await call('POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'x' } }), 404, 'NotFound');
    expectStatus(await call('POST', '/api/v1/namespaces/default/configmaps/x', { metadata: { name: 'x' } }), 405, 'MethodNotAllowed');
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'twice' } });
    expect(expectStatus(await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'twice' } }), 409, 'AlreadyExists').message).toBe('configmaps "twice" already exists');
    expectStatus(await call('PATCH', '/api/v1/namespaces/default/configmaps/twice', 'a: b', { 'Content-Type': 'text/plain' }), 415, 'UnsupportedMediaType');
    const invalid = expectStatus(await call('POST', deployments, { ...deployment('bad'), spec: { ...deployment('bad').spec, replicas: -2 } }), 422, 'Invalid');
    expect(invalid.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.replicas' }));
    expect(invalid.message).toMatch(/^Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -2/);
    expectStatus(await call('POST', deployments, { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'x' } }), 400, 'BadRequest');
    expectStatus(await call('DELETE', '/api/v1/namespaces/kube-system'), 403, 'Forbidden');
  });

  it('a stale update is 409 Conflict and changes nothing', async () => {
    const cm = (await call('GET', '/api/v1/namespaces/default/configmaps/twice')).json();
    await call('PUT', '/api/v1/namespaces/default/configmaps/twice', { ...cm, data: { first: 'yes' } });
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/twice', { ...cm, data: { second: 'yes' } });
    expectStatus(stale, 409, 'Conflict');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/twice')).json().data).toEqual({ first: 'yes' });
  });
});

describe('deletion propagation', () => {
  const cms = '/api/v1/namespaces/default/configmaps';
  const removeFinalizers = (name: string) =>
    call('PATCH', `${cms}/${name}`, [{ op: 'remove', path: '/metadata/finalizers' }], { 'Content-Type': 'application/json-patch+json' });

  it('Orphan and Foreground hold the object with the garbage collector finalizer; Background deletes now', async () => {
    for (const [name, policy, finalizer] of [['orphaned', 'Orphan', 'orphan'], ['foreground', 'Foreground', 'foregroundDeletion']]) {
      await call('POST', cms, { metadata: { name } });
      const marked = (await call('DELETE', `${cms}/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy })).json();
      expect(marked.metadata.finalizers).toEqual([finalizer]);
      expect(marked.metadata.deletionTimestamp).toBeDefined();
      expect((await call('GET', `${cms}/${name}`)).status).toBe(200);
      await removeFinalizers(name);
      expect((await call('GET', `${cms}/${name}`)).status).toBe(404);
    }
    await call('POST', cms, { metadata: { name: 'background' } });
    expect((await call('DELETE', `${cms}/background`, { propagationPolicy: 'Background' })).json()).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await call('GET', `${cms}/background`)).status).toBe(404);
  });

  it('legacy orphanDependents, a policy in the query, and a later delete switching the policy', async () => {
    await call('POST', cms, { metadata: { name: 'legacy', finalizers: ['kubelab.dev/hold'] } });
    const legacy = (await call('DELETE', `${cms}/legacy`, { orphanDependents: true })).json();
    expect(legacy.metadata.finalizers).toEqual(['kubelab.dev/hold', 'orphan']);
    const switched = (await call('DELETE', `${cms}/legacy?propagationPolicy=Foreground`)).json();
    expect(switched.metadata.finalizers).toEqual(['kubelab.dev/hold', 'foregroundDeletion']);
    const unchanged = (await call('DELETE', `${cms}/legacy`)).json();
    expect(unchanged.metadata.finalizers).toEqual(['kubelab.dev/hold', 'foregroundDeletion']);
    await call('PATCH', `${cms}/legacy`, { metadata: { finalizers: ['foregroundDeletion'] } }, { 'Content-Type': 'application/merge-patch+json' });
    // Background drops the collector's finalizer; with none left the object goes.
    expect((await call('DELETE', `${cms}/legacy`, { propagationPolicy: 'Background' })).json()).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await call('GET', `${cms}/legacy`)).status).toBe(404);
    expectStatus(await call('DELETE', `${cms}/legacy`, { orphanDependents: false, propagationPolicy: 'Background' }), 400, 'BadRequest');
  });
});

describe('namespaces', () => {
  it('deleting a namespace marks it Terminating until finalize empties spec.finalizers', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'scratch' } });
    await call('POST', '/api/v1/namespaces/scratch/configmaps', { metadata: { name: 'a' } });
    const terminating = (await call('DELETE', '/api/v1/namespaces/scratch', { propagationPolicy: 'Background' })).json();
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    expect(terminating.status.phase).toBe('Terminating');
    expect(terminating.spec.finalizers).toEqual(['kubernetes']);
    const ns = (await call('GET', '/api/v1/namespaces/scratch')).json();
    expect(ns.status.phase).toBe('Terminating');
    // The content stays for the namespace controller; new content is refused.
    expect((await call('GET', '/api/v1/namespaces/scratch/configmaps/a')).status).toBe(200);
    expectStatus(await call('POST', '/api/v1/namespaces/scratch/configmaps', { metadata: { name: 'b' } }), 403, 'Forbidden');
    expectStatus(await call('DELETE', '/api/v1/namespaces/scratch'), 409, 'Conflict');
    // Updates of a terminating namespace keep it.
    await call('PUT', '/api/v1/namespaces/scratch/status', { ...ns, status: { ...ns.status, conditions: [{ type: 'NamespaceContentRemaining', status: 'True' }] } });
    expect((await call('GET', '/api/v1/namespaces/scratch')).status).toBe(200);
    expectStatus(await call('GET', '/api/v1/namespaces/scratch/finalize'), 405, 'MethodNotAllowed');

    const finalized = await call('PUT', '/api/v1/namespaces/scratch/finalize', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' }, spec: { finalizers: [] } });
    expect(finalized.status, finalized.body).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/scratch')).status).toBe(404);
  });

  it('finalize on a live namespace only replaces spec.finalizers', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'kept', labels: { a: 'b' } } });
    const res = (await call('PUT', '/api/v1/namespaces/kept/finalize', { metadata: { name: 'kept', labels: {} }, spec: { finalizers: ['example.com/x'] } })).json();
    expect(res.spec.finalizers).toEqual(['example.com/x']);
    expect(res.metadata.labels).toMatchObject({ a: 'b' });
    expect(res.status.phase).toBe('Active');
  });
});
