import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataDirOwner } from '../core/store/data-dir-lock.ts';
import { apiRequest } from './support/api-request.ts';
import { KUBELAB_BIN, REPO_ROOT, startServe, tempDataDir } from './support/kubelab-serve.ts';

// `kubelab serve` as a user runs it: flags, the kubeconfig it writes, readiness,
// clean shutdown, and the data-directory lock.

function runKubelab(args: string[]) {
  return spawnSync(process.execPath, [KUBELAB_BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('kubelab serve', () => {
  it('a bad flag prints usage and exits non-zero', () => {
    const result = runKubelab(['serve', '--prot', '8080']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Unknown option '--prot'");
    expect(result.stderr).toContain('Usage: kubelab');
    const badPort = runKubelab(['serve', '--port', 'eighty']);
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain('--port must be a number');
  });

  it('an unknown command prints usage and exits non-zero', () => {
    const result = runKubelab(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it('is ready on /readyz, writes a private kubeconfig, and stops cleanly on SIGTERM and SIGINT', async () => {
    const dir = await tempDataDir();
    const serve = await startServe(dir);
    expect((await apiRequest(serve.httpUrl, 'GET', '/readyz')).status).toBe(200);
    expect(serve.kubeconfig).toBe(`${dir}/kubeconfig`);
    expect(statSync(serve.kubeconfig).mode & 0o077).toBe(0);
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(await dataDirOwner(dir)).toBeUndefined(); // the data directory is free again

    const again = await startServe(dir);
    expect(again.url).toBe(serve.url); // the previous port is reused, so old kubeconfigs keep working
    expect(await again.stop('SIGINT')).toBe(0);
  });

  it('a second serve on the same data directory refuses with a clear message', async () => {
    const first = await startServe();
    try {
      const second = runKubelab(['serve', '--data-dir', first.dataDir]);
      expect(second.status).not.toBe(0);
      expect(second.stderr).toMatch(/data directory .* is in use by another kubelab \(pid \d+\)/);
      expect((await apiRequest(first.httpUrl, 'GET', '/readyz')).status).toBe(200);
    } finally {
      await first.stop();
    }
  });

  it('writes the kubeconfig where --kubeconfig says', async () => {
    const dir = await tempDataDir();
    const serve = await startServe(dir, ['--kubeconfig', `${dir}/elsewhere.yaml`]);
    try {
      expect(serve.kubeconfig).toBe(`${dir}/elsewhere.yaml`);
      expect(existsSync(serve.kubeconfig)).toBe(true);
    } finally {
      await serve.stop();
    }
  });
});
