import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../support/docker-cli.ts';
import { kubectl, kubectlOk } from '../support/kubectl.ts';
import { startServe, type ServeProcess } from '../support/kubelab-serve.ts';
import { webServerManifest } from '../support/web-server-manifest.ts';
import { launchBrowser, openGui, screenshot } from './support/browser.ts';
import { eventually } from '../support/eventually.ts';

// Issue 6 acceptance in a real browser (Debian's Chromium through playwright-core)
// against `kubelab serve` with the local Docker daemon as its node: drag-to-scale,
// label filtering, manifest import by drop, self-healing seen on the map, rollback from
// the history view, and the scheduler's reason for a Pending pod. Screenshots of each
// step are kept in test-results/screenshots.

let serve: ServeProcess;
let browser: Browser;
let page: Page;
let kc: string;
const k = (...args: string[]) => kubectlOk(kc, args);
const apply = (yaml: string) => kubectlOk(kc, ['apply', '-f', '-'], yaml);
const json = async (...args: string[]) => JSON.parse(await k(...args, '-o', 'json'));

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  status: { phase: string; containerStatuses?: { ready: boolean; containerID?: string; restartCount: number }[] };
}
const runningPods = async (selector: string) =>
  ((await json('get', 'pods', '-l', selector)).items as PodJson[]).filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');

const deployment = (name: string, replicas: number, labels: Record<string, string>, image = 'kubelab/busybox:test') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: ${JSON.stringify({ app: name, ...labels })}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${image}
          command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done']
          resources: { requests: { cpu: 10m, memory: 8Mi } }
`;

/** Tiles on the map whose pod name starts with `prefix-` (a Deployment's pods). */
const tiles = (prefix: string, health?: string) =>
  page.locator(`[data-test="pod-tile"][data-pod^="default/${prefix}-"]${health ? `[data-health="${health}"]` : ''}`);

async function go(path: string): Promise<void> {
  await page.evaluate((p) => (window.location.hash = `#${p}`), path);
}

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab']);
  kc = serve.kubeconfig;
  expect(serve.guiUrl, 'kubelab serve prints the GUI address').toBeTruthy();
  await eventually(async () => (await k('get', 'nodes', '-o', 'name')).trim() !== '', 'the local node');
  await k('wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=60s');
  browser = await launchBrowser();
  page = await openGui(browser, serve.guiUrl!);
  await page.locator('[data-test="node-card"]').first().waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (serve) {
    await kubectl(kc, ['delete', 'deploy,pods,cm,svc', '--all', '--grace-period=1', '--wait=true', '--timeout=90s']);
    await serve.stop();
  }
}, 180_000);

describe('the GUI against a real cluster', () => {
  it('the address `kubelab serve` printed shows live pods; a reload and a second tab keep working', async () => {
    await apply(deployment('first', 1, { tier: 'first' }));
    await expect.poll(() => tiles('first', 'running').count(), { timeout: 90_000 }).toBe(1);
    expect(page.url(), 'the token left the address bar').not.toContain('token');
    await page.locator('[data-test="nav-nodes"]').click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/^#\/nodes/);
    await page.reload();
    await page.locator('[data-test="node-row"]').first().waitFor();
    expect(new URL(page.url()).hash).toMatch(/^#\/nodes/);

    // A second tab on an address without the token (a bookmark, a link to a view)...
    const second = await page.context().newPage();
    try {
      await second.goto(`${serve.httpUrl}/#/map`);
      await expect.poll(() => second.locator('[data-test="pod-tile"][data-pod^="default/first-"][data-health="running"]').count(), { timeout: 30_000 }).toBe(1);
      // ...and the printed address pasted into that tab (only the hash changes: no page load).
      await second.goto(serve.guiUrl!);
      await expect.poll(() => second.url(), { timeout: 30_000 }).not.toContain('token');
      await second.locator('[data-test="pod-tile"][data-pod^="default/first-"]').first().waitFor();
      expect(await second.locator('[data-test="unauthorized"]').count()).toBe(0);
    } finally {
      await second.close();
    }
    await k('delete', 'deployment', 'first', '--wait=true');
    await go('/map');
  });

  it('drag-to-scale: 2 -> 5 brings five Running pods onto the map, back to 1 removes four', async () => {
    await apply(deployment('drag', 2, { tier: 'drag' }));
    await eventually(async () => (await runningPods('app=drag')).length === 2 || undefined, 'two drag pods running', 60_000);
    await go('/workloads');
    const row = page.locator('[data-test="workload-row"][data-kind="Deployment"][data-name="drag"]');
    await row.waitFor();
    await expect.poll(() => row.locator('[data-test="workload-counts"]').getAttribute('data-desired')).toBe('2');

    await dragHandleTo(row, 5);
    await eventually(async () => (await runningPods('app=drag')).length === 5 || undefined, 'five drag pods running', 90_000);
    expect((await json('get', 'deployment', 'drag')).spec.replicas).toBe(5);
    await go('/map');
    await expect.poll(() => tiles('drag', 'running').count(), { timeout: 30_000 }).toBe(5);
    await screenshot(page, '1-scaled-to-5');

    await go('/workloads');
    await dragHandleTo(row, 1);
    await eventually(async () => ((await json('get', 'pods', '-l', 'app=drag')).items as PodJson[]).length === 1 || undefined, 'four drag pods gone', 90_000);
    await go('/map');
    await expect.poll(() => tiles('drag').count(), { timeout: 30_000 }).toBe(1);
    await screenshot(page, '1-scaled-to-1');
  });

  it('label filter: `tier in (web),!canary` leaves only matching pods and workloads; a bad selector keeps the last good filter', async () => {
    await apply(deployment('web', 2, { tier: 'web' }));
    await apply(deployment('web-canary', 1, { tier: 'web', canary: 'true' }));
    await apply(deployment('api', 1, { tier: 'api' }));
    await eventually(async () => (await runningPods('app in (web,web-canary,api)')).length === 4 || undefined, 'four filter pods running', 90_000);
    await go('/map');
    const input = page.locator('[data-test="selector-input"]');
    await input.fill('tier in (web),!canary');
    await input.press('Enter');
    const count = page.locator('[data-test="selector-count"]');
    await expect.poll(() => count.getAttribute('data-pods')).toBe('2');
    // The Deployment `web` and its ReplicaSet (which carries the template's labels).
    expect(await count.getAttribute('data-workloads')).toBe('2');
    await expect.poll(() => page.locator('[data-test="pod-tile"]').count()).toBe(2);
    await expect.poll(() => tiles('web').count()).toBe(2);
    expect(page.url()).toContain('selector=');
    await go(`/workloads?selector=${encodeURIComponent('tier in (web),!canary')}`);
    const rows = page.locator('[data-test="workload-row"][data-kind="Deployment"]');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-name')).toBe('web');
    await screenshot(page, '2-filtered');

    await input.fill('tier in (web');
    await input.press('Enter');
    await page.locator('[data-test="selector-error"]').waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await screenshot(page, '2-selector-error');
    await input.fill('');
    await input.press('Enter');
    await expect.poll(() => rows.count()).toBeGreaterThan(1);
  });

  it('manifest import: a dropped three-document file is dry-run as three creates, then applied; a file with an invalid document applies nothing', async () => {
    const good = ['a', 'b', 'c'].map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: imported-${n}\ndata:\n  key: "${n}"\n`).join('---\n');
    await dropFile('three.yaml', good);
    await expect.poll(() => page.locator('[data-test="import-row"][data-action="create"]').count(), { timeout: 30_000 }).toBe(3);
    await screenshot(page, '3-dry-run');
    expect((await kubectl(kc, ['get', 'cm', 'imported-a'])).code).not.toBe(0);
    await page.locator('[data-test="import-apply"]').click();
    await page.locator('[data-test="import-done"]').waitFor();
    await eventually(async () => (await kubectl(kc, ['get', 'cm', 'imported-a', 'imported-b', 'imported-c'])).code === 0 || undefined, 'imported ConfigMaps');

    // The third document starts on line 9; its replicas is not a number.
    const bad =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: partial-ok\ndata:\n  key: "x"\n---\n# a broken deployment\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: partial-bad\nspec:\n  replicas: "three"\n  selector:\n    matchLabels: { app: partial-bad }\n  template:\n    metadata:\n      labels: { app: partial-bad }\n    spec:\n      containers: [{ name: main, image: kubelab/busybox:test }]\n';
    await dropFile('broken.yaml', bad);
    const errorRow = page.locator('[data-test="import-row"][data-action="error"]', { hasText: 'partial-bad' });
    await errorRow.waitFor({ timeout: 30_000 });
    expect(await errorRow.locator('[data-test="import-error-line"]').innerText()).toMatch(/line (9|14)\b/);
    // The valid ConfigMap of the same file is held back too: a file applies whole or not at all.
    expect(await page.locator('[data-test="import-row"][data-action="error"]').count()).toBe(2);
    await screenshot(page, '3-invalid-document');
    expect(await page.locator('[data-test="import-apply"]').isEnabled()).toBe(false);
    expect((await kubectl(kc, ['get', 'deployment', 'partial-bad'])).code).not.toBe(0);
    expect((await kubectl(kc, ['get', 'cm', 'partial-ok'])).code).not.toBe(0);
  });

  it('self-healing on the map: a container killed with docker turns its tile to a failed state, then Running again', async () => {
    await apply(deployment('heal', 1, { tier: 'heal' }));
    const [pod] = (await eventually(async () => {
      const pods = await runningPods('app=heal');
      return pods.length === 1 && pods[0].status.containerStatuses?.[0]?.ready ? pods : undefined;
    }, 'the heal pod running', 60_000))!;
    await go('/map');
    const tile = page.locator(`[data-test="pod-tile"][data-pod="default/${pod.metadata.name}"]`);
    await expect.poll(() => tile.getAttribute('data-health'), { timeout: 30_000 }).toBe('running');
    // Record every state the tile shows: the failed state may last less than a poll.
    await tile.evaluate((element) => {
      const seen: string[] = [];
      (window as unknown as { healthSeen: string[] }).healthSeen = seen;
      new MutationObserver(() => seen.push(element.getAttribute('data-health') ?? '')).observe(element, { attributes: true, attributeFilter: ['data-health'] });
    });
    const containerId = pod.status.containerStatuses![0].containerID!.replace(/^docker:\/\//, '');
    await docker(['kill', containerId]);
    await eventually(async () => {
      const seen = await page.evaluate(() => (window as unknown as { healthSeen: string[] }).healthSeen);
      return seen.some((h) => ['failed', 'crashloop', 'unready'].includes(h)) && seen.at(-1) === 'running' ? seen : undefined;
    }, 'the tile to go through a failed state back to running', 60_000);
    await screenshot(page, '4-healed');
    const after = (await json('get', 'pod', pod.metadata.name)) as PodJson;
    expect(after.status.containerStatuses![0].restartCount).toBeGreaterThan(0);
  });

  it('rollouts: roll a Deployment to a new image, then roll back from the history view', async () => {
    await docker(['tag', 'kubelab/busybox:test', 'kubelab/busybox:v2']);
    await apply(deployment('roll', 1, { tier: 'roll' }));
    await k('rollout', 'status', 'deployment/roll', '--timeout=90s');
    await k('set', 'image', 'deployment/roll', 'main=kubelab/busybox:v2');
    await k('rollout', 'status', 'deployment/roll', '--timeout=90s');
    await go('/workloads/deployments/default/roll');
    const revisionOne = page.locator('[data-test="revision-row"][data-revision="1"]');
    await revisionOne.waitFor();
    await expect.poll(() => page.locator('[data-test="revision-row"]').count()).toBe(2);
    await screenshot(page, '5-history');
    await revisionOne.locator('[data-test="rollback"]').click();
    await eventually(async () => {
      const d = await json('get', 'deployment', 'roll');
      return d.spec.template.spec.containers[0].image === 'kubelab/busybox:test' || undefined;
    }, 'the template back on the first image');
    await k('rollout', 'status', 'deployment/roll', '--timeout=90s');
    await expect.poll(() => page.locator('[data-test="revision-row"][data-revision="3"]').count(), { timeout: 30_000 }).toBe(1);
    await screenshot(page, '5-rolled-back');
  });

  it('a Pending pod shows the scheduler’s reason', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: too-big
  labels: { tier: big }
spec:
  containers:
    - name: main
      image: kubelab/busybox:test
      command: ['sleep', '3600']
      resources: { requests: { cpu: "500" } }
`);
    await go('/map');
    const tile = page.locator('[data-test="pod-tile"][data-pod="default/too-big"]');
    await tile.click();
    const reason = page.locator('[data-test="pending-reason"]');
    await expect.poll(() => reason.innerText(), { timeout: 30_000 }).toMatch(/Insufficient cpu/i);
    await screenshot(page, '6-pending-reason');
    // Ages tick on their own: no event changes the pod between these two looks.
    const age = page.locator('[data-test="pod-age"]');
    const before = await age.innerText();
    await page.waitForTimeout(2500);
    await screenshot(page, '6-pending-reason-later');
    expect(await age.innerText()).not.toBe(before);
  });

  it('shows each Service with the 127.0.0.1 address that answers for it', async () => {
    await apply(webServerManifest({ name: 'hello', page: 'hello-from-the-lab' }));
    await k('wait', '--for=condition=Ready', 'pod/hello', '--timeout=90s');
    await go('/services');
    const link = page.locator('[data-test="service-row"][data-name="hello"] [data-test="service-desktop-url"]');
    await expect.poll(() => link.innerText(), { timeout: 30_000 }).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const url = await link.innerText();
    expect(await (await fetch(url)).text()).toContain('hello-from-the-lab');
    await screenshot(page, '8-services');
  });

  it('speaks Simplified Chinese when switched', async () => {
    await go('/map');
    await page.locator('[data-test="locale"]').selectOption('zh');
    await expect.poll(() => page.locator('[data-test="nav-map"]').innerText()).toBe('集群地图');
    await screenshot(page, '7-zh');
    await page.locator('[data-test="locale"]').selectOption('en');
  });
});

/** Drags the row's replica handle onto slot `replicas` with real pointer input. */
async function dragHandleTo(row: ReturnType<Page['locator']>, replicas: number): Promise<void> {
  const handle = row.locator('[data-test="replica-handle"]');
  const slot = row.locator(`[data-test="replica-slot"][data-index="${replicas}"]`);
  const from = (await handle.boundingBox())!;
  const to = (await slot.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  expect(await row.locator('[data-test="ghost-tile"]').count()).toBeGreaterThan(0);
  await screenshot(page, `drag-to-${replicas}`);
  await page.mouse.up();
  await expect.poll(() => row.locator('[data-test="workload-counts"]').getAttribute('data-desired'), { timeout: 30_000 }).toBe(String(replicas));
}

/** Drops a file on the window the way a file manager does (a DataTransfer with a File). */
async function dropFile(name: string, text: string): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, text }) => {
      const data = new DataTransfer();
      data.items.add(new File([text], name, { type: 'application/yaml' }));
      return data;
    },
    { name, text },
  );
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: transfer });
  await page.dispatchEvent('body', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
}
