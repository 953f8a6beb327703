import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import { Informer, type InformerEventHandler, type InformerOptions } from './informer.ts';
import { RestClient } from './rest-client.ts';
import { TestApiServer } from './test-api-server.ts';

const pods = findByPlural('', 'v1', 'pods')!;
const configmaps = findByPlural('', 'v1', 'configmaps')!;

function pod(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { namespace, name, labels }, spec: {} };
}

/** Handler that writes every event as a line: `add ns/name`, `update ns/name`, `delete ns/name`. */
function recorder(): InformerEventHandler<KubeObject> & { events: string[]; objects: Map<string, KubeObject[]> } {
  const events: string[] = [];
  const objects = new Map<string, KubeObject[]>();
  const note = (line: string, ...objs: KubeObject[]): void => {
    events.push(line);
    objects.set(line, objs);
  };
  return {
    events,
    objects,
    onAdd: (obj) => note(`add ${keyOf(obj)}`, obj),
    onUpdate: (old, obj) => note(`update ${keyOf(obj)}`, old, obj),
    onDelete: (obj) => note(`delete ${keyOf(obj)}`, obj),
  };
}

let server: TestApiServer;
let client: RestClient;
let informer: Informer<KubeObject>;
let errors: unknown[];

function makeInformer(options: InformerOptions = {}): Informer<KubeObject> {
  informer = new Informer<KubeObject>(client, pods, {
    backoffInitialMs: 1,
    backoffMaxMs: 4,
    watchTimeoutSeconds: 60,
    onError: (error) => errors.push(error),
    ...options,
  });
  return informer;
}

beforeEach(async () => {
  server = await TestApiServer.start();
  client = new RestClient({ server: server.url });
  errors = [];
});

afterEach(async () => {
  informer?.stop();
  await server.close();
});

describe('Informer', () => {
  it('lists, then watches from the list resourceVersion and follows add/update/delete', async () => {
    server.put(pods, pod('a', 'one'));
    const inf = makeInformer();
    const events = recorder();
    inf.addEventHandler(events);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(events.events).toEqual(['add a/one']);
    const listedAt = inf.lastSyncResourceVersion();
    expect(listedAt).toBe(server.resourceVersion());

    server.put(pods, pod('a', 'two'));
    server.put(pods, pod('a', 'one', { changed: 'yes' }));
    server.remove(pods, 'a', 'two');
    await vi.waitFor(() => expect(events.events).toHaveLength(4));
    expect(events.events).toEqual(['add a/one', 'add a/two', 'update a/one', 'delete a/two']);
    const [oldOne, newOne] = events.objects.get('update a/one')!;
    expect(oldOne.metadata.labels).toEqual({});
    expect(newOne.metadata.labels).toEqual({ changed: 'yes' });
    expect(inf.lister().get('a', 'one')?.metadata.labels).toEqual({ changed: 'yes' });
    expect(inf.lister().get('a', 'two')).toBeUndefined();
    expect(inf.lastSyncResourceVersion()).toBe(server.resourceVersion());

    const watch = server.watchRequests()[0];
    expect(watch.query.get('resourceVersion')).toBe(listedAt);
    expect(watch.query.get('allowWatchBookmarks')).toBe('true');
    expect(watch.query.get('timeoutSeconds')).toBe('60');
  });

  it('scopes list and watch to the namespace and selectors it was given', async () => {
    server.put(pods, pod('a', 'web', { app: 'web' }));
    server.put(pods, pod('a', 'db', { app: 'db' }));
    server.put(pods, pod('b', 'web', { app: 'web' }));
    const inf = makeInformer({ namespace: 'a', labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1' });
    inf.start();
    await inf.waitForSync();
    expect(inf.lister().list().map(keyOf)).toEqual(['a/web']);
    expect(server.listRequests()[0].path).toBe('/api/v1/namespaces/a/pods');
    await server.waitForWatchers();
    const watch = server.watchRequests()[0];
    expect(watch.path).toBe('/api/v1/namespaces/a/pods');
    expect(watch.query.get('labelSelector')).toBe('app=web');
    expect(watch.query.get('fieldSelector')).toBe('spec.nodeName=n1');
  });

  it('follows continue tokens on the initial list', async () => {
    for (const name of ['a', 'b', 'c']) server.put(pods, pod('ns', name));
    server.respondNext(200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: server.resourceVersion(), continue: '1' },
      items: [server.get(pods, 'ns', 'a')],
    });
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    expect(inf.lister().list().map(keyOf).sort()).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect(server.listRequests()[1].query.get('continue')).toBe('1');
  });

  it('gives a handler added after sync an add for every cached object, and unsubscribes it', async () => {
    server.put(pods, pod('a', 'one'));
    server.put(pods, pod('b', 'two'));
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();

    const late = recorder();
    const unsubscribe = inf.addEventHandler(late);
    expect(late.events.sort()).toEqual(['add a/one', 'add b/two']);

    unsubscribe();
    const stillSubscribed = recorder();
    inf.addEventHandler(stillSubscribed);
    server.put(pods, pod('a', 'three'));
    await vi.waitFor(() => expect(stillSubscribed.events).toContain('add a/three'));
    expect(late.events).toHaveLength(2);
  });

  it('re-watches from the last resourceVersion when a stream ends normally, without relisting', async () => {
    const inf = makeInformer();
    const events = recorder();
    inf.addEventHandler(events);
    inf.start();
    await inf.waitForSync();
    server.put(pods, pod('a', 'one'));
    await vi.waitFor(() => expect(events.events).toEqual(['add a/one']));
    const seenAt = inf.lastSyncResourceVersion();

    server.endWatches();
    server.put(pods, pod('a', 'two'));
    await vi.waitFor(() => expect(events.events).toEqual(['add a/one', 'add a/two']));
    expect(server.listRequests()).toHaveLength(1);
    expect(server.watchRequests().map((r) => r.query.get('resourceVersion'))).toContain(seenAt);
  });

  it('on 410 Gone relists and turns the differences into add/update/delete events', async () => {
    server.put(pods, pod('ns', 'changed'));
    server.put(pods, pod('ns', 'deleted'));
    server.put(pods, pod('ns', 'untouched'));
    const inf = makeInformer();
    const events = recorder();
    inf.addEventHandler(events);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatchers();
    events.events.length = 0;

    // The watch breaks; meanwhile objects change and the server's history moves past the informer.
    server.refuseWatches(true);
    server.endWatches();
    server.put(pods, pod('ns', 'changed', { version: '2' }));
    server.remove(pods, 'ns', 'deleted');
    server.put(pods, pod('ns', 'added'));
    server.compact();
    server.refuseWatches(false);

    await vi.waitFor(() => expect(events.events).toHaveLength(3));
    expect(events.events.sort()).toEqual(['add ns/added', 'delete ns/deleted', 'update ns/changed']);
    expect(events.objects.get('delete ns/deleted')![0].metadata.name).toBe('deleted');
    const [before, after] = events.objects.get('update ns/changed')!;
    expect(before.metadata.labels).toEqual({});
    expect(after.metadata.labels).toEqual({ version: '2' });
    expect(inf.lister().list().map(keyOf).sort()).toEqual(['ns/added', 'ns/changed', 'ns/untouched']);
    expect(server.listRequests()).toHaveLength(2);
    expect(inf.lastSyncResourceVersion()).toBe(server.resourceVersion());

    // And it keeps watching from the fresh list.
    server.put(pods, pod('ns', 'later'));
    await vi.waitFor(() => expect(events.events).toContain('add ns/later'));
  });

  it('advances its resourceVersion on bookmarks and re-watches from there', async () => {
    server.put(pods, pod('ns', 'one'));
    const inf = makeInformer();
    const events = recorder();
    inf.addEventHandler(events);
    inf.start();
    await inf.waitForSync();
    const listedAt = inf.lastSyncResourceVersion();

    // Writes to another resource move the global resourceVersion; the bookmark carries it.
    server.put(configmaps, { metadata: { namespace: 'ns', name: 'cfg' } });
    await server.waitForWatchers();
    server.sendBookmark();
    const bookmarked = server.resourceVersion();
    expect(bookmarked).not.toBe(listedAt);
    await vi.waitFor(() => expect(inf.lastSyncResourceVersion()).toBe(bookmarked));
    expect(events.events).toEqual(['add ns/one']);

    server.endWatches();
    await vi.waitFor(() => expect(server.watchRequests().map((r) => r.query.get('resourceVersion'))).toContain(bookmarked));
  });

  it('retries failed watches with backoff and resumes from the same resourceVersion', async () => {
    const inf = makeInformer();
    const events = recorder();
    inf.addEventHandler(events);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatchers();

    server.refuseWatches(true);
    server.endWatches();
    server.put(pods, pod('ns', 'while-away'));
    const refusals = () => errors.filter((e) => e instanceof ApiError && e.code === 503);
    await vi.waitFor(() => expect(refusals().length).toBeGreaterThanOrEqual(2));
    server.refuseWatches(false);

    await vi.waitFor(() => expect(events.events).toEqual(['add ns/while-away']));
    expect(server.listRequests()).toHaveLength(1);
  });

  it('retries a failed initial list until it syncs', async () => {
    server.put(pods, pod('ns', 'one'));
    server.respondNext(500, new ApiError(500, 'InternalError', 'store unavailable').toStatus());
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    expect(inf.lister().get('ns', 'one')).toBeDefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 500, message: 'store unavailable' });
  });

  it('keeps delivering to other handlers when one throws', async () => {
    const inf = makeInformer();
    const good = recorder();
    inf.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    inf.addEventHandler(good);
    inf.start();
    await inf.waitForSync();
    server.put(pods, pod('ns', 'one'));
    server.put(pods, pod('ns', 'two'));
    await vi.waitFor(() => expect(good.events).toEqual(['add ns/one', 'add ns/two']));
    expect(errors.map((e) => (e as Error).message)).toEqual(['handler bug', 'handler bug']);
  });

  it('resyncs by sending onUpdate(obj, obj) for cached objects', async () => {
    server.put(pods, pod('ns', 'one'));
    const inf = makeInformer({ resyncMs: 5 });
    const updates: [KubeObject, KubeObject][] = [];
    inf.addEventHandler({ onUpdate: (old, obj) => updates.push([old, obj]) });
    inf.start();
    await inf.waitForSync();
    await vi.waitFor(() => expect(updates.length).toBeGreaterThan(0));
    expect(updates[0][0]).toBe(updates[0][1]);
    expect(updates[0][1]).toBe(inf.lister().get('ns', 'one'));
  });

  it('stops watching on stop and delivers nothing afterwards', async () => {
    const inf = makeInformer();
    const events = recorder();
    inf.addEventHandler(events);
    inf.start();
    await inf.waitForSync();
    await server.waitForWatchers();
    inf.stop();
    await vi.waitFor(() => expect(server.openWatchCount()).toBe(0));
    server.put(pods, pod('ns', 'late'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.events).toEqual([]);
  });

  it('rejects waitForSync when the signal aborts or the informer stops first', async () => {
    // Every list attempt fails, so the informer never syncs.
    for (let i = 0; i < 50; i++) server.respondNext(503, 'down', 'text/plain');
    const inf = makeInformer();
    const abort = new AbortController();
    const bySignal = inf.waitForSync(abort.signal);
    const byStop = inf.waitForSync();
    inf.start();
    abort.abort(new Error('gave up'));
    await expect(bySignal).rejects.toThrow('gave up');
    inf.stop();
    await expect(byStop).rejects.toThrow('stopped before it synced');
    expect(inf.hasSynced()).toBe(false);
  });
});
