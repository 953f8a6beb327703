import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronBinaryPath } from '../electron/electron-availability.ts';
import { apiRequest } from './support/api-request.ts';
import { REPO_ROOT, tempDataDir } from './support/kubelab-serve.ts';

// `npm start` (electron/start.mjs) where Electron cannot open a window: it says why in
// one line and runs `kubelab serve` instead, whose URL then answers.

const electronInstalled = electronBinaryPath(join(REPO_ROOT, 'node_modules/electron')) !== undefined;

async function startFallback(env: NodeJS.ProcessEnv) {
  const dataDir = await tempDataDir('kubelab-start-');
  const child = spawn(process.execPath, [join(REPO_ROOT, 'electron/start.mjs'), '--data-dir', dataDir, '--no-local-node'], {
    cwd: REPO_ROOT,
    env: { ...env, KUBELAB_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no serve URL within 90 s:\n${out}`)), 90_000);
    child.stdout.on('data', () => {
      const url = /HTTP:\s+(\S+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start.mjs exited with ${code}:\n${out}`));
    });
  });
  return { httpUrl, output: () => out, exited, stop: () => (child.kill('SIGTERM'), exited) };
}

function withoutDisplay(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

describe('npm start falls back to kubelab serve', () => {
  it.skipIf(process.platform !== 'linux')('without a display: says so, serves, and stops cleanly on SIGTERM', async () => {
    const app = await startFallback(withoutDisplay());
    try {
      const firstLine = app.output().split('\n')[0];
      expect(firstLine).toMatch(/^kubelab: the desktop app cannot start because there is no display .*running `kubelab serve` instead/);
      expect((await apiRequest(app.httpUrl, 'GET', '/readyz')).status).toBe(200);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it.skipIf(electronInstalled)('when the Electron download fails: says why in one line and serves', async () => {
    // A mirror on a closed loopback port: the download fails at once, without leaving the machine.
    const app = await startFallback({ ...process.env, DISPLAY: ':99', ELECTRON_MIRROR: 'http://127.0.0.1:1/', ELECTRON_SKIP_BINARY_DOWNLOAD: '' });
    try {
      const lines = app.output().split('\n');
      expect(lines[0]).toMatch(/^kubelab: downloading Electron/);
      expect(lines[1]).toMatch(/^kubelab: the desktop app cannot start because the Electron binary could not be downloaded \(exit code 1: RequestError: connect ECONNREFUSED 127\.0\.0\.1:1\)/);
      expect((await apiRequest(app.httpUrl, 'GET', '/readyz')).status).toBe(200);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it.skipIf(electronInstalled)('without the Electron binary (download not allowed): says so and serves', async () => {
    const app = await startFallback({ ...process.env, DISPLAY: ':99', ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    try {
      expect(app.output()).toMatch(/cannot start because the Electron binary is not installed and ELECTRON_SKIP_BINARY_DOWNLOAD is set/);
      expect((await apiRequest(app.httpUrl, 'GET', '/readyz')).status).toBe(200);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });
});
