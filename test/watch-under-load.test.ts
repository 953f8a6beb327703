import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { runLoad, watchDiscrepancies } from './support/load-driver.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';

// 20 clients writing and 10 watching at once (KUBELAB_LOAD_SECONDS, 10 s here; bench/api-load.ts
// runs the 60 s form and reports latencies): no write fails, and every watcher sees exactly
// the acknowledged writes, each once, in resourceVersion order, with their content.

let serve: ServeProcess;
let token: string;

beforeAll(async () => {
  serve = await startServe(undefined, ['--no-local-node']);
  token = tokenOf(serve.dataDir);
  const created = await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces', { token, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'load' } } });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await serve?.stop();
});

describe('watches under load', () => {
  it('20 writers and 10 watchers: no write fails, and each watcher sees every acknowledged write once, in order', async () => {
    const result = await runLoad({ baseUrl: serve.httpUrl, token, namespace: 'load', writers: 20, watchers: 10, seconds: Number(process.env.KUBELAB_LOAD_SECONDS ?? 10) });
    expect(result.failures).toEqual([]);
    // Every writer finished a round at least: 20 creates, 60 updates, 20 deletes, whatever the machine's speed.
    expect(result.writes.length).toBeGreaterThanOrEqual(20 * 5);
    for (const seen of result.watchers) expect(watchDiscrepancies(result.writes, seen)).toEqual([]);
    // The store's final state is what the writes left: the objects each writer had not yet deleted.
    const live = (await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces/load/configmaps', { token })).json().items.map((o: { metadata: { name: string } }) => o.metadata.name).filter((name: string) => name.startsWith('w'));
    const lastWrite = new Map(result.writes.map((write) => [write.name, write.type]));
    expect(live.sort()).toEqual([...lastWrite].filter(([, type]) => type !== 'DELETED').map(([name]) => name).sort());
  }, 120_000);
});
