import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { clusterStatusText, fetchClusterStatus, summarizeNodes } from './cluster-status.ts';

const node = (name: string, ready: string | undefined): Node => ({
  metadata: { name },
  status: { conditions: ready === undefined ? [] : [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: ready }] },
});

describe('cluster status', () => {
  it('counts Ready nodes', () => {
    const status = summarizeNodes({ items: [node('a', 'True'), node('b', 'False'), node('c', undefined), node('d', 'Unknown')] });
    expect(status).toEqual({ ready: 1, total: 4 });
    expect(clusterStatusText(status)).toBe('Kubelab: 1 of 4 nodes Ready');
    expect(clusterStatusText({ ready: 1, total: 1 })).toBe('Kubelab: 1 of 1 node Ready');
    expect(clusterStatusText({ ready: 0, total: 0 })).toBe('Kubelab: no nodes yet');
    expect(clusterStatusText({ error: 'ECONNREFUSED' })).toMatch(/not answering \(ECONNREFUSED\)/);
  });

  it('reads the node list from the API with the bearer token', async () => {
    const server = createServer((req, res) => {
      if (req.url !== '/api/v1/nodes' || req.headers.authorization !== 'Bearer t0ken') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [node('a', 'True'), node('b', 'True')] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await fetchClusterStatus(url, 't0ken')).toEqual({ ready: 2, total: 2 });
      expect(await fetchClusterStatus(url, 'wrong')).toEqual({ error: 'HTTP 401' });
    } finally {
      server.close();
    }
    expect(await fetchClusterStatus(url, 't0ken')).toHaveProperty('error');
  });
});
