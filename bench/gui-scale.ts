// How the GUI copes with a big cluster: 2,000, 10,000 and 30,000 pods (Headlamp claims
// 30,000) on simulated nodes (API objects only, 100 pods a node; no containers are
// started, so it needs no Docker), shown in Debian's Chromium. Records figures
// (bench/results/gui-scale.json); asserts nothing.
//
//   npx tsx bench/gui-scale.ts [--quick] [--sizes 2000,10000,30000] [--pods-per-node 100] [--samples 60]
//
// --quick: 2,000 pods only, fewer samples.
//
// One cluster grows from size to size; at each size a fresh page opens the map and the
// benchmark reports:
//   - first paint of the map: from opening the page until its tiles are shown (then of
//     the Workloads list, from clicking its tab until its rows are shown);
//   - watch event to DOM: a pod in view is marked Running through the API (its status,
//     as a kubelet writes it), and the time until its tile on the map says so; p50, p95;
//   - frames per second and the longest main-thread task while the map, then the
//     Workloads list (a Deployment per 10 pods), scroll top to bottom and back;
//   - frames per second while a burst of label patches flows in, and the time until the
//     label filter counted every change;
//   - the page's DOM nodes and JavaScript heap with the map open.

import type { CDPSession, Page } from 'playwright-core';
import { RestClient } from '../core/client/rest-client.ts';
import { findByKind, type ResourceInfo } from '../core/api/resource-catalog.ts';
import { apiRequest, tokenOf } from '../test/support/api-request.ts';
import { startServe } from '../test/support/kubelab-serve.ts';
import { launchBrowser, openGui } from '../test/e2e/support/browser.ts';
import { benchArgs, percentile, recordResult, withConcurrency, type BenchRow } from './support/bench-result.ts';
import { SimulatedNodes } from './support/simulated-nodes.ts';
import { eventually } from '../test/support/eventually.ts';

const args = benchArgs({ sizes: { type: 'string' }, 'pods-per-node': { type: 'string', default: '100' }, samples: { type: 'string' } });
const quick = args.quick === true;
const sizes = (args.sizes ?? (quick ? '2000' : '2000,10000,30000')).split(',').map(Number).sort((a, b) => a - b);
const PODS_PER_NODE = Number(args['pods-per-node']);
const SAMPLES = Number(args.samples ?? (quick ? 30 : 60));
const PODS_PER_DEPLOYMENT = 10;
const BURST_MAX = quick ? 1000 : 5000;
const SCROLL_MS = quick ? 2000 : 4000;
const CONCURRENCY = 64;
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;
const started = performance.now();

const serve = await startServe(undefined, ['--no-local-node']);
const token = tokenOf(serve.dataDir);
const api = async (method: string, path: string, body?: unknown, contentType?: string) => {
  const res = await apiRequest(serve.httpUrl, method, path, { token, body, headers: contentType ? { 'Content-Type': contentType } : undefined });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return res;
};
const client = new RestClient({ server: serve.httpUrl, token, userAgent: 'bench/gui-scale' });
const simulated: SimulatedNodes[] = [];
const browser = await launchBrowser();
const chromiumVersion = browser.version();

interface SizeResult {
  pods: number;
  nodes: number;
  deployments: number;
  mapFirstPaintMs: number;
  tilesInDom: number;
  domNodes: number;
  jsHeapMiB: number;
  watchToDomMs: { p50: number; p95: number; max: number; samples: number };
  mapScroll: ScrollFigures;
  workloadsFirstPaintMs: number;
  workloadRowsInDom: number;
  workloadsScroll: ScrollFigures;
  burst: { patches: number; patchMs: number; fps: number; longestTaskMs: number; untilCountedMs: number };
}

interface ScrollFigures {
  fps: number;
  longestTaskMs: number;
  worstFrameMs: number;
  scrolledPx: number;
}


// Page-side helpers, as strings: the TypeScript loader would add helpers the page lacks.
const PAGE_HELPERS = `(() => {
  window.bench = window.bench || {};
  bench.longest = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) bench.longest = Math.max(bench.longest, entry.duration);
  }).observe({ type: 'longtask', buffered: false });
  /** The element that scrolls the view: the view itself, one inside it, or its nearest scrolling ancestor. */
  bench.scrollerOf = (view) => {
    const scrolls = (e) => /(auto|scroll)/.test(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 10;
    if (scrolls(view)) return view;
    const inner = [...view.querySelectorAll('[data-test$="-scroller"], [data-test$="-list"]')].find(scrolls);
    if (inner) return inner;
    for (let e = view.parentElement; e; e = e.parentElement) if (scrolls(e)) return e;
    return document.scrollingElement;
  };
  /** Scrolls top to bottom and back at a fixed speed per frame for ms; frames and the longest task meanwhile. */
  bench.scrollRun = (selector, ms, step) => new Promise((resolve) => {
    const scroller = bench.scrollerOf(document.querySelector(selector));
    scroller.scrollTop = 0;
    bench.longest = 0;
    let frames = 0, worst = 0, last = performance.now(), direction = 1, scrolled = 0;
    const start = last;
    const tick = (now) => {
      frames++;
      worst = Math.max(worst, now - last);
      last = now;
      if (now - start >= ms) {
        resolve({ fps: frames / ((now - start) / 1000), longestTaskMs: bench.longest, worstFrameMs: worst, scrolledPx: scrolled });
        return;
      }
      const before = scroller.scrollTop;
      scroller.scrollTop = before + direction * step;
      if (scroller.scrollTop === before) direction = -direction;
      scrolled += Math.abs(scroller.scrollTop - before);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
  });
  /** Records when each of keys' tiles first shows health. */
  bench.watchTiles = (keys, health) => {
    bench.seen = {};
    const waiting = new Set(keys);
    const check = () => {
      for (const key of waiting) {
        const tile = document.querySelector('[data-test="pod-tile"][data-pod="' + key + '"]');
        if (tile && tile.dataset.health === health) { bench.seen[key] = Date.now(); waiting.delete(key); }
      }
      if (waiting.size === 0) bench.observer.disconnect();
    };
    bench.observer = new MutationObserver(check);
    bench.observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-health'] });
  };
  /** Frames painted until stopFrames(). */
  bench.countFrames = () => {
    bench.frames = 0; bench.framesStop = false; bench.longest = 0;
    const tick = () => { bench.frames++; if (!bench.framesStop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  };
})()`;

/** Resolves after the next frame the page paints. */
const nextFrame = (page: Page) => page.evaluate('new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))');

async function heapAndNodes(cdp: CDPSession): Promise<{ jsHeapMiB: number; domNodes: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  return { jsHeapMiB: metric('JSHeapUsedSize') / 2 ** 20, domNodes: metric('Nodes') };
}

async function grow(fromPods: number, toPods: number, step: number): Promise<void> {
  const nodesNeeded = Math.ceil(toPods / PODS_PER_NODE) - Math.ceil(fromPods / PODS_PER_NODE);
  const nodes = new SimulatedNodes({ client, count: nodesNeeded, namePrefix: `node-${String.fromCharCode(97 + step)}`, leaseRenewSeconds: 10, allocatable: { cpu: '64', memory: '256Gi', pods: String(PODS_PER_NODE + 10) } });
  await nodes.start();
  simulated.push(nodes);
  const allNodes = simulated.flatMap((s) => s.names);
  const firstNew = Math.ceil(fromPods / PODS_PER_NODE);
  const indexes = Array.from({ length: toPods - fromPods }, (_, i) => fromPods + i);
  const createStart = performance.now();
  await withConcurrency(indexes, CONCURRENCY, (i) =>
    api('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, labels: { app: `app-${Math.floor(i / PODS_PER_DEPLOYMENT)}`, tier: i % 2 ? 'web' : 'api' } },
      // Fill new nodes first, so earlier sizes keep their nodes as they were.
      spec: { nodeName: allNodes[firstNew + Math.floor((i - fromPods) / PODS_PER_NODE)] ?? allNodes[i % allNodes.length], containers: [{ name: 'main', image: 'kubelab/busybox:test', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    }),
  );
  // A Deployment per 10 pods, scaled to zero (its selector matches none of the pods above,
  // so nothing adopts or deletes them): the Workloads list's rows.
  const deployments = Array.from({ length: (toPods - fromPods) / PODS_PER_DEPLOYMENT }, (_, i) => fromPods / PODS_PER_DEPLOYMENT + i);
  await withConcurrency(deployments, CONCURRENCY, (i) =>
    api('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `app-${i}`, labels: { app: `app-${i}` } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { workload: `app-${i}` } },
        template: { metadata: { labels: { workload: `app-${i}` } }, spec: { containers: [{ name: 'main', image: 'kubelab/busybox:test' }] } },
      },
    }),
  );
  console.log(`${toPods} pods on ${allNodes.length} nodes, ${toPods / PODS_PER_DEPLOYMENT} Deployments (created in ${((performance.now() - createStart) / 1000).toFixed(1)} s)`);
}

async function measure(pods: number): Promise<SizeResult> {
  const nodes = simulated.reduce((sum, s) => sum + s.names.length, 0);
  const opened = Date.now();
  const page = await openGui(browser, serve.guiUrl!);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.waitForFunction(() => document.querySelectorAll('[data-test="node-card"]').length > 0 && document.querySelectorAll('[data-test="pod-tile"]').length > 0, undefined, { timeout: 300_000, polling: 50 });
  await nextFrame(page);
  const mapFirstPaintMs = Date.now() - opened;
  await page.evaluate(PAGE_HELPERS);
  const tilesInDom = await page.locator('[data-test="pod-tile"]').count();
  const memory = await heapAndNodes(cdp);

  // Watch event to DOM: pods whose tiles are in view and not Running yet, one at a time.
  const inView = (await page.evaluate(`[...document.querySelectorAll('[data-test="pod-tile"]')].filter((t) => {
      const r = t.getBoundingClientRect();
      return r.bottom > 0 && r.top < innerHeight && t.dataset.health !== 'running';
    }).map((t) => t.dataset.pod)`)) as string[];
  const keys = inView.slice(0, SAMPLES);
  await page.evaluate(`bench.watchTiles(${JSON.stringify(keys)}, 'running')`);
  const sent = new Map<string, number>();
  for (const key of keys) {
    const name = key.split('/')[1];
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    sent.set(key, Date.now());
    await api(
      'PATCH',
      `/api/v1/namespaces/default/pods/${name}/status`,
      {
        status: {
          phase: 'Running',
          conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
          containerStatuses: [{ name: 'main', image: 'kubelab/busybox:test', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } }],
        },
      },
      'application/merge-patch+json',
    );
    // A change every 50 ms, spread over the store's flushes as a busy cluster's are.
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.waitForFunction((n) => Object.keys((window as unknown as { bench: { seen: object } }).bench.seen).length >= n, keys.length, { timeout: 60_000 });
  const seen = (await page.evaluate('bench.seen')) as Record<string, number>;
  const latencies = keys.map((key) => seen[key] - sent.get(key)!);

  const mapScroll = (await page.evaluate(`bench.scrollRun('[data-test="cluster-map"]', ${SCROLL_MS}, 60)`)) as ScrollFigures;

  // A burst of label patches on the map (as a rollout or a relabel does), then the filter counts them.
  const burst = Array.from({ length: Math.min(pods, BURST_MAX) }, (_, i) => `pod-${Math.floor((i * pods) / Math.min(pods, BURST_MAX))}`);
  await page.evaluate('bench.countFrames()');
  const burstStart = Date.now();
  await withConcurrency(burst, CONCURRENCY, (name) => api('PATCH', `/api/v1/namespaces/default/pods/${name}`, { metadata: { labels: { changed: `yes-${pods}` } } }, 'application/merge-patch+json'));
  const patchMs = Date.now() - burstStart;
  await page.locator('[data-test="selector-input"]').fill(`changed=yes-${pods}`);
  await page.locator('[data-test="selector-input"]').press('Enter');
  await page.waitForFunction((n) => document.querySelector('[data-test="selector-count"]')?.getAttribute('data-pods') === String(n), burst.length, { timeout: 300_000 });
  const untilCountedMs = Date.now() - burstStart;
  const frames = (await page.evaluate('(bench.framesStop = true, { frames: bench.frames, longest: bench.longest })')) as { frames: number; longest: number };
  await page.locator('[data-test="selector-input"]').fill('');
  await page.locator('[data-test="selector-input"]').press('Enter');
  await page.waitForFunction(() => !document.querySelector('[data-test="selector-count"]') || document.querySelector('[data-test="selector-count"]')?.getAttribute('data-pods') !== '0', undefined, { timeout: 60_000 });

  const deployments = pods / PODS_PER_DEPLOYMENT;
  const clicked = Date.now();
  await page.locator('[data-test="nav-workloads"]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-test="workload-row"][data-kind="Deployment"]').length > 0, undefined, { timeout: 300_000, polling: 50 });
  await nextFrame(page);
  const workloadsFirstPaintMs = Date.now() - clicked;
  const workloadRowsInDom = await page.locator('[data-test="workload-row"]').count();
  const workloadsScroll = (await page.evaluate(`bench.scrollRun('[data-test="workloads"]', ${SCROLL_MS}, 60)`)) as ScrollFigures;
  await page.context().close();

  return {
    pods,
    nodes,
    deployments,
    mapFirstPaintMs,
    tilesInDom,
    ...memory,
    watchToDomMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies), samples: latencies.length },
    mapScroll,
    workloadsFirstPaintMs,
    workloadRowsInDom,
    workloadsScroll,
    burst: { patches: burst.length, patchMs, fps: frames.frames / (untilCountedMs / 1000), longestTaskMs: frames.longest, untilCountedMs },
  };
}

const results: SizeResult[] = [];
try {
  await eventually(() => client.get(NAMESPACES, undefined, 'default').then(() => true), 'the default namespace', 30_000, 200);
  let have = 0;
  for (const [step, size] of sizes.entries()) {
    await grow(have, size, step);
    have = size;
    const result = await measure(size);
    results.push(result);
    console.log(JSON.stringify(result));
  }
} finally {
  await browser.close();
  await Promise.allSettled(simulated.map((s) => s.stop()));
  await serve.stop();
}

const rows: BenchRow[] = [];
for (const r of results) {
  const at = `${r.pods} pods`;
  rows.push({ measure: `${at}: map first paint (open to tiles shown)`, unit: 'ms', kubelab: r.mapFirstPaintMs, note: `${r.nodes} nodes; ${r.tilesInDom} tiles in the DOM` });
  rows.push({ measure: `${at}: watch event to DOM, p50`, unit: 'ms', kubelab: r.watchToDomMs.p50 });
  rows.push({ measure: `${at}: watch event to DOM, p95`, unit: 'ms', kubelab: r.watchToDomMs.p95, note: `${r.watchToDomMs.samples} status patches of pods in view, 50 ms apart; the store applies events every 100 ms` });
  rows.push({ measure: `${at}: scrolling the map`, unit: 'fps', kubelab: r.mapScroll.fps });
  rows.push({ measure: `${at}: scrolling the map, longest task`, unit: 'ms', kubelab: r.mapScroll.longestTaskMs, note: 'the browser reports tasks over 50 ms only; 0 = none' });
  rows.push({ measure: `${at}: Workloads list first paint`, unit: 'ms', kubelab: r.workloadsFirstPaintMs, note: `${r.deployments} Deployments; ${r.workloadRowsInDom} rows in the DOM` });
  rows.push({ measure: `${at}: scrolling the Workloads list`, unit: 'fps', kubelab: r.workloadsScroll.fps });
  rows.push({ measure: `${at}: scrolling the Workloads list, longest task`, unit: 'ms', kubelab: r.workloadsScroll.longestTaskMs });
  rows.push({ measure: `${at}: frames while ${r.burst.patches} pods are relabelled`, unit: 'fps', kubelab: r.burst.fps });
  rows.push({ measure: `${at}: frames while relabelled, longest task`, unit: 'ms', kubelab: r.burst.longestTaskMs });
  rows.push({ measure: `${at}: relabel burst until the filter counted it`, unit: 's', kubelab: r.burst.untilCountedMs / 1000, note: `the API took ${(r.burst.patchMs / 1000).toFixed(1)} s to accept the ${r.burst.patches} patches` });
  rows.push({ measure: `${at}: page DOM nodes (map open)`, unit: 'count', kubelab: r.domNodes });
  rows.push({ measure: `${at}: page JS heap (map open)`, unit: 'MiB', kubelab: r.jsHeapMiB });
}
recordResult({ name: 'gui-scale', title: `GUI at ${sizes.join(', ')} pods (Chromium ${chromiumVersion})`, quick, seconds: (performance.now() - started) / 1000, rows, details: results });
