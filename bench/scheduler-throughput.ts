// Scheduler throughput with simulated nodes, as Kubernetes' scheduler_perf SchedulingBasic
// measures it: N nodes that are API objects only (bench/support/simulated-nodes.ts, the
// kwok way), then M plain pods (small requests, no affinity) created through the API;
// the real `kubelab serve --no-local-node` schedules them. Pods bound per second are
// read from a watch: overall (first create to last pod with spec.nodeName) and steady
// state (between the 10th and the 90th percentile of bind times, ramp-up and tail left
// out). Each size runs against a fresh cluster. Prints figures; asserts nothing.
//
//   npx tsx bench/scheduler-throughput.ts [--quick] [--sizes 500x1000,5000x10000]
//       [--mark-running]
//
// --quick runs 500 nodes / 1,000 pods only; --mark-running has the simulated nodes mark
// bound pods Running (more writes, as real kubelets make).

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../core/api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../core/api/resource-catalog.ts';
import { RestClient } from '../core/client/rest-client.ts';
import { tokenOf } from '../test/support/api-request.ts';
import { startServe } from '../test/support/kubelab-serve.ts';
import { benchArgs, recordResult, withConcurrency, type BenchRow } from './support/bench-result.ts';
import { SimulatedNodes } from './support/simulated-nodes.ts';
import { eventually } from '../test/support/eventually.ts';

const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;
const CREATE_CONCURRENCY = 32;
/** A run is given up when no pod gets bound for this long. */
const STALL_MS = 60_000;

// kubernetes/kubernetes test/integration/scheduler_perf/config/performance-config.yaml,
// SchedulingBasic, 5000Nodes_10000Pods: threshold 680 (SchedulingThroughput average, pods/s).
const KUBERNETES_FLOOR = {
  name: 'Kubernetes scheduler_perf CI floor (published)',
  value: 680,
  source: 'kubernetes/kubernetes test/integration/scheduler_perf/config/performance-config.yaml, SchedulingBasic 5000Nodes_10000Pods threshold: 680',
};

const args = benchArgs({ sizes: { type: 'string' }, 'mark-running': { type: 'boolean', default: false } });
const sizes = (args.sizes ?? (args.quick ? '500x1000' : '500x1000,5000x10000')).split(',').map((size) => {
  const [nodes, pods] = size.split('x').map(Number);
  if (!(nodes > 0 && pods > 0)) throw new Error(`--sizes: expected NODESxPODS, got "${size}"`);
  return { nodes, pods };
});

/** scheduler_perf's pod-default.yaml: one pause container, small requests. */
function podFor(i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'default' },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
  } as KubeObject;
}


interface SizeResult {
  nodes: number;
  pods: number;
  nodeSetupSeconds: number;
  createSeconds: number;
  bound: number;
  overallPodsPerSecond: number;
  steadyPodsPerSecond: number;
  /** Pods bound in each second since the first create. */
  perSecond: number[];
}

async function runSize(nodes: number, pods: number): Promise<SizeResult> {
  const serve = await startServe(undefined, ['--no-local-node']);
  const client = new RestClient({ server: serve.httpUrl, token: tokenOf(serve.dataDir), userAgent: 'bench/scheduler-throughput' });
  const simulated = new SimulatedNodes({ client, count: nodes, markPodsRunning: args['mark-running'], leaseRenewSeconds: 10 });
  const watchStop = new AbortController();
  try {
    await eventually(() => client.get(NAMESPACES, undefined, 'default').then(() => true), 'the default namespace', 30_000, 200);
    const setupStart = performance.now();
    await simulated.start();
    const nodeSetupSeconds = (performance.now() - setupStart) / 1000;
    console.log(`${nodes} simulated nodes ready in ${nodeSetupSeconds.toFixed(1)} s`);

    const boundAt = new Map<string, number>();
    let lastProgress = performance.now();
    const { resourceVersion } = await client.list(PODS, { namespace: 'default', limit: 1 });
    const watching = client.watch(
      PODS,
      { namespace: 'default', resourceVersion },
      (event) => {
        const pod = event.object as Pod;
        const name = pod.metadata?.name ?? '';
        if (event.type === 'DELETED' || !pod.spec?.nodeName || boundAt.has(name)) return;
        boundAt.set(name, (lastProgress = performance.now()));
      },
      watchStop.signal,
    );

    const start = performance.now();
    await withConcurrency(
      Array.from({ length: pods }, (_, i) => i),
      CREATE_CONCURRENCY,
      (i) => client.create(PODS, podFor(i)),
    );
    const createSeconds = (performance.now() - start) / 1000;
    console.log(`${pods} pods created in ${createSeconds.toFixed(1)} s; ${boundAt.size} bound so far`);
    lastProgress = Math.max(lastProgress, performance.now());
    // Until every pod is bound, or none has been for STALL_MS.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (boundAt.size < pods && performance.now() - lastProgress < STALL_MS) return;
        if (boundAt.size < pods) console.log(`no pod bound for ${STALL_MS / 1000} s; giving up with ${boundAt.size}/${pods} bound`);
        clearInterval(timer);
        resolve();
      }, 100);
      const ended = (error?: unknown) => {
        clearInterval(timer);
        reject(error ?? new Error('the pod watch ended early'));
      };
      void watching.then(() => ended(), ended);
    });

    const times = [...boundAt.values()].map((t) => t - start).sort((a, b) => a - b);
    const last = times.at(-1) ?? NaN;
    const at = (fraction: number) => times[Math.min(times.length - 1, Math.floor(times.length * fraction))];
    const steadyWindowMs = at(0.9) - at(0.1);
    const perSecond: number[] = [];
    for (const t of times) perSecond[Math.floor(t / 1000)] = (perSecond[Math.floor(t / 1000)] ?? 0) + 1;
    return {
      nodes,
      pods,
      nodeSetupSeconds,
      createSeconds,
      bound: boundAt.size,
      overallPodsPerSecond: boundAt.size === pods ? pods / (last / 1000) : NaN,
      steadyPodsPerSecond: steadyWindowMs > 0 ? (0.8 * times.length) / (steadyWindowMs / 1000) : NaN,
      perSecond: Array.from(perSecond, (n) => n ?? 0),
    };
  } finally {
    watchStop.abort();
    await simulated.stop();
    await serve.stop();
  }
}

const began = performance.now();
const results: SizeResult[] = [];
for (const { nodes, pods } of sizes) {
  const result = await runSize(nodes, pods);
  results.push(result);
  console.log(
    `${nodes} nodes / ${pods} pods: ${result.bound} bound; overall ${result.overallPodsPerSecond.toFixed(0)} pods/s, steady ${result.steadyPodsPerSecond.toFixed(0)} pods/s; per second: ${result.perSecond.join(' ')}`,
  );
}

const rows: BenchRow[] = results.flatMap((r) => {
  const label = `${r.nodes.toLocaleString('en')} nodes / ${r.pods.toLocaleString('en')} pods`;
  const isCiSize = r.nodes === 5000 && r.pods === 10000;
  const note = r.bound < r.pods ? `only ${r.bound} of ${r.pods} pods were bound` : undefined;
  return [
    {
      measure: `${label}, pods bound/s (first create to last bound)`,
      unit: 'pods/s' as const,
      kubelab: Number.isFinite(r.overallPodsPerSecond) ? r.overallPodsPerSecond : null,
      ...(isCiSize ? { baseline: KUBERNETES_FLOOR, aim: '1,000 pods/s on 2 cores' } : {}),
      ...(note ? { note } : {}),
    },
    {
      measure: `${label}, pods bound/s (steady state, p10-p90 of bind times)`,
      unit: 'pods/s' as const,
      kubelab: Number.isFinite(r.steadyPodsPerSecond) ? r.steadyPodsPerSecond : null,
      ...(isCiSize ? { baseline: KUBERNETES_FLOOR, aim: '1,000 pods/s on 2 cores' } : {}),
    },
    { measure: `${label}, pod creates/s through the API (${CREATE_CONCURRENCY} in flight)`, unit: 'pods/s' as const, kubelab: r.pods / r.createSeconds },
    { measure: `${label}, simulated node setup`, unit: 's' as const, kubelab: r.nodeSetupSeconds },
  ];
});

recordResult({
  name: 'scheduler-throughput',
  title: 'Scheduler throughput, simulated nodes (scheduler_perf SchedulingBasic)',
  quick: args.quick ?? false,
  seconds: (performance.now() - began) / 1000,
  rows,
  details: { markPodsRunning: args['mark-running'], results },
});
