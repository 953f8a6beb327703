// List and watch at 10,000 stored objects, against a floor: a bare Node HTTP server
// that answers the same list from a pre-built array (no store, no selectors, no
// encoding work beyond JSON.stringify). Records figures (bench/results/list-watch.json)
// with the floor as baseline; asserts nothing.
//
//   npx tsx bench/list-watch.ts [--quick] [--objects 10000] [--watchers 50]
//
// --quick: 2,000 objects, 10 watchers, fewer runs.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../core/apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../core/apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../core/apiserver/resource-service.ts';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { benchArgs, percentile, recordResult, type BenchRow } from './support/bench-result.ts';

const values = benchArgs({ objects: { type: 'string' }, watchers: { type: 'string' } });
const QUICK = values.quick === true;
const OBJECTS = Number(values.objects ?? (QUICK ? 2000 : 10000));
const WATCHERS = Number(values.watchers ?? (QUICK ? 10 : 50));
const RUNS = QUICK ? 4 : 10;
const UPDATES = QUICK ? 50 : 200;
const started = performance.now();
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
  return { median: percentile(samples, 50), p90: percentile(samples, 90) };
}

const FLOOR = 'bare HTTP + JSON.stringify';

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
  const rows: BenchRow[] = [];
  const listAll = await timeIt(RUNS, () => read(base));
  const floorAll = await timeIt(RUNS, () => read(floorUrl));
  rows.push({ measure: `list ${OBJECTS} pods (JSON), median`, unit: 'ms', kubelab: listAll.median, baseline: { name: FLOOR, value: floorAll.median } });
  rows.push({ measure: `list ${OBJECTS} pods (JSON), p90`, unit: 'ms', kubelab: listAll.p90, baseline: { name: FLOOR, value: floorAll.p90 } });
  const selected = await timeIt(RUNS, () => read(`${base}?labelSelector=${encodeURIComponent('app=app-7,tier in (web)')}`));
  rows.push({ measure: `list with label selector (~${OBJECTS / 200} match), median`, unit: 'ms', kubelab: selected.median });
  const table = await timeIt(Math.ceil(RUNS / 2), () => read(base, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'));
  rows.push({ measure: `list ${OBJECTS} pods as kubectl Table, median`, unit: 'ms', kubelab: table.median });
  const paged = await timeIt(3, async () => {
    let token = '';
    do {
      const page = await (await fetch(`${base}?limit=500${token ? `&continue=${token}` : ''}`, { headers })).json();
      token = page.metadata.continue ?? '';
    } while (token);
  });
  rows.push({ measure: 'list in pages of 500, median', unit: 'ms', kubelab: paged.median });

  // Watch fan-out: WATCHERS streams, UPDATES updates; latency from acknowledgement to receipt.
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
  for (let i = 0; i < UPDATES; i++) {
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
  rows.push({ measure: 'creates through the API (32 clients)', unit: 'ops/s', kubelab: OBJECTS / createSeconds });
  rows.push({ measure: `watch delivery, ${WATCHERS} watchers x ${UPDATES} updates, p50`, unit: 'ms', kubelab: percentile(latencies, 50), note: `${latencies.length} events, from acknowledgement to receipt` });
  rows.push({ measure: `watch delivery, ${WATCHERS} watchers x ${UPDATES} updates, p99`, unit: 'ms', kubelab: percentile(latencies, 99) });
  rows.push({ measure: 'resident memory (benchmark process, store in-process)', unit: 'MiB', kubelab: process.memoryUsage().rss / 2 ** 20 });
  recordResult({ name: 'list-watch', title: `List and watch at ${OBJECTS} objects`, quick: QUICK, seconds: (performance.now() - started) / 1000, rows });

  floor.close();
  await server.close();
  await store.close();
}

await main();
