// List and watch at 10,000 stored objects, against a floor: a bare Node HTTP server
// that answers the same list from a pre-built array (no store, no selectors, no
// encoding work beyond JSON.stringify). Prints figures side by side; asserts nothing.
//
//   npx tsx bench/list-watch.ts [--objects 10000] [--watchers 50]

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '../core/apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../core/apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../core/apiserver/resource-service.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '10000' }, watchers: { type: 'string', default: '50' } } });
const OBJECTS = Number(values.objects);
const WATCHERS = Number(values.watchers);
const TOKEN = 'bench-token-0123456789abcdef0123456789';
const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

function podFor(i: number) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, labels: { app: `app-${i % 100}`, tier: i % 2 ? 'web' : 'api' } },
    spec: { containers: [{ name: 'main', image: 'kubelab/busybox:test', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<{ median: number; p90: number }> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p90: samples[Math.floor(samples.length * 0.9)] };
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-bench-'));
  const store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const server = await startApiServer({ store, token: TOKEN });
  const base = `${server.url}/api/v1/namespaces/default/pods`;

  // Create through the API, 32 at a time: each create waits for its fsync'd flush.
  const createStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < OBJECTS) {
        const i = next++;
        const res = await fetch(base, { method: 'POST', headers, body: JSON.stringify(podFor(i)) });
        if (res.status !== 201) throw new Error(`create ${i}: ${res.status} ${await res.text()}`);
      }
    }),
  );
  const createSeconds = (performance.now() - createStart) / 1000;

  // The floor: the same objects, served pre-built.
  const items = (await (await fetch(base, { headers })).json()).items;
  const floor = createServer((_req, res) => {
    const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;

  const read = (url: string, accept = 'application/json') => fetch(url, { headers: { ...headers, Accept: accept } }).then((r) => r.arrayBuffer());
  const rows: [string, string, string][] = [];
  const listAll = await timeIt(10, () => read(base));
  const floorAll = await timeIt(10, () => read(floorUrl));
  rows.push([`list ${OBJECTS} pods (JSON)`, `${ms(listAll.median)} (p90 ${ms(listAll.p90)})`, `${ms(floorAll.median)} (p90 ${ms(floorAll.p90)})`]);
  const selected = await timeIt(10, () => read(`${base}?labelSelector=${encodeURIComponent('app=app-7,tier in (web)')}`));
  rows.push(['list with label selector (~50 match)', ms(selected.median), '-']);
  const table = await timeIt(5, () => read(base, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'));
  rows.push([`list ${OBJECTS} pods as kubectl Table`, ms(table.median), '-']);
  const paged = await timeIt(3, async () => {
    let token = '';
    do {
      const page = await (await fetch(`${base}?limit=500${token ? `&continue=${token}` : ''}`, { headers })).json();
      token = page.metadata.continue ?? '';
    } while (token);
  });
  rows.push(['list in pages of 500', ms(paged.median), '-']);

  // Watch fan-out: WATCHERS streams, 200 updates; latency from acknowledgement to receipt.
  const rv = (await (await fetch(`${base}?limit=1`, { headers })).json()).metadata.resourceVersion;
  const latencies: number[] = [];
  const acked = new Map<string, number>();
  const controllers: AbortController[] = [];
  await Promise.all(
    Array.from({ length: WATCHERS }, async () => {
      const abort = new AbortController();
      controllers.push(abort);
      const res = await fetch(`${base}?watch=true&resourceVersion=${rv}`, { headers, signal: abort.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      void (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buffer += decoder.decode(value, { stream: true });
            let nl;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const event = JSON.parse(buffer.slice(0, nl));
              buffer = buffer.slice(nl + 1);
              const sent = acked.get(event.object.metadata.resourceVersion);
              if (sent !== undefined) latencies.push(performance.now() - sent);
            }
          }
        } catch {
          // aborted at the end
        }
      })();
    }),
  );
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${base}/pod-${i}`, {
      method: 'PATCH',
      headers: { ...headers, 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { bench: String(i) } } }),
    });
    const body = await res.json();
    acked.set(body.metadata.resourceVersion, performance.now());
  }
  await new Promise((r) => setTimeout(r, 500));
  controllers.forEach((c) => c.abort());
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;

  console.log(`\nKubelab list/watch at ${OBJECTS} objects (node ${process.version})\n`);
  console.log(`${'measure'.padEnd(40)} ${'kubelab'.padEnd(28)} floor (bare HTTP + JSON)`);
  for (const [name, ours, floorValue] of rows) console.log(`${name.padEnd(40)} ${ours.padEnd(28)} ${floorValue}`);
  console.log(`${'creates through the API (32 clients)'.padEnd(40)} ${`${(OBJECTS / createSeconds).toFixed(0)} /s`.padEnd(28)} -`);
  console.log(`${`watch delivery, ${WATCHERS} watchers x 200 updates`.padEnd(40)} ${`p50 ${ms(pct(0.5))} p99 ${ms(pct(0.99))}`.padEnd(28)} - (${latencies.length} events)`);
  console.log(`${'resident memory'.padEnd(40)} ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);

  floor.close();
  await server.close();
  await store.close();
}

await main();
