import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByPlural, type ResourceInfo } from '../api/resource-catalog.ts';
import { RestClient, type WatchEvent } from './rest-client.ts';
import { TestApiServer } from './test-api-server.ts';

const pods = findByPlural('', 'v1', 'pods')!;
const nodes = findByPlural('', 'v1', 'nodes')!;
const namespaces = findByPlural('', 'v1', 'namespaces')!;
const deployments = findByPlural('apps', 'v1', 'deployments')!;

function pod(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
}

async function catchError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

let server: TestApiServer;
let client: RestClient;

beforeEach(async () => {
  server = await TestApiServer.start({ token: 'secret' });
  client = new RestClient({ server: server.url, token: 'secret' });
});

afterEach(async () => {
  await server.close();
});

function lastRequest() {
  return server.requests.at(-1)!;
}

describe('RestClient paths', () => {
  it('builds namespaced, all-namespaces, cluster-scoped and group paths', async () => {
    server.put(pods, pod('team', 'web'));
    server.put(nodes, { metadata: { name: 'node-1' } });
    server.put(namespaces, { metadata: { name: 'team' } });
    server.put(deployments, { metadata: { namespace: 'team', name: 'api' }, spec: { replicas: 1 } });

    await client.get(pods, 'team', 'web');
    expect(lastRequest().path).toBe('/api/v1/namespaces/team/pods/web');
    await client.list(pods, { namespace: 'team' });
    expect(lastRequest().path).toBe('/api/v1/namespaces/team/pods');
    await client.list(pods);
    expect(lastRequest().path).toBe('/api/v1/pods');
    await client.get(nodes, undefined, 'node-1');
    expect(lastRequest().path).toBe('/api/v1/nodes/node-1');
    // A namespace passed for a cluster-scoped kind is ignored, as kubectl does.
    await client.list(nodes, { namespace: 'team' });
    expect(lastRequest().path).toBe('/api/v1/nodes');
    await client.get(namespaces, undefined, 'team');
    expect(lastRequest().path).toBe('/api/v1/namespaces/team');
    await client.get(deployments, 'team', 'api');
    expect(lastRequest().path).toBe('/apis/apps/v1/namespaces/team/deployments/api');
  });

  it('refuses an object path for a namespaced kind without a namespace', async () => {
    const error = await catchError(client.get(pods, undefined, 'web'));
    expect(error.code).toBe(400);
    expect(server.requests).toHaveLength(0);
  });

  it('sends the bearer token and user agent', async () => {
    const named = new RestClient({ server: server.url, token: 'secret', userAgent: 'kubelab-test' });
    await named.list(pods);
    expect(lastRequest().headers.authorization).toBe('Bearer secret');
    expect(lastRequest().headers['user-agent']).toBe('kubelab-test');
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const counting = new RestClient({
      server: server.url,
      token: 'secret',
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await counting.list(pods, { namespace: 'a' });
    expect(seen).toEqual([`${server.url}/api/v1/namespaces/a/pods`]);
  });
});

describe('RestClient reads', () => {
  it('lists with selectors, fills kind/apiVersion on items and reports the resourceVersion', async () => {
    server.put(pods, pod('a', 'one', { app: 'web' }));
    server.put(pods, pod('a', 'two', { app: 'db' }));
    const result = await client.list(pods, { namespace: 'a', labelSelector: 'app=web', fieldSelector: 'spec.nodeName=' });
    expect(result.items.map((p) => p.metadata.name)).toEqual(['one']);
    expect(result.items[0]).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    expect(result.resourceVersion).toBe(server.resourceVersion());
    expect(lastRequest().query.get('labelSelector')).toBe('app=web');
    expect(lastRequest().query.get('fieldSelector')).toBe('spec.nodeName=');
  });

  it('pages with limit/continue, and listAll follows every page', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) server.put(pods, pod('ns', name));
    const first = await client.list(pods, { namespace: 'ns', limit: 2 });
    expect(first.items.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(first.continue).toBeDefined();
    const second = await client.list(pods, { namespace: 'ns', limit: 2, continue: first.continue });
    expect(second.items.map((p) => p.metadata.name)).toEqual(['c', 'd']);

    const all = await client.listAll(pods, { namespace: 'ns', limit: 2 });
    expect(all.items.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(all.continue).toBeUndefined();
  });
});

describe('RestClient writes', () => {
  it('creates in the object namespace, with dryRun as a query parameter', async () => {
    const created = await client.create(pods, pod('team', 'web'));
    expect(lastRequest()).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/team/pods' });
    expect(created.metadata.resourceVersion).toBeDefined();

    await client.create(pods, pod('team', 'dry'), { dryRun: true });
    expect(lastRequest().query.get('dryRun')).toBe('All');
    expect(server.get(pods, 'team', 'dry')).toBeUndefined();
  });

  it('updates with a resourceVersion precondition: a stale one is a Conflict', async () => {
    const created = await client.create(pods, pod('team', 'web'));
    const updated = await client.update(pods, { ...created, metadata: { ...created.metadata, labels: { v: '2' } } });
    expect(lastRequest()).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/team/pods/web' });
    expect(updated.metadata.labels).toEqual({ v: '2' });

    const error = await catchError(client.update(pods, { ...created, metadata: { ...created.metadata, labels: { v: '3' } } }));
    expect(isConflict(error)).toBe(true);
    expect(error.code).toBe(409);
  });

  it('updates status through the status subresource', async () => {
    const created = await client.create(pods, pod('team', 'web'));
    const updated = await client.updateStatus(pods, { ...created, status: { phase: 'Running' } });
    expect(lastRequest()).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/team/pods/web/status' });
    expect(updated.status).toEqual({ phase: 'Running' });
  });

  it('patches with the content type of each patch kind, on the object or a subresource', async () => {
    await client.create(pods, pod('team', 'web'));
    await client.patch(pods, 'team', 'web', { metadata: { labels: { a: '1' } } }, 'merge');
    expect(lastRequest().headers['content-type']).toBe('application/merge-patch+json');
    await client.patch(pods, 'team', 'web', { metadata: { labels: { b: '2' } } }, 'strategic');
    expect(lastRequest().headers['content-type']).toBe('application/strategic-merge-patch+json');
    const patched = await client.patch(pods, 'team', 'web', [{ op: 'add', path: '/metadata/labels/c', value: '3' }], 'json');
    expect(lastRequest().headers['content-type']).toBe('application/json-patch+json');
    expect(patched.metadata.labels).toEqual({ a: '1', b: '2', c: '3' });

    await client.patch(pods, 'team', 'web', { status: { phase: 'Failed' } }, 'merge', { subresource: 'status', dryRun: true });
    expect(lastRequest().path).toBe('/api/v1/namespaces/team/pods/web/status');
    expect(lastRequest().query.get('dryRun')).toBe('All');
  });

  it('deletes with DeleteOptions in the body', async () => {
    const created = await client.create(pods, pod('team', 'web'));
    await client.delete(pods, 'team', 'web', {
      propagationPolicy: 'Foreground',
      gracePeriodSeconds: 0,
      preconditions: { resourceVersion: created.metadata.resourceVersion },
    });
    expect(lastRequest()).toMatchObject({ method: 'DELETE', path: '/api/v1/namespaces/team/pods/web' });
    expect(JSON.parse(lastRequest().body)).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Foreground',
      gracePeriodSeconds: 0,
      preconditions: { resourceVersion: created.metadata.resourceVersion },
    });
    expect(server.get(pods, 'team', 'web')).toBeUndefined();
  });

  it('reads and writes the scale subresource', async () => {
    server.put(deployments, { metadata: { namespace: 'team', name: 'api' }, spec: { replicas: 1 } });
    const scale = await client.getScale(deployments, 'team', 'api');
    expect(lastRequest().path).toBe('/apis/apps/v1/namespaces/team/deployments/api/scale');
    expect(scale.spec?.replicas).toBe(1);
    const scaled = await client.updateScale(deployments, 'team', 'api', { ...scale, spec: { replicas: 4 } });
    expect(lastRequest().method).toBe('PUT');
    expect(scaled.spec?.replicas).toBe(4);
  });

  it('posts a pod binding through createSubresource', async () => {
    server.put(pods, pod('team', 'web'));
    await client.createSubresource(pods, 'team', 'web', 'binding', {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'web', namespace: 'team' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
    });
    expect(lastRequest()).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/team/pods/web/binding' });
    expect((server.get(pods, 'team', 'web')!.spec as { nodeName?: string }).nodeName).toBe('node-1');
  });

  it('sends raw requests and parses JSON answers', async () => {
    server.put(nodes, { metadata: { name: 'n1' } });
    const body = (await client.raw('GET', '/api/v1/nodes/n1', undefined, { 'X-Test': 'yes' })) as KubeObject;
    expect(body.metadata.name).toBe('n1');
    expect(lastRequest().headers['x-test']).toBe('yes');
  });
});

describe('RestClient errors', () => {
  it('turns a 404 Status into ApiError NotFound', async () => {
    const error = await catchError(client.get(pods, 'team', 'missing'));
    expect(error.code).toBe(404);
    expect(error.reason).toBe('NotFound');
    expect(isNotFound(error)).toBe(true);
    expect(error.message).toBe('pods "missing" not found');
  });

  it('maps an AlreadyExists Status', async () => {
    await client.create(pods, pod('team', 'web'));
    const error = await catchError(client.create(pods, pod('team', 'web')));
    expect(error).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });

  it('maps a missing token to Unauthorized', async () => {
    const anonymous = new RestClient({ server: server.url });
    const error = await catchError(anonymous.list(pods));
    expect(error).toMatchObject({ code: 401, reason: 'Unauthorized' });
  });

  it('maps a non-Status error body from its HTTP code', async () => {
    server.respondNext(502, 'bad gateway', 'text/plain');
    const error = await catchError(client.list(pods));
    expect(error.code).toBe(502);
    expect(error.reason).toBe('InternalError');
    expect(error.message).toContain('bad gateway');

    server.respondNext(429, '');
    expect(await catchError(client.list(pods))).toMatchObject({ code: 429, reason: 'TooManyRequests' });
  });

  it('turns a network failure into ApiError 503 ServiceUnavailable naming the cause', async () => {
    const url = server.url;
    await server.close();
    const unreachable = new RestClient({ server: url });
    const error = await catchError(unreachable.list(pods));
    expect(error).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(error.message).toContain('ECONNREFUSED');
    server = await TestApiServer.start();
  });
});

describe('RestClient.watch', () => {
  // resourceVersion '0' means "start now" to a server; begin from a real one.
  beforeEach(() => {
    server.put(namespaces, { metadata: { name: 'team' } });
  });

  async function collectUntilEnd(info: ResourceInfo, resourceVersion: string, end: (events: WatchEvent[]) => boolean) {
    const events: WatchEvent[] = [];
    const done = client.watch(info, { namespace: 'team', resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 30 }, (event) => {
      events.push(event);
      if (end(events)) server.endWatches();
    });
    return { events, done };
  }

  it('streams events after the resourceVersion and resolves when the server ends the stream', async () => {
    const start = server.resourceVersion();
    server.put(pods, pod('team', 'a'));
    server.put(pods, pod('other', 'ignored'));
    const { events, done } = await collectUntilEnd(pods, start, (seen) => seen.length === 3);
    server.put(pods, { ...pod('team', 'a'), metadata: { namespace: 'team', name: 'a', labels: { v: '2' } } });
    server.remove(pods, 'team', 'a');
    await done;
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a']);
    const request = server.watchRequests()[0];
    expect(request.path).toBe('/api/v1/namespaces/team/pods');
    expect(Object.fromEntries(request.query)).toEqual({
      watch: 'true',
      resourceVersion: start,
      allowWatchBookmarks: 'true',
      timeoutSeconds: '30',
    });
  });

  it('delivers bookmarks', async () => {
    const start = server.resourceVersion();
    server.put(pods, pod('team', 'a'));
    const { events, done } = await collectUntilEnd(pods, start, (seen) => seen.some((e) => e.type === 'BOOKMARK'));
    server.put(nodes, { metadata: { name: 'elsewhere' } });
    await server.waitForWatchers();
    server.sendBookmark();
    await done;
    expect(events.at(-1)).toMatchObject({ type: 'BOOKMARK', object: { metadata: { resourceVersion: server.resourceVersion() } } });
  });

  it('rejects with ApiError 410 Expired when the resourceVersion is too old', async () => {
    const old = server.resourceVersion();
    server.put(pods, pod('team', 'a'));
    server.compact();
    const error = await catchError(client.watch(pods, { namespace: 'team', resourceVersion: old }, () => {}));
    expect(error).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('rejects with the ApiError of an HTTP failure', async () => {
    server.refuseWatches(true);
    const error = await catchError(client.watch(pods, { resourceVersion: '0' }, () => {}));
    expect(error).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
  });

  it('resolves when the caller aborts', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const done = client.watch(pods, { namespace: 'team', resourceVersion: server.resourceVersion() }, (event) => {
      seen.push(event.object.metadata.name!);
      abort.abort();
    }, abort.signal);
    server.put(pods, pod('team', 'a'));
    await expect(done).resolves.toBeUndefined();
    expect(seen).toEqual(['a']);
  });
});
