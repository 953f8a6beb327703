import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { startServe } from './support/kubelab-serve.ts';

// Acceptance 4 of the foundation: kill -9 of `kubelab serve` while eight clients
// create objects; after a restart on the same data directory every create that was
// acknowledged is there, and the data file parses.

describe('kill -9 during writes', () => {
  it('loses no acknowledged create', async () => {
    const first = await startServe();
    const token = tokenOf(first.dataDir);
    const acknowledged: string[] = [];
    let stopped = false;
    const client = async (id: number) => {
      for (let i = 0; !stopped; i++) {
        const name = `c${id}-${i}`;
        try {
          const res = await apiRequest(first.httpUrl, 'POST', '/api/v1/namespaces/default/configmaps', {
            token,
            body: { metadata: { name }, data: { client: String(id), seq: String(i) } },
          });
          if (res.status === 201) acknowledged.push(name);
        } catch {
          return; // the server died mid-request: this create was never acknowledged
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, id) => client(id));
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exited;
    stopped = true;
    await Promise.all(clients);
    expect(acknowledged.length).toBeGreaterThan(8);

    const parsed = JSON.parse(readFileSync(join(first.dataDir, 'kubelab-data.json'), 'utf8'));
    expect(parsed.kind).toBe('KubelabData');

    const second = await startServe(first.dataDir);
    try {
      const list = await apiRequest(second.httpUrl, 'GET', '/api/v1/namespaces/default/configmaps', { token });
      const names = new Set(list.json().items.map((i: { metadata: { name: string } }) => i.metadata.name));
      const missing = acknowledged.filter((n) => !names.has(n));
      expect(missing).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
