// How the GUI copes with a big cluster: 20 nodes and 2,000 pods (API objects only; no
// containers are started, so it needs no Docker), shown on the cluster map in Chromium.
//
//   npx tsx bench/gui-scale.ts [--nodes 20] [--pods 2000]
//
// Prints: time from opening the page to every tile on the map; then, while every pod is
// changed once through the API (a label patch, as a rollout or a relabel does), the
// frames the page painted per second, the longest main-thread task, and the time until
// the map showed the last change.

import { parseArgs } from 'node:util';
import { apiRequest, tokenOf } from '../test/support/api-request.ts';
import { startServe } from '../test/support/kubelab-serve.ts';
import { launchBrowser, openGui } from '../test/e2e/support/browser.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '20' }, pods: { type: 'string', default: '2000' } } });
const nodeCount = Number(values.nodes);
const podCount = Number(values.pods);

const serve = await startServe(undefined, ['--no-local-node']);
const token = tokenOf(serve.dataDir);
const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => apiRequest(serve.httpUrl, method, path, { token, body, headers });

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

try {
  const nodes = Array.from({ length: nodeCount }, (_, i) => `node-${String(i).padStart(2, '0')}`);
  await inBatches(nodes, 10, (name) =>
    api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
      status: { allocatable: { cpu: '16', memory: '64Gi', pods: '200' }, capacity: { cpu: '16', memory: '64Gi', pods: '200' } },
    }),
  );
  const pods = Array.from({ length: podCount }, (_, i) => ({ name: `pod-${i}`, node: nodes[i % nodeCount] }));
  await inBatches(pods, 50, ({ name, node }) =>
    api('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: `app-${Number(name.split('-')[1]) % 40}`, tier: 'web' } },
      spec: { nodeName: node, containers: [{ name: 'main', image: 'kubelab/busybox:test', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    }),
  );

  const browser = await launchBrowser();
  const opened = performance.now();
  const page = await openGui(browser, serve.guiUrl!);
  const tiles = page.locator('[data-test="pod-tile"]');
  await page.waitForFunction((n) => document.querySelectorAll('[data-test="pod-tile"]').length >= n, podCount, { timeout: 120_000 });
  const firstRender = performance.now() - opened;

  // Count frames and long tasks in the page while every pod changes once.
  // A string, not a function: the TypeScript loader would add helpers the page lacks.
  await page.evaluate(`(() => {
    window.benchFrames = 0;
    window.benchLongest = 0;
    window.benchStop = false;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.benchLongest = Math.max(window.benchLongest, entry.duration);
    }).observe({ type: 'longtask', buffered: false });
    const tick = () => {
      window.benchFrames++;
      if (!window.benchStop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const burstStarted = performance.now();
  await inBatches(pods, 50, ({ name }) =>
    api('PATCH', `/api/v1/namespaces/default/pods/${name}`, { metadata: { labels: { changed: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' }),
  );
  const patched = performance.now() - burstStarted;
  await page.locator('[data-test="selector-input"]').fill('changed=yes');
  await page.locator('[data-test="selector-input"]').press('Enter');
  await page.waitForFunction((n) => document.querySelector('[data-test="selector-count"]')?.getAttribute('data-pods') === String(n), podCount, { timeout: 120_000 });
  const settled = performance.now() - burstStarted;
  const { frames, longest } = (await page.evaluate('(window.benchStop = true, { frames: window.benchFrames, longest: window.benchLongest })')) as { frames: number; longest: number };
  console.log(`\n${podCount} pods on ${nodeCount} nodes, Chromium ${browser.version()}\n`);
  console.log(`open the map until every tile is shown     ${(firstRender / 1000).toFixed(1)} s (${await tiles.count()} tiles)`);
  console.log(`patch every pod once through the API       ${(patched / 1000).toFixed(1)} s`);
  console.log(`  frames painted meanwhile                 ${(frames / (settled / 1000)).toFixed(0)} per second`);
  // The browser reports only long tasks, those over 50 ms.
  console.log(`  longest main-thread task                 ${longest ? `${longest.toFixed(0)} ms` : 'none over 50 ms'}`);
  console.log(`  until the filter counted every change    ${(settled / 1000).toFixed(1)} s`);
  await browser.close();
} finally {
  await serve.stop();
}
