import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/api/kube-object.ts';
import { findByPlural } from '../core/api/resource-catalog.ts';
import { startApiServer, type RunningApiServer } from '../core/apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../core/apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../core/apiserver/resource-service.ts';
import { Informer } from '../core/client/informer.ts';
import { RestClient } from '../core/client/rest-client.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { apiRequest } from './support/api-request.ts';
import { tempDataDir } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Acceptance 5 of the foundation: a watch from a resourceVersion older than the
// server's history gets 410 Gone, and an informer that meets it relists and ends up
// with exactly the server's state (deletions it missed included).

const TOKEN = 'relist-test-token-0123456789abcdef';
const configmaps = findByPlural('', 'v1', 'configmaps')!;
let store: LowdbStore;
let server: RunningApiServer;

beforeAll(async () => {
  store = new LowdbStore({ file: join(await tempDataDir(), 'kubelab-data.json'), historySize: 10 });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  server = await startApiServer({ store, token: TOKEN });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

const create = (name: string) =>
  apiRequest(server.url, 'POST', '/api/v1/namespaces/default/configmaps', { token: TOKEN, body: { metadata: { name }, data: { v: '1' } } });

describe('watch history and relist', () => {
  it('answers a watch from a too-old resourceVersion with a 410 Expired event', async () => {
    const first = (await create('early')).json();
    for (let i = 0; i < 15; i++) await create(`filler-${i}`);
    const res = await apiRequest(server.url, 'GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${first.metadata.resourceVersion}&timeoutSeconds=1`, { token: TOKEN });
    const events = res.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].type).toBe('ERROR');
    expect(events[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(events[0].object.message).toMatch(/too old resource version/);
  });

  it('an informer that falls behind relists and matches the server', async () => {
    // A fetch that can hold requests: while held, the informer cannot re-watch, and
    // the server's history moves past the informer's resourceVersion.
    let held: (() => void)[] | undefined;
    const gatedFetch: typeof fetch = async (input, init) => {
      if (held) await new Promise<void>((resolve) => held!.push(resolve));
      return fetch(input, init);
    };
    const client = new RestClient({ server: server.url, token: TOKEN, fetch: gatedFetch });
    const informer = new Informer(client, configmaps, { namespace: 'default', watchTimeoutSeconds: 1, backoffInitialMs: 50, backoffMaxMs: 200 });
    const deleted: string[] = [];
    informer.addEventHandler({ onDelete: (o: KubeObject) => deleted.push(o.metadata.name!) });
    await create('doomed');
    informer.start();
    await informer.waitForSync();
    expect(informer.lister().get('default', 'doomed')).toBeDefined();

    held = [];
    // The informer's watch times out after a second; its next watch request is held.
    await eventually(() => held!.length > 0, 'the informer to re-watch');
    await apiRequest(server.url, 'DELETE', '/api/v1/namespaces/default/configmaps/doomed', { token: TOKEN });
    for (let i = 0; i < 15; i++) await create(`while-away-${i}`);
    const release = held;
    held = undefined;
    release.forEach((resume) => resume());

    await eventually(() => informer.lister().get('default', 'while-away-14') !== undefined, 'the informer to relist');
    expect(deleted).toContain('doomed');
    const serverNames = (await client.list(configmaps, { namespace: 'default' })).items.map((i) => i.metadata.name).sort();
    const cachedNames = informer.lister().listNamespace('default').map((i) => i.metadata.name).sort();
    expect(cachedNames).toEqual(serverNames);
    informer.stop();
  });
});
