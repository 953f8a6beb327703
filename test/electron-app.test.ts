import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { _electron, type ElectronApplication } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubelabBridge } from '../electron/bridge-api.ts';
import { displayProblem, electronBinaryPath } from '../electron/electron-availability.ts';
import { REPO_ROOT, tempDataDir } from './support/kubelab-serve.ts';

// The desktop app itself, driven by Playwright's Electron support: one window showing
// Kubelab, the bridge and nothing else from Node, and the security rules holding.
// It needs the Electron binary and a display, and says why it skips without them.

const binary = electronBinaryPath(join(REPO_ROOT, 'node_modules/electron'));
const skipReason = !binary
  ? 'the Electron binary is not installed (node node_modules/electron/install.js downloads it)'
  : displayProblem(process.platform, process.env);
if (skipReason) console.log(`electron-app.test.ts skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('the desktop app (Electron)', () => {
  let app: ElectronApplication | undefined;
  afterAll(async () => {
    await app?.close();
  });

  it('opens one sandboxed window showing Kubelab, with only the bridge exposed', async () => {
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'electron/build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const dataDir = await tempDataDir('kubelab-electron-');
    const env = { ...process.env, KUBELAB_LOG: 'warn' } as Record<string, string>;
    delete env.ELECTRON_RUN_AS_NODE;
    app = await _electron.launch({
      executablePath: binary!,
      args: [join(REPO_ROOT, 'dist/electron/main.js'), '--data-dir', dataDir, '--no-local-node'],
      cwd: REPO_ROOT,
      env,
      timeout: 120_000,
    });
    const page = await app.firstWindow({ timeout: 120_000 });
    await page.waitForLoadState('domcontentloaded');
    await expect.poll(() => page.title(), { timeout: 60_000 }).toBe('Kubelab');
    await page.screenshot({ path: join(REPO_ROOT, 'test-results/electron-window.png') });

    const origin = await page.evaluate(() => location.origin);
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Node stays out of the page; the bridge is all there is, and it answers.
    expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
    expect(await page.evaluate(() => Object.keys((window as unknown as { kubelab?: KubelabBridge }).kubelab ?? {}).sort())).toEqual(['connection', 'exportKubeconfig', 'onImportFiles', 'openManifestFiles']);
    const connection = await page.evaluate(() => (window as unknown as { kubelab: KubelabBridge }).kubelab.connection());
    expect(connection).toMatchObject({ result: { apiUrl: origin, kubeconfigPath: join(dataDir, 'kubeconfig') } });

    // The CSP blocks inline script; navigation and windows to another origin are refused.
    expect(
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inlineRan = true';
        document.head.append(script);
        return (window as { __inlineRan?: boolean }).__inlineRan ?? false;
      }),
    ).toBe(false);
    const elsewhere = 'http://127.0.0.1:1/';
    expect(await page.evaluate((url) => window.open(url) === null, elsewhere)).toBe(true);
    await page.evaluate((url) => void (location.href = url), elsewhere).catch(() => undefined);
    await expect.poll(() => page.evaluate(() => location.origin)).toBe(origin);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });
});
