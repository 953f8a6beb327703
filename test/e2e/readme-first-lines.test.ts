import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { kubectlOk } from '../support/kubectl.ts';
import { KUBELAB_BIN, REPO_ROOT } from '../support/kubelab-serve.ts';
import { consoleErrors, launchBrowser, openGui, screenshot } from './support/browser.ts';

// Issue 10, acceptance 5: the README's first line as a newcomer runs it (after `npm ci`,
// which CI has just done): `npm start`, which falls back to `kubelab serve` where
// Electron cannot run, with the default data directory of a fresh home, the local
// Docker daemon as its node; then the GUI address it printed, opened as printed.

const home = await mkdtemp(join(tmpdir(), 'kubelab-home-'));
const dataDir = join(home, '.config', 'kubelab'); // envPaths' default under this HOME
let browser: Browser | undefined;
let stopApp: (() => Promise<unknown>) | undefined;

afterAll(async () => {
  await browser?.close();
  await stopApp?.();
  // What a person does to leave nothing behind: kubelab reset.
  await new Promise((resolve) => spawn(process.execPath, [KUBELAB_BIN, 'reset', '--data-dir', dataDir, '--yes'], { cwd: REPO_ROOT, stdio: 'ignore' }).on('exit', resolve));
}, 180_000);

describe("the README's first lines", () => {
  it('`npm start` prints an address; opened as printed, it shows the local node and a pod started with kubectl', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, KUBELAB_LOG: 'warn' };
    delete env.XDG_CONFIG_HOME;
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    // npm runs the script in a process group of its own (detached), so stopping it stops all.
    const app = spawn('npm', ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    app.stdout.on('data', (d) => (out += d));
    app.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => app.on('exit', resolve));
    stopApp = async () => {
      try {
        process.kill(-app.pid!, 'SIGTERM');
      } catch {
        return; // already gone
      }
      await exited;
    };
    const gui = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no GUI address in 120 s:\n${out}`)), 120_000);
      app.stdout.on('data', () => {
        const printed = /GUI:\s+(\S+)/.exec(out)?.[1];
        if (printed && /kubeconfig:\s+\S+/.test(out)) {
          clearTimeout(timer);
          resolve(printed);
        }
      });
      void exited.then((code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    expect(out).toMatch(/running `kubelab serve` instead/);
    const kubeconfig = /kubeconfig:\s+(\S+)/.exec(out)![1];
    expect(kubeconfig).toBe(join(dataDir, 'kubeconfig'));

    browser = await launchBrowser();
    const page = await openGui(browser, gui);
    await page.locator('[data-test="node-card"]').first().waitFor({ timeout: 90_000 });
    await kubectlOk(kubeconfig, ['run', 'hello', '--image=kubelab/busybox:test', '--restart=Never', '--', 'sleep', '3600']);
    await expect
      .poll(() => page.locator('[data-test="pod-tile"][data-pod="default/hello"][data-health="running"]').count(), { timeout: 120_000 })
      .toBe(1);
    await screenshot(page, 'readme-first-lines');
    expect(consoleErrors(page), 'what the browser console showed').toEqual([]);
    await kubectlOk(kubeconfig, ['delete', 'pod', 'hello', '--grace-period=1', '--wait=true']);
  }, 300_000);
});
