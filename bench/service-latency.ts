// What a Service costs compared with a direct connection, side by side on one machine:
// the baseline is plain Docker networking (a client container talking to the server
// container's IP on the same bridge), against the same request through the Service
// name (the node proxy, same node), through the Service to a pod on a lab node (two
// proxies and Kubelab's relay), and from the desktop through the 127.0.0.1 port.
//
//   npx tsx bench/service-latency.ts [--requests 200] [--no-lab-node] [--quick]
//
// Prints milliseconds per request (sequential HTTP GETs of a small page, each on a new
// connection, as busybox wget makes them) and MB/s for one 32 MiB download.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { benchArgs, recordResult, type BenchRow } from './support/bench-result.ts';
import { kubectlOk } from '../test/support/kubectl.ts';
import { KUBELAB_BIN, startServe } from '../test/support/kubelab-serve.ts';
import { webServerManifest } from '../test/support/web-server-manifest.ts';
import { eventually } from '../test/support/eventually.ts';

const run = promisify(execFile);
const values = benchArgs({ requests: { type: 'string' }, 'no-lab-node': { type: 'boolean', default: false } });
const requests = Number(values.requests ?? (values.quick ? 50 : 200));
const started = performance.now();

const serve = await startServe(undefined, ['--timings', 'lab']);
const k = (...args: string[]) => kubectlOk(serve.kubeconfig, args);
const apply = (yaml: string) => kubectlOk(serve.kubeconfig, ['apply', '-f', '-'], yaml);

async function inClient(script: string): Promise<string> {
  return k('exec', 'client', '--', 'sh', '-c', script);
}

/** Seconds a shell snippet takes inside the client pod (busybox has no sub-second `date`; /proc/uptime has 10 ms). */
async function timed(snippet: string): Promise<number> {
  const out = await inClient(`s=$(cut -d' ' -f1 /proc/uptime); ${snippet}; e=$(cut -d' ' -f1 /proc/uptime); echo "$s $e"`);
  const [start, end] = out.trim().split(/\s+/).map(Number);
  return end - start;
}

/** Milliseconds per request for `requests` sequential GETs of `url` from the client pod. */
async function latency(url: string): Promise<number> {
  const seconds = await timed(`i=0; while [ $i -lt ${requests} ]; do timeout 5 wget -qO- ${url} >/dev/null || exit 1; i=$((i+1)); done`);
  return (seconds * 1000) / requests;
}

/** MB/s for one download of the 32 MiB file. */
async function throughput(url: string): Promise<number> {
  return 32 / (await timed(`timeout 60 wget -qO /dev/null ${url}/big || exit 1`));
}

async function desktopLatency(url: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < requests; i++) await (await fetch(url, { headers: { connection: 'close' } })).text();
  return (performance.now() - started) / requests;
}

try {
  const local = (await k('get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
  let lab: string | undefined;
  if (!values['no-lab-node']) {
    lab = 'bench-lab';
    await run(process.execPath, [KUBELAB_BIN, 'node', 'create', lab, '--data-dir', serve.dataDir], { timeout: 300_000 });
    await eventually(async () => (await k('get', 'node', lab!, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'True', 'the lab node', 300_000);
  }
  // The 32 MiB file is what throughput() downloads.
  const server = (name: string, nodeName: string) => webServerManifest({ name, page: 'hello', nodeName, setup: 'dd if=/dev/zero of=/www/big bs=1M count=32 2>/dev/null' });
  await apply(server('near', local));
  if (lab) await apply(server('far', lab));
  await apply(`apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  nodeName: ${local}
  containers: [{ name: main, image: kubelab/busybox:test, command: ['sleep', '3600'] }]
`);
  await k('wait', '--for=condition=Ready', 'pod/client', 'pod/near', ...(lab ? ['pod/far'] : []), '--timeout=180s');
  const nearIp = (await k('get', 'pod', 'near', '-o', 'jsonpath={.status.podIP}')).trim();
  await eventually(async () => (await inClient('timeout 5 wget -qO- http://near')).includes('hello'), 'the near Service', 60_000);
  if (lab) await eventually(async () => (await inClient('timeout 5 wget -qO- http://far')).includes('hello'), 'the far Service', 60_000);

  const rows: [string, number, number][] = [];
  rows.push(['direct to the pod IP (plain Docker bridge, the baseline)', await latency(`http://${nearIp}:8080/`), await throughput(`http://${nearIp}:8080`)]);
  rows.push(['Service, endpoint on the same node', await latency('http://near/'), await throughput('http://near')]);
  if (lab) rows.push(['Service, endpoint on a lab node', await latency('http://far/'), await throughput('http://far')]);
  const desktop = JSON.parse((await k('get', 'svc', 'near', '-o', 'jsonpath={.metadata.annotations.kubelab\\.io/desktop-ports}')) || '{}')['80'];
  const desktopMs = desktop ? await desktopLatency(`http://127.0.0.1:${desktop}/`) : NaN;

  // The first row, plain Docker networking, is every other row's baseline.
  const [, directMs, directMbs] = rows[0];
  const direct = (value: number) => ({ name: 'direct to the pod IP (Docker bridge)', value });
  const results: BenchRow[] = [];
  for (const [path, ms, mbs] of rows.slice(1)) {
    results.push({ measure: `${path}: per request`, unit: 'ms', kubelab: ms, baseline: direct(directMs) });
    results.push({ measure: `${path}: one 32 MiB download`, unit: 'MB/s', kubelab: mbs, baseline: direct(directMbs) });
  }
  results.push({ measure: 'from this machine via the 127.0.0.1 port (Node fetch): per request', unit: 'ms', kubelab: desktopMs });
  recordResult({
    name: 'service-latency',
    title: `Service latency and throughput: ${requests} sequential requests each (a new connection each), one 32 MiB download`,
    quick: Boolean(values.quick),
    seconds: (performance.now() - started) / 1000,
    rows: results,
    details: { rows, desktopMs },
  });
} finally {
  await kubectlOk(serve.kubeconfig, ['delete', 'pods', '--all', '--grace-period=1', '--wait=false']).catch(() => '');
  if (!values['no-lab-node']) await run(process.execPath, [KUBELAB_BIN, 'node', 'delete', 'bench-lab', '--data-dir', serve.dataDir]).catch(() => undefined);
  await serve.stop();
}
