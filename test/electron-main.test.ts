import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirOwner } from '../core/store/data-dir-lock.ts';
import { CONTENT_SECURITY_POLICY } from '../electron/content-security-policy.ts';
import { REPO_ROOT, tempDataDir } from './support/kubelab-serve.ts';

// The bundled Electron main process (dist/electron/main.js) run under plain Node with a
// stand-in 'electron' module (test/support/fake-electron/), so its wiring is tested
// where the Electron binary cannot run: it starts the real control plane, opens the
// window on the API's own origin with the secure preferences, answers the bridge only
// for the main window's page, shows the cluster in the tray, and stops cleanly.

interface FakeReport {
  what: string;
  data: any;
}

describe('Electron main process (under Node, stand-in electron module)', () => {
  it('starts without a Docker daemon, serves the bridge to its own page only, and stops cleanly', async () => {
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'electron/build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const dataDir = await tempDataDir('kubelab-electron-main-');
    const child = spawn(
      process.execPath,
      ['--import', join(REPO_ROOT, 'test/support/fake-electron/register.mjs'), join(REPO_ROOT, 'dist/electron/main.js'), '--data-dir', dataDir],
      // The local node is on (the default), but no daemon answers at DOCKER_HOST.
      { cwd: REPO_ROOT, env: { ...process.env, KUBELAB_LOG: 'warn', DOCKER_HOST: `unix://${dataDir}/no-docker.sock` }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const reports: FakeReport[] = [];
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d) => {
      out += d;
      reports.length = 0;
      for (const line of out.split('\n')) {
        const match = /^FAKE (\S+) (.*)$/.exec(line);
        if (match) reports.push({ what: match[1], data: JSON.parse(match[2]) });
      }
    });
    const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    const find = (what: string) => reports.find((r) => r.what === what)?.data;
    try {
      await expect.poll(() => reports.some((r) => r.what === 'tooltip' && r.data === 'Kubelab: no nodes yet'), { timeout: 90_000, interval: 200 }).toBe(true);

      expect(find('setPath')).toEqual({ name: 'userData', value: join(dataDir, 'electron-profile') });
      expect(find('menu')).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu']);
      const window = find('BrowserWindow');
      expect(window.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
      expect(window.webPreferences.preload).toBe(join(REPO_ROOT, 'dist/electron/preload.cjs'));

      const loaded = find('loadURL') as string;
      expect(loaded).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(loaded).not.toContain('token');
      const origin = new URL(loaded).origin;
      const connection = find('connection');
      expect(connection.result).toMatchObject({ apiUrl: origin, kubeconfigPath: join(dataDir, 'kubeconfig') });
      expect(connection.result.token).toMatch(/\S{20,}/);
      expect(find('foreign')).toEqual({ error: `refused: the bridge answers only pages from ${origin}` });
      expect(find('subframe')).toEqual({ error: 'refused: the bridge answers only the top frame' });
      // The guards main installed, tried as a page and a foreign site would.
      expect(find('guards')).toEqual({
        navigateAwayPrevented: true,
        navigateWithinPrevented: false,
        webviewPrevented: true,
        foreignWindow: 'deny',
        geolocationForApp: false,
        clipboardForeign: false,
        cspOnAppPages: [CONTENT_SECURITY_POLICY],
        cspElsewhere: null,
      });
      expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
    }
    expect(find('exit')).toBe(0);
    expect(await dataDirOwner(dataDir)).toBeUndefined(); // the data directory is free again
  });
});
