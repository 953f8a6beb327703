// The API under many clients at once: 20 writers (create, update three times, delete,
// over ConfigMaps of their own) and 10 watchers for 60 s (--quick: 15 s), against
// `kubelab serve` without nodes. Prints write latency p50/p99, writes per second, and
// checks, as test/watch-under-load.test.ts does, that every watcher saw every
// acknowledged write once and in order.
//
//   npx tsx bench/api-load.ts [--seconds 60] [--writers 20] [--watchers 10] [--quick]

import { benchArgs, percentile, recordResult, type BenchRow } from './support/bench-result.ts';
import { apiRequest, tokenOf } from '../test/support/api-request.ts';
import { startServe } from '../test/support/kubelab-serve.ts';
import { runLoad, watchDiscrepancies } from '../test/support/load-driver.ts';

const args = benchArgs({ seconds: { type: 'string' }, writers: { type: 'string', default: '20' }, watchers: { type: 'string', default: '10' } });
const seconds = Number(args.seconds ?? (args.quick ? 15 : 60));
const writers = Number(args.writers);
const watchers = Number(args.watchers);

const started = performance.now();
const serve = await startServe(undefined, ['--no-local-node']);
try {
  const token = tokenOf(serve.dataDir);
  await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces', { token, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'load' } } });
  const result = await runLoad({ baseUrl: serve.httpUrl, token, namespace: 'load', writers, watchers, seconds });
  const latencies = result.writes.map((write) => write.latencyMs);
  const problems = result.watchers.flatMap((seen, index) => watchDiscrepancies(result.writes, seen).map((problem) => `watcher ${index}: ${problem}`));
  for (const line of [...result.failures, ...problems].slice(0, 20)) console.log(`problem: ${line}`);
  const rows: BenchRow[] = [
    { measure: `${writers} writers, ${watchers} watchers: writes per second`, unit: 'ops/s', kubelab: result.writes.length / seconds },
    { measure: `${writers} writers, ${watchers} watchers: write latency p50`, unit: 'ms', kubelab: percentile(latencies, 50) },
    { measure: `${writers} writers, ${watchers} watchers: write latency p99`, unit: 'ms', kubelab: percentile(latencies, 99) },
    { measure: `${writers} writers, ${watchers} watchers: failed writes and watch discrepancies`, unit: 'count', kubelab: result.failures.length + problems.length, aim: '0' },
  ];
  recordResult({
    name: 'api-load',
    title: `API under load: ${writers} writers and ${watchers} watchers for ${seconds} s`,
    quick: Boolean(args.quick),
    seconds: (performance.now() - started) / 1000,
    rows,
    details: { writes: result.writes.length, failures: result.failures.slice(0, 50), problems: problems.slice(0, 50) },
  });
} finally {
  await serve.stop();
}
