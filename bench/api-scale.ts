// The API at scale: with 1,000, 10,000 and 50,000 pods stored, through the real
// `kubelab serve --no-local-node` over HTTP, how create, update, get, list by label and
// watch delivery grow, and what the store costs: cold start, resident memory, the size
// of the data file and the time of one save. Prints a table by size; asserts nothing.
//
//   npx tsx bench/api-scale.ts [--quick] [--sizes 1000,10000,50000] [--samples 200]
//
// One data directory grows from size to size. Pods are bound to a fake node whose
// Lease the benchmark renews, so no scheduler or node-lifecycle work mixes in. Each
// size: fill concurrently through the API, restart serve on the filled directory
// (cold start: spawn until it answers its first list), then one client measures each
// operation in turn on an otherwise idle server.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_FILE_NAME } from '../core/cluster/data-paths.ts';
import { tokenOf } from '../test/support/api-request.ts';
import { startServe, tempDataDir, type ServeProcess } from '../test/support/kubelab-serve.ts';
import { benchArgs, percentile, recordResult, withConcurrency, type BenchRow } from './support/bench-result.ts';

const args = benchArgs({ sizes: { type: 'string' }, samples: { type: 'string' }, fillers: { type: 'string', default: '128' } });
const quick = args.quick === true;
const sizes = (args.sizes ?? (quick ? '1000,10000' : '1000,10000,50000')).split(',').map(Number).sort((a, b) => a - b);
const SAMPLES = Number(args.samples ?? (quick ? 60 : 200));
const LIST_SAMPLES = Math.max(10, Math.floor(SAMPLES / 4));
const FILLERS = Number(args.fillers);
const NAMESPACE = 'bench';
const NODE = 'bench-node';
// Labels spread over 100 shards: `shard=s-7` matches 1% of the pods.
const SHARDS = 100;
const started = performance.now();

interface SizeFigures {
  objects: number;
  fillSeconds: number;
  createMs: number[];
  updateMs: number[];
  getMs: number[];
  listMs: number[];
  listItems: number;
  watchFromSendMs: number[];
  watchFromAckMs: number[];
  coldStartMs: number;
  rssMiB: number;
  dataFileMiB: number;
  changeLogMiB: number;
  saveMs: number[];
}

function pod(name: string, index: number, namespace = NAMESPACE) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: `app-${index % 10}`, shard: `s-${index % SHARDS}`, tier: index % 2 ? 'web' : 'api' } },
    spec: {
      nodeName: NODE,
      containers: [{ name: 'main', image: 'kubelab/busybox:test', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  };
}

class Api {
  private readonly headers: Record<string, string>;
  constructor(
    readonly serve: ServeProcess,
    token: string,
  ) {
    this.headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  }

  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    const res = await fetch(`${this.serve.httpUrl}${path}`, {
      method,
      headers: { ...this.headers, 'Content-Type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }

  watch(path: string, onEvent: (event: any, at: number) => void): AbortController {
    const abort = new AbortController();
    void (async () => {
      const res = await fetch(`${this.serve.httpUrl}${path}`, { headers: this.headers, signal: abort.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const at = performance.now();
          buffer += decoder.decode(value, { stream: true });
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            onEvent(JSON.parse(buffer.slice(0, nl)), at);
            buffer = buffer.slice(nl + 1);
          }
        }
      } catch {
        // aborted at the end
      }
    })();
    return abort;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function rssMiB(pid: number): number {
  // The API server and components are worker threads of this one process: VmRSS counts them all.
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

function fileSizes(dataDir: string): { dataFileMiB: number; changeLogMiB: number } {
  let changeLog = 0;
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith(DATA_FILE_NAME.replace(/\.json$/, '')) && name !== DATA_FILE_NAME && !name.includes('.tmp-')) changeLog += statSync(join(dataDir, name)).size;
  }
  return { dataFileMiB: statSync(join(dataDir, DATA_FILE_NAME)).size / 2 ** 20, changeLogMiB: changeLog / 2 ** 20 };
}

/** The fake node every pod is bound to, kept alive by renewing its Lease as a kubelet does. */
async function registerFakeNode(api: Api): Promise<() => void> {
  const nodes = await api.call('GET', '/api/v1/nodes');
  if (!nodes.items.some((n: any) => n.metadata.name === NODE)) {
    await api.call('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
      status: {
        allocatable: { cpu: '1000', memory: '4000Gi', pods: '100000' },
        capacity: { cpu: '1000', memory: '4000Gi', pods: '100000' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().slice(0, 19) + 'Z' }],
      },
    });
  }
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`;
  const renew = async () => {
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    try {
      await api.call('PATCH', leasePath, { spec: { renewTime } }, 'application/merge-patch+json');
    } catch {
      await api
        .call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: NODE, namespace: 'kube-node-lease' },
          spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime, acquireTime: renewTime },
        })
        .catch(() => undefined);
    }
  };
  await renew();
  const timer = setInterval(() => void renew(), 5_000);
  return () => clearInterval(timer);
}

async function ensureNamespace(api: Api, name: string): Promise<void> {
  await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch((error: Error) => {
    if (!/409/.test(error.message)) throw error;
  });
}

async function fill(api: Api, from: number, to: number): Promise<number> {
  const indexes = Array.from({ length: to - from }, (_, i) => from + i);
  const create = async (i: number) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await api.call('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, pod(`pod-${i}`, i));
      } catch (error) {
        // A connection the server closed under load: try again; 409 means the first try landed.
        if (/: 409 /.test((error as Error).message)) return;
        if (attempt >= 5 || !(error instanceof TypeError)) throw new Error(`${(error as Error).message}\nserve output:\n${api.serve.output().slice(-2000)}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
      }
    }
  };
  const seconds = await timed(() => withConcurrency(indexes, FILLERS, create));
  return seconds / 1000;
}

/** Spawn to first answered list on a data directory that already holds `objects` pods. */
async function coldStart(dataDir: string): Promise<{ serve: ServeProcess; ms: number }> {
  const start = performance.now();
  const serve = await startServe(dataDir, ['--no-local-node']);
  const api = new Api(serve, tokenOf(dataDir));
  await api.call('GET', `/api/v1/namespaces/${NAMESPACE}/pods?limit=1`);
  return { serve, ms: performance.now() - start };
}

async function measure(api: Api, objects: number): Promise<Omit<SizeFigures, 'objects' | 'fillSeconds' | 'coldStartMs' | 'rssMiB' | 'dataFileMiB' | 'changeLogMiB'>> {
  const random = (n: number) => Math.floor(Math.random() * n);
  const base = `/api/v1/namespaces/${NAMESPACE}/pods`;

  const createMs: number[] = [];
  const probes: string[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const name = `probe-${objects}-${i}`;
    probes.push(name);
    createMs.push(await timed(() => api.call('POST', `/api/v1/namespaces/probe/pods`, pod(name, i, 'probe'))));
  }

  const getMs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) getMs.push(await timed(() => api.call('GET', `${base}/pod-${random(objects)}`)));

  const listMs: number[] = [];
  let listItems = 0;
  for (let i = 0; i < LIST_SAMPLES; i++) {
    const selector = encodeURIComponent(`shard=s-${random(SHARDS)}`);
    listMs.push(await timed(async () => (listItems = (await api.call('GET', `${base}?labelSelector=${selector}`)).items.length)));
  }

  // Updates (merge PATCH), each watched by one client: delivery from sending and from the acknowledgement.
  const { resourceVersion } = (await api.call('GET', `${base}?limit=1`)).metadata;
  const arrived = new Map<string, number>();
  const watcher = api.watch(`${base}?watch=true&resourceVersion=${resourceVersion}`, (event, at) => arrived.set(event.object.metadata.resourceVersion, at));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const updateMs: number[] = [];
  const sends: { rv: string; sent: number; acked: number }[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const sent = performance.now();
    const body = await api.call('PATCH', `${base}/pod-${random(objects)}`, { metadata: { annotations: { bench: String(i) } } }, 'application/merge-patch+json');
    const acked = performance.now();
    updateMs.push(acked - sent);
    sends.push({ rv: body.metadata.resourceVersion, sent, acked });
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  watcher.abort();
  const watchFromSendMs: number[] = [];
  const watchFromAckMs: number[] = [];
  for (const { rv, sent, acked } of sends) {
    const at = arrived.get(rv);
    if (at === undefined) continue;
    watchFromSendMs.push(at - sent);
    watchFromAckMs.push(at - acked);
  }

  // One save on an idle store: a single write with nothing else in flight, after a pause.
  const saveMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    saveMs.push(await timed(() => api.call('PATCH', `${base}/pod-${random(objects)}`, { metadata: { annotations: { idle: String(i) } } }, 'application/merge-patch+json')));
  }

  await withConcurrency(probes, 16, (name) => api.call('DELETE', `/api/v1/namespaces/probe/pods/${name}`));
  return { createMs, updateMs, getMs, listMs, listItems, watchFromSendMs, watchFromAckMs, saveMs };
}

async function main(): Promise<void> {
  const dataDir = await tempDataDir('kubelab-bench-api-scale-');
  let serve = await startServe(dataDir, ['--no-local-node']);
  let api = new Api(serve, tokenOf(dataDir));
  let stopLease = await registerFakeNode(api);
  await ensureNamespace(api, NAMESPACE);
  await ensureNamespace(api, 'probe');
  const figures: SizeFigures[] = [];
  let stored = 0;
  try {
    for (const size of sizes) {
      const fillSeconds = await fill(api, stored, size);
      stored = size;
      console.log(`${size} pods stored (filled in ${fillSeconds.toFixed(1)} s with ${FILLERS} concurrent creates)`);
      stopLease();
      await serve.stop();
      const cold = await coldStart(dataDir);
      serve = cold.serve;
      api = new Api(serve, tokenOf(dataDir));
      stopLease = await registerFakeNode(api);
      const ops = await measure(api, size);
      figures.push({ objects: size, fillSeconds, coldStartMs: cold.ms, rssMiB: rssMiB(serve.child.pid!), ...fileSizes(dataDir), ...ops });
      console.log(`  measured in ${((performance.now() - started) / 1000).toFixed(0)} s so far`);
    }
  } finally {
    stopLease();
    await serve.stop();
  }

  const p = (samples: number[], q: number) => percentile(samples, q);
  const measures: { measure: string; unit: BenchRow['unit']; value: (f: SizeFigures) => number; note?: string }[] = [
    { measure: 'create p50', unit: 'ms', value: (f) => p(f.createMs, 50) },
    { measure: 'create p99', unit: 'ms', value: (f) => p(f.createMs, 99) },
    { measure: 'update (merge PATCH) p50', unit: 'ms', value: (f) => p(f.updateMs, 50) },
    { measure: 'update (merge PATCH) p99', unit: 'ms', value: (f) => p(f.updateMs, 99) },
    { measure: 'get p50', unit: 'ms', value: (f) => p(f.getMs, 50) },
    { measure: 'get p99', unit: 'ms', value: (f) => p(f.getMs, 99) },
    { measure: 'list by label (1%) p50', unit: 'ms', value: (f) => p(f.listMs, 50) },
    { measure: 'list by label (1%) p99', unit: 'ms', value: (f) => p(f.listMs, 99) },
    { measure: 'watch delivery from send p50', unit: 'ms', value: (f) => p(f.watchFromSendMs, 50) },
    { measure: 'watch delivery from send p99', unit: 'ms', value: (f) => p(f.watchFromSendMs, 99) },
    { measure: 'watch delivery from ack p50', unit: 'ms', value: (f) => p(f.watchFromAckMs, 50), note: 'negative when the event arrives before the HTTP response' },
    { measure: 'one save (single write, idle store) p50', unit: 'ms', value: (f) => p(f.saveMs, 50) },
    { measure: 'store cold start (spawn to first list)', unit: 'ms', value: (f) => f.coldStartMs },
    { measure: 'control plane RSS', unit: 'MiB', value: (f) => f.rssMiB },
    { measure: 'data file (snapshot) size', unit: 'MiB', value: (f) => f.dataFileMiB },
    { measure: 'change log size', unit: 'MiB', value: (f) => f.changeLogMiB },
    { measure: 'fill rate (concurrent creates)', unit: 'ops/s', value: (f) => (f.objects - (figures[figures.indexOf(f) - 1]?.objects ?? 0)) / f.fillSeconds },
  ];

  const table = measures.map((m) => ({ measure: m.measure, unit: m.unit, bySize: Object.fromEntries(figures.map((f) => [f.objects, round(m.value(f))])) }));
  const widths = [Math.max(...measures.map((m) => m.measure.length + m.unit.length + 3)), ...figures.map(() => 10)];
  console.log(`\nAPI at scale, by number of pods stored\n`);
  console.log(['measure'.padEnd(widths[0]), ...figures.map((f) => String(f.objects).padStart(10))].join(' '));
  for (const row of table) console.log([`${row.measure} (${row.unit})`.padEnd(widths[0]), ...figures.map((f) => String(row.bySize[f.objects]).padStart(10))].join(' '));

  const rows: BenchRow[] = figures.flatMap((f) => measures.map((m) => ({ measure: `${f.objects} pods: ${m.measure}`, unit: m.unit, kubelab: round(m.value(f)), note: m.note })));
  recordResult({
    name: 'api-scale',
    title: 'API at scale (create, update, get, list by label, watch; store cold start, RSS, data file, save)',
    quick,
    seconds: (performance.now() - started) / 1000,
    rows,
    details: { samples: SAMPLES, listSamples: LIST_SAMPLES, fillers: FILLERS, listItems: Object.fromEntries(figures.map((f) => [f.objects, f.listItems])), bySize: table },
  });
}

function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toFixed(value < 10 ? 2 : 1)) : NaN;
}

await main();
