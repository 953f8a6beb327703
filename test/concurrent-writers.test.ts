import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';

// Acceptance 3 of the foundation: optimistic concurrency. Eight writers race to
// increment one counter; each update either applies or gets 409, and the final
// count equals the number of applied updates: no update is lost.

let serve: ServeProcess;
let token: string;
const path = '/api/v1/namespaces/default/configmaps/counter';

beforeAll(async () => {
  serve = await startServe();
  token = tokenOf(serve.dataDir);
});
afterAll(async () => {
  await serve?.stop();
});

describe('concurrent conflicting writers', () => {
  it('every update applies or gets 409 Conflict; none is lost', async () => {
    const created = await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces/default/configmaps', {
      token,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter' }, data: { n: '0' } },
    });
    expect(created.status).toBe(201);

    let applied = 0;
    let conflicts = 0;
    const writer = async (successesWanted: number) => {
      let mine = 0;
      while (mine < successesWanted) {
        const current = (await apiRequest(serve.httpUrl, 'GET', path, { token })).json();
        current.data.n = String(Number(current.data.n) + 1);
        const put = await apiRequest(serve.httpUrl, 'PUT', path, { token, body: current });
        if (put.status === 200) {
          mine++;
          applied++;
        } else {
          expect(put.status).toBe(409);
          expect(put.json().reason).toBe('Conflict');
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, () => writer(15)));

    const final = (await apiRequest(serve.httpUrl, 'GET', path, { token })).json();
    expect(applied).toBe(120);
    expect(Number(final.data.n)).toBe(applied);
    // The race is real: with eight writers some updates must have lost it.
    expect(conflicts).toBeGreaterThan(0);
  });
});
